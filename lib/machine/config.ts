/**
 * MachineConfig: the programmatic description of a machine. The CLI builds
 * one from QEMU-style argv; validateMachineConfig checks every field with a
 * MachineConfigError that names it.
 */
import { checkCpuModel } from './cpuid.js';
import { MachineConfigError } from './errors.js';
import { rtcStartSeconds, type RtcBase } from '../devices/mc146818-rtc.js';
import { cpuFlagProblem } from '../paravirt/cpu-flag-vocabulary.js';
import type { CpuFlagValue } from './cpu-flags.js';
import { validateAssignedDevices, type AssignedPciConfig } from '../devices/pci/assigned/assigned-config.js';

export type { AssignedPciConfig };
import { kvmConfigProblem } from './kvm-backend-limits.js';
import { GUEST_LOG_ITEMS, type GuestLogConfig } from './guest-log-items.js';

export type AccelName = 'interp' | 'kvm';

export interface SerialConfig {
  /** Receives every byte the guest transmits on COM1. */
  output?: (data: Uint8Array) => void;
  /** Bytes read from this stream arrive on COM1's receiver. */
  input?: NodeJS.ReadableStream;
}

export interface IsaDebugExitConfig {
  driver: 'isa-debug-exit';
  iobase: number;
  iosize: number;
}
export interface PcTestdevConfig {
  driver: 'pc-testdev';
}
/** QEMU's PCI test device (1b36:0005) on PCI bus 0 (the first free slot). */
export interface PciTestdevConfig {
  driver: 'pci-testdev';
  /** Names the device for device_del (QMP) / deviceDel(). */
  id?: string;
}
/** QEMU's Hyper-V test device at port 0x3000 (needs the hv-synic -cpu flag). */
export interface HypervTestdevConfig {
  driver: 'hyperv-testdev';
}
export type DeviceConfig = IsaDebugExitConfig | PcTestdevConfig | PciTestdevConfig | HypervTestdevConfig | AssignedPciConfig;

export type ClockConfig = { mode: 'realtime' } | { mode: 'icount'; shift: number };

export interface MachineConfig {
  accel: AccelName;
  /** Guest RAM in bytes (default 128 MiB). */
  memoryBytes: number;
  /** vCPU count, 1..MAX_SMP_CPUS (APIC IDs 0..smp-1). */
  smp: number;
  /** Multiboot kernel image path. */
  kernel?: string;
  /** Kernel command line (after the kernel path, as QEMU passes it to multiboot kernels). */
  append?: string;
  /** Loaded as the one multiboot module. */
  initrd?: string;
  serial: SerialConfig | 'none';
  devices: DeviceConfig[];
  /** Triple fault ends the machine (status 0) instead of resetting it. */
  noReboot: boolean;
  /**
   * QEMU's -no-shutdown: a guest power-off (and a reset that noReboot turns into a shutdown)
   * pauses the machine instead of ending the run; a system reset and a resume start it again.
   */
  noShutdown?: boolean;
  clock: ClockConfig;
  /** Where the RTC's calendar starts (QEMU's -rtc base=): host UTC (default), host local time, or 'YYYY-MM-DD[THH:MM:SS]'. */
  rtcBase?: RtcBase;
  /**
   * QEMU's -global PIIX4_PM.disable_s3=1: the DSDT has no \_S3 and SLP_TYP S3 in PM1a_CNT does
   * nothing. Default false: the guest may suspend to RAM (ACPI S3), as on QEMU's pc machine.
   */
  disableS3?: boolean;
  /**
   * QEMU's -machine hpet=on|off (and -no-hpet): the HPET at 0xFED00000 with its ACPI table and
   * DSDT device. Absent: DEFAULT_HPET.
   */
  hpet?: boolean;
  /** CPU model name; see CPU_MODELS in cpuid.ts. */
  cpuModel?: string;
  /** -cpu flags by canonical (dashed) name: true/false, or a number/string for valued flags; absent = the model's default. */
  cpuFlags?: Record<string, CpuFlagValue>;
  /** Where assigned host PCI devices (driver 'vfio-pci') are looked up; default /sys/bus/pci/devices. */
  pciSysfsRoot?: string;
  /** Where the VFIO container and group nodes are (vfio and one per IOMMU group); default /dev/vfio. */
  vfioRoot?: string;
  /** QEMU's -d/-D: what to log about the guest and where the lines go (lib/machine/guest-log.ts). */
  log?: GuestLogConfig;
}

