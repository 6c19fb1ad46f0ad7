/**
 * A guest serial port as a Node Duplex: the readable side is what the guest
 * transmits, the writable side is what the guest receives. A guest cannot be
 * made to wait for a slow reader (a UART has no flow control here), so output
 * nobody reads is kept up to OUTPUT_BUFFER_LIMIT bytes and then dropped
 * (counted in droppedBytes); the machine's 'serial' event sees every byte.
 */
import { Duplex, PassThrough } from 'node:stream';

export const OUTPUT_BUFFER_LIMIT = 4 * 1024 * 1024;

export class SerialPort extends Duplex {
  /** Guest output dropped because nobody read the stream. */
  droppedBytes = 0;
  /** The machine reads guest input from here (MachineConfig.serial.input). */
  readonly toGuest = new PassThrough();

  constructor(readonly index: number) {
    super({ allowHalfOpen: true });
  }

  /** Called by the machine with guest output. */
  deliver(data: Uint8Array): void {
    if (this.readableLength + data.length > OUTPUT_BUFFER_LIMIT) {
      this.droppedBytes += data.length;
      return;
    }
    this.push(Buffer.from(data));
  }

  /** The machine ended: readers see the end of the stream. */
  close(): void {
    this.push(null);
  }

  override _read(): void {
    // Output is pushed as the guest produces it.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.toGuest.write(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.toGuest.end();
    callback();
  }
}
