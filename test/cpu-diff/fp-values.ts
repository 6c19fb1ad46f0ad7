/**
 * Edge-biased floating-point and vector values for the x87/MMX/SSE state of a
 * case: IEEE specials (signed zeros, infinities, quiet and signalling NaNs
 * with payloads, the default NaN, denormals, the largest and smallest
 * normals), values at rounding ties and at the integer-conversion limits, and
 * random values. Everything is returned as raw bits.
 */
import { Rng } from './rng.js';

const F32 = {
  qnan: 0x7fc00000n, inf: 0x7f800000n, maxNormal: 0x7f7fffffn, minNormal: 0x00800000n, one: 0x3f800000n,
} as const;

/** A float's bits (sign random unless the value is a NaN from the list). */
export function f32Edge(rng: Rng): bigint {
  const sign = rng.chance(0.5) ? 0x80000000n : 0n;
  const mant = (): bigint => BigInt(rng.u32() & 0x7fffff);
  let v: bigint;
  switch (rng.below(24)) {
    case 0: v = 0n; break;
    case 1: v = F32.inf; break;
    case 2: v = F32.qnan | (rng.chance(0.5) ? 0n : mant() & 0x3fffffn); break; // QNaN, maybe with payload
    case 3: v = F32.inf | ((mant() & 0x3fffffn) || 1n); break; // SNaN (payload != 0)
    case 4: return 0xffc00000n; // the default NaN (QNaN indefinite)
    case 5: v = mant() || 1n; break; // denormal
    case 6: v = rng.pick([1n, 0x7fffffn, 0x400000n]); break; // smallest, largest denormal, half
    case 7: v = F32.minNormal | (rng.chance(0.5) ? 0n : BigInt(rng.below(4))); break;
    case 8: v = F32.maxNormal - BigInt(rng.below(2)); break;
    case 9: v = F32.one; break;
    case 10: v = rng.pick([0x3f000000n, 0x3fc00000n, 0x40200000n, 0x3f400000n]); break; // 0.5, 1.5, 2.5, 0.75: ties when rounded to an integer
    // integer-conversion limits: 2^31, just below, 2^63, just below, 2^32, 2^64, 2^15, 2^16
    case 11: v = rng.pick([0x4f000000n, 0x4effffffn, 0x5f000000n, 0x5effffffn, 0x4f800000n, 0x5f800000n, 0x47000000n, 0x47800000n]); break;
    case 12: v = BigInt(0x3f800000 + rng.below(64) * 0x800000) & 0x7f800000n | mant(); break; // 1..2^64 range, any fraction
    case 13: v = (BigInt(rng.below(254) + 1) << 23n) | mant(); break; // any normal
    case 14: v = BigInt(0x4b000000 + rng.below(0x1000000)) & 0x7fffffffn; break; // around 2^23..2^24: last fractional bits
    case 15: v = (BigInt(rng.below(8) + 1) << 23n) | mant(); break; // tiny normals (underflow after arithmetic)
    case 16: v = (BigInt(0xf7 + rng.below(7)) << 23n) | mant(); break; // huge normals (overflow)
    default: return BigInt(rng.u32());
  }
  return sign | v;
}

const F64 = {
  qnan: 0x7ff8000000000000n, inf: 0x7ff0000000000000n, maxNormal: 0x7fefffffffffffffn, minNormal: 0x0010000000000000n,
  one: 0x3ff0000000000000n, mantMask: 0xfffffffffffffn,
} as const;

/** A double's bits. */
export function f64Edge(rng: Rng): bigint {
  const sign = rng.chance(0.5) ? 0x8000000000000000n : 0n;
  const mant = (): bigint => rng.u64() & F64.mantMask;
  const exp = (e: number): bigint => BigInt(e) << 52n;
  let v: bigint;
  switch (rng.below(26)) {
    case 0: v = 0n; break;
    case 1: v = F64.inf; break;
    case 2: v = F64.qnan | (rng.chance(0.5) ? 0n : mant() & 0x7ffffffffffffn); break;
    case 3: v = F64.inf | ((mant() & 0x7ffffffffffffn) || 1n); break; // SNaN
    case 4: return 0xfff8000000000000n; // default NaN
    case 5: v = mant() || 1n; break; // denormal
    case 6: v = rng.pick([1n, F64.mantMask, 0x8000000000000n]); break;
    case 7: v = F64.minNormal | BigInt(rng.below(4)); break;
    case 8: v = F64.maxNormal - BigInt(rng.below(2)); break;
    case 9: v = F64.one; break;
    case 10: v = rng.pick([0x3fe0000000000000n, 0x3ff8000000000000n, 0x4004000000000000n, 0x3fe8000000000000n]); break; // 0.5 1.5 2.5 0.75
    // integer-conversion limits: 2^31, 2^31-1, 2^31-0.5, 2^31+0.5, 2^32, 2^63, below 2^63, 2^64, 2^15, 2^16
    case 11: v = rng.pick([0x41e0000000000000n, 0x41dfffffffc00000n, 0x41dfffffffe00000n, 0x41e0000000100000n, 0x41f0000000000000n,
      0x43e0000000000000n, 0x43dfffffffffffffn, 0x43f0000000000000n, 0x40e0000000000000n, 0x40f0000000000000n]); break;
    case 12: v = exp(0x3ff + rng.below(64)) | mant(); break; // 1..2^64, any fraction
    case 13: v = exp(rng.below(2046) + 1) | mant(); break; // any normal
    case 14: v = exp(0x3ff + rng.below(40)) | (mant() & ~0x1fffffffn) | 0x10000000n; break; // a tie when narrowed to float
    case 15: v = exp(0x380 + rng.below(0x100)) | mant(); break; // in float range
    case 16: v = exp(0x36a + rng.below(0x18)) | mant(); break; // float denormal range (narrowing underflows)
    case 17: v = exp(0x47e + rng.below(4)) | mant(); break; // around float max (narrowing overflows)
    case 18: v = exp(1 + rng.below(8)) | mant(); break; // tiny normals
    case 19: v = exp(0x7f6 + rng.below(8)) | mant(); break; // huge normals
    default: return rng.u64();
  }
  return sign | v;
}