export const MIB = 1024 * 1024;
export const DEFAULT_MEMORY_BYTES = 128 * MIB;
/** Smallest RAM that holds the low-memory area, a kernel at 1 MiB and its boot information. */
export const MIN_MEMORY_BYTES = 2 * MIB;
/** RAM is one region below the 32-bit device window (pc-testdev at 0xff000000, future PCI hole at 0xc0000000). */
export const MAX_MEMORY_BYTES = 0xc000_0000;
export const MAX_ICOUNT_SHIFT = 10;
/** Whether a machine has an HPET when the configuration does not say (docs/command-line.md explains the choice). */
export const DEFAULT_HPET = true;
/** Most vCPUs a machine can have (round-robin on one thread; APIC IDs stay below the xAPIC broadcast 0xff). */
export const MAX_SMP_CPUS = 64;

export function defaultMachineConfig(): MachineConfig {
  return {
    accel: 'interp',
    memoryBytes: DEFAULT_MEMORY_BYTES,
    smp: 1,
    serial: {},
    devices: [],
    noReboot: false,
    clock: { mode: 'realtime' },
  };
}

function fail(message: string): never {
  throw new MachineConfigError(message);
}

function checkPort(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) {
    fail(`${what} must be an I/O port number in 0..0xffff, got ${String(value)}`);
  }
  return value;
}

