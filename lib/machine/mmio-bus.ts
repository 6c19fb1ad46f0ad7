/**
 * The MMIO bus: guest-physical ranges not backed by RAM. Ranges are kept
 * sorted and found by binary search; handlers see offsets into their range.
 * Unclaimed reads return all-ones and writes are dropped.
 */
import type { MmioDevice } from './bus-device.js';
import { BusConflictError } from './errors.js';

interface MmioRange {
  base: number;
  length: number;
  device: MmioDevice;
}

/** Guest-physical addresses are below 2^52; numbers hold them exactly. */
export const MAX_PHYS_ADDRESS = 2 ** 52;

export class MmioBus {
  private ranges: MmioRange[] = [];

  register(base: number, length: number, device: MmioDevice): void {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(length) || base < 0 || length <= 0 || base + length > MAX_PHYS_ADDRESS) {
      throw new BusConflictError(`${device.name}: MMIO range 0x${base.toString(16)}+0x${length.toString(16)} is not a valid physical range`);
    }
    for (const r of this.ranges) {
      if (base < r.base + r.length && r.base < base + length) {
        throw new BusConflictError(
          `${device.name}: MMIO 0x${base.toString(16)}+0x${length.toString(16)} overlaps ${r.device.name} at 0x${r.base.toString(16)}+0x${r.length.toString(16)}`,
        );
      }
    }
    this.ranges = [...this.ranges, { base, length, device }].sort((a, b) => a.base - b.base);
  }

  /** Removes the range `device` registered at `base` (a PCI BAR moving); false if there is none. */
  unregister(base: number, device: MmioDevice): boolean {
    const before = this.ranges.length;
    this.ranges = this.ranges.filter((r) => !(r.base === base && r.device === device));
    return this.ranges.length !== before;
  }

  list(): Array<{ base: number; length: number; name: string }> {
    return this.ranges.map((r) => ({ base: r.base, length: r.length, name: r.device.name }));
  }

  private find(gpa: number): MmioRange | undefined {
    const ranges = this.ranges;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = ranges[mid]!;
      if (gpa < r.base) hi = mid - 1;
      else if (gpa >= r.base + r.length) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  deviceAt(gpa: number): MmioDevice | undefined {
    return this.find(gpa)?.device;
  }

  /** -d guest_errors: told about every access no device claims (null: nobody listens). */
  onUnassigned: ((gpa: number, length: number, write: boolean, data: Uint8Array) => void) | null = null;

  read(gpa: number, data: Uint8Array, length: number): void {
    const r = this.find(gpa);
    if (r === undefined) {
      data.fill(0xff, 0, length);
      this.onUnassigned?.(gpa, length, false, data);
      return;
    }
    r.device.mmioRead(gpa - r.base, data, length);
  }

  write(gpa: number, data: Uint8Array, length: number): void {
    const r = this.find(gpa);
    if (r !== undefined) r.device.mmioWrite(gpa - r.base, data, length);
    else this.onUnassigned?.(gpa, length, true, data);
  }
}
