/**
 * The option table: every command-line option tsvisor accepts, with whether it
 * takes an argument, its help line and its handler. The argv walker only looks
 * options up here, so adding an option never touches the walker.
 *
 * Handlers record what was asked into a QemuInvocation; they throw BadValue
 * with the reason when the argument is wrong, and the walker adds the option
 * and argument to the message.
 */
import { accelFromName, accelListFromText, accelListText } from './accel.js';
import { BadValue } from './bad-value.js';
import { cpuHelpText, parseCpuOption } from './cpu-option.js';
import { buildDevice, deviceListText, devicePropertiesText, findDeviceModel } from './devices.js';
import type { QemuInvocation } from './invocation.js';
import { parseChardev, parseSerial } from './chardev.js';
import { parseBool, parseOptList, parseUint } from './opts.js';
import { MONITOR_OPTIONS } from './monitor-options.js';
import { SESSION_OPTIONS } from './session-options.js';
import { LOG_OPTIONS } from './log-options.js';
import { parseSmp } from './smp-option.js';
import { PCI_ASSIGN_OPTIONS } from './pci-assign-options.js';
import { formatSize, parseSize } from './size.js';
import { rtcStartSeconds } from '../devices/mc146818-rtc.js';
import { MAX_ICOUNT_SHIFT, MAX_MEMORY_BYTES, MAX_SMP_CPUS, MIN_MEMORY_BYTES } from '../machine/config.js';

interface OptionBase {
  /** Names without dashes; "-name" and "--name" are both accepted. */
  names: string[];
  help: string;
  /** tsvisor's own options, listed apart from QEMU's in the help text. */
  tsvisorOnly?: boolean;
}

export interface FlagOption extends OptionBase {
  takesArg: false;
  handle(inv: QemuInvocation, spelled: string): void;
}

export interface ArgOption extends OptionBase {
  takesArg: true;
  /** How the argument is shown in the help text, e.g. "FILE". */
  argName: string;
  /** `spelled` is the option as the user wrote it ("-M", "--machine"), for messages. */
  handle(inv: QemuInvocation, value: string, spelled: string): void;
}

export type OptionSpec = FlagOption | ArgOption;

/** Pages are the unit the machine maps RAM in; QEMU also rounds the RAM size up. */
const RAM_ALIGN = 4096;

const MACHINE_TYPES: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'pc', description: 'PC-compatible machine with ISA devices, PIC, PIT, RTC, HPET and a 16550 UART' },
];

/** A boolean -machine property, refused in QEMU's words for machine properties. */
function parseMachineBool(key: string, value: string): boolean {
  try {
    return parseBool(key, value);
  } catch {
    throw new BadValue(`Parameter '${key}' expects 'on' or 'off'`);
  }
}

/** The -machine properties tsvisor takes, listed by "-machine pc,help". */
const MACHINE_PROPERTIES: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'accel=<string>', description: 'Accelerator list (tcg, interp, kvm), separated by colons' },
  { name: 'graphics=<bool>', description: 'Accepted either way: tsvisor has no graphics emulation' },
  { name: 'hpet=<bool>', description: 'Enable/disable high precision event timer emulation' },
];