/** Throws MachineConfigError naming the first invalid field. */
export function validateMachineConfig(config: MachineConfig): void {
  if (config === null || typeof config !== 'object') fail('machine config must be an object');
  if (config.accel !== 'interp' && config.accel !== 'kvm') {
    fail(`accel must be 'interp' or 'kvm', got '${String(config.accel)}'`);
  }
  const mem = config.memoryBytes;
  if (typeof mem !== 'number' || !Number.isSafeInteger(mem) || mem <= 0) {
    fail(`memoryBytes must be a positive integer, got ${String(mem)}`);
  }
  if (mem % 4096 !== 0) fail(`memoryBytes must be a multiple of 4 KiB, got ${mem}`);
  if (mem < MIN_MEMORY_BYTES) fail(`memory size ${mem} bytes is too small: at least ${MIN_MEMORY_BYTES / MIB} MiB is needed`);
  if (mem > MAX_MEMORY_BYTES) {
    fail(`memory size ${mem / MIB} MiB is too large: at most ${MAX_MEMORY_BYTES / MIB} MiB (RAM above 4 GiB is not supported yet)`);
  }
  if (typeof config.smp !== 'number' || !Number.isInteger(config.smp) || config.smp < 1 || config.smp > MAX_SMP_CPUS) {
    fail(`smp must be an integer in 1..${MAX_SMP_CPUS}, got ${String(config.smp)}`);
  }
  for (const [name, value] of [['kernel', config.kernel], ['append', config.append], ['initrd', config.initrd]] as const) {
    if (value !== undefined && typeof value !== 'string') fail(`${name} must be a string`);
  }
  if (config.kernel === '') fail('kernel must be a file path, got an empty string');
  if (config.initrd !== undefined && config.kernel === undefined) fail('initrd needs a kernel to pass it to');
  if (config.append !== undefined && config.kernel === undefined) fail('append needs a kernel to pass it to');
  if (config.serial !== 'none') {
    if (config.serial === null || typeof config.serial !== 'object') fail(`serial must be 'none' or { output?, input? }`);
    if (config.serial.output !== undefined && typeof config.serial.output !== 'function') fail('serial.output must be a function');
    if (config.serial.input !== undefined && typeof (config.serial.input as { on?: unknown }).on !== 'function') {
      fail('serial.input must be a readable stream');
    }
  }
  if (!Array.isArray(config.devices)) fail('devices must be an array');
  let testdevs = 0;
  config.devices.forEach((d, i) => {
    const driver = (d as { driver?: unknown }).driver;
    if (driver === 'isa-debug-exit') {
      const dev = d as IsaDebugExitConfig;
      const base = checkPort(`devices[${i}] isa-debug-exit iobase`, dev.iobase);
      if (![1, 2, 4].includes(dev.iosize)) fail(`devices[${i}] isa-debug-exit iosize must be 1, 2 or 4, got ${String(dev.iosize)}`);
      if (base + dev.iosize > 0x10000) fail(`devices[${i}] isa-debug-exit ports 0x${base.toString(16)}+${dev.iosize} run past 0xffff`);
    } else if (driver === 'pc-testdev') {
      if (++testdevs > 1) fail('only one pc-testdev can be attached (its ports are fixed)');
    } else if (driver === 'hyperv-testdev') {
      if (config.devices.filter((x) => (x as { driver?: unknown }).driver === 'hyperv-testdev').length > 1) {
        fail('only one hyperv-testdev can be attached (its port is fixed)');
      }
    } else if (driver === 'pci-testdev') {
      // Any number: each takes a PCI slot and gets its own BARs.
    } else if (driver === 'vfio-pci') {
      // A host PCI function: checked below, all together (each may be assigned only once).
    } else {
      fail(`devices[${i}]: '${String(driver)}' is not a valid device model name`);
    }
  });
  validateAssignedDevices(config.devices);
  checkDeviceIds(config.devices);
  if (config.pciSysfsRoot !== undefined && (typeof config.pciSysfsRoot !== 'string' || config.pciSysfsRoot === '')) {
    fail('pciSysfsRoot must be a directory path');
  }
  if (config.vfioRoot !== undefined && (typeof config.vfioRoot !== 'string' || config.vfioRoot === '')) {
    fail('vfioRoot must be a directory path');
  }
  if (typeof config.noReboot !== 'boolean') fail('noReboot must be a boolean');
  if (config.log !== undefined) {
    const log = config.log as { items?: unknown; write?: unknown } | null;
    if (log === null || typeof log !== 'object' || !Array.isArray(log.items) || typeof log.write !== 'function') {
      fail(`log must be { items: (${GUEST_LOG_ITEMS.join(' | ')})[], write(line) }`);
    }
    for (const item of log.items as unknown[]) {
      if (!(GUEST_LOG_ITEMS as readonly unknown[]).includes(item)) fail(`log item '${String(item)}' is not one of ${GUEST_LOG_ITEMS.join(', ')}`);
    }
  }
  if (config.noShutdown !== undefined && typeof config.noShutdown !== 'boolean') fail('noShutdown must be a boolean');
  if (config.disableS3 !== undefined && typeof config.disableS3 !== 'boolean') fail('disableS3 must be a boolean');
  if (config.hpet !== undefined && typeof config.hpet !== 'boolean') fail('hpet must be a boolean');
  if (config.rtcBase !== undefined) {
    const base = config.rtcBase as unknown;
    if (base !== 'utc' && base !== 'localtime') {
      const datetime = (base as { datetime?: unknown } | null)?.datetime;
      if (typeof datetime !== 'string') fail(`rtcBase must be 'utc', 'localtime' or { datetime: 'YYYY-MM-DDTHH:MM:SS' }`);
      try {
        rtcStartSeconds({ datetime });
      } catch (err) {
        fail((err as Error).message);
      }
    }
  }
  const clock = config.clock as { mode?: unknown; shift?: unknown };
  if (clock === null || typeof clock !== 'object') fail(`clock must be { mode: 'realtime' } or { mode: 'icount', shift }`);
  if (clock.mode === 'icount') {
    const shift = clock.shift;
    if (typeof shift !== 'number' || !Number.isInteger(shift) || shift < 0 || shift > MAX_ICOUNT_SHIFT) {
      fail(`icount shift must be an integer in 0..${MAX_ICOUNT_SHIFT}, got ${String(shift)}`);
    }
  } else if (clock.mode !== 'realtime') {
    fail(`clock mode must be 'realtime' or 'icount', got '${String(clock.mode)}'`);
  }
  const backendProblem = kvmConfigProblem(config);
  if (backendProblem !== undefined) fail(backendProblem);
  if (config.cpuModel !== undefined && typeof config.cpuModel !== 'string') fail('cpuModel must be a string');
  checkCpuModel(config.cpuModel);
  if (config.cpuFlags !== undefined) {
    if (config.cpuFlags === null || typeof config.cpuFlags !== 'object') fail('cpuFlags must be an object of flag values');
    const problem = cpuFlagProblem(config.cpuModel, new Map(Object.entries(config.cpuFlags)));
    if (problem !== undefined) fail(`cpuFlags: ${problem}`);
  }
}

/** QEMU's id rule: a letter, then letters, digits, '-', '.', '_'. */
export const DEVICE_ID_FORM = /^[A-Za-z][A-Za-z0-9._-]*$/;

/** Device ids (PCI devices that device_del can remove) are identifiers, each used once. */
function checkDeviceIds(devices: readonly unknown[]): void {
  const seen = new Set<string>();
  devices.forEach((d, i) => {
    const id = (d as { id?: unknown }).id;
    if (id === undefined) return;
    if (typeof id !== 'string' || !DEVICE_ID_FORM.test(id)) fail(`devices[${i}] id must be an identifier (a letter, then letters, digits, '-', '.', '_')`);
    if (seen.has(id)) fail(`Duplicate ID '${id}' for device`);
    seen.add(id);
  });
}
