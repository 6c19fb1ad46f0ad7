/**
 * Every reason an assignment is refused, against fixture sysfs trees: the
 * machine is never built (so the guest never starts), the error is a
 * PciAssignmentError (a MachineConfigError: the CLI prints its one line and
 * exits 1) that says what is wrong, and the device's files are untouched.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { defaultMachineConfig, type DeviceConfig, type MachineConfig } from '../../lib/machine/config.js';
import { MachineConfigError } from '../../lib/machine/errors.js';
import { Machine } from '../../lib/machine/machine.js';
import { PciAssignmentError, type PciAssignmentProblem } from '../../lib/devices/pci/assigned/assignment-error.js';
import { fixtureBars, fixtureConfig, FIXTURE_ADDRESS, SysfsFixture, type FixtureDevice } from '../helpers/pci-sysfs-fixture.js';
import { testWhen } from '../helpers/test-when.js';

const when = testWhen(addonAvailable(), 'the native addon is not built');
const ROOT = resolve(__dirname, '..', '..', '..');

function machineConfig(root: string, devices: DeviceConfig[]): MachineConfig {
  return { ...defaultMachineConfig(), serial: 'none', devices, pciSysfsRoot: root };
}

/** Builds a machine with the fixture device (changed by `prepare`) and expects the refusal. */
function expectRefusal(
  t: import('ava').ExecutionContext,
  spec: FixtureDevice,
  problem: PciAssignmentProblem,
  message: RegExp,
  options: { devices?: DeviceConfig[]; prepare?: (dir: string) => void } = {},
): void {
  const fx = new SysfsFixture();
  try {
    const dir = fx.add(spec);
    options.prepare?.(dir);
    const before = readFileSync(join(dir, 'config'));
    const devices = options.devices ?? [{ driver: 'vfio-pci', host: FIXTURE_ADDRESS }];
    const err = t.throws(() => new Machine(machineConfig(fx.root, devices)), { instanceOf: PciAssignmentError });
    t.is(err?.problem, problem);
    t.true(err instanceof MachineConfigError, 'the CLI prints MachineConfigErrors as one line with status 1');
    t.regex(err?.message ?? '', message);
    t.false((err?.message ?? '').includes('\n'), 'one line');
    t.deepEqual(readFileSync(join(dir, 'config')), before, 'the device is untouched');
  } finally {
    fx.remove();
  }
}

when('device not found: the sysfs directory it would have', (t) => {
  expectRefusal(t, {}, 'not-found', /^host PCI device 0000:09:00\.0 not found: there is no .*\/0000:09:00\.0$/, {
    devices: [{ driver: 'vfio-pci', host: '09:00.0' }],
  });
});

when('device bound to a host driver: names the driver and says to unbind it first', (t) => {
  expectRefusal(t, { driver: 'e1000e' }, 'bound-to-driver', /^host PCI device 0000:03:00\.0 is bound to host driver 'e1000e': unbind it first/);
});

when("the name= label appears in the message", (t) => {
  expectRefusal(t, { driver: 'nvme' }, 'bound-to-driver', /^host PCI device 0000:03:00\.0 \(disk\) is bound to host driver 'nvme'/, {
    devices: [{ driver: 'vfio-pci', host: '03:00.0', name: 'disk' }],
  });
});

when('devices held by vfio-pci or pci-stub are accepted (they do not drive the device)', (t) => {
  for (const driver of ['vfio-pci', 'pci-stub']) {
    const fx = new SysfsFixture();
    try {
      fx.add({ driver });
      const m = new Machine(machineConfig(fx.root, [{ driver: 'vfio-pci', host: FIXTURE_ADDRESS, dma: 'none' }]));
      t.is(m.assignedPci.devices.length, 1, driver);
      m.destroy();
    } finally {
      fx.remove();
    }
  }
});

when('only 64 bytes of config readable (no CAP_SYS_ADMIN): no permission', (t) => {
  expectRefusal(t, { config: fixtureConfig().subarray(0, 64) }, 'no-permission', /only 64 bytes of .*config are readable .*CAP_SYS_ADMIN.*run as root/);
});

when('the same device assigned twice (with and without the domain)', (t) => {
  expectRefusal(t, {}, 'assigned-twice', /^host PCI device 0000:03:00\.0 is assigned twice/, {
    devices: [{ driver: 'vfio-pci', host: '03:00.0' }, { driver: 'vfio-pci', host: '0000:03:00.0', dma: 'none' }],
  });
});

