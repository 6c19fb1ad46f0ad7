/**
 * The handler interfaces devices implement (Firecracker's BusDevice idea):
 * a device registers a range on a bus and only ever sees offsets into its
 * own range, never absolute addresses, so it can be moved by configuration.
 */

/** A port-I/O range handler. size is 1, 2 or 4; values are unsigned and fit in size bytes. */
export interface PioDevice {
  readonly name: string;
  pioRead(offset: number, size: number): number;
  pioWrite(offset: number, size: number, value: number): void;
}

/**
 * An MMIO range handler. data is a preallocated window (the exit record's
 * data area): reads fill data[0..length), writes find their bytes there,
 * little-endian. length is 1..16.
 */
export interface MmioDevice {
  readonly name: string;
  mmioRead(offset: number, data: Uint8Array, length: number): void;
  mmioWrite(offset: number, data: Uint8Array, length: number): void;
}

/** A device with state the machine puts back to power-on values on a system reset. */
export interface Resettable {
  reset(): void;
}

export function isResettable(x: unknown): x is Resettable {
  return typeof (x as Partial<Resettable>)?.reset === 'function';
}

/** All-ones of an access of `size` bytes: what an unclaimed ISA read returns on a PC. */
export function allOnes(size: number): number {
  return size >= 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
}
