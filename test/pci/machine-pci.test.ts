/** PCI as the Machine wires it: MSI into the local APIC, fw_cfg kernel items, BARs reset with the machine. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMachineConfig, MIB } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';
import { PciDevice } from '../../lib/devices/pci/pci-device.js';
import { MsiCapability } from '../../lib/devices/pci/msi.js';
import { FW_CFG_CMDLINE_DATA, FW_CFG_INITRD_SIZE, FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_ENTRY, FW_CFG_SETUP_SIZE } from '../../lib/devices/fw-cfg.js';
import { makeBzImage } from '../loaders/images.js';

const REG_IRR = 0x200;

test('an MSI from a PCI function lands in the local APIC IRR of its destination', (t) => {
  const m = new Machine({ ...defaultMachineConfig(), memoryBytes: 16 * MIB, serial: 'none', smp: 2 });
  try {
    const dev = new PciDevice('msi-dev', { vendorId: 0x1234, deviceId: 0x5678, classCode: 0xff0000 });
    const msi = new MsiCapability(dev);
    m.pci.bus.attach(dev);
    const w = (off: number, size: number, v: number): void => {
      m.pio.write(0xcf8, 4, (0x8000_0000 | (dev.slot << 11) | (off & 0xfc)) >>> 0);
      m.pio.write(0xcfc + (off & 3), size, v);
    };
    w(msi.offset + 4, 4, 0xfee0_1000); // physical destination APIC ID 1
    w(msi.offset + 12, 2, 0x0045); // fixed, edge, vector 0x45
    w(msi.offset + 2, 2, 1);
    w(0x04, 2, 0x4); // bus master
    t.true(msi.signal());
    const irr = (apic: number): number => m.localApics.apics[apic]!.readRegister(REG_IRR + 0x10 * (0x45 >> 5)) ?? 0;
    t.is(irr(1) & (1 << (0x45 & 31)), 1 << (0x45 & 31), 'vector 0x45 pending on APIC 1');
    t.is(irr(0) & (1 << (0x45 & 31)), 0, 'not on APIC 0');
  } finally {
    m.destroy();
  }
});

test('fw_cfg carries the kernel items of a loaded bzImage', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvisor-fwcfg-'));
  const kernel = join(dir, 'k.bz');
  writeFileSync(kernel, makeBzImage(new Uint8Array(0x400)));
  const initrd = join(dir, 'initrd');
  writeFileSync(initrd, Buffer.alloc(3000, 1));
  const m = new Machine({ ...defaultMachineConfig(), memoryBytes: 64 * MIB, serial: 'none', kernel, initrd, append: 'a=b' });
  try {
    const read = (key: number, n: number): Buffer => {
      m.pio.write(0x510, 2, key);
      return Buffer.from(Array.from({ length: n }, () => m.pio.read(0x511, 1)));
    };
    t.is(read(FW_CFG_KERNEL_ADDR, 4).readUInt32LE(0), 0x100_0000);
    t.is(read(FW_CFG_KERNEL_ENTRY, 4).readUInt32LE(0), 0x100_0200);
    t.is(read(FW_CFG_SETUP_SIZE, 4).readUInt32LE(0), 1024);
    t.is(read(FW_CFG_INITRD_SIZE, 4).readUInt32LE(0), 3000);
    t.is(read(FW_CFG_CMDLINE_DATA, 4).toString('latin1'), 'a=b\0');
    t.is(m.boot?.protocol, 'linux');
  } finally {
    m.destroy();
  }
});
