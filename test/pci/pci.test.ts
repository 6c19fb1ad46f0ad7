import test from 'ava';
import { IrqLines } from '../../lib/machine/irq.js';
import { MmioBus } from '../../lib/machine/mmio-bus.js';
import { PioBus } from '../../lib/machine/pio-bus.js';
import type { ApicMessage } from '../../lib/machine/interrupt-types.js';
import { createHostBridge, PciConfigMechanism1 } from '../../lib/devices/pci/host-bridge.js';
import { PciBus } from '../../lib/devices/pci/pci-bus.js';
import { PciDevice } from '../../lib/devices/pci/pci-device.js';
import { PciTestdev } from '../../lib/devices/pci/pci-testdev.js';
import { MsiCapability } from '../../lib/devices/pci/msi.js';
import { MsixCapability } from '../../lib/devices/pci/msix.js';
import { intxGsi } from '../../lib/devices/pci/intx-routing.js';

function setup() {
  const pio = new PioBus();
  const mmio = new MmioBus();
  const irqs = new IrqLines(24);
  const bus = new PciBus(pio, mmio, irqs, { mmioBase: 0xe000_0000, mmioEnd: 0xfec0_0000, ioBase: 0xc000, ioEnd: 0x10000 });
  let resets = 0;
  const mech = new PciConfigMechanism1(bus, () => resets++);
  pio.register(0xcf8, 8, mech);
  bus.attach(createHostBridge(), 0);
  const cfg = (slot: number, reg: number, fn = 0): number => (0x8000_0000 | (slot << 11) | (fn << 8) | reg) >>> 0;
  const read = (slot: number, reg: number, size = 4): number => {
    pio.write(0xcf8, 4, cfg(slot, reg & ~3));
    return pio.read(0xcfc + (reg & 3), size);
  };
  const write = (slot: number, reg: number, size: number, value: number): void => {
    pio.write(0xcf8, 4, cfg(slot, reg & ~3));
    pio.write(0xcfc + (reg & 3), size, value);
  };
  return { pio, mmio, irqs, bus, mech, read, write, resets: () => resets };
}

test('mechanism #1: host bridge identity, address latch, disabled and absent functions', (t) => {
  const { pio, read } = setup();
  t.is(read(0, 0), 0x1237_8086);
  t.is(read(0, 0x08) >>> 8, 0x060000, 'class code: host bridge');
  t.is(read(0, 0x02, 2), 0x1237, 'word access at an offset');
  t.is(read(0, 0x0b, 1), 0x06, 'byte access at offset 3');
  t.is(pio.read(0xcf8, 4), 0x8000_0008, 'CONFIG_ADDRESS reads back (bits 1:0 zero)');
  t.is(read(5, 0), 0xffff_ffff, 'empty slot: master abort, all-ones');
  pio.write(0xcf8, 4, 0x0000_0000);
  t.is(pio.read(0xcfc, 4), 0xffff_ffff, 'enable bit clear: all-ones');
  pio.write(0xcf8, 4, 0x8001_0000);
  t.is(pio.read(0xcfc, 4), 0xffff_ffff, 'bus 1 does not exist');
});

test('0xCF9 reset control: writing "reset CPU" asks for a system reset', (t) => {
  const { pio, resets } = setup();
  pio.write(0xcf9, 1, 0x02);
  t.is(resets(), 0);
  t.is(pio.read(0xcf9, 1), 0x02);
  pio.write(0xcf9, 1, 0x06);
  t.is(resets(), 1);
});

test('command/status masks: read-only identity, write-1-to-clear status errors', (t) => {
  const { bus, read, write } = setup();
  const dev = new PciTestdev();
  bus.attach(dev, 3);
  write(3, 0, 4, 0x1234_5678);
  t.is(read(3, 0), 0x0005_1b36, 'vendor/device are read-only');
  dev.config.set16(0x06, 0x8000 | 0x0010);
  write(3, 0x06, 2, 0x8000);
  t.is(read(3, 0x06, 2), 0x0010, 'detected parity error cleared by writing 1, capability bit kept');
  write(3, 0x3c, 1, 0x55);
  t.is(read(3, 0x3c, 1), 0x55, 'interrupt line is scratch');
  t.is(read(3, 0x0e, 1), 0x00, 'header type 0');
});

