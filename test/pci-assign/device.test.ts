/**
 * The assigned device's machine side, without a guest: a fixture with MSI-X
 * (table and PBA in the 64-bit BAR) shows which BAR pages are mapped
 * directly and which exit to the MSI-X emulation; messages go to the APIC
 * bus as MSI-X or MSI, INTx to the IOAPIC pin of the slot's routing; the
 * memory regions follow the BAR and go away with the machine.
 */
import test from 'ava';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { defaultMachineConfig } from '../../lib/machine/config.js';
import type { ApicBus, ApicMessage } from '../../lib/machine/interrupt-types.js';
import { Machine } from '../../lib/machine/machine.js';
import { intxGsi } from '../../lib/devices/pci/intx-routing.js';
import { fixtureConfig, FIXTURE_ADDRESS, SysfsFixture } from '../helpers/pci-sysfs-fixture.js';
import { testWhen } from '../helpers/test-when.js';

const when = testWhen(addonAvailable(), 'the native addon is not built');

/** The default fixture plus MSI-X at 0x90: 8 vectors, table at BAR2+0x4000, PBA at BAR2+0x5000. */
function configWithMsix(): Uint8Array {
  const c = fixtureConfig();
  const v = new DataView(c.buffer);
  c[0x71] = 0x90; // vendor capability -> MSI-X
  c.set([0x11, 0x00], 0x90);
  v.setUint16(0x92, 7, true); // table size 8
  v.setUint32(0x94, 0x4000 | 2, true);
  v.setUint32(0x98, 0x5000 | 2, true);
  return c;
}

function build(fx: SysfsFixture, dma: 'none' | undefined = 'none'): Machine {
  return new Machine({
    ...defaultMachineConfig(),
    serial: 'none',
    pciSysfsRoot: fx.root,
    devices: [{ driver: 'vfio-pci', host: FIXTURE_ADDRESS, name: 'fx', ...(dma !== undefined ? { dma } : {}) }],
  });
}

function recordMessages(m: Machine): ApicMessage[] {
  const got: ApicMessage[] = [];
  const bus: ApicBus = { deliver: (msg) => got.push(msg), addEoiListener: () => {} };
  m.pci.bus.apicBus = bus;
  return got;
}

when('MSI-X: the capability is kept at the host offset; its table and PBA pages exit, the rest of the BAR is mapped', (t) => {
  const fx = new SysfsFixture();
  try {
    fx.add({ config: configWithMsix() });
    const m = build(fx);
    try {
      const dev = m.assignedPci.devices[0]!;
      t.deepEqual(dev.capabilityIds, [
        { id: 0x01, offset: 0x40 },
        { id: 0x05, offset: 0x50 },
        { id: 0x09, offset: 0x70 },
        { id: 0x11, offset: 0x90 },
      ]);
      const devfn = dev.slot * 8;
      t.is(m.pci.bus.configRead(0, devfn, 0x61, 1), 0x70, 'the PM -> MSI -> (VPD hidden) -> vendor chain skips 0x60');
      t.is(m.pci.bus.configRead(0, devfn, 0x51, 1), 0x70);
      t.is(m.pci.bus.configRead(0, devfn, 0x92, 2), 7, 'MSI-X table size from the host');
      const bar2 = dev.memoryBars.find((b) => b.index === 2)!;
      t.deepEqual(bar2.runs.map((r) => [r.offset, r.size, r.mapped]), [[0, 0x4000, true], [0x6000, 0xa000, true]]);
      const base = dev.barAddress(2);
      t.is(bar2.mappedAt, base);
      t.is(m.mmio.deviceAt(base + 0x4000), bar2, 'the MSI-X page exits to the BAR handler');

      // A table write is the machine's: the file keeps its bytes. The rest of the trapped page is the device's.
      const before = fx.file('resource2');
      const entry = new Uint8Array(16);
      new DataView(entry.buffer).setUint32(0, 0xfee0_0000, true);
      new DataView(entry.buffer).setUint32(8, 0x51, true);
      m.mmio.write(base + 0x4000 + 16, entry, 16);
      t.deepEqual(fx.file('resource2'), before, 'MSI-X table writes do not reach the device');
      const data = new Uint8Array(8);
      m.mmio.read(base + 0x4000 + 16, data, 4);
      t.is(new DataView(data.buffer).getUint32(0, true), 0xfee0_0000);
      m.mmio.read(base + 0x4000 + 12, data, 4);
      t.is(new DataView(data.buffer).getUint32(0, true), 1, 'vector 0 starts masked');
      m.mmio.write(base + 0x4800, Uint8Array.of(0x11, 0x22), 2);
      t.is(new DataView(fx.file('resource2').buffer).getUint16(0x4800, true), 0x2211, 'outside the table, the trapped page is the device');

      // Vector 1 unmasked, MSI-X enabled, bus mastering on (dma=none: virtual): a message goes to the APICs.
      const got = recordMessages(m);
      m.pci.bus.configWrite(0, devfn, 0x04, 2, 0x7);
      m.pci.bus.configWrite(0, devfn, 0x92, 2, 0x8000);
      t.true(dev.signalMessage(1));
      t.is(got.length, 1);
      t.is(got[0]!.vector, 0x51);
      t.false(dev.signalMessage(0), 'masked vector 0 is held pending');
      m.mmio.read(base + 0x5000, data, 1);
      t.is(data[0], 1, 'PBA shows vector 0 pending');
      t.is(fx.file('config')[0x93], 0x00, 'the host MSI-X enable bit is untouched');
    } finally {
      m.destroy();
    }
  } finally {
    fx.remove();
  }
});

