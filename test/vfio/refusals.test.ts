/**
 * How tsvisor picks and refuses the VFIO path, against fixture sysfs trees
 * and a fake /dev/vfio directory (MachineConfig.vfioRoot): a device bound to
 * vfio-pci without dma=none goes through VFIO when the container node
 * exists; every VFIO problem is one PciAssignmentError line before the guest
 * starts; dma=none keeps the sysfs path. The ioctls themselves are exercised
 * for real by vfio-in-qemu.test.ts.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PciAssignmentError, type PciAssignmentProblem } from '../../lib/devices/pci/assigned/assignment-error.js';
import { groupBlockers, notViableMessage, openErrorMessage } from '../../lib/devices/pci/assigned/vfio-container.js';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { defaultMachineConfig, type DeviceConfig, type MachineConfig } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';
import { FIXTURE_ADDRESS, SysfsFixture } from '../helpers/pci-sysfs-fixture.js';
import { runGuest } from '../helpers/run-guest.js';
import { testWhen } from '../helpers/test-when.js';

const when = testWhen(addonAvailable() && process.platform === 'linux', 'the native addon (Linux build) is not built');

/** A fake /dev/vfio: regular files where the character devices would be. */
function fakeVfioRoot(nodes: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'tsvisor-vfio-'));
  for (const n of nodes) writeFileSync(join(root, n), '');
  return root;
}

function config(sysfs: string, vfioRoot: string, devices: DeviceConfig[]): MachineConfig {
  return { ...defaultMachineConfig(), serial: 'none', devices, pciSysfsRoot: sysfs, vfioRoot };
}

function expectVfioRefusal(t: import('ava').ExecutionContext, nodes: string[], problem: PciAssignmentProblem, message: (vfioRoot: string) => RegExp, prepare?: (dir: string) => void): void {
  const fx = new SysfsFixture();
  const vfioRoot = fakeVfioRoot(nodes);
  try {
    const dir = fx.add({ driver: 'vfio-pci', iommuGroup: 7 });
    prepare?.(dir);
    const err = t.throws(() => new Machine(config(fx.root, vfioRoot, [{ driver: 'vfio-pci', host: FIXTURE_ADDRESS }])), { instanceOf: PciAssignmentError });
    t.is(err?.problem, problem);
    t.regex(err?.message ?? '', message(vfioRoot));
    t.false((err?.message ?? '').includes('\n'), 'one line');
  } finally {
    fx.remove();
    rmSync(vfioRoot, { recursive: true, force: true });
  }
}

when('bound to vfio-pci with no IOMMU group: VFIO needs the host IOMMU', (t) => {
  expectVfioRefusal(t, ['vfio', '7'], 'no-iommu-group', () => /^host PCI device 0000:03:00\.0 has no IOMMU group \(no .*iommu_group\): VFIO needs the host's IOMMU \(boot with intel_iommu=on or amd_iommu=on/, (dir) =>
    unlinkSync(join(dir, 'iommu_group')),
  );
});

when('bound to vfio-pci but the group node is missing: names it and says to bind the device', (t) => {
  expectVfioRefusal(t, ['vfio'], 'vfio-unusable', (root) => new RegExp(`^host PCI device 0000:03:00\\.0: there is no ${root}/7 for its IOMMU group 7: bind the device to vfio-pci`));
});

when('a container node that is not a VFIO container (the API version ioctl fails)', (t) => {
  expectVfioRefusal(t, ['vfio', '7'], 'vfio-unusable', (root) => new RegExp(`^host PCI device 0000:03:00\\.0: ${root}/vfio is not a VFIO container this build can use \\(VFIO_GET_API_VERSION: `));
});

when('dma=none keeps the sysfs path even with VFIO present', (t) => {
  const fx = new SysfsFixture();
  const vfioRoot = fakeVfioRoot(['vfio', '7']);
  try {
    fx.add({ driver: 'vfio-pci', iommuGroup: 7 });
    const m = new Machine(config(fx.root, vfioRoot, [{ driver: 'vfio-pci', host: FIXTURE_ADDRESS, dma: 'none' }]));
    t.is(m.assignedPci.devices.length, 1);
    t.is(m.assignedPci.vfioInterruptsOf(m.assignedPci.devices[0]!), undefined, 'not through VFIO');
    m.destroy();
  } finally {
    fx.remove();
    rmSync(vfioRoot, { recursive: true, force: true });
  }
});

