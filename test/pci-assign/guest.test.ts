/**
 * The pci_assign guest on the real CPU against a fixture sysfs device,
 * through both command-line spellings: it finds the device, sees the
 * virtualized registers, sizes and uses every BAR; the test then finds the
 * guest's writes in the fixture's files and the host registers the machine
 * virtualizes untouched.
 */
import test from 'ava';
import { fromQemuArgs } from '../../lib/qemu-compat/index.js';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { runGuest } from '../helpers/run-guest.js';
import { fixtureConfig, SysfsFixture } from '../helpers/pci-sysfs-fixture.js';
import { testWhen } from '../helpers/test-when.js';

const when = testWhen(addonAvailable(), 'the native addon is not built');

function devicesFrom(args: string[]): ReturnType<typeof fromQemuArgs>['devices'] {
  return fromQemuArgs(['-kernel', 'unused.elf', ...args]).devices;
}

const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

when('-pcidevice host=03:00.0,name=fpga,dma=none: enumeration, virtualized registers, every BAR, ROM, passthrough config', async (t) => {
  const fx = new SysfsFixture();
  try {
    fx.add();
    const devices = devicesFrom(['-pcidevice', 'host=03:00.0,name=fpga,dma=none']);
    t.deepEqual(devices, [{ driver: 'vfio-pci', host: '0000:03:00.0', name: 'fpga', dma: 'none' }]);
    const r = await runGuest('pci_assign', { extraDevices: devices, pciSysfsRoot: fx.root, timeoutMs: 60_000 });
    t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL')), []);
    t.regex(r.serial, /INFO: 00:01\.0 10ee:7011 class 118000/);
    t.regex(r.serial, /PASS: BAR2 at its new address/);
    t.regex(r.serial, /PASS: bus mastering on/);
    t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
    t.is(r.status, 1);

    // The guest's stores landed in the files that stand in for the BARs and config space.
    t.is(u32(fx.file('resource0'), 0x10), 0xcafebabe, 'BAR0 (mapped) write');
    t.is(u32(fx.file('resource0'), 0), 0x11223344, 'BAR0 elsewhere unchanged');
    t.is(new DataView(fx.file('resource2').buffer).getBigUint64(0xfff8, true), 0x8877665544332211n, 'BAR2 (64-bit, mapped) write');
    t.is(u16(fx.file('resource4'), 0x20), 0xbeef, 'BAR4 (trapped) write');
    t.is(u32(fx.file('resource1'), 8), 0x0ddc0ffe, 'BAR1 port write');
    t.is(fx.file('resource1')[0x1f], 0x5a);
    const config = fx.file('config');
    t.is(u32(config, 0x84), 0x12345678, 'config write passed through');
    t.is(u16(config, 0x04), 0x0003, 'host command: decoding follows the guest, bus mastering never set');
    // What the machine virtualizes never reached the host.
    const original = fixtureConfig();
    for (const at of [0x10, 0x14, 0x18, 0x1c, 0x20, 0x30, 0x3c]) t.is(u32(config, at), u32(original, at), `host register 0x${at.toString(16)} untouched`);
    t.deepEqual([...config.subarray(0x50, 0x5e)], [...original.subarray(0x50, 0x5e)], 'host MSI capability untouched (MSI is emulated)');
  } finally {
    fx.remove();
  }
});

when('-device vfio-pci,host=...,id=,addr=05.0 without dma=none: same guest at slot 5; enabling bus mastering stops the machine with the DMA line', async (t) => {
  const fx = new SysfsFixture();
  try {
    fx.add();
    const devices = devicesFrom(['-device', 'vfio-pci,host=0000:03:00.0,id=fpga0,addr=05.0']);
    t.deepEqual(devices, [{ driver: 'vfio-pci', host: '0000:03:00.0', name: 'fpga0', id: 'fpga0', addr: { slot: 5, fn: 0 } }]);
    const r = await runGuest('pci_assign', { extraDevices: devices, pciSysfsRoot: fx.root, timeoutMs: 60_000 });
    t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL')), []);
    t.regex(r.serial, /INFO: 00:05\.0 10ee:7011/);
    t.regex(r.serial, /INFO: enabling bus mastering/);
    t.notRegex(r.serial, /SUMMARY|bus mastering on/, 'the run ended at the write');
    t.is(r.reason, 'error');
    t.is(r.status, 1);
    t.regex(r.message ?? '', /^host PCI device 0000:03:00\.0 \(fpga0\): the guest enabled bus mastering, so the device may do DMA: VFIO is not available .*dma=none/);
    t.is(u16(fx.file('config'), 0x04) & 0x4, 0, 'bus mastering never reached the host');
  } finally {
    fx.remove();
  }
});
