/**
 * Turns a parsed command line into a MachineConfig. This is where the command
 * line meets the host: which backends this build has (for accelerator fallback
 * lists and "not available" errors) and which streams stand for "stdio".
 */
import { defaultMachineConfig, type MachineConfig } from '../machine/config.js';
import { accelDisplayName } from './accel.js';
import { QemuArgsError } from './errors.js';
import type { AccelName, QemuInvocation, SerialBackend } from './invocation.js';
import { ChardevOpenError, openHostChardev, type HostChardev } from './host-chardev.js';
import { StdioMux } from './stdio-mux.js';
import { guestLogConfig, type LogSinkHost } from './log-sink.js';

/** Host endpoints opened for a command line, for the caller to wait for and close. */
export interface OpenedEndpoints {
  /** Files and sockets of -serial and -chardev, with the option that asked for each (for messages). */
  chardevs: Array<{ option: string; value: string; chardev: HostChardev }>;
  /** -serial mon:stdio: stdio shared by the serial port and the human monitor. */
  mux?: StdioMux;
}

export interface HostEnvironment extends LogSinkHost {
  /**
   * Collects what was opened. Without it, -serial mon:stdio is refused (the monitor is the
   * caller's to run) and nothing closes files and sockets before the process ends.
   */
  opened?: OpenedEndpoints;
  /** Backends compiled into this build; undefined = do not check (the machine will). */
  backends?: readonly string[];
  /** Why a built backend cannot run on this host (kvm: no usable /dev/kvm), or undefined when it can. */
  unusableReason?: (accel: AccelName) => string | undefined;
  /** Where the one-line note about an accelerator fallback goes (default: stderr). */
  warn?: (line: string) => void;
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
  config.accel = chooseAccel(inv, host, config.accel);
  if (inv.memoryBytes !== undefined) config.memoryBytes = inv.memoryBytes;
  config.smp = inv.smp;
  if (inv.kernel !== undefined) config.kernel = inv.kernel;
  if (inv.append !== undefined) config.append = inv.append;
  if (inv.initrd !== undefined) config.initrd = inv.initrd;
  config.serial = serialConfig(inv, openChardevs(inv, host), host);
  const log = guestLogConfig(inv, host);
  if (log !== undefined) config.log = log;
  config.devices = inv.devices.map((d) => ({ ...d }));
  config.noReboot = inv.noReboot;
  if (inv.noShutdown) config.noShutdown = true;
  if (inv.icountShift !== undefined) config.clock = { mode: 'icount', shift: inv.icountShift };
  if (inv.rtcBase !== undefined) config.rtcBase = inv.rtcBase;
  if (inv.hpet !== undefined) config.hpet = inv.hpet;
  // The last -global PIIX4_PM.disable_s3 wins, as QEMU applies them in order.
  const disableS3 = inv.globals.filter((g) => g.driver === 'PIIX4_PM' && g.property === 'disable_s3').pop();
  if (disableS3 !== undefined && Number(disableS3.value) !== 0) config.disableS3 = true;
  if (inv.cpu !== undefined) {
    config.cpuModel = inv.cpu.model;
    if (Object.keys(inv.cpu.flags).length > 0) config.cpuFlags = { ...inv.cpu.flags };
  }
  return config;
}

/**
 * QEMU's defaults: with -nographic and neither -monitor nor -qmp (either replaces QEMU's default
 * monitor), the serial port and the human monitor share stdio (mon:stdio: Ctrl-A c switches,
 * Ctrl-A x quits); with -monitor or -qmp elsewhere the serial port alone has stdio. Without
 * -nographic QEMU would show the serial port in its window, and tsvisor, having no window, puts
 * it on stdout. -nodefaults removes the default serial port; an explicit -serial always wins.
 * monitorAvailable: false when the caller runs no monitor (the Node API), so -nographic gives
 * plain stdio there.
 */
