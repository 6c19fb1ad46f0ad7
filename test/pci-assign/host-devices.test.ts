/**
 * Read-only checks against the PCI devices of the machine running the tests:
 * what the sysfs reader makes of every device under /sys/bus/pci/devices
 * (IDs, config bytes, BARs, capability list) agrees with `lspci -vvv -xxx`,
 * and assigning any of them is refused with the clear line (they are all
 * bound to host drivers, or bridges). Nothing is ever written to a device:
 * a refusal happens before anything but reading sysfs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { defaultMachineConfig } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';
import { PciAssignmentError } from '../../lib/devices/pci/assigned/assignment-error.js';
import { capabilityList } from '../../lib/devices/pci/assigned/capability-list.js';
import { hostBarKind } from '../../lib/devices/pci/assigned/preflight.js';
import { DEFAULT_PCI_SYSFS_ROOT, IORESOURCE_PREFETCH, readSysfsDevice, type SysfsPciDevice } from '../../lib/devices/pci/assigned/sysfs-device.js';
import { testWhen } from '../helpers/test-when.js';

const ROOT = resolve(__dirname, '..', '..', '..');
const hasLspci = spawnSync('lspci', ['--version'], { stdio: 'ignore' }).status === 0;
const addresses = existsSync(DEFAULT_PCI_SYSFS_ROOT) ? readdirSync(DEFAULT_PCI_SYSFS_ROOT).sort() : [];
// Without root both sysfs and lspci show only the first 64 bytes of config space (and no capabilities): still comparable.
const when = testWhen(hasLspci && addresses.length > 0 && addonAvailable(), 'lspci (pciutils), PCI devices in /sys/bus/pci/devices and the addon');

interface LspciDevice {
  address: string;
  config: number[];
  regions: Map<number, { io: boolean; address: bigint; size: number; bits?: 32 | 64; prefetchable?: boolean }>;
  capabilities: Array<{ offset: number; name: string }>;
  driver?: string;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `lspci -D -vvv -xxx` split per device (blank lines separate them). */
function lspciAll(): Map<string, LspciDevice> {
  const out = spawnSync('lspci', ['-D', '-vvv', '-xxx'], { encoding: 'utf8' }).stdout;
  const devices = new Map<string, LspciDevice>();
  for (const block of out.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.length > 0);
    const head = /^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) /.exec(lines[0] ?? '');
    if (head === null) continue;
    const dev: LspciDevice = { address: head[1]!, config: [], regions: new Map(), capabilities: [] };
    for (const line of lines.slice(1)) {
      const hexLine = /^([0-9a-f]{2,3}): ((?:[0-9a-f]{2} ?)+)$/.exec(line);
      if (hexLine !== null) {
        const at = parseInt(hexLine[1]!, 16);
        hexLine[2]!.trim().split(' ').forEach((b, i) => (dev.config[at + i] = parseInt(b, 16)));
        continue;
      }
      const region = /^\tRegion (\d): (Memory|I\/O ports) at ([0-9a-f]+)(.*)$/.exec(line);
      if (region !== null) {
        const rest = region[4]!;
        const size = /\[size=(\d+)([KMGT]?)\]/.exec(rest);
        const kind = /\((32|64)-bit, (non-prefetchable|prefetchable)\)/.exec(rest);
        dev.regions.set(Number(region[1]), {
          io: region[2] === 'I/O ports',
          address: BigInt('0x' + region[3]!),
          size: size === null ? 0 : Number(size[1]) * UNITS[size[2]!]!,
          ...(kind !== null ? { bits: Number(kind[1]) as 32 | 64, prefetchable: kind[2] === 'prefetchable' } : {}),
        });
        continue;
      }
      const cap = /^\tCapabilities: \[([0-9a-f]+)\] (.*)$/.exec(line);
      if (cap !== null && parseInt(cap[1]!, 16) < 0x100) dev.capabilities.push({ offset: parseInt(cap[1]!, 16), name: cap[2]! });
      const driver = /^\tKernel driver in use: (\S+)/.exec(line);
      if (driver !== null) dev.driver = driver[1];
    }
    devices.set(dev.address, dev);
  }
  return devices;
}

/** What lspci calls the capability IDs it names (pciutils' ls-caps.c wording). */
const LSPCI_CAP_NAMES: Array<[RegExp, number]> = [
  [/^Power Management/, 0x01],
  [/^Vital Product Data/, 0x03],
  [/^MSI:/, 0x05],
  [/^Vendor Specific Information/, 0x09],
  [/^Express/, 0x10],
  [/^MSI-X:/, 0x11],
];

function sysfsDevice(address: string): SysfsPciDevice {
  return readSysfsDevice(join(DEFAULT_PCI_SYSFS_ROOT, address), address);
}

