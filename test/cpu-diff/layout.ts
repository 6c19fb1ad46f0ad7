/**
 * Fixed addresses and record layouts shared by the host runner (runner.c)
 * and the interpreter side. Both sides place code, scratch data and stack at
 * the same linear addresses, so addresses the snippets compute (LEA, pushed
 * values, string pointers) are directly comparable.
 */
export const CODE_BASE = 0x100000;
export const SLOT_SIZE = 64;
/** Snippets occupy slots below this; the host runner puts its exit jump here. */
export const EXIT_JUMP = 0x1ff000;
export const MAX_SLOTS = (EXIT_JUMP - CODE_BASE) / SLOT_SIZE;
export const DATA_PAGE = 0x200000;
export const STACK_PAGE = 0x300000;
/** The compared memory: 256 bytes of each page around the operand area / initial stack pointer. */
export const DATA_WIN = DATA_PAGE + 0x780;
export const STACK_WIN = STACK_PAGE + 0x780;
export const WIN_SIZE = 256;
/** Memory operands point here (base register value); its bytes are chosen per case (edge values). */
export const OPERAND_AREA = DATA_PAGE + 0x800;
export const OPERAND_SIZE = 32;
export const STACK_TOP = STACK_PAGE + 0x800;

/**
 * x87/MMX/SSE state travels as the first FX_SIZE bytes of an FXSAVE image
 * (SDM vol. 1, 10.5.1): FCW, FSW, abridged tags, FOP, FIP, FDP, MXCSR,
 * MXCSR_MASK, ST0-7 (16 bytes each, 10 used), XMM0-15. Both sides load it
 * with FXRSTOR before the snippet and store it with FXSAVE after it (or at
 * the fault), so a record is directly an image prefix.
 */
export const FX_SIZE = 416;
export const FX = { fcw: 0, fsw: 2, ftw: 4, fop: 6, fip: 8, fdp: 16, mxcsr: 24, mxcsrMask: 28, st: 32, xmm: 160 } as const;

/**
 * Bytes of a recorded image that are not compared, zeroed by both sides
 * (runner.c canonical_fx) so that equal states compare equal bytewise:
 * the reserved byte 5, FOP/FIP/FDP (AMD stores them only while an exception
 * is pending), MXCSR_MASK (a property of the CPU model), bytes 10..15 of
 * every ST slot, and XMM8-15 in 32-bit mode (not part of that state).
 */
export function canonicalFx(buf: Uint8Array, at: number, bits: 64 | 32): void {
  buf.fill(0, at + 5, at + 24);
  buf.fill(0, at + FX.mxcsrMask, at + FX.mxcsrMask + 4);
  for (let i = 0; i < 8; i++) buf.fill(0, at + FX.st + 16 * i + 10, at + FX.st + 16 * i + 16);
  if (bits === 32) buf.fill(0, at + FX.xmm + 128, at + FX.xmm + 256);
}

/** struct case_in in runner.c */
export const IN = { slot: 0, memSeed: 4, flags: 8, regs: 16, operand: 144, fx: 176, size: 176 + FX_SIZE } as const;
/** struct case_out in runner.c */
export const OUT = { vector: 0, errorCode: 4, flags: 8, regs: 16, data: 144, stack: 400, fx: 656, size: 656 + FX_SIZE } as const;

export const FLAG = { CF: 0x1, PF: 0x4, AF: 0x10, ZF: 0x40, SF: 0x80, TF: 0x100, IF: 0x200, DF: 0x400, OF: 0x800, NT: 0x4000, AC: 0x40000, ID: 0x200000 } as const;
export const STATUS_FLAGS = FLAG.CF | FLAG.PF | FLAG.AF | FLAG.ZF | FLAG.SF | FLAG.OF;
/** Flags compared after every completed case (before the per-form undefined mask). */
export const COMPARED_FLAGS = STATUS_FLAGS | FLAG.DF | FLAG.NT | FLAG.ID;

/** Fills both windows from `seed` (the rest of both pages is zeroed first) (xorshift32, the same sequence as runner.c fill_windows) and the operand area. */
export function fillWindows(seed: number, data: Uint8Array, dataOff: number, stack: Uint8Array, stackOff: number): void {
  let x = seed >>> 0 || 0x9e3779b9;
  for (let w = 0; w < 2; w++) {
    const buf = w === 0 ? data : stack;
    const base = w === 0 ? dataOff : stackOff;
    for (let k = 0; k < WIN_SIZE; k += 4) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      buf[base + k] = x & 0xff;
      buf[base + k + 1] = (x >>> 8) & 0xff;
      buf[base + k + 2] = (x >>> 16) & 0xff;
      buf[base + k + 3] = x >>> 24;
    }
  }
}
