/**
 * SSE/SSE2 floating-point forms (the sse-fp family): arithmetic, compares,
 * conversions, moves and shuffles of packed and scalar floats and doubles,
 * plus the MXCSR instructions. Every case starts from the random
 * x87/MMX/SSE state of fp-state.ts (edge-biased XMM lanes, random rounding,
 * DAZ/FTZ, sometimes unmasked exceptions for #XM); a form's setup may put
 * float/double edge values into the operand area for memory sources
 * (fp-values.ts f32Edge/f64Edge/xmmEdge with CaseRef.setOperandBytes).
 */
import type { CaseRef } from './case-ref.js';
import type { FormBuilder } from './families.js';
import { xmmEdge } from './fp-values.js';
import { randomMxcsr, reservedMxcsrBit } from './fp-state.js';
import type { Rng } from './rng.js';

/** Edge values in both 16-byte halves of the operand area (memory sources). */
function operandEdges(c: CaseRef, rng: Rng): void {
  c.setOperandBytes(0, xmmEdge(rng));
  c.setOperandBytes(16, xmmEdge(rng));
}
/** A share of cases with some exceptions unmasked on top of the random state's: #XM is compared too. */
const UNMASK = 0.25;

/** LDMXCSR operands: valid values, sometimes with a reserved bit set (#GP(0)). */
function mxcsrOperands(c: CaseRef, rng: Rng): void {
  for (const at of [0, 8, 0x13]) {
    let v = randomMxcsr(rng, rng.chance(0.3));
    if (rng.chance(0.1)) v = (v | reservedMxcsrBit(rng)) >>> 0;
    c.setOperand(at, 32, BigInt(v >>> 0));
  }
}

export function addSseFpForms(b: FormBuilder): void {
  const { M } = b;
  b.add('ldmxcsr m32', [`ldmxcsr ${M}`, `ldmxcsr 8${M}`, `ldmxcsr 0x13${M}`], { setup: mxcsrOperands });
  b.add('stmxcsr m32', [`stmxcsr ${M}`, `stmxcsr 5${M}`, `stmxcsr -0x10${M}`]);
  b.add('ldmxcsr then stmxcsr', [`ldmxcsr ${M}; stmxcsr 0x1c${M}`], { setup: mxcsrOperands });

  addArithmetic(b);
  addMoves(b);
  addShuffles(b);
  addCompares(b);
  addConversions(b);
}

/** Register and memory variants of an xmm,xmm/m form; `bytes` is the memory operand's size. */
function regMem(b: FormBuilder, mnemonic: string, bytes: 4 | 8 | 16, opts: { imm?: string; unmask?: number; label?: string } = {}): void {
  const imm = opts.imm !== undefined ? `$${opts.imm}, ` : '';
  const label = opts.label ?? mnemonic;
  const extra = opts.unmask ? { unmask: opts.unmask } : {};
  const pairs = b.xmmPairs.slice(0, 3);
  b.add(`${label} xmm,xmm`, pairs.map(([s, d]) => `${mnemonic} ${imm}${s}, ${d}`), extra);
  const m = b.mem(bytes);
  b.add(`${label} xmm,m${bytes * 8}`, [...m.aligned, ...m.misaligned, ...m.pageCross].map((x) => `${mnemonic} ${imm}${x}, %xmm2`),
    { setup: operandEdges, ...extra });
}

function addArithmetic(b: FormBuilder): void {
  for (const op of ['add', 'sub', 'mul', 'div', 'min', 'max', 'sqrt']) {
    regMem(b, `${op}ps`, 16, { unmask: UNMASK });
    regMem(b, `${op}pd`, 16, { unmask: UNMASK });
    regMem(b, `${op}ss`, 4, { unmask: UNMASK });
    regMem(b, `${op}sd`, 8, { unmask: UNMASK });
  }
  for (const op of ['rcpps', 'rsqrtps']) regMem(b, op, 16);
  for (const op of ['rcpss', 'rsqrtss']) regMem(b, op, 4);
  for (const op of ['andps', 'andnps', 'orps', 'xorps', 'andpd', 'andnpd', 'orpd', 'xorpd']) regMem(b, op, 16);
}

