/**
 * Opens a character device's host side: where the bytes a guest device sends
 * go, and where the bytes it receives come from. to-config.ts opens them while
 * building the MachineConfig (a file is opened at once, so a bad path is one
 * line before any VM exists); the CLI awaits `ready` and, for a socket with
 * wait=on, a client before the guest starts, and closes them after the run.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { ChardevBackend, SocketAddress } from './chardev.js';
import { osErrorReason } from './file-check.js';

export interface HostChardev {
  /** How the endpoint is shown in messages: "file:/tmp/x", "unix:/tmp/s", "tcp:0.0.0.0:4444". */
  readonly label: string;
  /** Bytes from the guest device. */
  output(data: Uint8Array): void;
  /** Bytes for the guest device (undefined: nothing ever arrives). */
  readonly input?: NodeJS.ReadableStream;
  /** Resolves once the endpoint is usable (a socket listens); rejects with the reason it cannot be. */
  readonly ready: Promise<void>;
  /** A socket with wait=on: the guest starts only once a client connected. */
  readonly waits: boolean;
  /** Resolves when the guest may start: at once, or (waits) once a client connected. */
  waitForStart(): Promise<void>;
  close(): Promise<void>;
}

export class ChardevOpenError extends Error {}

export interface StdioStreams {
  stdout: { write(chunk: Uint8Array): unknown };
  stdin: NodeJS.ReadableStream;
}

export function openHostChardev(backend: ChardevBackend, stdio: StdioStreams): HostChardev {
  switch (backend.kind) {
    case 'stdio':
      return simple('stdio', (d) => void stdio.stdout.write(d), stdio.stdin);
    case 'null':
      return simple('null', () => {});
    case 'file':
      return openFile(backend.path, backend.append);
    case 'socket':
      return new SocketChardev(backend.address, backend.wait);
  }
}

function simple(label: string, output: (d: Uint8Array) => void, input?: NodeJS.ReadableStream, close = () => {}): HostChardev {
  return { label, output, input, waits: false, ready: Promise.resolve(), waitForStart: () => Promise.resolve(), close: async () => close() };
}

function openFile(path: string, append: boolean): HostChardev {
  let fd: number;
  try {
    fd = openSync(path, append ? 'a' : 'w');
  } catch (err) {
    throw new ChardevOpenError(`could not open '${path}': ${osErrorReason(err)}`);
  }
  let open = true;
  // Synchronous writes: the serial port flushes once per slice, and the file holds everything by exit.
  return simple(`file:${path}`, (d) => void (open && writeSync(fd, d)), undefined, () => {
    if (open) closeSync(fd);
    open = false;
  });
}

function addressLabel(a: SocketAddress): string {
  return 'unix' in a ? `unix:${a.unix}` : `tcp:${a.host}:${a.port}`;
}

/**
 * A listening socket with at most one client, as QEMU's server-mode socket chardev: guest
 * output goes to the client (and is dropped while there is none), the client's bytes go to the
 * guest. Further clients are turned away while one is connected.
 */
class SocketChardev implements HostChardev {
  readonly label: string;
  readonly input = new PassThrough();
  readonly ready: Promise<void>;
  private readonly server: Server;
  private client: Socket | undefined;
  private clientArrived!: () => void;
  private readonly firstClient = new Promise<void>((resolve) => (this.clientArrived = resolve));

  constructor(private readonly address: SocketAddress, readonly waits: boolean) {
    this.label = addressLabel(address);
    this.server = createServer((socket) => this.accept(socket));
    this.ready = new Promise<void>((resolve, reject) => {
      this.server.once('error', (err) => reject(new ChardevOpenError(`cannot listen on ${this.label}: ${osErrorReason(err)}`)));
      if ('unix' in address) this.server.listen(address.unix, resolve);
      else this.server.listen(address.port, address.host, resolve);
    });
    // A caller that never awaits `ready` must not see an unhandled rejection; the CLI awaits it.
    this.ready.catch(() => {});
  }

  private accept(socket: Socket): void {
    if (this.client !== undefined) {
      socket.destroy();
      return;
    }
    this.client = socket;
    socket.on('data', (d: Buffer) => this.input.write(d));
    const gone = () => {
      if (this.client === socket) this.client = undefined;
    };
    socket.on('close', gone);
    socket.on('error', gone);
    this.clientArrived();
  }

  output(data: Uint8Array): void {
    this.client?.write(data);
  }

  waitForStart(): Promise<void> {
    return this.waits ? this.firstClient : Promise.resolve();
  }

  async close(): Promise<void> {
    this.client?.end();
    this.client?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if ('unix' in this.address) rmSync(this.address.unix, { force: true });
    this.input.end();
  }
}
