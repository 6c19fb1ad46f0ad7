/**
 * MMX and SSE2 integer forms (the sse-int family): packed integer
 * arithmetic, logic, shifts, compares, packs/unpacks and moves on MMX and
 * XMM registers, plus the SSE/SSE2 fences, prefetches and cache-line
 * flushes. MMX registers are the significands of the x87 registers: the
 * random state gives them integer-lane edge values (fp-values.ts mmEdge), and
 * CaseRef.setMm/mm address them by register number whatever TOP is.
 *
 * Every MMX form also checks the x87 side: TOP = 0, all tags valid, the
 * exponent field of the written register all ones, and #MF when the random
 * state has an unmasked exception pending.
 */
import { REG, type CaseRef } from './case-ref.js';
import type { FormBuilder } from './families.js';
import { mmEdge, xmmEdge } from './fp-values.js';
import { OPERAND_AREA } from './layout.js';
import type { Rng } from './rng.js';

/** two-operand instructions with an mm (no prefix) and an xmm (66) form */
const BOTH = [
  'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq',
  'paddsb', 'paddsw', 'paddusb', 'paddusw', 'psubsb', 'psubsw', 'psubusb', 'psubusw',
  'pmullw', 'pmulhw', 'pmulhuw', 'pmuludq', 'pmaddwd', 'pavgb', 'pavgw',
  'pminub', 'pmaxub', 'pminsw', 'pmaxsw', 'psadbw',
  'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd',
  'pand', 'pandn', 'por', 'pxor',
  'punpcklbw', 'punpcklwd', 'punpckldq', 'punpckhbw', 'punpckhwd', 'punpckhdq',
  'packsswb', 'packssdw', 'packuswb',
] as const;
const XMM_ONLY = ['punpcklqdq', 'punpckhqdq'] as const;
const SHIFTS = ['psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad'] as const;

/** 32 bytes of vector edge values in the operand area (memory sources) */
function vectorOperands(c: CaseRef, rng: Rng): void {
  c.setOperandBytes(0, xmmEdge(rng));
  c.setOperandBytes(16, xmmEdge(rng));
}
/** A shift count: mostly around the lane widths, sometimes with high bits set. */
function shiftCount(rng: Rng): bigint {
  if (rng.chance(0.1)) return rng.u64();
  return BigInt(rng.chance(0.5) ? rng.below(70) : rng.pick([15, 16, 31, 32, 63, 64, 65, 127, 128]));
}
/** Counts in the count sources: mm1, xmm1, xmm9 and the operand area. */
function shiftCounts(c: CaseRef, rng: Rng): void {
  vectorOperands(c, rng);
  c.setMm(1, shiftCount(rng));
  for (const x of [1, 9]) {
    const v = Buffer.alloc(16);
    v.writeBigUInt64LE(shiftCount(rng), 0);
    v.writeBigUInt64LE(rng.u64(), 8);
    c.setXmm(x, v);
  }
  c.setOperand(0, 64, shiftCount(rng));
  c.setOperand(8, 64, rng.u64());
}
/** Register pairs (source, destination), REX-extended ones in 64-bit mode. */
function xmmPairs(b: FormBuilder): Array<[string, string]> {
  return b.is64 ? [['%xmm1', '%xmm0'], ['%xmm9', '%xmm14']] : [['%xmm1', '%xmm0'], ['%xmm7', '%xmm4']];
}