function addMoves(b: FormBuilder): void {
  const m16 = b.mem(16), m8 = b.mem(8), m4 = b.mem(4);
  const all16 = [...m16.aligned, ...m16.misaligned, ...m16.pageCross];
  const all8 = [...m8.aligned, ...m8.misaligned, ...m8.pageCross];
  const all4 = [...m4.aligned, ...m4.misaligned, ...m4.pageCross];
  const pairs = b.xmmPairs.slice(0, 3);
  for (const op of ['movups', 'movupd', 'movaps', 'movapd']) {
    b.add(`${op} xmm,xmm`, pairs.map(([s, d]) => `${op} ${s}, ${d}`));
    b.add(`${op} xmm,m128`, all16.map((x) => `${op} ${x}, %xmm3`), { setup: operandEdges });
    b.add(`${op} m128,xmm`, all16.map((x) => `${op} %xmm3, ${x}`));
  }
  for (const op of ['movntps', 'movntpd']) b.add(`${op} m128,xmm`, all16.map((x) => `${op} %xmm5, ${x}`));
  for (const [op, mem] of [['movss', all4], ['movsd', all8]] as const) {
    b.add(`${op} xmm,xmm`, pairs.map(([s, d]) => `${op} ${s}, ${d}`));
    b.add(`${op} xmm,m`, mem.map((x) => `${op} ${x}, %xmm1`), { setup: operandEdges });
    b.add(`${op} m,xmm`, mem.map((x) => `${op} %xmm1, ${x}`));
  }
  for (const op of ['movlps', 'movhps', 'movlpd', 'movhpd']) {
    b.add(`${op} xmm,m64`, all8.map((x) => `${op} ${x}, %xmm4`), { setup: operandEdges });
    b.add(`${op} m64,xmm`, all8.map((x) => `${op} %xmm4, ${x}`));
  }
  b.add('movhlps xmm,xmm', pairs.map(([s, d]) => `movhlps ${s}, ${d}`));
  b.add('movlhps xmm,xmm', pairs.map(([s, d]) => `movlhps ${s}, ${d}`));
  const gpr = b.is64 ? ['%eax', '%r9d', '%rcx'] : ['%eax', '%edx'];
  b.add('movmskps r,xmm', gpr.map((r, k) => `movmskps ${pairs[k % pairs.length][0]}, ${r}`));
  b.add('movmskpd r,xmm', gpr.map((r, k) => `movmskpd ${pairs[k % pairs.length][1]}, ${r}`));
}

function addShuffles(b: FormBuilder): void {
  for (const op of ['unpcklps', 'unpckhps', 'unpcklpd', 'unpckhpd']) regMem(b, op, 16);
  regMem(b, 'shufps', 16, { imm: `0x${b.rng.below(256).toString(16)}` });
  regMem(b, 'shufpd', 16, { imm: `${b.rng.below(4)}` });
}

function addCompares(b: FormBuilder): void {
  for (let p = 0; p < 8; p++) regMem(b, 'cmpps', 16, { imm: `${p}`, unmask: UNMASK, label: `cmpps/${p}` });
  for (const [op, bytes] of [['cmppd', 16], ['cmpss', 4], ['cmpsd', 8]] as const) {
    for (const p of [0, 1, 3, 6]) regMem(b, op, bytes, { imm: `${p}`, unmask: UNMASK, label: `${op}/${p}` });
  }
  for (const [op, bytes] of [['comiss', 4], ['ucomiss', 4], ['comisd', 8], ['ucomisd', 8]] as const) regMem(b, op, bytes, { unmask: UNMASK });
}

