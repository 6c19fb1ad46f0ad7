/**
 * -qmp and -monitor: where the machine protocol and the human monitor listen;
 * -S: the vCPUs wait for their 'cont'.
 * tsvisor serves them on stdio or (QMP) a unix socket in server mode;
 * everything else QEMU's character devices offer is refused with one line.
 */
import { BadValue } from './bad-value.js';
import type { OptionSpec } from './options.js';
import type { MonitorBackend, QmpEndpoint } from './invocation.js';
import { parseOptList } from './opts.js';

const QMP_FORMS = 'use stdio or unix:PATH,server=on[,wait=off]';

/** "stdio" or "unix:PATH,server=on[,wait=on|off]" (the deprecated bare server/nowait forms read as server=on/wait=off). */
export function parseQmpEndpoint(value: string): QmpEndpoint {
  if (value === 'stdio') return { kind: 'stdio' };
  if (!value.startsWith('unix:')) {
    const kind = value.split(/[:,]/)[0];
    throw new BadValue(`character device '${kind}' is not supported for QMP (${QMP_FORMS})`);
  }
  const opts = parseOptList(value.slice('unix:'.length), 'path').allowOnly(['path', 'server', 'wait']);
  const path = opts.get('path');
  if (path === undefined || path === '' || path === 'on') throw new BadValue('unix: needs a socket path');
  const server = opts.getBool('server');
  if (server !== true) throw new BadValue(`QMP on a unix socket needs server=on (tsvisor does not connect out as a client; ${QMP_FORMS})`);
  const wait = opts.getBool('wait') ?? true;
  return { kind: 'unix', path, wait };
}

export function parseMonitorBackend(value: string): MonitorBackend {
  if (value === 'none' || value === 'stdio') return value;
  throw new BadValue(`monitor backend '${value}' is not supported (use -monitor stdio or -monitor none; QMP: -qmp)`);
}

export const MONITOR_OPTIONS: readonly OptionSpec[] = [
  {
    names: ['qmp'],
    takesArg: true,
    argName: 'stdio|unix:PATH,server=on[,wait=off]',
    help: 'serve the QEMU Machine Protocol (wait=on, the default, starts the guest once a client connects)',
    handle(inv, value) {
      inv.qmp.push(parseQmpEndpoint(value));
    },
  },
  {
    names: ['monitor'],
    takesArg: true,
    argName: 'stdio|none',
    help: 'the human monitor (info registers, stop, cont, system_reset, quit) on stdio, or none',
    handle(inv, value) {
      inv.monitor = parseMonitorBackend(value);
    },
  },
  {
    names: ['S'],
    takesArg: false,
    help: "do not start the vCPUs until the monitor or QMP says 'cont'",
    handle(inv) {
      inv.startPaused = true;
    },
  },
];
