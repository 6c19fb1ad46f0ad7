/**
 * What a QEMU-style command line asks for, before it meets the host: the argv
 * walker fills this in, to-config.ts turns it into a MachineConfig once the
 * available backends and the process's stdio are known. Keeping this step pure
 * (plain data, no streams) is what makes argv parsing testable by deep equality.
 */
import type { RtcBase } from '../devices/mc146818-rtc.js';
import type { MachineConfig } from '../machine/config.js';
import type { GuestLogItem } from '../machine/guest-log-items.js';
import type { GlobalProperty } from './globals.js';
import type { ChardevSpec, SerialBackend } from './chardev.js';

export type AccelName = MachineConfig['accel'];
export type DeviceSpec = MachineConfig['devices'][number];

export type { SerialBackend, ChardevSpec, ChardevBackend } from './chardev.js';

/** Where a QMP server listens: a unix socket (server mode; wait = start the guest once a client connects) or stdio. */
export type QmpEndpoint = { kind: 'unix'; path: string; wait: boolean } | { kind: 'stdio' };

/** -monitor: the human monitor on stdio, or none. */
export type MonitorBackend = 'stdio' | 'none';

export type Request =
  | { kind: 'run' }
  | { kind: 'version' }
  | { kind: 'help' }
  /** "-device help" and friends: print this text and exit successfully. */
  | { kind: 'list'; text: string };

export interface QemuInvocation {
  request: Request;
  /** Warnings to print on stderr (after "tsvisor: "), e.g. QEMU's short-form boolean deprecation. */
  warnings: string[];
  /** --demo: boot the demo guest shipped with the package. */
  demo: boolean;
  kernel?: string;
  append?: string;
  initrd?: string;
  memoryBytes?: number;
  smp: number;
  /**
   * Accelerators in order of preference ("-machine accel=kvm:tcg", repeated -accel);
   * the first one the build offers is used. Empty = the default.
   */
  accel: AccelName[];
  /** The option that set `accel` (and its argument, if it takes one), so "not available" errors can name it. */
  accelSource?: { option: string; value?: string; via: 'machine' | 'accel' };
  /** Explicit -serial; undefined = QEMU's default (stdio unless -nodefaults). */
  serial?: SerialBackend;
  /** The -serial argument as written, for messages about opening it. */
  serialText?: string;
  /** -chardev definitions, in the order given (each is opened, used or not, as in QEMU). */
  chardevs: Array<ChardevSpec & { text: string }>;
  nographic: boolean;
  nodefaults: boolean;
  devices: DeviceSpec[];
  noReboot: boolean;
  /** -icount shift=N: deterministic clock, 2^N ns per instruction. */
  icountShift?: number;
  /** -machine hpet=on|off or -no-hpet (the last one given wins); undefined = the machine's default. */
  hpet?: boolean;
  /** -rtc base=: where the RTC's calendar starts. */
  rtcBase?: RtcBase;
  /** -qmp servers, in the order given. */
  qmp: QmpEndpoint[];
  /** -monitor; undefined = none (tsvisor has no default monitor). */
  monitor?: MonitorBackend;
  /** -S: the machine is built but its vCPUs start only on the monitor's or QMP's cont. */
  startPaused?: boolean;
  /** -name: the guest's name (QMP query-name). */
  name?: string;
  /** -name process=: the process name. */
  processName?: string;
  /** -no-shutdown: a guest power-off pauses the machine (QMP status 'shutdown') instead of ending the run. */
  noShutdown: boolean;
  /** -global properties, each one tsvisor's machine already satisfies. */
  globals: GlobalProperty[];
  /** -d: the log items (the last -d wins, as in QEMU). */
  logItems?: GuestLogItem[];
  /** -D: the log file; undefined = stderr. */
  logFile?: string;
  /** -cpu: the model and the flags set on the command line (canonical names). */
  cpu?: { model: string; flags: Record<string, boolean | number | string> };
}

export function emptyInvocation(): QemuInvocation {
  return {
    request: { kind: 'run' },
    warnings: [],
    demo: false,
    smp: 1,
    accel: [],
    nographic: false,
    nodefaults: false,
    devices: [],
    noReboot: false,
    noShutdown: false,
    globals: [],
    chardevs: [],
    qmp: [],
  };
}