when('every host PCI device: IDs, config bytes, BARs and capability list agree with lspci -vvv -xxx', (t) => {
  const lspci = lspciAll();
  t.deepEqual([...lspci.keys()].sort(), addresses, 'lspci and sysfs list the same devices');
  for (const address of addresses) {
    const dev = sysfsDevice(address);
    const ls = lspci.get(address)!;
    // IDs and every byte lspci shows (it reads the same config space).
    t.deepEqual([...dev.config.subarray(0, ls.config.length)], ls.config, `${address}: config bytes`);
    t.true(ls.config.length >= 64 && dev.config.length >= ls.config.length, `${address}: both show at least the header`);
    // BARs: kind, address and size.
    for (let i = 0; i < 6; i++) {
      const r = dev.resources[i];
      const region = ls.regions.get(i);
      if (r === undefined) {
        t.is(region, undefined, `${address}: BAR ${i} absent in both`);
        continue;
      }
      if (region === undefined) return t.fail(`${address}: BAR ${i} is in sysfs (0x${r.start.toString(16)}+0x${r.size.toString(16)}) but not in lspci`);
      const kind = hostBarKind(dev.config, i);
      t.is(region.io, kind === 'io', `${address}: BAR ${i} I/O or memory`);
      t.is(region.address, r.start, `${address}: BAR ${i} address`);
      t.is(region.size, r.size, `${address}: BAR ${i} size`);
      if (!region.io) {
        t.is(region.bits, kind === 'mem64' ? 64 : 32, `${address}: BAR ${i} width`);
        t.is(region.prefetchable, (r.flags & IORESOURCE_PREFETCH) !== 0, `${address}: BAR ${i} prefetchable`);
      }
    }
    // The capability list: same offsets in the same order, and the IDs lspci names.
    const caps = capabilityList(dev.config);
    t.deepEqual(caps.map((c) => c.offset), ls.capabilities.map((c) => c.offset), `${address}: capability offsets`);
    caps.forEach((c, k) => {
      const named = LSPCI_CAP_NAMES.find(([re]) => re.test(ls.capabilities[k]!.name));
      if (named !== undefined) t.is(c.id, named[1], `${address}: capability at 0x${c.offset.toString(16)} is ${ls.capabilities[k]!.name}`);
    });
    t.is(dev.driver, ls.driver, `${address}: bound driver`);
  }
});

when('assigning any host PCI device is refused with the clear line, before anything is written', (t) => {
  for (const address of addresses) {
    const dev = sysfsDevice(address);
    const err = t.throws(
      () => new Machine({ ...defaultMachineConfig(), serial: 'none', devices: [{ driver: 'vfio-pci', host: address, dma: 'none' }] }),
      { instanceOf: PciAssignmentError },
      `${address} must be refused`,
    );
    if (err === undefined) continue;
    t.false(err.message.includes('\n'));
    if (dev.driver !== undefined) {
      t.is(err.problem, 'bound-to-driver');
      t.true(err.message.startsWith(`host PCI device ${address} is bound to host driver '${dev.driver}': unbind it first`), err.message);
    } else {
      // Not bound: a bridge, or (not root) no permission, or a BAR the guest window cannot hold.
      t.true(['bridge', 'no-permission', 'bar-unmappable'].includes(err.problem), `${address}: ${err.message}`);
    }
    t.deepEqual(sysfsDevice(address).config, dev.config, `${address}: config space unchanged`);
  }
});

when('the CLI refuses a host device with one line and status 1 (both spellings)', (t) => {
  const hello = join(ROOT, 'dist', 'guests', 'hello.elf');
  const address = addresses.find((a) => sysfsDevice(a).driver !== undefined) ?? addresses[0]!;
  for (const args of [['-pcidevice', `host=${address.slice(5)}`], ['-device', `vfio-pci,host=${address}`]]) {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'lib', 'cli.js'), '-kernel', hello, '-nographic', ...args], { encoding: 'utf8', timeout: 60_000 });
    t.is(r.status, 1);
    t.is(r.stdout, '', 'the guest never started');
    const lines = r.stderr.trimEnd().split('\n');
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0]!, new RegExp(`^tsvisor: host PCI device ${address.replace(/\./g, '\\.')}( is bound to host driver '[^']+': unbind it first| is a bridge|: no permission)`));
  }
});

when('the CLI: malformed host=, not found, assigned twice', (t) => {
  const hello = join(ROOT, 'dist', 'guests', 'hello.elf');
  const cases: Array<[string[], RegExp]> = [
    [['-pcidevice', 'host=03:20.0'], /^tsvisor: -pcidevice host=03:20\.0: invalid PCI address '03:20\.0' \(expected \[DDDD:\]BB:DD\.F\)$/],
    [['-device', 'vfio-pci,host=zz'], /^tsvisor: -device vfio-pci,host=zz: invalid PCI address 'zz'/],
    [['-pcidevice', 'name=x'], /^tsvisor: -pcidevice name=x: parameter 'host' is missing$/],
    [['-pcidevice', 'host=00:00.0,dma=yes'], /^tsvisor: -pcidevice host=00:00\.0,dma=yes: parameter 'dma' only takes 'none'/],
    [['-pcidevice', 'host=00ff:ff:1f.7'], /^tsvisor: host PCI device 00ff:ff:1f\.7 not found: there is no \/sys\/bus\/pci\/devices\/00ff:ff:1f\.7$/],
    [['-pcidevice', 'host=ff:1f.7', '-device', 'vfio-pci,host=0000:ff:1f.7'], /^tsvisor: host PCI device 0000:ff:1f\.7 is assigned twice/],
  ];
  for (const [args, expected] of cases) {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'lib', 'cli.js'), '-kernel', hello, '-nographic', ...args], { encoding: 'utf8', timeout: 60_000 });
    t.is(r.status, 1, args.join(' '));
    t.is(r.stdout, '');
    t.regex(r.stderr.trimEnd(), expected);
    t.is(r.stderr.trimEnd().split('\n').length, 1);
  }
});