export function addSseIntForms(b: FormBuilder): void {
  const { M, rng } = b;
  const imm = (): number => rng.pick([0, 1, 0x1b, 0x4e, 0xe4, 0xff, rng.below(256), rng.below(256)]);

  // ordering and cache hints: no architectural effect beyond faults, state untouched
  b.add('sfence', ['sfence']);
  b.add('lfence', ['lfence']);
  b.add('mfence', ['mfence']);
  b.add('prefetch m8', [`prefetchnta ${M}`, `prefetcht0 3${M}`, `prefetcht1 -0x10${M}`, `prefetcht2 0x10${M}`]);
  b.add('clflush m8', [`clflush ${M}`, `clflush 0x13${M}`]);

  // ---- two-operand arithmetic, compare, logic, pack/unpack
  for (const op of [...BOTH, ...XMM_ONLY]) {
    if ((BOTH as readonly string[]).includes(op)) {
      b.add(`${op} mm,mm/m64`, [`${op} %mm1, %mm0`, `${op} %mm7, %mm3`, `${op} ${M}, %mm2`, `${op} 0x13${M}, %mm5`], { setup: vectorOperands });
    }
    const [[s1, d1], [s2, d2]] = xmmPairs(b);
    b.add(`${op} xmm,xmm/m128`, [`${op} ${s1}, ${d1}`, `${op} ${s2}, ${d2}`, `${op} 0x10${M}, %xmm2`, `${op} 8${M}, %xmm3` /* #GP */], {
      setup: vectorOperands,
    });
  }

  // ---- shifts by a count operand and by imm8 (groups 12/13/14), byte shifts
  for (const op of SHIFTS) {
    b.add(`${op} mm,mm/m64`, [`${op} %mm1, %mm0`, `${op} ${M}, %mm6`], { setup: shiftCounts });
    b.add(`${op} xmm,xmm/m128`, [`${op} %xmm1, %xmm0`, b.is64 ? `${op} %xmm9, %xmm12` : `${op} %xmm1, %xmm5`, `${op} ${M}, %xmm2`], {
      setup: shiftCounts,
    });
    const counts = [rng.below(8), 8 + rng.below(8), 16 + rng.below(16), 32 + rng.below(32), 64 + rng.below(192)];
    b.add(`${op} mm,imm8`, counts.map((n) => `${op} $${n}, %mm${rng.below(8)}`));
    b.add(`${op} xmm,imm8`, counts.map((n) => `${op} $${n}, %xmm${rng.below(b.is64 ? 16 : 8)}`));
  }
  for (const op of ['pslldq', 'psrldq']) {
    b.add(`${op} xmm,imm8`, [0, 1, 7, 8, 15, 16, 200].map((n) => `${op} $${n}, %xmm${rng.below(b.is64 ? 16 : 8)}`));
  }

  // ---- shuffles, word insert/extract, byte mask
  b.add('pshufw mm,mm/m64,imm8', [`pshufw $${imm()}, %mm1, %mm0`, `pshufw $${imm()}, %mm4, %mm4`, `pshufw $${imm()}, 3${M}, %mm7`], { setup: vectorOperands });
  for (const op of ['pshufd', 'pshufhw', 'pshuflw']) {
    b.add(`${op} xmm,xmm/m128,imm8`, [`${op} $${imm()}, %xmm1, %xmm0`, `${op} $${imm()}, %xmm6, %xmm6`, `${op} $${imm()}, ${M}, %xmm2`, `${op} $${imm()}, 8${M}, %xmm2`], {
      setup: vectorOperands,
    });
  }
  b.add('pextrw r32,mm,imm8', [`pextrw $${rng.below(4)}, %mm1, %eax`, `pextrw $${4 + rng.below(252)}, %mm5, %edx`]);
  b.add('pextrw r32,xmm,imm8', [`pextrw $${rng.below(8)}, %xmm1, %eax`, `pextrw $${8 + rng.below(248)}, %xmm${b.is64 ? 13 : 5}, %ecx`]);
  b.add('pinsrw mm,r32/m16,imm8', [`pinsrw $${rng.below(4)}, %eax, %mm1`, `pinsrw $${rng.below(256)}, %ecx, %mm6`, `pinsrw $${rng.below(256)}, 5${M}, %mm2`], { setup: vectorOperands });
  b.add('pinsrw xmm,r32/m16,imm8', [`pinsrw $${rng.below(8)}, %eax, %xmm1`, `pinsrw $${rng.below(256)}, %edx, %xmm${b.is64 ? 11 : 3}`, `pinsrw $${rng.below(256)}, 7${M}, %xmm2`], { setup: vectorOperands });
  b.add('pmovmskb r32,mm', ['pmovmskb %mm3, %eax', 'pmovmskb %mm0, %esi']);
  b.add('pmovmskb r32,xmm', ['pmovmskb %xmm3, %eax', `pmovmskb %xmm${b.is64 ? 15 : 7}, %edx`]);

  // ---- moves
  b.add('movd mm,r32/m32', ['movd %eax, %mm1', 'movd %esi, %mm7', `movd 3${M}, %mm2`], { setup: vectorOperands });
  b.add('movd r32/m32,mm', ['movd %mm1, %eax', 'movd %mm6, %edi', `movd %mm2, 5${M}`]);
  b.add('movd xmm,r32/m32', ['movd %eax, %xmm1', 'movd %edx, %xmm6', `movd 3${M}, %xmm2`], { setup: vectorOperands });
  b.add('movd r32/m32,xmm', ['movd %xmm1, %eax', 'movd %xmm6, %ecx', `movd %xmm2, 5${M}`]);
  if (b.is64) {
    b.add('movq mm,r64', ['movq %rax, %mm1', 'movq %r9, %mm6']);
    b.add('movq r64,mm', ['movq %mm1, %rax', 'movq %mm6, %r10']);
    b.add('movq xmm,r64', ['movq %rax, %xmm1', 'movq %r9, %xmm12']);
    b.add('movq r64,xmm', ['movq %xmm1, %rax', 'movq %xmm12, %r10']);
    b.add('movq mm/xmm,m64 (REX.W 6E)', ['.byte 0x48, 0x0f, 0x6e, 0x13', '.byte 0x66, 0x48, 0x0f, 0x6e, 0x13'], { setup: vectorOperands });
    b.add('movq m64,mm/xmm (REX.W 7E)', ['.byte 0x48, 0x0f, 0x7e, 0x0b', '.byte 0x66, 0x48, 0x0f, 0x7e, 0x0b']);
  }
  b.add('movq mm,mm/m64', ['movq %mm1, %mm0', 'movq %mm5, %mm5', `movq 3${M}, %mm2`, '.byte 0x0f, 0x7f, 0xca' /* 0F 7F reg form */], { setup: vectorOperands });
  b.add('movq m64,mm', [`movq %mm3, ${M}`, `movq %mm7, 0x11${M}`]);
  b.add('movq xmm,xmm/m64', ['movq %xmm1, %xmm0', `movq 3${M}, %xmm2`, '.byte 0x66, 0x0f, 0xd6, 0xc8' /* 66 0F D6 reg form */], { setup: vectorOperands });
  b.add('movq m64,xmm', [`movq %xmm3, ${M}`, `movq %xmm7, 0x11${M}`]);
  b.add('movdqa xmm,xmm/m128', ['movdqa %xmm1, %xmm0', `movdqa 0x10${M}, %xmm2`, `movdqa 8${M}, %xmm2` /* #GP */, '.byte 0x66, 0x0f, 0x7f, 0xd9' /* 7F reg form */], { setup: vectorOperands });
  b.add('movdqa m128,xmm', [`movdqa %xmm3, ${M}`, `movdqa %xmm3, 4${M}` /* #GP */]);
  b.add('movdqu xmm,xmm/m128', ['movdqu %xmm1, %xmm0', `movdqu 3${M}, %xmm2`, '.byte 0xf3, 0x0f, 0x7f, 0xd9'], { setup: vectorOperands });
  b.add('movdqu m128,xmm', [`movdqu %xmm3, ${M}`, `movdqu %xmm5, 0xb${M}`]);
  b.add('movq2dq xmm,mm', ['movq2dq %mm1, %xmm0', `movq2dq %mm7, %xmm${b.is64 ? 10 : 6}`]);
  b.add('movdq2q mm,xmm', ['movdq2q %xmm1, %mm0', `movdq2q %xmm${b.is64 ? 10 : 6}, %mm7`]);
  b.add('movntq m64,mm', [`movntq %mm2, ${M}`, `movntq %mm6, 3${M}`]);
  b.add('movntdq m128,xmm', [`movntdq %xmm2, ${M}`, `movntdq %xmm6, 8${M}` /* #GP */]);
  b.add('movnti m32,r32', [`movnti %eax, ${M}`, `movnti %esi, 3${M}`]);
  if (b.is64) b.add('movnti m64,r64', [`movnti %rax, ${M}`, `movnti %r9, 5${M}`]);

  // masked stores to DS:rDI, somewhere in the compared data window
  const maskSetup = (c: CaseRef, g: Rng): void => {
    const at = BigInt(OPERAND_AREA - 0x70 + g.below(0xd0));
    c.setReg(REG.rdi, b.is64 && g.chance(0.3) ? at | (BigInt(g.u32() | 1) << 32n) /* only addr32 uses it */ : at);
    c.setMm(1, mmEdge(g));
    const m = xmmEdge(g);
    c.setXmm(1, m);
  };
  b.add('maskmovq mm,mm', ['maskmovq %mm1, %mm0', 'maskmovq %mm1, %mm5'], { setup: maskSetup });
  b.add('maskmovdqu xmm,xmm', ['maskmovdqu %xmm1, %xmm0', 'maskmovdqu %xmm1, %xmm6'], { setup: maskSetup });
  if (b.is64) b.add('maskmovdqu (addr32)', ['addr32 maskmovdqu %xmm1, %xmm0'], { setup: maskSetup });
  b.add('emms', ['emms', 'paddb %mm1, %mm2; emms']);
  // page faults (0x1000 past the operand area is not mapped): the x87 state stays as it was.
  // 64-bit only: the 32-bit interpreter runner is flat protected mode without paging
  // (interp.ts), so nothing is unmapped there for the host's #PF to be compared with.
  if (b.is64) b.add('mmx memory fault', [`paddb 0x1000${M}, %mm1`, `movq %mm1, 0x1000${M}`, `movd 0x1000${M}, %mm2`, `pinsrw $1, 0x1000${M}, %mm2`, `punpcklbw 0x1000${M}, %mm3`, `movntq %mm3, 0x1000${M}`, `pshufw $1, 0x1000${M}, %mm3`]);
  // a masked store to an unmapped page: with an all-zero mask too
  const unmapped = (zero: boolean) => (c: CaseRef, g: Rng): void => {
    c.setReg(REG.rdi, BigInt(OPERAND_AREA + 0x1000 + g.below(0x100)));
    c.setMm(1, zero ? 0n : mmEdge(g) | 0x80n);
    c.setXmm(1, zero ? 0n : BigInt.asUintN(128, BigInt('0x' + xmmEdge(g).toString('hex')) | 0x80n));
  };
  if (b.is64) {
    b.add('maskmov page fault', ['maskmovq %mm1, %mm0', 'maskmovdqu %xmm1, %xmm0'], { setup: unmapped(false) });
    b.add('maskmov zero mask, unmapped page', ['maskmovq %mm1, %mm0', 'maskmovdqu %xmm1, %xmm0'], { setup: unmapped(true) });
  }

  // ---- encodings that do not exist: register-only groups with memory, mm forms of xmm-only opcodes
  b.add('mmx/sse2 integer #UD encodings', [
    '.byte 0x0f, 0x71, 0x10, 0x03' /* psrlw $3, (rax) */,
    '.byte 0x0f, 0x73, 0xd8, 0x03' /* psrldq mm */,
    '.byte 0x0f, 0x72, 0xc0, 0x03' /* 0F 72 /0 */,
    '.byte 0x0f, 0x6c, 0xc1' /* punpcklqdq mm */,
    '.byte 0x66, 0x0f, 0xd7, 0x03' /* pmovmskb m128 */,
    '.byte 0x0f, 0xe7, 0xc1' /* movntq reg */,
  ]);
}
