/** The POST-code port 0x80: writes are remembered (firmware progress codes, I/O delays), reads return the last one. */
import type { PioDevice, Resettable } from '../machine/bus-device.js';

export class Port80 implements PioDevice, Resettable {
  readonly name = 'post-port80';
  /** Last byte written. */
  lastValue = 0;
  /** Writes seen (benchmarks count OUT loops with it). */
  writes = 0;

  pioRead(_offset: number, _size: number): number {
    return this.lastValue;
  }

  pioWrite(_offset: number, _size: number, value: number): void {
    this.lastValue = value & 0xff;
    this.writes++;
  }

  reset(): void {
    this.lastValue = 0;
  }
}