function addConversions(b: FormBuilder): void {
  const u = { unmask: UNMASK };
  regMem(b, 'cvtps2pd', 8, u);
  regMem(b, 'cvtpd2ps', 16, u);
  regMem(b, 'cvtss2sd', 4, u);
  regMem(b, 'cvtsd2ss', 8, u);
  regMem(b, 'cvtdq2ps', 16, u);
  regMem(b, 'cvtps2dq', 16, u);
  regMem(b, 'cvttps2dq', 16, u);
  regMem(b, 'cvtdq2pd', 8, u);
  regMem(b, 'cvtpd2dq', 16, u);
  regMem(b, 'cvttpd2dq', 16, u);
  const m4 = b.mem(4), m8 = b.mem(8), m16 = b.mem(16);
  // integer <-> scalar with a general register
  const r32 = b.is64 ? ['%eax', '%r10d'] : ['%eax', '%esi'];
  b.add('cvtsi2ss xmm,r32', r32.map((r) => `cvtsi2ssl ${r}, %xmm1`), u);
  b.add('cvtsi2sd xmm,r32', r32.map((r) => `cvtsi2sdl ${r}, ${b.is64 ? '%xmm9' : '%xmm6'}`));
  b.add('cvtsi2ss xmm,m32', [...m4.aligned, ...m4.misaligned].map((x) => `cvtsi2ssl ${x}, %xmm1`), { setup: operandEdges, ...u });
  b.add('cvtsi2sd xmm,m32', [...m4.aligned, ...m4.misaligned].map((x) => `cvtsi2sdl ${x}, %xmm1`), { setup: operandEdges });
  for (const op of ['cvtss2si', 'cvttss2si', 'cvtsd2si', 'cvttsd2si']) {
    const bytes = op.includes('ss') ? 4 : 8;
    const mem = bytes === 4 ? m4 : m8;
    b.add(`${op} r32,xmm`, [`${op} %xmm1, %eax`, `${op} %xmm${b.is64 ? 12 : 5}, %edx`], u);
    b.add(`${op} r32,m`, [...mem.aligned, ...mem.misaligned].map((x) => `${op} ${x}, %ecx`), { setup: operandEdges, ...u });
    if (b.is64) {
      b.add(`${op} r64,xmm`, [`${op} %xmm1, %rax`, `${op} %xmm13, %r11`], u);
      b.add(`${op} r64,m`, [...mem.aligned, ...mem.misaligned].map((x) => `${op} ${x}, %r8`), { setup: operandEdges, ...u });
    }
  }
  if (b.is64) {
    b.add('cvtsi2ss xmm,r64', ['cvtsi2ssq %rax, %xmm1', 'cvtsi2ssq %r12, %xmm10'], u);
    b.add('cvtsi2sd xmm,r64', ['cvtsi2sdq %rax, %xmm1', 'cvtsi2sdq %r12, %xmm10'], u);
    b.add('cvtsi2sd xmm,m64', [...m8.aligned, ...m8.misaligned].map((x) => `cvtsi2sdq ${x}, %xmm1`), { setup: operandEdges, ...u });
  }
  // with an MMX operand
  b.add('cvtpi2ps xmm,mm', ['cvtpi2ps %mm1, %xmm0', 'cvtpi2ps %mm6, %xmm3'], u);
  b.add('cvtpi2ps xmm,m64', [...m8.aligned, ...m8.misaligned].map((x) => `cvtpi2ps ${x}, %xmm2`), { setup: operandEdges, ...u });
  b.add('cvtpi2pd xmm,mm', ['cvtpi2pd %mm1, %xmm0', 'cvtpi2pd %mm6, %xmm3']);
  b.add('cvtpi2pd xmm,m64', [...m8.aligned, ...m8.misaligned].map((x) => `cvtpi2pd ${x}, %xmm2`), { setup: operandEdges });
  for (const op of ['cvtps2pi', 'cvttps2pi']) {
    b.add(`${op} mm,xmm`, [`${op} %xmm1, %mm0`, `${op} %xmm5, %mm7`], u);
    b.add(`${op} mm,m64`, [...m8.aligned, ...m8.misaligned].map((x) => `${op} ${x}, %mm3`), { setup: operandEdges, ...u });
  }
  for (const op of ['cvtpd2pi', 'cvttpd2pi']) {
    b.add(`${op} mm,xmm`, [`${op} %xmm1, %mm0`, `${op} %xmm5, %mm7`], u);
    b.add(`${op} mm,m128`, [...m16.aligned, ...m16.misaligned].map((x) => `${op} ${x}, %mm3`), { setup: operandEdges, ...u });
  }
}