when('MSI: an emulated message to the APIC bus; INTx: the IOAPIC pin of the slot routing', (t) => {
  const fx = new SysfsFixture();
  try {
    fx.add();
    const m = build(fx);
    try {
      const dev = m.assignedPci.devices[0]!;
      const devfn = dev.slot * 8;
      const got = recordMessages(m);
      t.false(dev.signalMessage(), 'MSI off: no message');
      m.pci.bus.configWrite(0, devfn, 0x04, 2, 0x7);
      m.pci.bus.configWrite(0, devfn, 0x54, 4, 0xfee0_1000); // APIC ID 1
      m.pci.bus.configWrite(0, devfn, 0x5c, 2, 0x0062);
      m.pci.bus.configWrite(0, devfn, 0x52, 2, 0x0001);
      t.true(dev.signalMessage());
      t.deepEqual(got.map((g) => [g.vector, g.destination]), [[0x62, 1]]);

      const gsi = intxGsi(dev.slot, 1);
      t.is(m.pci.bus.configRead(0, devfn, 0x3c, 1), gsi);
      dev.setIntx(true);
      t.true(m.irqs.line(gsi).level);
      m.pci.bus.configWrite(0, devfn, 0x04, 2, 0x7 | 0x400);
      t.false(m.irqs.line(gsi).level, 'INTx disable masks the pin');
      t.is(new DataView(fx.file('config').buffer).getUint16(4, true), 0x403, 'INTx disable reaches the host; bus mastering does not');
      dev.setIntx(false);
    } finally {
      m.destroy();
    }
  } finally {
    fx.remove();
  }
});

when('memory regions follow the BAR and are released with the machine', (t) => {
  const fx = new SysfsFixture();
  try {
    fx.add();
    const m = build(fx);
    const dev = m.assignedPci.devices[0]!;
    const devfn = dev.slot * 8;
    const bar0 = dev.memoryBars.find((b) => b.index === 0)!;
    const first = dev.barAddress(0);
    t.is(bar0.mappedAt, first);
    m.pci.bus.configWrite(0, devfn, 0x04, 2, 0x1); // memory decoding off
    t.is(bar0.mappedAt, undefined);
    t.false(bar0.runs[0]!.mapped);
    m.pci.bus.configWrite(0, devfn, 0x10, 4, first + 0x20000);
    m.pci.bus.configWrite(0, devfn, 0x04, 2, 0x3);
    t.is(bar0.mappedAt, first + 0x20000);
    const bar4 = dev.memoryBars.find((b) => b.index === 4)!;
    t.deepEqual(bar4.runs, [], 'a BAR below a page is never mapped directly');
    m.destroy();
    t.is(bar0.mappedAt, undefined, 'destroy unmaps');
  } finally {
    fx.remove();
  }
});
