/**
 * x87 forms (the x87 family): loads, stores, arithmetic, compares,
 * transcendental and control instructions, and the state save/restore
 * instructions. Every case starts with a random FCW (masks set, sometimes
 * some clear for #MF; random precision and rounding), an FSW with a random
 * TOP and condition codes, and a random number of valid stack registers
 * holding edge-biased extended values (fp-state.ts); a setup can choose the
 * stack with CaseRef.setX87Stack. Where the SDM leaves condition codes
 * undefined, `ignore` returns them in `fsw`.
 */
import type { CaseRef } from './case-ref.js';
import type { FormBuilder } from './families.js';
import { randomFcw, randomFsw, randomMxcsr, reservedMxcsrBit } from './fp-state.js';
import type { Rng } from './rng.js';

/**
 * FXSAVE bytes the comparison skips in memory (the image starts at the data
 * window): FOP/FIP/FDP (AMD stores them only with an exception pending),
 * MXCSR_MASK (CPU model) and the reserved bytes 10..15 of each ST slot (the
 * host leaves data there). The same fields are skipped in the recorded state.
 */
const FXSAVE_UNCOMPARED: Array<[number, number]> = [[6, 24], [28, 32], ...Array.from({ length: 8 }, (_, i): [number, number] => [32 + 16 * i + 10, 32 + 16 * i + 16])];

/**
 * FXRSTOR reads its header from the operand area: a consistent FCW/FSW pair
 * (ES and B derived, as the host recomputes them), random tags and pointers,
 * and an MXCSR that is valid except sometimes (#GP(0) for reserved bits).
 * ST0-3 come from the random data window, the rest of the image is zero.
 */
function fxrstorHeader(c: CaseRef, rng: Rng): void {
  const fcw = randomFcw(rng, rng.chance(0.3));
  c.setOperand(0, 16, BigInt(fcw));
  c.setOperand(2, 16, BigInt(randomFsw(rng, fcw)));
  c.setOperand(4, 8, BigInt(rng.below(256)));
  c.setOperand(5, 8, 0n);
  c.setOperand(6, 16, BigInt(rng.below(0x800)));
  c.setOperand(8, 64, rng.u64());
  c.setOperand(16, 64, rng.u64());
  let mx = randomMxcsr(rng, rng.chance(0.3));
  if (rng.chance(0.1)) mx = (mx | reservedMxcsrBit(rng)) >>> 0;
  c.setOperand(24, 32, BigInt(mx >>> 0));
  c.setOperand(28, 32, BigInt(rng.u32()));
}

export function addX87Forms(b: FormBuilder): void {
  const { M, is64 } = b;
  // -0x80 from the operand area is the start of the compared data window (16-byte aligned)
  const save = [`fxsave -0x80${M}`, `fxsave -0x78${M}`];
  if (is64) save.push(`fxsave64 -0x80${M}`, 'fxsave64 -0x80(%rbx,%rcx,1)');
  b.add('fxsave m512', save, {
    ignore: () => ({ flags: 0, dataRanges: FXSAVE_UNCOMPARED }),
    setup: (c, rng) => { if (is64) c.setReg(1, rng.chance(0.8) ? 0n : BigInt(rng.below(32))); },
  });
  const restore = [`fxrstor ${M}`, `fxrstor 8${M}`];
  if (is64) restore.push(`fxrstor64 ${M}`);
  b.add('fxrstor m512', restore, { setup: fxrstorHeader });
}
