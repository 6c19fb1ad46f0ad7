/**
 * PCI hot plug over QMP on a real unix socket, as a management tool drives
 * it: device_add of the fixture sysfs device (vfio-pci) while the
 * pci_hotplug guest waits for the hotplug GPE, device_del, and
 * DEVICE_DELETED once the guest wrote the eject register; plus every error
 * reply in QEMU's form.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine } from '../../lib/api/virtual-machine.js';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { MonitorTarget, QmpServer } from '../../lib/qmp/index.js';
import { fixtureConfig, SysfsFixture } from '../helpers/pci-sysfs-fixture.js';
import { GUEST_DEBUG_EXIT_PORT, guestPath } from '../helpers/run-guest.js';
import { testWhen } from '../helpers/test-when.js';
import { QmpClient } from '../qmp/qmp-client.js';

const maybe = testWhen(addonAvailable(), 'needs the native addon');
const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);

maybe('device_add vfio-pci of a fixture device, the guest takes the GPE and ejects it, device_del gives DEVICE_DELETED', async (t) => {
  const fx = new SysfsFixture();
  fx.add();
  let serial = '';
  const vm = createMachine({
    kernel: guestPath('pci_hotplug'),
    devices: [{ driver: 'isa-debug-exit', iobase: GUEST_DEBUG_EXIT_PORT, iosize: 4 }, { driver: 'pci-testdev' }],
    pciSysfsRoot: fx.root,
    noReboot: true,
    serial: { output: (data) => void (serial += Buffer.from(data).toString('utf8')) },
  });
  const server = new QmpServer(vm);
  const path = join(mkdtempSync(join(tmpdir(), 'tsv-hotplug-qmp-')), 'qmp.sock');
  await server.listenUnix(path);
  const client = await QmpClient.connect(path);
  const until = async (what: string, text: string): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!serial.includes(text)) {
      if (vm.state === 'exited' || Date.now() > deadline) throw new Error(`no ${what}; serial:\n${serial}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    await client.take((m) => 'QMP' in m);
    await client.execute('qmp_capabilities');
    const exited = vm.start();
    await until('READY', 'READY for device_add');

    // Refusals, in QEMU's form, before anything is plugged in.
    const error = async (args: Record<string, unknown>) => (await client.execute('device_add', args)).error;
    t.deepEqual(await error({ driver: 'e1000', id: 'n0' }), { class: 'GenericError', desc: "'e1000' is not a valid device model name for hot plug (hot-pluggable: pci-testdev, vfio-pci)" });
    t.deepEqual(await error({ driver: 'vfio-pci', id: 'x' }), { class: 'GenericError', desc: "vfio-pci: parameter 'host' is missing" });
    t.deepEqual(await error({ driver: 'vfio-pci', host: '03:00.0', foo: 1 }), { class: 'GenericError', desc: "Property 'vfio-pci.foo' not found" });
    t.deepEqual(await error({ driver: 'vfio-pci', host: '07:00.0', id: 'x' }), {
      class: 'GenericError',
      desc: `vfio-pci: host PCI device 0000:07:00.0 (x) not found: there is no ${join(fx.root, '0000:07:00.0')}`,
    });
    t.deepEqual(await error({ driver: 'pci-testdev', addr: '01.0' }), { class: 'GenericError', desc: 'PCI: slot 1 function 0 not available for pci-testdev, in use by pci-testdev' });
    t.deepEqual(await error({ driver: 'pci-testdev', addr: '05.2' }), { class: 'GenericError', desc: 'PCI: 05.2 does not take hot plug (slots 01..1f, function 0)' });
    t.deepEqual(await error({ driver: 'pci-testdev', bus: 'pci.1' }), { class: 'GenericError', desc: "Bus 'pci.1' not found" });
    t.deepEqual((await client.execute('device_del', { id: 'nothing' })).error, { class: 'DeviceNotFound', desc: "Device 'nothing' not found" });
    t.deepEqual(vm.hotpluggedDevices(), []);

    t.deepEqual((await client.execute('device_add', { driver: 'vfio-pci', host: '03:00.0', id: 'fx0', dma: 'none', bus: 'pci.0' })).return, {});
    t.deepEqual(vm.hotpluggedDevices(), [{ id: 'fx0', path: '/machine/peripheral/fx0', driver: 'vfio-pci', slot: 2, removing: false }]);
    t.deepEqual(await error({ driver: 'vfio-pci', host: '0000:03:00.0', id: 'fx1' }), { class: 'GenericError', desc: 'vfio-pci: host PCI device 0000:03:00.0 is already assigned to the guest' });
    t.deepEqual(await error({ driver: 'pci-testdev', id: 'fx0' }), { class: 'GenericError', desc: "Duplicate device ID 'fx0'" });

    await until('WAITING', 'WAITING for device_del');
    t.regex(serial, /INFO: hot-added 00:02\.0 701110ee/);
    t.deepEqual((await client.execute('device_del', { id: 'fx0' })).return, {});
    const deleted = await client.event('DEVICE_DELETED');
    t.deepEqual(deleted.data, { device: 'fx0', path: '/machine/peripheral/fx0' });
    t.true(deleted.timestamp !== undefined);
    // The guest ejects at once and exits; the unplug-pending refusal is in the Node API test below.
    const exit = await exited;
    t.deepEqual(serial.split('\n').filter((l) => l.startsWith('FAIL')), []);
    t.regex(serial, /SUMMARY: \d+ tests, 0 failures/);
    t.is(exit.status, 1);
    t.deepEqual(vm.hotpluggedDevices(), []);
    t.is(u32(fx.file('resource0'), 0x10), 0xfeedf00d, "the guest's BAR0 write landed in the fixture");
    t.is(u32(fx.file('config'), 0x10), u32(fixtureConfig(), 0x10), "the guest's BAR address never reached the host");
  } finally {
    client.close();
    await server.close();
    if (vm.state === 'running' || vm.state === 'paused') await vm.stop();
    vm.destroy();
    fx.remove();
  }
});

maybe('a device the machine was built with (-device ...,id=) is removed by device_del once the guest ejects it', async (t) => {
  const vm = createMachine({ kernel: guestPath('pci_hotplug'), devices: [{ driver: 'pci-testdev' }, { driver: 'pci-testdev', id: 'cold0' }] });
  try {
    t.throws(() => createMachine({ devices: [{ driver: 'pci-testdev', id: 'a' }, { driver: 'pci-testdev', id: 'a' }] }), { message: "Duplicate ID 'a' for device" });
    t.deepEqual(vm.hotpluggedDevices(), [{ id: 'cold0', path: '/machine/peripheral/cold0', driver: 'pci-testdev', slot: 2, removing: false }]);
    const testdev = vm.machine.pci.bus.functionAt(2 * 8)!;
    const bar0 = testdev.barAddress(0);
    t.is(vm.machine.mmio.deviceAt(bar0)?.name, 'pci-testdev BAR0 (mmio)', 'the machine placed its BARs at build time');
    const deleted: unknown[] = [];
    vm.on('device-deleted', (info) => deleted.push(info));
    vm.deviceDel('cold0');
    t.deepEqual(deleted, [], 'nothing happens until the guest ejects');
    t.is(vm.machine.pciHotplug.registers.pioRead(4, 4), 1 << 2, 'REMOVING names slot 2');
    vm.machine.pciHotplug.registers.pioWrite(8, 4, 1 << 2); // what the slot's _EJ0 writes
    t.deepEqual(deleted, [{ id: 'cold0', path: '/machine/peripheral/cold0', driver: 'pci-testdev', slot: 2, removing: true }]);
    t.is(vm.machine.pci.bus.functionAt(2 * 8), undefined);
    t.is(vm.machine.mmio.deviceAt(bar0), undefined, 'its BARs left the bus');
    t.truthy(vm.machine.pci.bus.functionAt(1 * 8), 'the device without an id stays');
    vm.machine.pciHotplug.registers.pioWrite(8, 4, 1 << 1); // ejecting a slot device_del did not name changes nothing
    t.truthy(vm.machine.pci.bus.functionAt(1 * 8));
  } finally {
    vm.destroy();
  }
});

maybe('the Node API: deviceAdd/deviceDel check their arguments with typed errors; an anonymous device gets a QOM path', async (t) => {
  const vm = createMachine({ kernel: guestPath('pci_hotplug'), devices: [] });
  try {
    t.throws(() => vm.deviceAdd(null as never), { name: 'ApiArgumentError', message: 'device options must be an object, got null' });
    t.throws(() => vm.deviceAdd({ driver: 'pci-testdev', id: '0bad' }), { name: 'ApiArgumentError', message: "Parameter 'id' expects an identifier" });
    t.throws(() => vm.deviceAdd({ driver: 'pci-testdev', addr: 'zz' }), { name: 'ApiArgumentError', message: "addr: expects slot[.function] (slot 01..1f, function 0..7), not 'zz'" });
    t.throws(() => vm.deviceAdd({ driver: 'vfio-pci', host: '3:0' }), { name: 'ApiArgumentError', message: /^vfio-pci: invalid PCI address '3:0'/ });
    t.throws(() => vm.deviceDel(5 as never), { name: 'ApiArgumentError', message: 'id must be a string, got 5' });
    const info = vm.deviceAdd({ driver: 'pci-testdev', addr: { slot: 7, fn: 0 } });
    t.deepEqual(info, { id: undefined, path: '/machine/peripheral-anon/device[0]', driver: 'pci-testdev', slot: 7, removing: false });
    t.is(vm.machine.pci.bus.functionAt(7 * 8)?.config.get16(0), 0x1b36);
    t.is(vm.machine.pci.bus.functionAt(7 * 8)?.config.get32(0x10), 0, 'BAR0 left for the guest to assign');
    vm.deviceDel('/machine/peripheral-anon/device[0]');
    t.throws(() => vm.deviceDel('/machine/peripheral-anon/device[0]'), { name: 'PciHotplugError', message: "Device '/machine/peripheral-anon/device[0]' is already in the process of unplug" });
    t.deepEqual(vm.hotpluggedDevices()[0]?.removing, true);
    // The human monitor's spelling.
    const monitor = new MonitorTarget(vm, '');
    t.is(await monitor.humanCommand('device_add pci-testdev,id=h1,addr=09'), '');
    t.is(vm.hotpluggedDevices().find((d) => d.id === 'h1')?.slot, 9);
    t.is(await monitor.humanCommand('device_del h1'), '');
    t.true(vm.hotpluggedDevices().find((d) => d.id === 'h1')?.removing);
    await t.throwsAsync(monitor.humanCommand('device_add pci-testdev,id=h1'), { message: "Duplicate device ID 'h1'" });
    // Slots 1..31 full: the next one has nowhere to go.
    for (let slot = 1; slot < 32; slot++) if (slot !== 7 && slot !== 9) vm.deviceAdd({ driver: 'pci-testdev', id: `t${slot}` });
    t.throws(() => vm.deviceAdd({ driver: 'pci-testdev', id: 'one-more' }), { name: 'PciHotplugError', message: 'PCI: no slot/function available for one-more, all in use or reserved' });
  } finally {
    vm.destroy();
  }
});
