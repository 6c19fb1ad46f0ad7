/**
 * SSE3, SSSE3, SSE4.1, SSE4.2, AES and PCLMULQDQ forms (the sse4 family):
 * every instruction the interpreter implements, register and memory forms
 * (aligned, misaligned: #GP(0) for the m128 operands that must be aligned,
 * none for LDDQU and the string compares; page-crossing in 64-bit mode), MMX
 * forms of SSSE3. 0F 3A forms draw their imm8 with b.rng (a seed fixes them)
 * plus the values the instruction treats specially (ROUNDxx's MXCSR and
 * precision bits, PCLMULQDQ's quadword selectors, PCMPxSTRx's modes).
 */
import { REG, type CaseRef } from './case-ref.js';
import type { FormBuilder } from './families.js';
import { mmEdge, xmmEdge } from './fp-values.js';
import type { Rng } from './rng.js';

/** Vector edge values in both halves of the operand area (memory sources) and in the MMX sources. */
function operands(c: CaseRef, rng: Rng): void {
  c.setOperandBytes(0, xmmEdge(rng));
  c.setOperandBytes(16, xmmEdge(rng));
  for (const m of [1, 7]) c.setMm(m, mmEdge(rng));
}

/** A share of the floating-point cases that run with some exceptions unmasked (#XM compared). */
const UNMASK = 0.25;

/** `count` immediates: the special ones first, then random bytes. */
function imms(rng: Rng, special: number[], count: number): number[] {
  const out = [...special];
  while (out.length < count) out.push(rng.below(256));
  return out;
}

export function addSse4Forms(b: FormBuilder): void {
  addSse3(b);
  addSsse3(b);
  addSse41(b);
  addSse42(b);
  addAesPclmul(b);
}

/**
 * An xmm,xmm/m form (optionally with imm8s): register pairs, then memory
 * operands aligned, misaligned and (64-bit) crossing into an unmapped page;
 * the host decides which of them fault.
 */
function xmmForm(b: FormBuilder, mnemonic: string, opts: { imms?: number[]; bytes?: 4 | 8 | 16; unmask?: number; label?: string; setup?: (c: CaseRef, r: Rng) => void } = {}): void {
  const label = opts.label ?? mnemonic;
  const bytes = opts.bytes ?? 16;
  const setup = opts.setup ?? operands;
  const extra = { setup, ...(opts.unmask ? { unmask: opts.unmask } : {}) };
  const immList = opts.imms ?? [undefined];
  const pre = (i: number | undefined): string => (i === undefined ? '' : `$${i}, `);
  const pairs = b.xmmPairs.slice(0, 4);
  b.add(`${label} xmm,xmm${opts.imms ? ',imm8' : ''}`, immList.flatMap((i, k) => {
    const [s, d] = pairs[k % pairs.length];
    const [s2, d2] = pairs[(k + 1) % pairs.length];
    return [`${mnemonic} ${pre(i)}${s}, ${d}`, `${mnemonic} ${pre(i)}${s2}, ${d2}`];
  }), extra);
  const m = b.mem(bytes);
  const places = [...m.aligned, ...m.misaligned, ...m.pageCross];
  b.add(`${label} xmm,m${bytes * 8}${opts.imms ? ',imm8' : ''}`, places.map((p, k) => `${mnemonic} ${pre(immList[k % immList.length])}${p}, %xmm${k % 2 ? 2 : b.is64 ? 11 : 3}`), extra);
}

function addSse3(b: FormBuilder): void {
  for (const op of ['addsubps', 'addsubpd', 'haddps', 'haddpd', 'hsubps', 'hsubpd']) xmmForm(b, op, { unmask: UNMASK });
  xmmForm(b, 'movsldup');
  xmmForm(b, 'movshdup');
  xmmForm(b, 'movddup', { bytes: 8 });
  const { M } = b;
  b.add('lddqu xmm,m128', [`lddqu ${M}, %xmm1`, `lddqu 3${M}, %xmm${b.is64 ? 13 : 5}`, `lddqu 0x10${M}, %xmm1`, ...(b.is64 ? [`lddqu 0x7f8${M}, %xmm4`] : [])], { setup: operands });
  b.add('lddqu register form (#UD)', ['.byte 0xf2, 0x0f, 0xf0, 0xc1']);
}