when('bound to vfio-pci without /dev/vfio/vfio: the sysfs path, and bus mastering stops the machine saying VFIO is missing', async (t) => {
  const fx = new SysfsFixture();
  const vfioRoot = fakeVfioRoot([]);
  try {
    fx.add({ driver: 'vfio-pci' });
    const r = await runGuest('pci_assign', { extraDevices: [{ driver: 'vfio-pci', host: FIXTURE_ADDRESS }], pciSysfsRoot: fx.root, vfioRoot, timeoutMs: 60_000 });
    t.regex(r.serial, /INFO: enabling bus mastering/);
    t.is(r.status, 1);
    t.regex(r.message ?? '', new RegExp(`^host PCI device 0000:03:00\\.0: the guest enabled bus mastering, so the device may do DMA: VFIO is not available to map guest memory for it: there is no ${vfioRoot}/vfio \\(modprobe vfio-pci\\); assign it with dma=none`));
  } finally {
    fx.remove();
    rmSync(vfioRoot, { recursive: true, force: true });
  }
});

when('not bound to vfio-pci: the bus-master stop says how to bind it', async (t) => {
  const fx = new SysfsFixture();
  try {
    const dir = fx.add();
    const r = await runGuest('pci_assign', { extraDevices: [{ driver: 'vfio-pci', host: FIXTURE_ADDRESS }], pciSysfsRoot: fx.root, timeoutMs: 60_000 });
    t.is(r.status, 1);
    t.true(
      (r.message ?? '').includes(`the device is not bound to vfio-pci (echo vfio-pci > ${dir}/driver_override; echo 0000:03:00.0 > /sys/bus/pci/drivers_probe)`),
      r.message,
    );
  } finally {
    fx.remove();
  }
});

test('a group that is not viable: the message names the other devices and their drivers', (t) => {
  // sysfs shape: <dev>/iommu_group -> groups/7, groups/7/devices/<addr> -> the device directories.
  const root = mkdtempSync(join(tmpdir(), 'tsvisor-group-'));
  try {
    for (const [addr, driver] of [['0000:00:1f.0', 'lpc_ich'], ['0000:00:1f.2', 'ahci'], ['0000:00:1f.3', undefined], ['0000:00:1f.4', 'vfio-pci']] as const) {
      mkdirSync(join(root, 'devices', addr), { recursive: true });
      if (driver !== undefined) {
        mkdirSync(join(root, 'drivers', driver), { recursive: true });
        symlinkSync(join(root, 'drivers', driver), join(root, 'devices', addr, 'driver'));
      }
      mkdirSync(join(root, 'groups', '7', 'devices'), { recursive: true });
      symlinkSync(join(root, 'devices', addr), join(root, 'groups', '7', 'devices', addr));
      symlinkSync(join(root, 'groups', '7'), join(root, 'devices', addr, 'iommu_group'));
    }
    const blockers = groupBlockers(join(root, 'devices', '0000:00:1f.4'), '0000:00:1f.4');
    t.deepEqual(blockers, ["0000:00:1f.0 is bound to 'lpc_ich'", "0000:00:1f.2 is bound to 'ahci'"]);
    t.is(
      notViableMessage('host PCI device 0000:00:1f.4', '7', blockers),
      "host PCI device 0000:00:1f.4: IOMMU group 7 is not viable: every device in it must be bound to vfio-pci or to no driver (0000:00:1f.0 is bound to 'lpc_ich', 0000:00:1f.2 is bound to 'ahci'); see docs/pci-assignment.md",
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('opening /dev/vfio nodes: no permission and busy groups get their own lines', (t) => {
  const errno = (code: string, message: string): Error => Object.assign(new Error(message), { code });
  const denied = openErrorMessage('host PCI device 0000:03:00.0', '/dev/vfio/7', errno('EACCES', 'open /dev/vfio/7: Permission denied'));
  t.is(denied.problem, 'no-permission');
  t.is(denied.message, 'host PCI device 0000:03:00.0: no permission to open /dev/vfio/7: run as root or give your user the file (chown USER /dev/vfio/7; see docs/pci-assignment.md)');
  const busy = openErrorMessage('host PCI device 0000:03:00.0', '/dev/vfio/7', errno('EBUSY', 'open /dev/vfio/7: Device or resource busy'));
  t.is(busy.problem, 'group-busy');
  t.is(busy.message, 'host PCI device 0000:03:00.0: /dev/vfio/7 is in use by another process (a VFIO group is opened by one process at a time)');
  const other = openErrorMessage('host PCI device 0000:03:00.0', '/dev/vfio/7', errno('ENODEV', 'open /dev/vfio/7: No such device'));
  t.is(other.problem, 'vfio-unusable');
});
