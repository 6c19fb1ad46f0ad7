/**
 * The QMP server: QEMU's machine protocol over a unix socket or a pair of
 * streams (stdio). Each connection gets the greeting, must negotiate with
 * qmp_capabilities (anything else first is CommandNotFound, as in QEMU), then
 * runs commands in order and receives the STOP/RESUME/RESET/SHUTDOWN events
 * with timestamps, and DEVICE_DELETED when the guest ejected a hot-plugged
 * device.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { VirtualMachine } from '../api/virtual-machine.js';
import type { MachineExit } from '../machine/machine-exit.js';
import { checkArguments, QMP_COMMANDS } from './commands.js';
import { QmpError } from './errors.js';
import { JsonObjectSplitter } from './json-stream.js';
import { MonitorTarget, type ShutdownCause } from './monitor.js';
import { qmpVersion } from './version.js';

type Json = Record<string, unknown>;

export function qmpTimestamp(): { seconds: number; microseconds: number } {
  const us = BigInt(Date.now()) * 1000n + (process.hrtime.bigint() / 1000n) % 1000n;
  return { seconds: Number(us / 1_000_000n), microseconds: Number(us % 1_000_000n) };
}

function errorReply(err: unknown): Json {
  if (err instanceof QmpError) return { error: { class: err.errorClass, desc: err.message } };
  // Typed API errors (a state error, say) carry a message meant for the user.
  return { error: { class: 'GenericError', desc: err instanceof Error ? err.message : String(err) } };
}

class QmpSession {
  private negotiated = false;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  readonly done: Promise<void>;
  private markDone!: () => void;

  constructor(
    private readonly server: QmpServer,
    private readonly output: NodeJS.WritableStream,
    input: NodeJS.ReadableStream,
    /** A socket is ended when the session closes; stdout is left open. */
    private readonly ownsOutput: boolean,
  ) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
    const splitter = new JsonObjectSplitter((text) => {
      this.queue = this.queue.then(() => this.handle(text));
    });
    input.setEncoding?.('utf8');
    input.on('data', (chunk: string | Buffer) => splitter.push(chunk.toString()));
    input.on('end', () => this.close());
    input.on('error', () => this.close());
    this.send({ QMP: { version: qmpVersion(), capabilities: [] } });
  }

  get receivesEvents(): boolean {
    return this.negotiated && !this.closed;
  }

  send(message: Json): void {
    if (this.closed) return;
    this.output.write(JSON.stringify(message) + '\r\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.sessionClosed(this);
    if (this.ownsOutput) this.output.end(() => this.markDone());
    else this.markDone();
  }

  private async handle(text: string): Promise<void> {
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (err) {
      this.send({ error: { class: 'GenericError', desc: `JSON parse error, ${(err as Error).message}` } });
      return;
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      this.send({ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } });
      return;
    }
    const req = request as Json;
    const id = 'id' in req ? { id: req.id } : {};
    try {
      const value = await this.execute(req);
      this.send({ return: value, ...id });
    } catch (err) {
      this.send({ ...errorReply(err), ...id });
    }
  }

  private async execute(req: Json): Promise<unknown> {
    for (const key of Object.keys(req)) {
      if (key !== 'execute' && key !== 'arguments' && key !== 'id') throw new QmpError('GenericError', `QMP input member '${key}' is unexpected`);
    }
    const name = req.execute;
    if (name === undefined) throw new QmpError('GenericError', "QMP input lacks member 'execute'");
    if (typeof name !== 'string') throw new QmpError('GenericError', "QMP input member 'execute' must be a string");
    if (name === 'qmp_capabilities') {
      if (this.negotiated) throw new QmpError('CommandNotFound', 'Capabilities negotiation is already complete, command ignored');
      const args = checkArguments(name, { args: { enable: 'optional' }, run: () => ({}) }, req.arguments);
      const enable = args.enable;
      if (enable !== undefined) {
        if (!Array.isArray(enable)) throw new QmpError('GenericError', "Invalid parameter type for 'enable', expected: array");
        if (enable.length > 0) throw new QmpError('GenericError', `Capability '${String(enable[0])}' not available`);
      }
      this.negotiated = true;
      return {};
    }
    if (!this.negotiated) throw new QmpError('CommandNotFound', "Expecting capabilities negotiation with 'qmp_capabilities'");
    const command = QMP_COMMANDS[name];
    if (command === undefined) throw new QmpError('CommandNotFound', `The command ${name} has not been found`);
    return command.run(this.server.target, checkArguments(name, command, req.arguments));
  }
}

