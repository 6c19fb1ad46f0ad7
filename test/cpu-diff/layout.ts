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

/** struct case_in in runner.c */
export const IN = { slot: 0, memSeed: 4, flags: 8, regs: 16, operand: 144, size: 176 } as const;
/** struct case_out in runner.c */
export const OUT = { vector: 0, errorCode: 4, flags: 8, regs: 16, data: 144, stack: 400, size: 656 } as const;

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
