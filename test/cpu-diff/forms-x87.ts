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
import { f32Edge, f64Edge, f80Edge } from './fp-values.js';
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
  addX87Instructions(b);
}

const st = (i: number): string => `%st(${i})`;
/** 80-bit value into the operand area at byte k */
function setF80(c: CaseRef, k: number, v: { mant: bigint; se: number }): void {
  c.setOperand(k, 64, v.mant);
  c.setOperand(k + 8, 16, BigInt(v.se));
}
const f32Op = (c: CaseRef, rng: Rng): void => c.setOperand(0, 32, f32Edge(rng));
const f64Op = (c: CaseRef, rng: Rng): void => c.setOperand(0, 64, f64Edge(rng));
const f80Op = (c: CaseRef, rng: Rng): void => setF80(c, 0, f80Edge(rng));
const i16Op = (c: CaseRef, rng: Rng): void => c.setOperand(0, 16, BigInt(rng.chance(0.3) ? rng.pick([0, 1, 0x7fff, 0x8000, 0xffff]) : rng.below(0x10000)));
const i32Op = (c: CaseRef, rng: Rng): void => c.setOperand(0, 32, BigInt(rng.chance(0.3) ? rng.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) : rng.u32()));
const i64Op = (c: CaseRef, rng: Rng): void => c.setOperand(0, 64, rng.chance(0.3) ? rng.pick([0n, 1n, 0x8000000000000000n, 0xffffffffffffffffn]) : rng.u64());
/** valid packed BCD (invalid digits give undefined results): 18 digits and a sign byte */
function bcdOp(c: CaseRef, rng: Rng): void {
  let lo = 0n;
  for (let d = 0; d < 16; d++) lo |= BigInt(rng.below(10)) << BigInt(4 * d);
  c.setOperand(0, 64, lo);
  c.setOperand(8, 16, BigInt(rng.below(10) | (rng.below(10) << 4) | (rng.chance(0.5) ? 0x8000 : 0)));
}
/** mostly a stack with at least two valid registers */
function twoValid(c: CaseRef, rng: Rng): void {
  if (rng.chance(0.85)) c.setX87Stack(Array.from({ length: 2 + rng.below(6) }, () => f80Edge(rng)));
}

/**
 * The x87 instructions the interpreter implements (docs/x87.md), except the
 * transcendentals: those are within one ulp of this host's results but not
 * always bit-identical, which this bytewise comparison cannot express
 * (test/guests/x87.c holds them to one ulp instead). FIP/FDP/FOP/FCS/FDS are
 * not compared (fx-compare.ts); the environment images FNSTENV/FNSAVE store
 * have those fields skipped likewise.
 */
