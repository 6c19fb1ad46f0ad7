/**
 * Boots a guest program from dist/guests/<name>.elf (built by
 * `node scripts/build-guests.mjs`) the way the guest tests expect: an
 * isa-debug-exit device at 0xf4/4, pc-testdev, serial output captured,
 * no reboot on triple fault, and a timeout that stops the machine with a
 * clear failure.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lib/hypervisor/addon.js';
import { defaultMachineConfig, MIB, type MachineConfig } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';

export interface RunGuestOptions {
  append?: string;
  initrd?: string;
  memoryMb?: number;
  timeoutMs?: number;
  clock?: MachineConfig['clock'];
  /** vCPU count (default 1). */
  smp?: number;
  /** -rtc base= (default: host UTC). */
  rtcBase?: MachineConfig['rtcBase'];
  /** Devices added after isa-debug-exit and pc-testdev (e.g. pci-testdev). */
  extraDevices?: MachineConfig['devices'];
  /** -cpu flag values (e.g. { 'hv-passthrough': true }). */
  cpuFlags?: MachineConfig['cpuFlags'];
  /** -cpu model (qemu64, kvm64, max, host); absent = the base model. */
  cpuModel?: string;
  /** Where assigned host PCI devices are looked up (a fixture sysfs tree). */
  pciSysfsRoot?: string;
  /** Where the VFIO container and group nodes are looked up (a fake /dev/vfio). */
  vfioRoot?: string;
  /** -machine hpet=on|off (absent: the machine's default). */
  hpet?: boolean;
  /** Backend (default interp). */
  accel?: MachineConfig['accel'];
  /** Called once the run ended, before the machine is destroyed (read counters, device state). */
  afterRun?: (machine: Machine) => void;
}

export interface GuestResult {
  status: number;
  reason: string;
  serial: string;
  /** set for reason 'error' */
  message?: string;
  /** Instructions each vCPU retired: equal across icount runs exactly when the interleaving is. */
  instructions: bigint[];
}

export const GUEST_DEBUG_EXIT_PORT = 0xf4;
export const DEFAULT_GUEST_TIMEOUT_MS = 30_000;

export function guestPath(name: string): string {
  return join(packageRoot(), 'dist', 'guests', `${name}.elf`);
}

export async function runGuest(name: string, opts: RunGuestOptions = {}): Promise<GuestResult> {
  const kernel = guestPath(name);
  if (!existsSync(kernel)) {
    throw new Error(`guest '${name}' is not built: ${kernel} is missing (run \`node scripts/build-guests.mjs\`)`);
  }
  return runKernel(kernel, opts, `guest '${name}'`);
}

/** runGuest for any multiboot image path. */
export async function runKernel(kernel: string, opts: RunGuestOptions = {}, label = `kernel '${kernel}'`): Promise<GuestResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GUEST_TIMEOUT_MS;
  const chunks: Buffer[] = [];
  const config: MachineConfig = {
    ...defaultMachineConfig(),
    memoryBytes: (opts.memoryMb ?? 128) * MIB,
    kernel,
    append: opts.append,
    initrd: opts.initrd,
    serial: { output: (data) => chunks.push(Buffer.from(data)) },
    devices: [{ driver: 'isa-debug-exit', iobase: GUEST_DEBUG_EXIT_PORT, iosize: 4 }, { driver: 'pc-testdev' }, ...(opts.extraDevices ?? [])],
    noReboot: true,
    clock: opts.clock ?? { mode: 'realtime' },
    smp: opts.smp ?? 1,
    ...(opts.rtcBase !== undefined ? { rtcBase: opts.rtcBase } : {}),
    ...(opts.cpuFlags !== undefined ? { cpuFlags: opts.cpuFlags } : {}),
    ...(opts.cpuModel !== undefined ? { cpuModel: opts.cpuModel } : {}),
    ...(opts.pciSysfsRoot !== undefined ? { pciSysfsRoot: opts.pciSysfsRoot } : {}),
    ...(opts.vfioRoot !== undefined ? { vfioRoot: opts.vfioRoot } : {}),
    ...(opts.accel !== undefined ? { accel: opts.accel } : {}),
    ...(opts.hpet !== undefined ? { hpet: opts.hpet } : {}),
  };
  const machine = new Machine(config);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    machine.stop();
  }, timeoutMs);
  let exit;
  let instructions: bigint[] = [];
  try {
    exit = await machine.run();
    instructions = machine.vcpus.map((v) => v.instret);
    opts.afterRun?.(machine);
  } finally {
    clearTimeout(timer);
    machine.destroy();
  }
  const serial = Buffer.concat(chunks).toString('utf8');
  if (timedOut) {
    throw new Error(`${label} did not finish within ${timeoutMs} ms; serial output so far:\n${serial}`);
  }
  return { status: exit.status, reason: exit.reason, serial, instructions, ...(exit.message !== undefined ? { message: exit.message } : {}) };
}
