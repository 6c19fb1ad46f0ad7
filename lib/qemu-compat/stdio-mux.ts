/**
 * `-serial mon:stdio`: the serial port and the human monitor share stdio, as
 * QEMU's multiplexer does. Input goes to whichever has the focus (the serial
 * port first); output of both goes to stdout. Ctrl-A is the escape key:
 * Ctrl-A c switches the focus, Ctrl-A x quits, Ctrl-A h lists the keys and
 * Ctrl-A Ctrl-A sends one Ctrl-A to the focused side.
 */
import { PassThrough, Writable } from 'node:stream';

const CTRL_A = 0x01;

const HELP = [
  'C-a h    print this help',
  'C-a x    exit tsvisor',
  'C-a c    switch between the serial console and the monitor',
  'C-a C-a  send C-a',
  '',
].join('\r\n');

export class StdioMux {
  /** What the serial port receives. */
  readonly serialInput = new PassThrough();
  /** What the monitor reads (a line at a time). */
  readonly monitorInput = new PassThrough();
  /**
   * Where the monitor writes: stdout while the monitor has the focus; dropped while the serial
   * console has it, so a guest's console output is not mixed with the monitor's banner and prompts.
   */
  readonly monitorOutput = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      if (this.focus === 'monitor') this.stdout.write(chunk);
      done();
    },
  });
  private focus: 'serial' | 'monitor' = 'serial';
  private escaped = false;
  private readonly onData = (chunk: Buffer | string) => this.receive(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);

  /** Ctrl-A x: set by whoever owns the machine (the CLI quits it like the monitor's quit). */
  onQuit: () => void = () => {};

  constructor(
    private readonly stdin: NodeJS.ReadableStream,
    private readonly stdout: { write(chunk: Uint8Array | string): unknown },
  ) {
    stdin.on('data', this.onData);
  }

  get focused(): 'serial' | 'monitor' {
    return this.focus;
  }

  private receive(data: Buffer): void {
    let start = 0;
    const pass = (end: number) => {
      if (end > start) (this.focus === 'serial' ? this.serialInput : this.monitorInput).write(data.subarray(start, end));
    };
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      if (!this.escaped) {
        if (byte === CTRL_A) {
          pass(i);
          this.escaped = true;
          start = i + 1;
        }
        continue;
      }
      this.escaped = false;
      start = i + 1;
      this.command(byte);
    }
    if (!this.escaped) pass(data.length);
  }

  private command(key: number): void {
    switch (String.fromCharCode(key)) {
      case '\x01':
        (this.focus === 'serial' ? this.serialInput : this.monitorInput).write(Buffer.of(CTRL_A));
        return;
      case 'c':
        this.focus = this.focus === 'serial' ? 'monitor' : 'serial';
        // The monitor prompts again so the user sees where the keys now go.
        if (this.focus === 'monitor') this.monitorInput.write('\n');
        return;
      case 'x':
        this.stdout.write('tsvisor: terminated (C-a x)\r\n');
        this.onQuit();
        return;
      case 'h':
      case '?':
        this.stdout.write(HELP);
        return;
      default:
        return; // QEMU ignores other keys after the escape too
    }
  }

  close(): void {
    this.stdin.removeListener('data', this.onData);
    this.serialInput.end();
    this.monitorInput.end();
  }
}
