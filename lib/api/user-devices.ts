/**
 * Adapters from the API's device handlers (plain objects with read/write) to
 * the buses' PioDevice/MmioDevice. They check what the user's code returns,
 * since a wrong value would otherwise reach the guest as garbage: a handler
 * that returns something out of range ends the machine with an error naming it.
 */
import { allOnes, type MmioDevice, type PioDevice } from '../machine/bus-device.js';
import { ApiArgumentError } from './errors.js';
import { checkFunction, checkObject, describeValue } from './validate.js';

export interface UserPioHandler {
  /** The guest reads `size` (1, 2 or 4) bytes at `offset` into the range; return 0..2^(8*size)-1. Missing = all ones. */
  read?(offset: number, size: number): number;
  /** The guest writes `value` of `size` bytes at `offset`. Missing = the write is ignored. */
  write?(offset: number, size: number, value: number): void;
}

export interface UserMmioHandler {
  /** The guest reads `size` (1, 2, 4 or 8) bytes at `offset`. Missing = all ones. */
  read?(offset: number, size: number): number | bigint;
  /** The guest writes `value` of `size` bytes at `offset`. Missing = the write is ignored. */
  write?(offset: number, size: number, value: bigint): void;
}

export function checkHandler(what: string, handler: unknown): void {
  checkObject(what, handler);
  const h = handler as { read?: unknown; write?: unknown };
  if (h.read === undefined && h.write === undefined) throw new ApiArgumentError(`${what} needs a read or a write function`);
  if (h.read !== undefined) checkFunction(`${what}.read`, h.read);
  if (h.write !== undefined) checkFunction(`${what}.write`, h.write);
}

function badReturn(name: string, offset: number, size: number, value: unknown): never {
  throw new ApiArgumentError(
    `${name}: read(0x${offset.toString(16)}, ${size}) returned ${describeValue(value)}, not an integer in 0..0x${(2n ** BigInt(size * 8) - 1n).toString(16)}`,
  );
}

export class UserPioDevice implements PioDevice {
  constructor(readonly name: string, private readonly handler: UserPioHandler) {}

  pioRead(offset: number, size: number): number {
    if (this.handler.read === undefined) return allOnes(size);
    const value = this.handler.read(offset, size);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > allOnes(size)) badReturn(this.name, offset, size, value);
    return value;
  }

  pioWrite(offset: number, size: number, value: number): void {
    this.handler.write?.(offset, size, value);
  }
}

/** Accesses wider than 8 bytes (SSE moves to MMIO) reach the handler as 8-byte pieces, low half first. */
const MAX_PIECE = 8;

export class UserMmioDevice implements MmioDevice {
  constructor(readonly name: string, private readonly handler: UserMmioHandler) {}

  mmioRead(offset: number, data: Uint8Array, length: number): void {
    for (let at = 0; at < length; at += MAX_PIECE) {
      const size = Math.min(MAX_PIECE, length - at);
      let value: bigint;
      if (this.handler.read === undefined) value = (1n << BigInt(size * 8)) - 1n;
      else {
        const got = this.handler.read(offset + at, size);
        if (typeof got === 'number' && Number.isSafeInteger(got)) value = BigInt(got);
        else if (typeof got === 'bigint') value = got;
        else badReturn(this.name, offset + at, size, got);
        if (value < 0n || value >= 1n << BigInt(size * 8)) badReturn(this.name, offset + at, size, got);
      }
      for (let i = 0; i < size; i++) data[at + i] = Number((value >> BigInt(i * 8)) & 0xffn);
    }
  }

  mmioWrite(offset: number, data: Uint8Array, length: number): void {
    if (this.handler.write === undefined) return;
    for (let at = 0; at < length; at += MAX_PIECE) {
      const size = Math.min(MAX_PIECE, length - at);
      let value = 0n;
      for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[at + i]!);
      this.handler.write(offset + at, size, value);
    }
  }
}