function setAccel(inv: QemuInvocation, option: string, value: string | undefined, via: 'machine' | 'accel', list: QemuInvocation['accel']): void {
  // QEMU refuses to mix the two spellings, since the result would be ambiguous.
  if (inv.accelSource && inv.accelSource.via !== via) {
    throw new BadValue('-accel and -machine accel= cannot be used together');
  }
  if (via === 'machine') {
    // A later -machine accel= replaces the earlier list, and is the one to name in errors.
    inv.accel = list;
    inv.accelSource = { option, value, via };
  } else {
    // Repeated -accel options form a fallback list, in the order given; errors name the first.
    inv.accel = [...inv.accel, ...list.filter((a) => !inv.accel.includes(a))];
    inv.accelSource = inv.accelSource ?? { option, value, via };
  }
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    names: ['kernel'],
    takesArg: true,
    argName: 'FILE',
    help: 'boot this kernel: multiboot ELF, Linux bzImage or PVH ELF (vmlinux)',
    handle(inv, value) {
      inv.kernel = value;
    },
  },
  {
    names: ['append'],
    takesArg: true,
    argName: 'CMDLINE',
    help: 'kernel command line',
    handle(inv, value) {
      inv.append = value;
    },
  },
  {
    names: ['initrd'],
    takesArg: true,
    argName: 'FILE',
    help: 'initial ram disk (Linux initrd, PVH module 0 or the multiboot module)',
    handle(inv, value) {
      inv.initrd = value;
    },
  },
  {
    names: ['m'],
    takesArg: true,
    argName: '[size=]SIZE',
    help: 'guest RAM; a plain number is in MiB, suffixes K, M, G, T (default 128M)',
    handle(inv, value) {
      const opts = parseOptList(value, 'size').allowOnly(['size', 'slots', 'maxmem']);
      if (opts.has('slots') || opts.has('maxmem')) throw new BadValue('memory hot-plug (slots=, maxmem=) is not supported');
      const size = opts.get('size');
      if (size === undefined) throw new BadValue('invalid size');
      const bytes = parseSize(size, 'M');
      const aligned = Math.ceil(bytes / RAM_ALIGN) * RAM_ALIGN;
      // The machine's limits, checked here too so the message names the option.
      if (aligned < MIN_MEMORY_BYTES) throw new BadValue(`memory size too small (at least ${formatSize(MIN_MEMORY_BYTES)})`);
      if (aligned > MAX_MEMORY_BYTES) throw new BadValue(`memory size too large (at most ${formatSize(MAX_MEMORY_BYTES)})`);
      inv.memoryBytes = aligned;
    },
  },
  {
    names: ['smp'],
    takesArg: true,
    argName: '[cpus=]N',
    help: `number of vCPUs, 1..${MAX_SMP_CPUS} (sockets=, cores=, threads= give the same count as a topology)`,
    handle(inv, value) {
      inv.smp = parseSmp(value).cpus;
    },
  },
  {
    names: ['cpu'],
    takesArg: true,
    argName: 'MODEL[,+f|-f|f=on|off...]',
    help: 'CPU model (qemu64, kvm64, max, host) and CPUID/KVM/Hyper-V flags; -cpu help lists them',
    handle(inv, value) {
      if (value === 'help' || value === '?') inv.request = { kind: 'list', text: cpuHelpText() };
      else inv.cpu = parseCpuOption(value);
    },
  },
  {
    names: ['serial'],
    takesArg: true,
    argName: 'DEV',
    help: 'the COM1 UART: stdio, null, none (no UART), file:PATH, chardev:ID, mon:stdio, unix:PATH,server=on, tcp:[HOST]:PORT,server=on',
    handle(inv, value) {
      const serial = parseSerial(value);
      if (inv.serial !== undefined) throw new BadValue('only one serial port is supported');
      inv.serial = serial;
      inv.serialText = value;
    },
  },
  {
    names: ['chardev'],
    takesArg: true,
    argName: 'BACKEND,id=ID[,...]',
    help: 'a character device for -serial chardev:ID: stdio, null, file,path=P[,append=on], socket,path=P|port=N,server=on[,wait=off]',
    handle(inv, value) {
      const spec = parseChardev(value);
      if (inv.chardevs.some((c) => c.id === spec.id)) throw new BadValue(`duplicate chardev id '${spec.id}'`);
      inv.chardevs.push({ ...spec, text: value });
    },
  },
  {
    names: ['nographic'],
    takesArg: false,
    help: 'no graphical output; the serial port and the monitor share stdio (mon:stdio) unless -serial, -monitor or -qmp say otherwise',
    handle(inv) {
      inv.nographic = true;
    },
  },
  {
    names: ['display'],
    takesArg: true,
    argName: 'none',
    help: 'display backend; tsvisor has no display, so only none',
    handle(_inv, value) {
      const opts = parseOptList(value, 'type').allowOnly(['type']);
      const type = opts.get('type');
      if (type !== 'none') {
        throw new BadValue(`display '${type ?? ''}' is not available: tsvisor has no graphical display (use -display none)`);
      }
    },
  },
  {
    names: ['nodefaults'],
    takesArg: false,
    help: 'no default devices (in particular no serial port unless -serial is given)',
    handle(inv) {
      inv.nodefaults = true;
    },
  },
  {
    names: ['device'],
    takesArg: true,
    argName: 'DRIVER[,PROP=VALUE...]',
    help: 'add a device (-device help lists them)',
    handle(inv, value) {
      const opts = parseOptList(value, 'driver');
      if (opts.wantsHelp) {
        const driver = opts.get('driver');
        const model = driver === undefined ? undefined : findDeviceModel(driver);
        if (driver !== undefined && !model) throw new BadValue(`'${driver}' is not a valid device model name`);
        inv.request = { kind: 'list', text: model ? devicePropertiesText(model) : deviceListText() };
        return;
      }
      const spec = buildDevice(opts);
      const id = (spec as { id?: string }).id;
      if (id !== undefined && inv.devices.some((d) => (d as { id?: string }).id === id)) throw new BadValue(`Duplicate ID '${id}' for device`);
      inv.devices.push(spec);
    },
  },
  {
    names: ['no-reboot'],
    takesArg: false,
    help: 'exit instead of rebooting when the guest resets',
    handle(inv) {
      inv.noReboot = true;
    },
  },
  {
    names: ['machine', 'M'],
    takesArg: true,
    argName: '[type=]pc[,accel=A[:A...]][,graphics=on|off][,hpet=on|off]',
    help: 'machine type, accelerator and HPET (default on) (-machine help lists types)',
    handle(inv, value, spelled) {
      const opts = parseOptList(value, 'type');
      if (opts.wantsHelp) {
        // "-machine pc,help" lists the type's properties, "-machine help" the types (QEMU's formats).
        const typed = MACHINE_TYPES.find((t) => t.name === opts.get('type'));
        inv.request = {
          kind: 'list',
          text:
            typed === undefined
              ? ['Machine types:', ...MACHINE_TYPES.map((t) => `  ${t.name.padEnd(6)}${t.description}`)].join('\n') + '\n'
              : [`${typed.name}-machine options:`, ...MACHINE_PROPERTIES.map((p) => `  ${p.name.padEnd(23)}- ${p.description}`)].join('\n') + '\n',
        };
        return;
      }
      opts.allowOnly(['type', 'accel', 'graphics', 'hpet']);
      const type = opts.get('type');
      if (type !== undefined && !MACHINE_TYPES.some((t) => t.name === type)) {
        throw new BadValue(`unsupported machine type '${type}' (-machine help lists them)`);
      }
      // graphics=off only promises no graphical output; tsvisor never has any, so both values hold.
      opts.getBool('graphics');
      const accel = opts.get('accel');
      if (accel !== undefined) setAccel(inv, spelled, value, 'machine', accelListFromText(accel));
      const hpet = opts.get('hpet');
      if (hpet !== undefined) inv.hpet = parseMachineBool('hpet', hpet);
    },
  },
  {
    names: ['no-hpet'],
    takesArg: false,
    help: 'same as -machine hpet=off: no HPET, no ACPI HPET table',
    handle(inv) {
      inv.hpet = false;
    },
  },
  {
    names: ['accel'],
    takesArg: true,
    argName: 'tcg|interp|kvm',
    help: 'CPU backend; repeat for a fallback list (-accel help lists them)',
    handle(inv, value, spelled) {
      const opts = parseOptList(value, 'accel');
      if (opts.wantsHelp) {
        inv.request = { kind: 'list', text: accelListText() };
        return;
      }
      opts.allowOnly(['accel']);
      const name = opts.get('accel');
      if (name === undefined) throw new BadValue("parameter 'accel' is missing");
      setAccel(inv, spelled, value, 'accel', [accelFromName(name)]);
    },
  },
  {
    names: ['enable-kvm'],
    takesArg: false,
    help: 'same as -accel kvm',
    handle(inv, spelled) {
      setAccel(inv, spelled, undefined, 'accel', ['kvm']);
    },
  },
  {
    names: ['icount'],
    takesArg: true,
    argName: '[shift=]N',
    help: `deterministic guest clock: each instruction takes 2^N ns (N = 0..${MAX_ICOUNT_SHIFT})`,
    handle(inv, value) {
      const opts = parseOptList(value, 'shift').allowOnly(['shift']);
      const shift = opts.get('shift');
      if (shift === undefined) throw new BadValue("parameter 'shift' is missing");
      if (shift === 'auto') throw new BadValue(`adaptive icount (shift=auto) is not supported; give N = 0..${MAX_ICOUNT_SHIFT}`);
      inv.icountShift = parseUint('shift', shift, MAX_ICOUNT_SHIFT);
    },
  },
  {
    names: ['rtc'],
    takesArg: true,
    argName: 'base=utc|localtime|YYYY-MM-DD[THH:MM:SS]',
    help: 'RTC start time: host UTC (default), host local time or a fixed date; it then follows guest time',
    handle(inv, value) {
      const opts = parseOptList(value, 'base').allowOnly(['base']);
      const base = opts.get('base');
      if (base === undefined) throw new BadValue("parameter 'base' is missing");
      if (base === 'utc' || base === 'localtime') {
        inv.rtcBase = base;
        return;
      }
      try {
        rtcStartSeconds({ datetime: base });
      } catch {
        throw new BadValue(`invalid date '${base}': use utc, localtime or YYYY-MM-DD[THH:MM:SS]`);
      }
      inv.rtcBase = { datetime: base };
    },
  },
  ...MONITOR_OPTIONS,
  ...SESSION_OPTIONS,
  ...LOG_OPTIONS,
  ...PCI_ASSIGN_OPTIONS,
  {
    names: ['version'],
    takesArg: false,
    help: 'print the version and exit',
    handle(inv) {
      inv.request = { kind: 'version' };
    },
  },
  {
    names: ['h', 'help'],
    takesArg: false,
    help: 'print this help and exit',
    handle(inv) {
      inv.request = { kind: 'help' };
    },
  },
  {
    names: ['demo'],
    takesArg: false,
    tsvisorOnly: true,
    help: 'boot the demo guest shipped with tsvisor (64 MiB, isa-debug-exit at 0xf4)',
    handle(inv) {
      inv.demo = true;
    },
  },
];

const OPTION_BY_NAME = new Map<string, OptionSpec>(OPTIONS.flatMap((o) => o.names.map((n) => [n, o] as const)));

export function findOption(name: string): OptionSpec | undefined {
  return OPTION_BY_NAME.get(name);
}