export class QmpServer {
  readonly target: MonitorTarget;
  private readonly sessions = new Set<QmpSession>();
  private readonly listeners: Array<{ server: Server; path: string }> = [];
  private firstClient: Promise<void>;
  private clientArrived!: () => void;

  constructor(readonly vm: VirtualMachine, target?: MonitorTarget) {
    this.target = target ?? new MonitorTarget(vm, '');
    this.firstClient = new Promise((resolve) => (this.clientArrived = resolve));
    vm.on('stop', () => this.broadcast('STOP', {}));
    vm.on('resume', () => this.broadcast('RESUME', {}));
    vm.on('reset', () => {
      const host = this.target.hostResetPending;
      this.broadcast('RESET', { guest: !host, reason: host ? 'host-qmp-system-reset' : 'guest-reset' });
    });
    vm.on('exit', (exit) => {
      const reason = this.shutdownCause(exit);
      this.broadcast('SHUTDOWN', { guest: reason.startsWith('guest-'), reason });
    });
    vm.on('suspend', () => this.broadcast('SUSPEND', {}));
    vm.on('wakeup', () => this.broadcast('WAKEUP', {}));
    // QEMU leaves "device" out for a device without an id.
    vm.on('device-deleted', (info) => this.broadcast('DEVICE_DELETED', { ...(info.id !== undefined ? { device: info.id } : {}), path: info.path }));
    // -no-shutdown: the guest's shutdown pauses the machine instead of ending it; SHUTDOWN comes before STOP.
    vm.machine.events.on('guest-shutdown', (exit) => {
      if (vm.machine.config.noShutdown !== true) return;
      const reason = this.shutdownCause(exit);
      this.broadcast('SHUTDOWN', { guest: true, reason });
    });
  }

  /** Serves one client on a pair of streams (-qmp stdio). */
  attach(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, ownsOutput = false): void {
    const session = new QmpSession(this, output, input, ownsOutput);
    this.sessions.add(session);
    this.clientArrived();
  }

  /** Listens on a unix socket (a stale socket file at path is replaced, as QEMU does). */
  async listenUnix(path: string): Promise<void> {
    if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
    const server = createServer((socket: Socket) => this.attach(socket, socket, true));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listeners.push({ server, path });
  }

  /** Resolves once the first client has connected (wait=on). */
  waitForClient(): Promise<void> {
    return this.firstClient;
  }

  /** Ends every connection (after everything queued was written) and removes the sockets. */
  async close(): Promise<void> {
    for (const { server } of this.listeners) server.close();
    const ends: Array<Promise<void>> = [];
    for (const { path } of this.listeners) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
    this.listeners.length = 0;
    for (const s of [...this.sessions]) ends.push(s.done);
    for (const s of [...this.sessions]) this.endSession(s);
    await Promise.race([Promise.all(ends), new Promise((resolve) => setTimeout(resolve, 1000))]);
  }

  /** @internal */
  sessionClosed(session: QmpSession): void {
    this.sessions.delete(session);
  }

  private endSession(session: QmpSession): void {
    session.close();
  }

  private broadcast(event: string, data: Json): void {
    const message = { event, data, timestamp: qmpTimestamp() };
    for (const s of this.sessions) if (s.receivesEvents) s.send(message);
  }

  private shutdownCause(exit: MachineExit): ShutdownCause {
    switch (exit.reason) {
      case 'debug-exit':
      case 'poweroff':
        return 'guest-shutdown';
      case 'shutdown':
        return 'guest-reset';
      case 'error':
        return 'host-error';
      default:
        return this.target.hostShutdownCause ?? 'host-signal';
    }
  }
}