test('BAR assignment, sizing protocol, moves re-register the ranges, command enables', (t) => {
  const { bus, pio, mmio, read, write } = setup();
  const dev = new PciTestdev();
  bus.attach(dev, 3);
  t.is(read(3, 0x10), 0xe000_0000, 'BAR0: memory from the MMIO hole, 32-bit, not prefetchable');
  t.is(read(3, 0x14), 0xc001, 'BAR1: I/O from 0xc000');
  t.is(read(3, 0x04, 2) & 3, 3, 'the machine enabled I/O and memory decoding');
  t.truthy(mmio.deviceAt(0xe000_0000));
  t.truthy(pio.deviceAt(0xc000));

  // Sizing, with decoding off as a careful guest does it.
  write(3, 0x04, 2, 0);
  t.is(pio.deviceAt(0xc000), undefined, 'I/O decoding off unmaps the BAR');
  t.is(mmio.deviceAt(0xe000_0000), undefined);
  write(3, 0x10, 4, 0xffff_ffff);
  t.is(read(3, 0x10), 0xffff_f000, 'BAR0 size mask: 4 KiB');
  write(3, 0x14, 4, 0xffff_ffff);
  t.is(read(3, 0x14), 0xffff_ff01, 'BAR1 size mask: 256 ports, I/O flag');
  // Move both and enable again.
  write(3, 0x10, 4, 0xe010_0000);
  write(3, 0x14, 4, 0xd000);
  write(3, 0x04, 2, 3);
  t.is(mmio.deviceAt(0xe000_0000), undefined);
  t.is(mmio.deviceAt(0xe010_0000)?.name, 'pci-testdev BAR0 (mmio)');
  t.is(pio.deviceAt(0xd0ff)?.name, 'pci-testdev BAR1 (portio)');
  t.is(pio.deviceAt(0xc000), undefined);
  t.deepEqual(bus.barMappings(dev).map((m) => m?.address), [0xe010_0000, 0xd000, undefined, undefined, undefined, undefined]);
  // Sizing with decoding on: an I/O BAR past 0xffff simply does not decode.
  write(3, 0x14, 4, 0xffff_ffff);
  t.is(bus.barMappings(dev)[1], undefined);
  dev.reset();
  t.is(read(3, 0x14), 0xc001, 'reset restores the machine assignment');
  t.truthy(pio.deviceAt(0xc000));
});

test('64-bit prefetchable BAR: both halves size and move; onRemap follows the decoding', (t) => {
  const { bus, mmio, read, write } = setup();
  const handler = { name: 'big', mmioRead: () => {}, mmioWrite: () => {} };
  const dev = new PciDevice('dev64', { vendorId: 0x1234, deviceId: 0x11, classCode: 0x020000 });
  const remaps: Array<number | undefined> = [];
  dev.defineBar(2, { kind: 'mem64', size: 0x10_0000, prefetchable: true, device: handler, onRemap: (a) => remaps.push(a) });
  t.throws(() => dev.defineBar(3, { kind: 'io', size: 16, device: { name: 'x', pioRead: () => 0, pioWrite: () => {} } }));
  bus.attach(dev, 4);
  t.is(read(4, 0x18), 0xe000_000c, '64-bit, prefetchable flags');
  t.is(read(4, 0x1c), 0);
  write(4, 0x18, 4, 0xffff_ffff);
  write(4, 0x1c, 4, 0xffff_ffff);
  t.is(read(4, 0x18), 0xfff0_000c);
  t.is(read(4, 0x1c), 0xffff_ffff);
  write(4, 0x18, 4, 0x0000_0000);
  write(4, 0x1c, 4, 0x1);
  t.is(dev.barAddress(2), 0x1_0000_0000);
  t.is(mmio.deviceAt(0x1_0000_0000)?.name, 'big');
  t.is(remaps[0], 0xe000_0000, 'mapped at attach');
  t.is(remaps.at(-1), 0x1_0000_0000, 'and where the guest moved it');
  write(4, 0x04, 2, 0);
  t.is(remaps.at(-1), undefined, 'memory decoding off: unmapped');
});

