/**
 * Turns a parsed command line into a MachineConfig. This is where the command
 * line meets the host: which backends this build has (for accelerator fallback
 * lists and "not available" errors) and which streams stand for "stdio".
 */
import { defaultMachineConfig, type MachineConfig } from '../machine/config.js';
import { accelDisplayName } from './accel.js';
import { QemuArgsError } from './errors.js';
import type { AccelName, QemuInvocation, SerialBackend } from './invocation.js';

export interface HostEnvironment {
  /** Backends compiled into this build; undefined = do not check (the machine will). */
  backends?: readonly string[];
  /** Where "-serial stdio" writes; defaults to process.stdout. */
  stdout?: { write(chunk: Uint8Array): unknown };
  /** Where "-serial stdio" reads; defaults to process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

export function toMachineConfig(inv: QemuInvocation, host: HostEnvironment = {}): MachineConfig {
  if (inv.request.kind !== 'run') {
    throw new QemuArgsError(undefined, undefined, `the command line asks for ${inv.request.kind}, not for a machine`);
  }
  const config = defaultMachineConfig();
  config.accel = chooseAccel(inv, host.backends, config.accel);
  if (inv.memoryBytes !== undefined) config.memoryBytes = inv.memoryBytes;
  config.smp = inv.smp;
  if (inv.kernel !== undefined) config.kernel = inv.kernel;
  if (inv.append !== undefined) config.append = inv.append;
  if (inv.initrd !== undefined) config.initrd = inv.initrd;
  config.serial = serialConfig(effectiveSerial(inv), host);
  config.devices = inv.devices.map((d) => ({ ...d }));
  config.noReboot = inv.noReboot;
  if (inv.noShutdown) config.noShutdown = true;
  if (inv.icountShift !== undefined) config.clock = { mode: 'icount', shift: inv.icountShift };
  if (inv.rtcBase !== undefined) config.rtcBase = inv.rtcBase;
  if (inv.cpu !== undefined) {
    config.cpuModel = inv.cpu.model;
    if (Object.keys(inv.cpu.flags).length > 0) config.cpuFlags = { ...inv.cpu.flags };
  }
  return config;
}

/**
 * QEMU's defaults: with -nographic the serial port is on stdio; without it QEMU would show
 * the serial port in its window, and tsvisor, having no window, puts it on stdout as well.
 * -nodefaults removes the default serial port; an explicit -serial always wins.
 */
export function effectiveSerial(inv: QemuInvocation): SerialBackend {
  if (inv.serial !== undefined) return inv.serial;
  if (inv.nodefaults) return 'none';
  // QMP or the monitor own stdio: the default serial port goes where QEMU's would without a
  // display (nowhere visible), so its output is discarded.
  if (inv.qmp.some((q) => q.kind === 'stdio') || inv.monitor === 'stdio') return 'null';
  return 'stdio';
}

function serialConfig(backend: SerialBackend, host: HostEnvironment): MachineConfig['serial'] {
  switch (backend) {
    case 'none':
      return 'none';
    case 'null':
      return { output: () => {} };
    case 'stdio': {
      const out = host.stdout ?? process.stdout;
      return { output: (data) => void out.write(data), input: host.stdin ?? process.stdin };
    }
  }
}

function chooseAccel(inv: QemuInvocation, backends: readonly string[] | undefined, fallback: AccelName): AccelName {
  if (inv.accel.length === 0) return fallback;
  if (backends === undefined) return inv.accel[0];
  const usable = inv.accel.find((a) => backends.includes(a));
  if (usable !== undefined) return usable;
  const source = inv.accelSource;
  const names = inv.accel.map(accelDisplayName).join(', ');
  const reason = `${names} backend${inv.accel.length > 1 ? 's' : ''} not available in this build`;
  throw new QemuArgsError(source?.option, source?.value, reason);
}
