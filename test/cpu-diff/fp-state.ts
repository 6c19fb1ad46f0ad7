/**
 * The random x87/MMX/SSE input state every case gets (forms may override it
 * in their setup): edge-biased XMM registers, an MXCSR with a random rounding
 * mode, DAZ/FTZ and sticky flags and all exceptions masked (sometimes some
 * unmasked, to compare #XM), an FCW with all masks set (sometimes some
 * clear, to compare #MF) and random precision and rounding control, and an
 * x87 stack with a random TOP and a random number of valid registers.
 */
import { CaseRef } from './case-ref.js';
import { f80Edge, mmEdge, writeXmmEdge } from './fp-values.js';
import { FX, IN } from './layout.js';
import { Rng } from './rng.js';

export const MXCSR_FLAGS = 0x3f;
export const MXCSR_MASKS = 0x1f80;
export const MXCSR_DAZ = 0x40;
export const MXCSR_FTZ = 0x8000;
export const MXCSR_RC_SHIFT = 13;
/** Bits of MXCSR both sides implement (the host's MXCSR_MASK may add AMD's MM bit 17, never set here). */
export const MXCSR_BITS = 0xffff;

export const FCW_MASKS = 0x3f;
/** FCW bit 6 reads as 1 and bits 13..15 as 0 on the host whatever is loaded; bit 12 (IC) is kept 0. */
export const FCW_FIXED = 0x40;
export const FSW_EXC = 0x7f; // IE DE ZE OE UE PE SF
export const FSW_ES = 0x80, FSW_B = 0x8000;
export const FSW_C0 = 0x100, FSW_C1 = 0x200, FSW_C2 = 0x400, FSW_C3 = 0x4000;
export const FSW_CC = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3;

/** An MXCSR value: random RC/DAZ/FTZ, mostly clear flags, masked unless `unmask`. */
export function randomMxcsr(rng: Rng, unmask = rng.chance(0.08)): number {
  let v = MXCSR_MASKS | (rng.below(4) << MXCSR_RC_SHIFT);
  if (rng.chance(0.25)) v |= MXCSR_DAZ;
  if (rng.chance(0.25)) v |= MXCSR_FTZ;
  if (rng.chance(0.3)) v |= rng.u32() & MXCSR_FLAGS;
  if (unmask) v &= ~((rng.chance(0.5) ? rng.u32() : 1 << (7 + rng.below(6))) & MXCSR_MASKS);
  return v;
}

/**
 * A reserved MXCSR bit (LDMXCSR/FXRSTOR raise #GP(0)): bits 16..31 except 17,
 * which AMD CPUs with misaligned-SSE support accept (MXCSR_MASK 0x2ffff).
 */
export function reservedMxcsrBit(rng: Rng): number {
  const b = 16 + rng.below(15);
  return (b >= 17 ? 1 << (b + 1) : 1 << b) >>> 0;
}

/** An FCW value: masks set unless `unmask`, precision 24/53/64 bits, any rounding. */
export function randomFcw(rng: Rng, unmask = rng.chance(0.08)): number {
  let v = FCW_FIXED | FCW_MASKS | (rng.pick([0, 2, 3]) << 8) | (rng.below(4) << 10);
  if (unmask) v &= ~((rng.chance(0.5) ? rng.u32() : 1 << rng.below(6)) & FCW_MASKS);
  return v;
}

/**
 * An FSW for `fcw`: random TOP and condition codes, mostly clear sticky
 * flags. ES and B are derived (set when an unmasked flag is set), as the
 * hardware does on FXRSTOR. Flags that `fcw` unmasks are usually cleared, so
 * that the instruction itself raises them; sometimes one stays pending.
 */
export function randomFsw(rng: Rng, fcw: number): number {
  let v = (rng.below(8) << 11) | (rng.u32() & FSW_CC);
  if (rng.chance(0.3)) v |= rng.u32() & FSW_EXC;
  if (!rng.chance(0.2)) v &= ~(~fcw & FCW_MASKS);
  return withSummary(v, fcw);
}

/** Sets ES and B from the flags `fcw` leaves unmasked (SF counts with IE). */
export function withSummary(fsw: number, fcw: number): number {
  const pending = fsw & ~fcw & FCW_MASKS;
  return pending ? fsw | FSW_ES | FSW_B : fsw & ~(FSW_ES | FSW_B);
}

/** Control and status words and tags for any case: random but valid for FXRSTOR. */
function randomControl(c: CaseRef, rng: Rng): void {
  c.mxcsr = randomMxcsr(rng);
  const fcw = randomFcw(rng);
  c.fcw = fcw;
  c.fsw = randomFsw(rng, fcw);
  const valid = rng.chance(0.15) ? rng.pick([0, 8]) : rng.below(9);
  let tags = 0;
  for (let k = 0; k < valid; k++) tags |= 1 << ((c.top + k) & 7);
  c.ftw = tags;
}

/**
 * The x87/MMX/SSE part of a case of a family form (Form.fp): edge-biased XMM
 * lanes and extended values; all eight registers get contents (empty ones
 * keep theirs, and MMX reads them).
 */
export function randomFpState(c: CaseRef, rng: Rng): void {
  for (let i = 0; i < 16; i++) writeXmmEdge(rng, c.buf, c.off + IN.fx + FX.xmm + 16 * i);
  randomControl(c, rng);
  for (let k = 0; k < 8; k++) c.setSt(k, rng.chance(0.25) ? { mant: mmEdge(rng), se: rng.chance(0.5) ? 0xffff : rng.below(0x10000) } : f80Edge(rng));
}

/**
 * The state of a case of a general-register form: random bits in the
 * registers (such an instruction must leave them alone whatever they hold)
 * and random valid control words; much cheaper to draw.
 */
export function plainFpState(c: CaseRef, rng: Rng): void {
  const pool = randomPool();
  const n = FX.xmm + 256 - FX.st;
  const from = rng.below(pool.length - n);
  pool.copy(c.buf, c.off + IN.fx + FX.st, from, from + n);
  randomControl(c, rng);
}

let pool: Buffer | undefined;
/** 64 KiB of fixed pseudo-random bytes: register contents for general-register forms are slices of it. */
function randomPool(): Buffer {
  if (pool) return pool;
  const g = new Rng(0x9001);
  pool = Buffer.alloc(0x10000);
  for (let k = 0; k < pool.length; k += 4) pool.writeUInt32LE(g.u32(), k);
  return pool;
}