/** An 80-bit extended value as { mant, se } (significand with explicit integer bit, sign+exponent). */
export interface F80 { mant: bigint; se: number }

/**
 * Mostly well-formed extended values and specials; unsupported encodings
 * (unnormals, pseudo-infinities/NaNs) and pseudo-denormals, which the x87
 * defines as invalid operands / denormal operands, appear rarely.
 */
export function f80Edge(rng: Rng): F80 {
  const sign = rng.chance(0.5) ? 0x8000 : 0;
  const frac = (): bigint => rng.u64() & 0x7fffffffffffffffn;
  const J = 0x8000000000000000n;
  const normal = (e: number): F80 => ({ mant: J | frac(), se: sign | e });
  switch (rng.below(30)) {
    case 0: return { mant: 0n, se: sign };
    case 1: return { mant: J, se: sign | 0x7fff }; // infinity
    case 2: return { mant: 0xc000000000000000n | (rng.chance(0.5) ? 0n : frac() & 0x3fffffffffffffffn), se: sign | 0x7fff }; // QNaN
    case 3: return { mant: J | ((frac() & 0x3fffffffffffffffn) || 1n), se: sign | 0x7fff }; // SNaN
    case 4: return { mant: 0xc000000000000000n, se: 0xffff }; // real indefinite
    case 5: return { mant: frac() || 1n, se: sign }; // denormal
    case 6: return { mant: J | frac(), se: sign }; // pseudo-denormal
    case 7: return { mant: frac(), se: sign | (1 + rng.below(0x7ffe)) }; // unnormal (unsupported)
    case 8: return { mant: frac(), se: sign | 0x7fff }; // pseudo-infinity / pseudo-NaN (unsupported)
    case 9: return { mant: J, se: sign | 0x3fff }; // ±1
    case 10: return { mant: J | BigInt(rng.below(4)) << 61n, se: sign | (0x3ffe + rng.below(3)) }; // 0.5 .. 3.5: rounding ties
    case 11: return { mant: J | (rng.chance(0.5) ? 0n : frac()), se: sign | 1 }; // smallest normals
    case 12: return { mant: 0xffffffffffffffffn, se: sign | 0x7ffe }; // largest
    // integer-conversion limits: 2^15, 2^31, 2^63 (and just below / above)
    case 13: { const e = rng.pick([15, 16, 31, 32, 63, 64]); return { mant: rng.pick([J, 0xffffffffffffffffn, J | 1n, J | 0x4000000000000000n]), se: sign | (0x3fff + e - rng.below(2)) }; }
    case 14: return normal(0x3fff + rng.below(64)); // 1..2^64 (conversions to integers, FRNDINT)
    case 15: return normal(0x3fff - 64 + rng.below(128)); // around 1
    case 16: return normal(1 + rng.below(0x7ffe)); // any normal
    case 17: return { mant: J | (frac() & ~0xffffffffffn) | (rng.chance(0.5) ? 0x8000000000n : 0n), se: sign | (0x3f81 + rng.below(0xfe)) }; // float-precision ties
    case 18: return { mant: J | (frac() & ~0x7ffn) | (rng.chance(0.5) ? 0x400n : 0n), se: sign | (0x3c01 + rng.below(0x7fe)) }; // double-precision ties
    case 19: return { mant: J | frac(), se: sign | (0x3c01 - 70 + rng.below(140)) }; // double denormal range
    case 20: return { mant: J | frac(), se: sign | (0x43fe - 4 + rng.below(8)) }; // around double max
    case 21: { const v = f64ToF80(f64Edge(rng)); return v; }
    case 22: { const v = f64ToF80(f32ToF64(f32Edge(rng))); return v; }
    default: return { mant: rng.u64(), se: rng.below(0x10000) }; // any bits (MMX values)
  }
}

