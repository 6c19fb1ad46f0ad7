/**
 * Bounds-checked access to guest RAM for devices and loaders (DMA, firmware
 * tables). Every access is checked against RAM's size at this edge, and a
 * write drops decoded instructions of the range so the CPU sees new code.
 */

/** An access that falls outside guest RAM. */
export class GuestMemoryError extends RangeError {
  override readonly name = 'GuestMemoryError';
}

export class GuestMemory {
  private readonly view: DataView;

  constructor(
    /** RAM from guest-physical 0. */
    readonly bytes: Uint8Array,
    private readonly invalidateCode: (gpa: number, length: number) => void,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Throws GuestMemoryError unless [gpa, gpa+length) lies inside RAM. */
  check(gpa: number, length: number): void {
    if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(length) || gpa < 0 || length < 0 || gpa + length > this.bytes.length) {
      throw new GuestMemoryError(
        `guest-physical range 0x${gpa.toString(16)}+0x${length.toString(16)} is outside guest RAM (0x${this.bytes.length.toString(16)} bytes)`,
      );
    }
  }

  /** A copy of guest bytes. */
  read(gpa: number, length: number): Uint8Array {
    this.check(gpa, length);
    return this.bytes.slice(gpa, gpa + length);
  }

  /** Zero-copy view of guest bytes (the guest may change them under you). */
  subarray(gpa: number, length: number): Uint8Array {
    this.check(gpa, length);
    return this.bytes.subarray(gpa, gpa + length);
  }

  write(gpa: number, data: Uint8Array): void {
    this.check(gpa, data.length);
    this.bytes.set(data, gpa);
    this.invalidateCode(gpa, data.length);
  }

  fill(gpa: number, length: number, value: number): void {
    this.check(gpa, length);
    this.bytes.fill(value, gpa, gpa + length);
    this.invalidateCode(gpa, length);
  }

  readU8(gpa: number): number {
    this.check(gpa, 1);
    return this.bytes[gpa]!;
  }
  readU16(gpa: number): number {
    this.check(gpa, 2);
    return this.view.getUint16(gpa, true);
  }
  readU32(gpa: number): number {
    this.check(gpa, 4);
    return this.view.getUint32(gpa, true);
  }
  readU64(gpa: number): bigint {
    this.check(gpa, 8);
    return this.view.getBigUint64(gpa, true);
  }
  writeU8(gpa: number, value: number): void {
    this.check(gpa, 1);
    this.bytes[gpa] = value;
    this.invalidateCode(gpa, 1);
  }
  writeU16(gpa: number, value: number): void {
    this.check(gpa, 2);
    this.view.setUint16(gpa, value, true);
    this.invalidateCode(gpa, 2);
  }
  writeU32(gpa: number, value: number): void {
    this.check(gpa, 4);
    this.view.setUint32(gpa, value >>> 0, true);
    this.invalidateCode(gpa, 4);
  }
  writeU64(gpa: number, value: bigint): void {
    this.check(gpa, 8);
    this.view.setBigUint64(gpa, BigInt.asUintN(64, value), true);
    this.invalidateCode(gpa, 8);
  }
}