export function effectiveSerial(inv: QemuInvocation, monitorAvailable = true): SerialBackend {
  if (inv.serial !== undefined) return inv.serial;
  if (inv.nodefaults) return 'none';
  // QMP or the monitor own stdio: the default serial port goes where QEMU's would without a
  // display (nowhere visible), so its output is discarded.
  if (inv.qmp.some((q) => q.kind === 'stdio') || inv.monitor === 'stdio') return 'null';
  if (inv.nographic && monitorAvailable && inv.monitor === undefined && inv.qmp.length === 0) return 'mon:stdio';
  return 'stdio';
}

function stdioOf(host: HostEnvironment) {
  return { stdout: host.stdout ?? process.stdout, stdin: host.stdin ?? process.stdin };
}

/** Opens every -chardev (QEMU creates them whether a device uses them or not). */
function openChardevs(inv: QemuInvocation, host: HostEnvironment): Map<string, HostChardev> {
  const byId = new Map<string, HostChardev>();
  for (const spec of inv.chardevs) {
    byId.set(spec.id, open(() => openHostChardev(spec.backend, stdioOf(host)), '-chardev', spec.text, host));
  }
  return byId;
}

function open(how: () => HostChardev, option: string, value: string, host: HostEnvironment): HostChardev {
  let chardev: HostChardev;
  try {
    chardev = how();
  } catch (err) {
    if (err instanceof ChardevOpenError) throw new QemuArgsError(option, value, err.message);
    throw err;
  }
  host.opened?.chardevs.push({ option, value, chardev });
  return chardev;
}

function serialConfig(inv: QemuInvocation, chardevs: Map<string, HostChardev>, host: HostEnvironment): MachineConfig['serial'] {
  const backend = effectiveSerial(inv, host.opened !== undefined);
  if (backend === 'none') return 'none';
  if (backend === 'mon:stdio') {
    if (host.opened === undefined) throw new QemuArgsError('-serial', 'mon:stdio', 'needs a monitor, which only the tsvisor command runs');
    const { stdout, stdin } = stdioOf(host);
    host.opened.mux = new StdioMux(stdin, stdout);
    return { output: (data) => void stdout.write(data), input: host.opened.mux.serialInput };
  }
  let chardev: HostChardev;
  if (typeof backend === 'object' && backend.kind === 'chardev') {
    chardev = chardevs.get(backend.id)!; // argv.ts checked that it is defined
  } else {
    const spec = backend === 'stdio' ? { kind: 'stdio' as const } : backend === 'null' ? { kind: 'null' as const } : backend;
    chardev = open(() => openHostChardev(spec, stdioOf(host)), '-serial', inv.serialText ?? backend.toString(), host);
  }
  return { output: (data) => chardev.output(data), input: chardev.input };
}

function chooseAccel(inv: QemuInvocation, host: HostEnvironment, fallback: AccelName): AccelName {
  if (inv.accel.length === 0) return fallback;
  const backends = host.backends;
  if (backends === undefined) return inv.accel[0];
  const source = inv.accelSource;
  const skipped: string[] = [];
  for (const accel of inv.accel) {
    const why = backends.includes(accel) ? host.unusableReason?.(accel) : `${accelDisplayName(accel)} backend not available in this build`;
    if (why === undefined) {
      if (skipped.length > 0) {
        const where = source ? `${source.option}${source.value !== undefined ? ' ' + source.value : ''}: ` : '';
        (host.warn ?? ((line) => process.stderr.write(`tsvisor: ${line}\n`)))(`${where}${skipped.join('; ')}; falling back to ${accelFallbackName(accel)}`);
      }
      return accel;
    }
    skipped.push(why);
  }
  const names = inv.accel.map(accelDisplayName).join(', ');
  const reason =
    inv.accel.every((a) => !backends.includes(a))
      ? `${names} backend${inv.accel.length > 1 ? 's' : ''} not available in this build`
      : skipped.join('; ');
  throw new QemuArgsError(source?.option, source?.value, reason);
}

/** The accelerator's name as the user would write it in a fallback note (QEMU says "falling back to tcg"). */
function accelFallbackName(accel: AccelName): string {
  return accel === 'interp' ? 'tcg' : accel;
}