const SSSE3 = [
  'pshufb', 'phaddw', 'phaddd', 'phaddsw', 'pmaddubsw', 'phsubw', 'phsubd', 'phsubsw',
  'psignb', 'psignw', 'psignd', 'pmulhrsw', 'pabsb', 'pabsw', 'pabsd',
] as const;

function addSsse3(b: FormBuilder): void {
  const { M, rng } = b;
  for (const op of SSSE3) {
    b.add(`${op} mm,mm/m64`, [`${op} %mm1, %mm0`, `${op} %mm7, %mm7`, `${op} ${M}, %mm2`, `${op} 0x13${M}, %mm5`], { setup: operands });
    xmmForm(b, op);
  }
  const shifts = imms(rng, [0, 1, 7, 8, 15, 16, 17, 31, 32, 255], 12);
  b.add('palignr mm,mm/m64,imm8', shifts.map((n, k) => (k % 3 === 2 ? `palignr $${n}, 3${M}, %mm${k % 8}` : `palignr $${n}, %mm${(k + 1) % 8}, %mm${k % 8}`)), { setup: operands });
  xmmForm(b, 'palignr', { imms: shifts });
}

function addSse41(b: FormBuilder): void {
  const { M, rng } = b;
  // variable blends: XMM0 is the implicit mask
  for (const op of ['pblendvb', 'blendvps', 'blendvpd']) {
    const pairs = b.xmmPairs.filter(([, d]) => d !== '%xmm0').slice(0, 3);
    b.add(`${op} xmm,xmm,<xmm0>`, pairs.map(([s, d]) => `${op} %xmm0, ${s}, ${d}`), { setup: operands });
    const m = b.mem(16);
    b.add(`${op} xmm,m128,<xmm0>`, [...m.aligned, ...m.misaligned, ...m.pageCross].map((p) => `${op} %xmm0, ${p}, %xmm3`), { setup: operands });
  }
  xmmForm(b, 'ptest');
  for (const [op, bytes] of [['pmovsxbw', 8], ['pmovsxbd', 4], ['pmovsxbq', 2], ['pmovsxwd', 8], ['pmovsxwq', 4], ['pmovsxdq', 8],
    ['pmovzxbw', 8], ['pmovzxbd', 4], ['pmovzxbq', 2], ['pmovzxwd', 8], ['pmovzxwq', 4], ['pmovzxdq', 8]] as const) {
    b.add(`${op} xmm,xmm`, b.xmmPairs.slice(0, 3).map(([s, d]) => `${op} ${s}, ${d}`), { setup: operands });
    // memory: only `bytes` bytes are read, never an alignment check
    const places = [M, `3${M}`, ...(b.is64 ? [`0x${(0x800 - bytes + 1).toString(16)}${M}`] : [])];
    b.add(`${op} xmm,m${bytes * 8}`, places.map((p) => `${op} ${p}, %xmm2`), { setup: operands });
  }
  for (const op of ['pmuldq', 'pcmpeqq', 'packusdw', 'pminsb', 'pminsd', 'pminuw', 'pminud', 'pmaxsb', 'pmaxsd', 'pmaxuw', 'pmaxud', 'pmulld', 'phminposuw']) {
    xmmForm(b, op);
  }
  b.add('movntdqa xmm,m128', [`movntdqa ${M}, %xmm1`, `movntdqa 0x10${M}, %xmm${b.is64 ? 12 : 4}`, `movntdqa 8${M}, %xmm1` /* #GP */], { setup: operands });
  b.add('movntdqa register form (#UD)', ['.byte 0x66, 0x0f, 0x38, 0x2a, 0xc1']);
  xmmForm(b, 'blendps', { imms: imms(rng, [0, 0xf, 0x5], 5) });
  xmmForm(b, 'blendpd', { imms: imms(rng, [0, 3, 1], 4) });
  xmmForm(b, 'pblendw', { imms: imms(rng, [0, 0xff, 0xaa], 6) });
  xmmForm(b, 'mpsadbw', { imms: imms(rng, [0, 7, 5, 0xf8], 6) });
  // ROUNDxx: bits 1:0 rounding, bit 2 = MXCSR.RC instead, bit 3 = no precision exception
  const roundImms = imms(rng, [0, 1, 2, 3, 4, 8, 9, 0xa, 0xb, 0xc, 0xf], 13);
  xmmForm(b, 'roundps', { imms: roundImms, unmask: UNMASK });
  xmmForm(b, 'roundpd', { imms: roundImms, unmask: UNMASK });
  xmmForm(b, 'roundss', { imms: roundImms, bytes: 4, unmask: UNMASK });
  xmmForm(b, 'roundsd', { imms: roundImms, bytes: 8, unmask: UNMASK });
  xmmForm(b, 'dpps', { imms: imms(rng, [0xff, 0xf1, 0x0f, 0xf0, 0x31], 8), unmask: UNMASK });
  xmmForm(b, 'dppd', { imms: imms(rng, [0x33, 0x31, 0x13, 0x30], 6), unmask: UNMASK });

  // insert / extract
  const r32 = b.is64 ? ['%eax', '%r9d'] : ['%eax', '%esi'];
  const x = b.is64 ? '%xmm13' : '%xmm5';
  b.add('pextrb r32/m8,xmm,imm8', [`pextrb $${rng.below(16)}, %xmm1, ${r32[0]}`, `pextrb $${rng.below(256)}, ${x}, ${r32[1]}`, `pextrb $${rng.below(256)}, %xmm2, 3${M}`]);
  b.add('pextrw m16,xmm,imm8 (0F 3A 15)', [`pextrw $${rng.below(8)}, %xmm1, ${M}`, `pextrw $${rng.below(256)}, ${x}, 5${M}`, '.byte 0x66, 0x0f, 0x3a, 0x15, 0xc8, 0x03' /* reg form */]);
  b.add('pextrd r32/m32,xmm,imm8', [`pextrd $${rng.below(4)}, %xmm1, ${r32[0]}`, `pextrd $${rng.below(256)}, ${x}, ${r32[1]}`, `pextrd $${rng.below(256)}, %xmm2, 3${M}`]);
  b.add('extractps r32/m32,xmm,imm8', [`extractps $${rng.below(4)}, %xmm1, ${r32[0]}`, `extractps $${rng.below(256)}, ${x}, ${r32[1]}`, `extractps $${rng.below(256)}, %xmm2, 7${M}`]);
  b.add('pinsrb xmm,r32/m8,imm8', [`pinsrb $${rng.below(16)}, ${r32[0]}, %xmm1`, `pinsrb $${rng.below(256)}, ${r32[1]}, ${x}`, `pinsrb $${rng.below(256)}, 3${M}, %xmm2`], { setup: operands });
  b.add('pinsrd xmm,r32/m32,imm8', [`pinsrd $${rng.below(4)}, ${r32[0]}, %xmm1`, `pinsrd $${rng.below(256)}, ${r32[1]}, ${x}`, `pinsrd $${rng.below(256)}, 3${M}, %xmm2`], { setup: operands });
  if (b.is64) {
    b.add('pextrq r64/m64,xmm,imm8', [`pextrq $${rng.below(2)}, %xmm1, %rax`, `pextrq $${rng.below(256)}, %xmm13, %r10`, `pextrq $1, %xmm2, 3${M}`]);
    b.add('pinsrq xmm,r64/m64,imm8', [`pinsrq $${rng.below(2)}, %rax, %xmm1`, `pinsrq $${rng.below(256)}, %r9, %xmm13`, `pinsrq $1, 5${M}, %xmm2`], { setup: operands });
    b.add('pextrb/pextrw/extractps r64 (REX.W)', ['.byte 0x66, 0x48, 0x0f, 0x3a, 0x14, 0xc8, 0x09', '.byte 0x66, 0x48, 0x0f, 0x3a, 0x15, 0xc8, 0x05', '.byte 0x66, 0x48, 0x0f, 0x3a, 0x17, 0xc8, 0x02']);
  }
  xmmForm(b, 'insertps', { imms: imms(rng, [0, 0x0f, 0x30, 0xc0, 0xe5], 8), bytes: 4 });
}