function addX87Instructions(b: FormBuilder): void {
  const { M } = b;
  const unmask = 0.15;
  // ---- arithmetic: D8 (ST(0) op= ST(i)), DC (ST(i) op= ST(0)), DE (and pop), memory operands
  for (const op of ['fadd', 'fmul', 'fsub', 'fsubr', 'fdiv', 'fdivr']) {
    b.add(`${op} st,st(i)`, [1, 2, 5].map((i) => `${op} ${st(i)}, %st`).concat([`${op} %st(0), %st`]), { setup: twoValid, unmask });
    b.add(`${op} st(i),st`, [1, 3].map((i) => `${op} %st, ${st(i)}`), { setup: twoValid, unmask });
    b.add(`${op}p st(i),st`, [1, 2].map((i) => `${op}p %st, ${st(i)}`), { setup: twoValid, unmask });
    b.add(`${op} m32fp`, [`${op}s ${M}`], { setup: (c, rng) => { twoValid(c, rng); f32Op(c, rng); }, unmask });
    b.add(`${op} m64fp`, [`${op}l ${M}`], { setup: (c, rng) => { twoValid(c, rng); f64Op(c, rng); }, unmask });
    b.add(`fi${op.slice(1)} m16int`, [`fi${op.slice(1)}s ${M}`], { setup: (c, rng) => { twoValid(c, rng); i16Op(c, rng); }, unmask });
    b.add(`fi${op.slice(1)} m32int`, [`fi${op.slice(1)}l ${M}`], { setup: (c, rng) => { twoValid(c, rng); i32Op(c, rng); }, unmask });
  }
  // ---- compares
  b.add('fcom st(i)', ['fcom %st(1)', 'fcom %st(3)', 'fcomp %st(1)', 'fcompp'], { setup: twoValid, unmask });
  b.add('fucom st(i)', ['fucom %st(1)', 'fucom %st(2)', 'fucomp %st(1)', 'fucompp'], { setup: twoValid, unmask });
  b.add('fcomi st,st(i)', ['fcomi %st(1), %st', 'fcomip %st(2), %st', 'fucomi %st(1), %st', 'fucomip %st(1), %st'], { setup: twoValid, unmask });
  b.add('fcom m32fp', [`fcoms ${M}`, `fcomps ${M}`], { setup: (c, rng) => { twoValid(c, rng); f32Op(c, rng); }, unmask });
  b.add('fcom m64fp', [`fcoml ${M}`, `fcompl ${M}`], { setup: (c, rng) => { twoValid(c, rng); f64Op(c, rng); }, unmask });
  b.add('ficom m16int', [`ficoms ${M}`, `ficomps ${M}`], { setup: (c, rng) => { twoValid(c, rng); i16Op(c, rng); }, unmask });
  b.add('ficom m32int', [`ficoml ${M}`, `ficompl ${M}`], { setup: (c, rng) => { twoValid(c, rng); i32Op(c, rng); }, unmask });
  b.add('ftst', ['ftst'], { setup: twoValid, unmask });
  b.add('fxam', ['fxam']);
  // ---- FCMOVcc (EFLAGS from the random state)
  b.add('fcmovcc st,st(i)', ['fcmovb %st(1), %st', 'fcmove %st(2), %st', 'fcmovbe %st(1), %st', 'fcmovu %st(1), %st',
    'fcmovnb %st(1), %st', 'fcmovne %st(3), %st', 'fcmovnbe %st(1), %st', 'fcmovnu %st(1), %st'], { setup: twoValid, unmask });
  // ---- one-operand operations
  for (const op of ['fchs', 'fabs', 'fsqrt', 'frndint', 'fscale', 'fxtract', 'fprem', 'fprem1']) b.add(op, [op], { setup: twoValid, unmask });
  // ---- loads
  b.add('fld st(i)', ['fld %st(0)', 'fld %st(3)'], { unmask });
  b.add('fld m32fp', [`flds ${M}`], { setup: f32Op, unmask });
  b.add('fld m64fp', [`fldl ${M}`], { setup: f64Op, unmask });
  b.add('fld m80fp', [`fldt ${M}`], { setup: f80Op, unmask });
  b.add('fild m16int', [`filds ${M}`], { setup: i16Op, unmask });
  b.add('fild m32int', [`fildl ${M}`], { setup: i32Op, unmask });
  b.add('fild m64int', [`fildll ${M}`], { setup: i64Op, unmask });
  b.add('fbld m80bcd', [`fbld ${M}`], { setup: bcdOp, unmask });
  b.add('fld constants', ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'], { unmask });
  // ---- stores
  b.add('fst m32fp', [`fsts ${M}`, `fstps ${M}`], { setup: twoValid, unmask });
  b.add('fst m64fp', [`fstl ${M}`, `fstpl ${M}`], { setup: twoValid, unmask });
  b.add('fstp m80fp', [`fstpt ${M}`], { setup: twoValid, unmask });
  b.add('fist m16int', [`fists ${M}`, `fistps ${M}`, `fisttps ${M}`], { setup: twoValid, unmask });
  b.add('fist m32int', [`fistl ${M}`, `fistpl ${M}`, `fisttpl ${M}`], { setup: twoValid, unmask });
  b.add('fistp m64int', [`fistpll ${M}`, `fisttpll ${M}`], { setup: twoValid, unmask });
  b.add('fbstp m80bcd', [`fbstp ${M}`], { setup: twoValid, unmask });
  b.add('fst st(i)', ['fst %st(1)', 'fstp %st(1)', 'fstp %st(0)', 'fst %st(4)'], { unmask });
  // ---- stack management and control
  b.add('fxch st(i)', ['fxch %st(1)', 'fxch %st(4)'], { unmask });
  b.add('ffree st(i)', ['ffree %st(0)', 'ffree %st(5)']);
  b.add('fincstp/fdecstp', ['fincstp', 'fdecstp']);
  b.add('fnop', ['fnop']);
  b.add('fninit', ['fninit']);
  b.add('fnclex', ['fnclex']);
  b.add('fwait', ['fwait', 'fnop; fwait']);
  b.add('fldcw m16', [`fldcw ${M}`], { setup: (c, rng) => c.setOperand(0, 16, BigInt(randomFcw(rng, rng.chance(0.3)) ^ (rng.chance(0.2) ? rng.below(0x10000) & 0xe080 : 0))) });
  b.add('fnstcw m16', [`fnstcw ${M}`]);
  b.add('fnstsw m16', [`fnstsw ${M}`]);
  b.add('fnstsw ax', ['fnstsw %ax']);
  // FNSTENV: the FIP/FCS/FOP/FDP/FDS fields (bytes 12..27) hold addresses that differ between the sides
  b.add('fnstenv m28', [`fnstenv ${M}`], { ignore: () => ({ flags: 0, dataRanges: [[0x80 + 12, 0x80 + 28]] }) });
  b.add('fldenv m28', [`fldenv ${M}`], {
    setup: (c, rng) => {
      const fcw = randomFcw(rng, rng.chance(0.3));
      c.setOperand(0, 32, BigInt(fcw));
      c.setOperand(4, 32, BigInt(randomFsw(rng, fcw)));
      c.setOperand(8, 32, BigInt(rng.below(0x10000)));
      c.setOperand(12, 64, rng.u64());
      c.setOperand(20, 64, rng.u64());
    },
  });
}
