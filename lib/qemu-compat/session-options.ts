/**
 * Options about the session rather than the hardware: -name, -no-shutdown,
 * -vnc none and -global. (-display and -nographic are in options.ts.)
 */
import { BadValue } from './bad-value.js';
import { knownGlobalNames, parseGlobal } from './globals.js';
import type { OptionSpec } from './options.js';
import { parseOptList } from './opts.js';

export const SESSION_OPTIONS: readonly OptionSpec[] = [
  {
    names: ['name'],
    takesArg: true,
    argName: '[guest=]NAME[,process=P][,debug-threads=on|off]',
    help: 'guest name (QMP query-name); process= sets the process name',
    handle(inv, value) {
      const opts = parseOptList(value, 'guest').allowOnly(['guest', 'process', 'debug-threads']);
      const guest = opts.get('guest');
      const processName = opts.get('process');
      // Names the vCPU threads in QEMU; tsvisor's vCPUs run on the one Node thread, which keeps its name.
      opts.getBool('debug-threads');
      if (guest !== undefined) inv.name = guest;
      if (processName !== undefined) {
        if (processName === '') throw new BadValue("parameter 'process' is empty");
        inv.processName = processName;
      }
    },
  },
  {
    names: ['no-shutdown'],
    takesArg: false,
    help: 'a guest power-off (or a reset under -no-reboot) pauses the machine instead of ending it',
    handle(inv) {
      inv.noShutdown = true;
    },
  },
  {
    names: ['vnc'],
    takesArg: true,
    argName: 'none',
    help: 'VNC display; tsvisor has no display, so only none',
    handle(_inv, value) {
      if (value !== 'none') throw new BadValue('tsvisor has no VNC server (only -vnc none)');
    },
  },
  {
    names: ['global'],
    takesArg: true,
    argName: 'DRIVER.PROP=VALUE',
    help: `device property defaults real command lines carry (${knownGlobalNames().join(', ')})`,
    handle(inv, value) {
      inv.globals.push(parseGlobal(value));
    },
  },
];