/** A string-compare operand: bytes or words from a small alphabet with NULs, so that matches and ends are common. */
function stringVector(rng: Rng): Buffer {
  const alphabet = [0x61, 0x62, 0x63, 0x7a, 0x41, 0x30, 0x80, 0xff];
  const v = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) v[i] = rng.chance(0.08) ? 0 : rng.chance(0.15) ? rng.below(256) : rng.pick(alphabet);
  return v;
}
/** A string length for PCMPESTRx (RAX/RDX): in range, negative, beyond 16, or huge. */
function stringLength(rng: Rng): bigint {
  if (rng.chance(0.7)) return BigInt(rng.below(35) - 17);
  return rng.pick([16n, 8n, 100n, -100n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000005n, rng.u64()]);
}
function stringOperands(c: CaseRef, rng: Rng): void {
  for (const x of [0, 1, 2, 9, 11, 14, 15, 3, 4, 5, 7, 8]) c.setXmm(x, stringVector(rng));
  c.setOperandBytes(0, stringVector(rng));
  c.setOperandBytes(16, stringVector(rng));
  c.setReg(REG.rax, stringLength(rng));
  c.setReg(REG.rdx, stringLength(rng));
}

function addSse42(b: FormBuilder): void {
  const { M, rng } = b;
  xmmForm(b, 'pcmpgtq');
  // PCMPxSTRx: bits 1:0 element type, 3:2 aggregation, 5:4 polarity, 6 index/mask form
  const modes = imms(rng, [0x00, 0x01, 0x04, 0x08, 0x0c, 0x0d, 0x12, 0x1a, 0x30, 0x38, 0x40, 0x44, 0x4c, 0x71, 0x7f], 24);
  for (const op of ['pcmpestri', 'pcmpestrm', 'pcmpistri', 'pcmpistrm']) {
    xmmForm(b, op, { imms: modes, setup: stringOperands });
  }
  if (b.is64) {
    // REX.W: the explicit lengths are RAX/RDX in full
    b.add('pcmpestri/pcmpestrm REX.W', modes.slice(0, 8).flatMap((i) => [
      `.byte 0x66, 0x48, 0x0f, 0x3a, 0x61, 0xc1, ${i}`,
      `.byte 0x66, 0x48, 0x0f, 0x3a, 0x60, 0xca, ${i}`,
    ]), { setup: stringOperands });
  }
  const crcRegs = b.is64 ? ['%ecx', '%r10d'] : ['%ecx', '%edi'];
  b.add('crc32 r32,r/m8', [`crc32b %al, ${crcRegs[0]}`, `crc32b %ah, ${crcRegs[0]}`, `crc32b %dl, ${crcRegs[1]}`, `crc32b ${M}, ${crcRegs[0]}`, `crc32b 0x13${M}, ${crcRegs[1]}`], { setup: operands });
  b.add('crc32 r32,r/m16', [`crc32w %ax, ${crcRegs[0]}`, `crc32w %si, ${crcRegs[1]}`, `crc32w 3${M}, ${crcRegs[0]}`], { setup: operands });
  b.add('crc32 r32,r/m32', [`crc32l %eax, ${crcRegs[0]}`, `crc32l %ecx, %ecx`, `crc32l 5${M}, ${crcRegs[1]}`], { setup: operands });
  if (b.is64) {
    b.add('crc32 r64,r/m8', ['crc32b %al, %rcx', 'crc32b %r9b, %r11', `crc32b 7${M}, %rdx`], { setup: operands });
    b.add('crc32 r64,r/m64', ['crc32q %rax, %rcx', 'crc32q %r9, %r9', `crc32q 3${M}, %r10`, `crc32q 0x7fc${M}, %rcx` /* page cross */], { setup: operands });
  }
}

function addAesPclmul(b: FormBuilder): void {
  const { rng } = b;
  for (const op of ['aesenc', 'aesenclast', 'aesdec', 'aesdeclast', 'aesimc']) xmmForm(b, op);
  xmmForm(b, 'aeskeygenassist', { imms: imms(rng, [0, 1, 0x1b, 0x36, 0x80, 0xff], 8) });
  xmmForm(b, 'pclmulqdq', { imms: imms(rng, [0x00, 0x01, 0x10, 0x11, 0xee, 0x0f], 8) });
}