test('pci-testdev protocol on both BARs', (t) => {
  const { bus, pio, mmio } = setup();
  const dev = new PciTestdev();
  bus.attach(dev, 3);
  const data = new Uint8Array(16);
  const mr = (off: number, len: number): number => {
    mmio.read(0xe000_0000 + off, data, len);
    return Buffer.from(data).readUIntLE(0, len);
  };
  const mw = (off: number, len: number, v: number): void => {
    Buffer.from(data.buffer).writeUIntLE(v, 0, len);
    mmio.write(0xe000_0000 + off, data, len);
  };
  let tests = 0;
  for (let n = 0; ; n++) {
    mw(0, 1, n);
    const width = mr(1, 1);
    if (![1, 2, 4].includes(width)) break;
    const offset = mr(4, 4);
    const value = mr(8, 4);
    mw(offset, width, value);
    t.is(mr(12, 4), 1, `mmio test ${n} counted the write`);
    tests++;
  }
  t.is(tests, 3);
  mw(0, 1, 0);
  mw(mr(4, 4), 1, 0x12);
  t.is(mr(12, 4), 0, 'no-eventfd counts only the matching value');
  mw(0, 1, 1);
  mw(mr(4, 4), 1, 0x12);
  t.is(mr(12, 4), 1, 'wildcard counts any value');
  const name = Buffer.from(Array.from({ length: 32 }, (_, i) => mr(16 + i, 1))).toString('latin1').split('\0')[0];
  t.is(name, 'mmio-wildcard-eventfd');

  tests = 0;
  for (let n = 0; ; n++) {
    pio.write(0xc000, 1, n);
    const width = pio.read(0xc001, 1);
    if (![1, 2, 4].includes(width)) break;
    const offset = pio.read(0xc004, 4);
    pio.write(0xc000 + offset, width, pio.read(0xc008, 4));
    t.is(pio.read(0xc00c, 4), 1);
    t.true(offset < 0x100);
    tests++;
  }
  t.is(tests, 3);
});

test('INTx routing: swizzle to GSIs 10/11, wired-OR, INTx disable', (t) => {
  const { bus, irqs, read, write } = setup();
  t.deepEqual([0, 1, 2, 3].map((s) => intxGsi(s, 1)), [10, 10, 11, 11]);
  const a = new PciDevice('a', { vendorId: 1, deviceId: 1, classCode: 0, interruptPin: 1 });
  const b = new PciDevice('b', { vendorId: 1, deviceId: 2, classCode: 0, interruptPin: 4 });
  bus.attach(a, 4); // PIRQ (4+0)&3 = A -> 10
  bus.attach(b, 5); // PIRQ (5+3)&3 = A -> 10
  t.is(read(4, 0x3c, 1), 10, 'interrupt line register tells the GSI');
  t.is(read(5, 0x3d, 1), 4, 'interrupt pin INTD#');
  a.setIntx(true);
  b.setIntx(true);
  t.true(irqs.line(10).level);
  a.setIntx(false);
  t.true(irqs.line(10).level, 'still asserted by the other device');
  t.is(read(5, 0x06, 2) & 0x8, 0x8, 'status: interrupt');
  write(5, 0x04, 2, 0x400 | 3);
  t.false(irqs.line(10).level, 'INTx disable masks the pin');
  write(5, 0x04, 2, 3);
  t.true(irqs.line(10).level);
});

test('MSI capability: message to the APIC bus, gated by enable and bus master', (t) => {
  const { bus, read, write } = setup();
  const got: ApicMessage[] = [];
  bus.apicBus = { deliver: (m) => got.push(m), addEoiListener: () => {} };
  const dev = new PciDevice('msi', { vendorId: 1, deviceId: 3, classCode: 0 });
  const msi = new MsiCapability(dev);
  bus.attach(dev, 6);
  t.is(read(6, 0x34, 1), 0x40, 'capability pointer');
  t.is(read(6, 0x06, 2) & 0x10, 0x10, 'status: capability list');
  t.is(read(6, 0x40, 2), 0x0005, 'MSI id, end of list');
  t.is(read(6, 0x42, 2), 0x0080, '64-bit capable, disabled');
  t.false(msi.signal(), 'disabled: dropped');
  write(6, 0x44, 4, 0xfee0_1000 | 0x4 | 0x3);
  write(6, 0x48, 4, 0);
  write(6, 0x4c, 2, 0x8000 | (1 << 8) | 0x41);
  write(6, 0x42, 2, 1);
  t.false(msi.signal(), 'no bus master: dropped');
  write(6, 0x04, 2, 4);
  t.true(msi.signal());
  t.deepEqual(got, [{ vector: 0x41, deliveryMode: 1, logical: true, destination: 1, levelTriggered: true }]);
  t.is(read(6, 0x44), 0xfee0_1004, 'address bits 1:0 are read-only zero');
});

