/** Argument checks shared by the API layer; each throws ApiArgumentError naming the argument. */
import { ApiArgumentError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;

export function fail(message: string): never {
  throw new ApiArgumentError(message);
}

export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** An integer in [min, max] given as a number. */
export function checkInt(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(`${what} must be an integer in ${min}..0x${max.toString(16)}, got ${describeValue(value)}`);
  }
  return value;
}

/** A guest-physical address or length: a safe non-negative integer, as number or bigint. */
export function checkAddress(what: string, value: unknown): number {
  if (typeof value === 'bigint') {
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} must be a non-negative address below 2^53, got ${value}n`);
    return Number(value);
  }
  return checkInt(what, value, 0, Number.MAX_SAFE_INTEGER);
}

/** A 64-bit register value: a bigint or safe integer number in 0..2^64-1 (negative bigints down to -2^63 wrap). */
export function checkU64(what: string, value: unknown): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else fail(`${what} must be a bigint or an integer number, got ${describeValue(value)}`);
  if (v < -(1n << 63n) || v > U64_MAX) fail(`${what} does not fit in 64 bits: ${v}n`);
  return BigInt.asUintN(64, v);
}

export function checkFunction(what: string, value: unknown): void {
  if (typeof value !== 'function') fail(`${what} must be a function, got ${describeValue(value)}`);
}

export function checkObject(what: string, value: unknown): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') fail(`${what} must be an object, got ${describeValue(value)}`);
}
