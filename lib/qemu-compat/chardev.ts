/**
 * Character devices: `-chardev BACKEND,id=ID,...` and the `-serial` spellings
 * (stdio, null, none, file:PATH, chardev:ID, mon:stdio, unix:PATH,server=on,
 * tcp:[HOST]:PORT,server=on). The backends tsvisor has are the process's stdio,
 * a sink, a file and a listening socket (unix or TCP, one client at a time);
 * anything else QEMU offers is one line naming it.
 */
import { BadValue } from './bad-value.js';
import type { OptList } from './opts.js';
import { parseOptList } from './opts.js';

/** Where a listening socket chardev listens. */
export type SocketAddress = { unix: string } | { host: string; port: number };

export type ChardevBackend =
  | { kind: 'stdio' }
  | { kind: 'null' }
  /** append: keep what the file holds (QEMU truncates by default). */
  | { kind: 'file'; path: string; append: boolean }
  /** A server socket; wait = the guest starts only once a client connected (QEMU's default). */
  | { kind: 'socket'; address: SocketAddress; wait: boolean };

export interface ChardevSpec {
  id: string;
  backend: ChardevBackend;
}

/**
 * The serial port's host side: a backend of its own, a named -chardev, 'none' (no UART at all) or
 * 'mon:stdio' (stdio shared with the human monitor, switched with Ctrl-A c).
 */
export type SerialBackend = 'stdio' | 'null' | 'none' | 'mon:stdio' | Exclude<ChardevBackend, { kind: 'stdio' } | { kind: 'null' }> | { kind: 'chardev'; id: string };

const BACKENDS = 'stdio, null, file, socket';
const SERIAL_FORMS = 'stdio, null, none, file:PATH, chardev:ID, mon:stdio, unix:PATH,server=on, tcp:[HOST]:PORT,server=on';

/** The socket options common to -chardev socket and the -serial unix:/tcp: forms. */
function socketBackend(opts: OptList, address: SocketAddress): ChardevBackend {
  if (opts.getBool('server') !== true) {
    throw new BadValue('a socket needs server=on (tsvisor listens; it does not connect out as a client)');
  }
  return { kind: 'socket', address, wait: opts.getBool('wait') ?? true };
}

function tcpPort(text: string | undefined): number {
  if (text === undefined || !/^[0-9]+$/.test(text) || Number(text) > 65535) throw new BadValue(`invalid port '${text ?? ''}'`);
  return Number(text);
}

/** -chardev BACKEND,id=ID[,...]. */
export function parseChardev(text: string): ChardevSpec {
  const opts = parseOptList(text, 'backend');
  const backend = opts.get('backend');
  const id = opts.get('id');
  if (backend === undefined) throw new BadValue("parameter 'backend' is missing");
  if (id === undefined || id === '') throw new BadValue("parameter 'id' is missing");
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) throw new BadValue(`parameter 'id' expects an identifier, not '${id}'`);
  switch (backend) {
    case 'stdio':
      // signal=on (the default) lets Ctrl-C stop tsvisor, which it does in both cases: stdin is not a raw terminal.
      opts.allowOnly(['backend', 'id', 'signal']);
      opts.getBool('signal');
      return { id, backend: { kind: 'stdio' } };
    case 'null':
      opts.allowOnly(['backend', 'id']);
      return { id, backend: { kind: 'null' } };
    case 'file': {
      opts.allowOnly(['backend', 'id', 'path', 'append']);
      const path = opts.get('path');
      if (path === undefined || path === '') throw new BadValue("parameter 'path' is missing");
      return { id, backend: { kind: 'file', path, append: opts.getBool('append') ?? false } };
    }
    case 'socket': {
      opts.allowOnly(['backend', 'id', 'path', 'host', 'port', 'server', 'wait']);
      const path = opts.get('path');
      if (path !== undefined) {
        if (opts.has('host') || opts.has('port')) throw new BadValue("give either path= (unix) or host=/port= (TCP), not both");
        if (path === '') throw new BadValue("parameter 'path' is empty");
        return { id, backend: socketBackend(opts, { unix: path }) };
      }
      if (!opts.has('port')) throw new BadValue("a socket needs path= (unix) or port= (TCP)");
      return { id, backend: socketBackend(opts, { host: opts.get('host') || '0.0.0.0', port: tcpPort(opts.get('port')) }) };
    }
    default:
      throw new BadValue(`chardev backend '${backend}' is not supported (tsvisor has ${BACKENDS})`);
  }
}

/** The argument of -serial. */
export function parseSerial(text: string): SerialBackend {
  if (text === 'stdio' || text === 'null' || text === 'none' || text === 'mon:stdio') return text;
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = text.slice(colon + 1);
  switch (colon < 0 ? '' : kind) {
    case 'file':
      if (rest === '') throw new BadValue('file: needs a path');
      return { kind: 'file', path: rest, append: false };
    case 'chardev':
      if (rest === '') throw new BadValue('chardev: needs an id');
      return { kind: 'chardev', id: rest };
    case 'mon':
      throw new BadValue(`mon: is supported only as mon:stdio`);
    case 'unix': {
      const opts = parseOptList(rest, 'path').allowOnly(['path', 'server', 'wait']);
      const path = opts.get('path');
      if (path === undefined || path === '') throw new BadValue('unix: needs a socket path');
      return socketBackend(opts, { unix: path }) as SerialBackend;
    }
    case 'tcp': {
      const opts = parseOptList(rest, 'address').allowOnly(['address', 'server', 'wait']);
      const m = /^(.*):([^:]*)$/.exec(opts.get('address') ?? '');
      if (m === null) throw new BadValue('tcp: needs [HOST]:PORT');
      const host = m[1]!.replace(/^\[(.*)\]$/, '$1') || '0.0.0.0';
      return socketBackend(opts, { host, port: tcpPort(m[2]) }) as SerialBackend;
    }
    default:
      throw new BadValue(`serial backend '${kind}' is not supported (use ${SERIAL_FORMS})`);
  }
}