when('a malformed host address (Node API)', (t) => {
  for (const host of ['03:00', '03:20.0', '03:00.8', 'g0:00.0', '00000:03:00.0', '']) {
    const err = t.throws(() => new Machine(machineConfig('/nonexistent', [{ driver: 'vfio-pci', host }])), { instanceOf: PciAssignmentError });
    t.is(err?.problem, 'malformed-address', host);
    t.regex(err?.message ?? '', /is not a PCI address \[DDDD:\]BB:DD\.F/);
  }
});

when('a bridge is not assignable', (t) => {
  const config = fixtureConfig();
  config[0x0a] = 0x04;
  config[0x0b] = 0x06; // PCI-to-PCI bridge
  expectRefusal(t, { config }, 'bridge', /is a bridge \(class 0x0604, header type 0\)/);
});

when('a BAR whose resource file is shorter than the BAR cannot be mapped', (t) => {
  expectRefusal(t, {}, 'bar-unmappable', /BAR 0 cannot be mapped: .*resource0 holds 100 bytes, the BAR is 4096/, {
    prepare: (dir) => truncateSync(join(dir, 'resource0'), 100),
  });
});

when('a BAR without its resourceN file cannot be mapped', (t) => {
  expectRefusal(t, { missingResourceFiles: [2] }, 'bar-unmappable', /BAR 2 cannot be mapped: .*resource2: ENOENT: no such file or directory$/);
});

when('a BAR too large for the guest PCI window cannot be mapped', (t) => {
  const bars = fixtureBars();
  bars[0] = { ...bars[0]!, size: 2 ** 30, contents: new Uint8Array(0) };
  expectRefusal(t, { bars }, 'bar-unmappable', /BAR 0 \(0x40000000 bytes\) does not fit in the PCI MMIO window/, {
    prepare: (dir) => truncateSync(join(dir, 'resource0'), 2 ** 30), // sparse: nothing is written
  });
});

when('an I/O BAR larger than 256 ports cannot be mapped', (t) => {
  const bars = fixtureBars();
  bars[1] = { ...bars[1]!, size: 1024, contents: new Uint8Array(1024) };
  expectRefusal(t, { bars }, 'bar-unmappable', /BAR 1 \(io, 0x400 bytes\) cannot be mapped: the size must be a power of two up to 0x100/);
});

/** Runs `script` in a child node as user nobody (tests run as root in CI; root bypasses file modes). */
function runAsNobody(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const asRoot = process.getuid?.() === 0;
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

/**
 * The first directory on the way to `path` that other users cannot enter, if
 * any: user nobody needs to reach dist/ to build the machine (a clone inside
 * a mode-0700 directory such as mktemp -d's cannot run this test).
 */
function closedToOthers(path: string): string | undefined {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

const closedDir = process.getuid?.() === 0 ? closedToOthers(join(ROOT, 'dist')) : undefined;
const whenNobodyReachesCheckout = testWhen(
  addonAvailable() && closedDir === undefined,
  addonAvailable() ? `user nobody cannot enter ${closedDir} (mode 0700?): clone the checkout into a directory others can read` : 'the native addon is not built',
);

whenNobodyReachesCheckout('no permission to open the config file read-write (checked as an unprivileged user)', async (t) => {
  const fx = new SysfsFixture();
  try {
    const dir = fx.add();
    const before = readFileSync(join(dir, 'config'));
    chmodSync(join(dir, 'config'), 0o444);
    // The child builds the machine the way the CLI does and prints the error's problem and message.
    const script = `
      const { Machine } = require(${JSON.stringify(join(ROOT, 'dist', 'lib', 'machine', 'machine.js'))});
      const { defaultMachineConfig } = require(${JSON.stringify(join(ROOT, 'dist', 'lib', 'machine', 'config.js'))});
      try {
        new Machine({ ...defaultMachineConfig(), serial: 'none', pciSysfsRoot: ${JSON.stringify(fx.root)}, devices: [{ driver: 'vfio-pci', host: '03:00.0' }] });
        console.log('built');
      } catch (err) { console.log(err.name + ' ' + err.problem + ' ' + err.message); }`;
    const r = await runAsNobody(script);
    t.is(r.stderr, '');
    t.regex(r.stdout, /^PciAssignmentError no-permission host PCI device 0000:03:00\.0: no permission to open .*config for reading and writing: run as root/);
    t.deepEqual(readFileSync(join(dir, 'config')), before);
  } finally {
    fx.remove();
  }
});