/** Exact widening float -> double of a bit pattern (NaN payloads kept, quiet bit as is). */
export function f32ToF64(b: bigint): bigint {
  const sign = (b >> 31n) & 1n, e = Number((b >> 23n) & 0xffn);
  let m = b & 0x7fffffn;
  if (e === 0xff) return (sign << 63n) | (0x7ffn << 52n) | (m << 29n);
  if (e === 0) {
    if (m === 0n) return sign << 63n;
    let ee = 1 - 127 + 1023;
    while (!(m & 0x800000n)) { m <<= 1n; ee--; }
    return (sign << 63n) | (BigInt(ee) << 52n) | ((m & 0x7fffffn) << 29n);
  }
  return (sign << 63n) | (BigInt(e - 127 + 1023) << 52n) | (m << 29n);
}

/** Exact widening double -> extended of a bit pattern (denormals normalized). */
export function f64ToF80(b: bigint): F80 {
  const sign = Number((b >> 63n) & 1n) << 15, e = Number((b >> 52n) & 0x7ffn);
  let m = b & 0xfffffffffffffn;
  if (e === 0x7ff) return { mant: 0x8000000000000000n | (m << 11n), se: sign | 0x7fff };
  if (e === 0) {
    if (m === 0n) return { mant: 0n, se: sign };
    let ee = 1 - 1023 + 16383;
    while (!(m & 0x10000000000000n)) { m <<= 1n; ee--; }
    return { mant: m << 11n, se: sign | ee };
  }
  return { mant: 0x8000000000000000n | (m << 11n), se: sign | (e - 1023 + 16383) };
}

/** `bits` (8/16/32) bits biased like Rng.edge, as a number. */
function edgeLane(rng: Rng, bits: 8 | 16 | 32): number {
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const sign = 2 ** (bits - 1);
  switch (rng.below(16)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return mask;
    case 3: return sign;
    case 4: return sign - 1;
    case 5: return sign + 1;
    case 6: return mask - 1;
    case 7: return rng.below(256);
    case 8: return (mask ^ rng.below(256)) >>> 0;
    case 9: return 2 ** rng.below(bits);
    default: return bits === 32 ? rng.u32() : rng.u32() & mask;
  }
}

/** Writes 16 bytes of an XMM register at `at`: float lanes, double lanes, integer lanes of one width, or random bits. */
export function writeXmmEdge(rng: Rng, out: Buffer, at: number): void {
  switch (rng.below(8)) {
    case 0: case 1:
      for (let k = 0; k < 4; k++) out.writeUInt32LE(Number(f32Edge(rng)), at + 4 * k);
      return;
    case 2: case 3:
      for (let k = 0; k < 2; k++) out.writeBigUInt64LE(f64Edge(rng), at + 8 * k);
      return;
    case 4: case 5: { // integer lanes of one width, edge-biased (a 64-bit lane from two 32-bit halves)
      const bits = rng.pick([8, 16, 32, 64] as const);
      if (bits === 8) for (let k = 0; k < 16; k++) out[at + k] = edgeLane(rng, 8);
      else if (bits === 16) for (let k = 0; k < 16; k += 2) out.writeUInt16LE(edgeLane(rng, 16), at + k);
      else if (bits === 32) for (let k = 0; k < 16; k += 4) out.writeUInt32LE(edgeLane(rng, 32), at + k);
      else for (let k = 0; k < 16; k += 8) out.writeBigUInt64LE(BigInt.asUintN(64, rng.edge(64)), at + k);
      return;
    }
    case 6:
      if (rng.chance(0.5)) out.fill(rng.chance(0.5) ? 0 : 0xff, at, at + 16);
      else for (let k = 0; k < 16; k++) out[at + k] = rng.below(256);
      return;
    default:
      for (let k = 0; k < 16; k += 4) out.writeUInt32LE(rng.u32(), at + k);
  }
}

/** 16 bytes of an XMM register (writeXmmEdge into a new buffer). */
export function xmmEdge(rng: Rng): Buffer {
  const out = Buffer.alloc(16);
  writeXmmEdge(rng, out, 0);
  return out;
}

/** A 64-bit MMX value: integer lanes of one width, edge-biased, or random. */
export function mmEdge(rng: Rng): bigint {
  if (rng.chance(0.2)) return rng.u64();
  const bits = rng.pick([8, 16, 32, 64] as const);
  let v = 0n;
  for (let k = 0; k < 64; k += bits) v |= (rng.edge(bits) & ((1n << BigInt(bits)) - 1n)) << BigInt(k);
  return v;
}