test('MSI-X: table in a BAR, masking holds pending, unmask delivers', (t) => {
  const { bus, mmio, read, write } = setup();
  const got: ApicMessage[] = [];
  bus.apicBus = { deliver: (m) => got.push(m), addEoiListener: () => {} };
  const dev = new PciDevice('msix', { vendorId: 1, deviceId: 4, classCode: 0 });
  const msix = new MsixCapability(dev, { vectors: 4, tableBar: 0, tableOffset: 0, pbaBar: 0, pbaOffset: 0x800 });
  dev.defineBar(0, { kind: 'mem32', size: 0x1000, device: msix });
  bus.attach(dev, 7);
  const base = dev.barAddress(0);
  t.is(read(7, 0x40, 1), 0x11);
  t.is(read(7, 0x42, 2), 3, 'table size - 1');
  t.is(read(7, 0x48), 0x800, 'PBA offset | BIR 0');
  const w32 = (off: number, v: number): void => {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, v, true);
    mmio.write(base + off, d, 4);
  };
  const r32 = (off: number): number => {
    const d = new Uint8Array(4);
    mmio.read(base + off, d, 4);
    return new DataView(d.buffer).getUint32(0, true);
  };
  t.is(r32(12), 1, 'vectors start masked');
  w32(16, 0xfee0_0000);
  w32(16 + 8, 0x33);
  write(7, 0x04, 2, 4 | 2);
  write(7, 0x42, 2, 0x8000);
  t.false(msix.signal(1));
  t.is(r32(0x800) & 2, 2, 'pending bit set while masked');
  w32(16 + 12, 0);
  t.is(r32(0x800) & 2, 0, 'unmask delivered the pending message');
  t.deepEqual(got.map((m) => m.vector), [0x33]);
  t.true(msix.signal(1));
  t.is(got.length, 2);
});

test('kvm-msi-ext-dest-id: MSI address bits 11:5 are APIC ID bits 14:8 of a physical destination', (t) => {
  const { bus, write } = setup();
  const got: ApicMessage[] = [];
  bus.apicBus = { deliver: (m) => got.push(m), addEoiListener: () => {} };
  const dev = new PciDevice('msi', { vendorId: 1, deviceId: 3, classCode: 0 });
  const msi = new MsiCapability(dev);
  bus.attach(dev, 6);
  write(6, 0x04, 2, 4);
  write(6, 0x4c, 2, 0x41);
  write(6, 0x42, 2, 1);
  const send = (address: number): ApicMessage | undefined => {
    got.length = 0;
    write(6, 0x44, 4, address);
    msi.signal();
    return got[0];
  };
  const ext = 0xfee0_0000 | (0x34 << 12) | (0x5a << 5); // APIC ID 0x5a34
  t.is(send(ext)?.destination, 0x34, 'without the feature bits 11:5 are ignored');
  bus.msiExtendedDestId = true;
  t.is(send(ext)?.destination, 0x5a34);
  t.is(send(0xfee0_0000 | (0xff << 12))?.destination, 0xff, 'no extension: 0xff is still the broadcast');
  t.is(send(0xfee0_0000 | (0xff << 12) | (1 << 5))?.destination, 0x1ff, 'extended: APIC ID 0x1ff, not a broadcast');
  t.deepEqual(send(ext | 0x4), { vector: 0x41, deliveryMode: 0, logical: true, destination: 0x34, levelTriggered: false }, 'logical: no extension');
  t.is(send(ext | 0x10), undefined, 'remappable format (bit 4) needs an IOMMU: not delivered');
  t.is(msi.dropped, 1);
});
