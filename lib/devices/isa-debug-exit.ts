/**
 * QEMU's isa-debug-exit: a guest write of value v ends the machine with
 * process status (v << 1) | 1, so a test can report success or failure
 * through an I/O port and no status of the guest can look like a clean 0.
 */
import type { PioDevice } from '../machine/bus-device.js';

export function debugExitStatus(value: number): number {
  return (value >>> 0) * 2 + 1;
}

export class IsaDebugExit implements PioDevice {
  readonly name = 'isa-debug-exit';

  constructor(private readonly onExit: (status: number) => void) {}

  pioRead(_offset: number, _size: number): number {
    return 0;
  }

  pioWrite(_offset: number, _size: number, value: number): void {
    this.onExit(debugExitStatus(value));
  }
}
