/**
 * The port-I/O bus: 64 Ki ports, a flat lookup table from port to range so
 * dispatch is one array read, overlap-checked registration, offset-relative
 * handlers. Unclaimed reads float to all-ones and writes are dropped, as on a PC.
 */
import { allOnes, type PioDevice } from './bus-device.js';
import { BusConflictError } from './errors.js';

interface PioRange {
  base: number;
  length: number;
  device: PioDevice;
}

export const PIO_PORT_COUNT = 0x10000;

export class PioBus {
  private readonly ranges: PioRange[] = [];
  /** port -> index into ranges, -1 when unclaimed */
  private readonly table = new Int32Array(PIO_PORT_COUNT).fill(-1);

  register(base: number, length: number, device: PioDevice): void {
    if (!Number.isInteger(base) || !Number.isInteger(length) || base < 0 || length <= 0 || base + length > PIO_PORT_COUNT) {
      throw new BusConflictError(`${device.name}: port range 0x${base.toString(16)}+${length} is not inside 0..0xffff`);
    }
    for (const r of this.ranges) {
      if (base < r.base + r.length && r.base < base + length) {
        throw new BusConflictError(
          `${device.name}: ports 0x${base.toString(16)}-0x${(base + length - 1).toString(16)} overlap ${r.device.name} at 0x${r.base.toString(16)}-0x${(r.base + r.length - 1).toString(16)}`,
        );
      }
    }
    const index = this.ranges.length;
    this.ranges.push({ base, length, device });
    this.table.fill(index, base, base + length);
  }

  /** Removes the range `device` registered at `base` (a PCI BAR moving); false if there is none. */
  unregister(base: number, device: PioDevice): boolean {
    const i = this.ranges.findIndex((r) => r.base === base && r.device === device);
    if (i < 0) return false;
    this.ranges.splice(i, 1);
    this.table.fill(-1);
    this.ranges.forEach((r, index) => this.table.fill(index, r.base, r.base + r.length));
    return true;
  }

  /** The device claiming `port`, if any. */
  deviceAt(port: number): PioDevice | undefined {
    const i = this.table[port & 0xffff]!;
    return i < 0 ? undefined : this.ranges[i]!.device;
  }

  /** Registered ranges, sorted by base (for diagnostics). */
  list(): Array<{ base: number; length: number; name: string }> {
    return this.ranges.map((r) => ({ base: r.base, length: r.length, name: r.device.name })).sort((a, b) => a.base - b.base);
  }

  /** -d guest_errors: told about every access no device claims (null: nobody listens). */
  onUnassigned: ((port: number, size: number, write: boolean, value: number) => void) | null = null;

  read(port: number, size: number): number {
    const i = this.table[port]!;
    if (i < 0) {
      this.onUnassigned?.(port, size, false, 0);
      return allOnes(size);
    }
    const r = this.ranges[i]!;
    return r.device.pioRead(port - r.base, size);
  }

  write(port: number, size: number, value: number): void {
    const i = this.table[port]!;
    if (i < 0) {
      this.onUnassigned?.(port, size, true, value);
      return;
    }
    const r = this.ranges[i]!;
    r.device.pioWrite(port - r.base, size, value);
  }
}
