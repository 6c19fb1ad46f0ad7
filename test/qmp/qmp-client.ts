/** A small QMP test client: JSON framing over a unix socket, replies and events kept in arrival order. */
import { connect, type Socket } from 'node:net';
import { JsonObjectSplitter } from '../../lib/qmp/json-stream.js';

export type QmpMessage = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class QmpClient {
  readonly received: QmpMessage[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(readonly socket: Socket) {
    const splitter = new JsonObjectSplitter((text) => {
      this.received.push(JSON.parse(text) as QmpMessage);
      this.notify();
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => splitter.push(chunk));
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
  }

  /**
   * Connects, retrying while the server is not yet listening: the socket file
   * appears at bind(), a moment before listen(), so a client that polls for
   * the file can see it and still be refused (libvirt retries the same way).
   */
  static async connect(path: string, timeoutMs = 30_000): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await QmpClient.connectOnce(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'ECONNREFUSED' && code !== 'ENOENT') || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  private static connectOnce(path: string): Promise<QmpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path, () => {
        socket.off('error', reject);
        resolve(new QmpClient(socket));
      });
      socket.once('error', reject);
    });
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Removes and returns the first message matching predicate, waiting for it up to timeoutMs (generous: only a failing run waits that long, and CI may be loaded). */
  async take(predicate: (m: QmpMessage) => boolean, timeoutMs = 30_000): Promise<QmpMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(predicate);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      if (this.ended) throw new Error(`QMP connection ended; still waiting. Received: ${JSON.stringify(this.received)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a QMP message. Received: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a command with a fresh id and returns its reply. */
  private nextId = 1;
  async execute(command: string, args?: Record<string, unknown>): Promise<QmpMessage> {
    const id = `t${this.nextId++}`;
    this.socket.write(JSON.stringify(args === undefined ? { execute: command, id } : { execute: command, arguments: args, id }) + '\n');
    return this.take((m) => m.id === id);
  }

  event(name: string, timeoutMs?: number): Promise<QmpMessage> {
    return this.take((m) => m.event === name, timeoutMs);
  }

  waitForEnd(): Promise<void> {
    return new Promise((resolve) => (this.ended ? resolve() : this.socket.once('end', resolve)));
  }

  close(): void {
    this.socket.end();
  }
}
