/** Deterministic PRNG (mulberry32) with helpers for edge-biased operand values. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 <= n < bound */
  below(bound: number): number { return Math.floor((this.u32() / 0x100000000) * bound); }
  chance(p: number): boolean { return this.u32() / 0x100000000 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.below(xs.length)]; }
  u64(): bigint { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }

  /**
   * A 64-bit register value whose low `bits` bits are biased towards edge
   * cases (0, 1, -1, sign bit, max, min, carries out of each byte) and whose
   * upper bits are random, so that partial-register writes are checked too.
   */
  edge(bits: 8 | 16 | 32 | 64): bigint {
    const mask = (1n << BigInt(bits)) - 1n;
    const sign = 1n << BigInt(bits - 1);
    const r = this.below(16);
    let low: bigint;
    switch (r) {
      case 0: low = 0n; break;
      case 1: low = 1n; break;
      case 2: low = mask; break; // -1
      case 3: low = sign; break; // min
      case 4: low = sign - 1n; break; // max
      case 5: low = sign + 1n; break;
      case 6: low = mask - 1n; break;
      case 7: low = BigInt(this.below(256)); break;
      case 8: low = mask ^ BigInt(this.below(256)); break;
      case 9: low = (1n << BigInt(this.below(bits))) & mask; break;
      default: low = this.u64() & mask;
    }
    if (bits === 64) return low;
    return (this.u64() & ~mask & 0xffffffffffffffffn) | low;
  }
}
