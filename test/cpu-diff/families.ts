/**
 * Instruction families add their forms in their own files
 * (forms-<family>.ts), each exporting one function that receives a
 * FormBuilder. They are listed here once; a family edits only its own file.
 * Each family draws its immediates from its own generator (seeded from the
 * suite seed and the family name), so adding forms to one family changes no
 * other family's variants or cases.
 */
import type { Bits, Form, Variant } from './forms.js';
import { addSseFpForms } from './forms-sse-fp.js';
import { addSseIntForms } from './forms-sse-int.js';
import { addSse4Forms } from './forms-sse4.js';
import { addX87Forms } from './forms-x87.js';
import { Rng } from './rng.js';

export interface FormBuilder {
  bits: Bits;
  is64: boolean;
  /** immediates, register choices: a seed fixes every variant */
  rng: Rng;
  /** the base register of memory operands ((%rbx) / (%ebx)): it points at the operand area */
  M: string;
  /** the base register's name without parentheses: `%rbx` / `%ebx` */
  base: string;
  /**
   * Memory operands of `bytes` bytes relative to the operand area:
   * `aligned` are `bytes`-aligned (0 and 16 inside the 32-byte operand area),
   * `misaligned` are not (legacy SSE m128 operands raise #GP(0) there; MOVUPS
   * and scalar forms must not), and `pageCross` runs off the end of the data
   * page into an unmapped one (#PF; 64-bit mode only, empty in 32-bit mode:
   * the 32-bit guest has no paging), so partial accesses and stores are
   * compared.
   */
  mem(bytes: 4 | 8 | 10 | 16): { aligned: string[]; misaligned: string[]; pageCross: string[] };
  /** XMM register pairs `src, dst` in AT&T order: distinct, identical and (64-bit) REX-extended registers */
  xmmPairs: Array<[string, string]>;
  /** MMX register pairs `src, dst` */
  mmPairs: Array<[string, string]>;
  /**
   * Adds a form named `${bits}: ${name}`; its group (mismatch counts by
   * instruction) is the first word of the name in capitals unless given.
   */
  add(name: string, variants: Array<string | Variant>, extra?: Partial<Form>): void;
}

export type FamilyForms = (b: FormBuilder) => void;

/** name → function; the name also seeds the family's generator */
export const FAMILIES: ReadonlyArray<[string, FamilyForms]> = [
  ['x87', addX87Forms],
  ['sse-fp', addSseFpForms],
  ['sse-int', addSseIntForms],
  ['sse4', addSse4Forms],
];

function nameSeed(name: string): number {
  let h = 0x811c9dc5;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** A builder adding forms of mode `bits` to `forms` (names must stay unique). */
export function formBuilder(bits: Bits, rng: Rng, forms: Form[], family = 'test'): FormBuilder {
  const names = new Set(forms.map((f) => f.name));
  const M = bits === 64 ? '(%rbx)' : '(%ebx)';
  return {
    bits,
    is64: bits === 64,
    rng,
    M,
    base: bits === 64 ? '%rbx' : '%ebx',
    mem(bytes) {
      // a second aligned place inside the 32-byte operand area
      const second: Record<number, string> = { 4: '0x1c', 8: '0x18', 10: '0x10', 16: '0x10' };
      const aligned = [M, `${second[bytes]}${M}`];
      const misaligned = bytes === 16 ? [`8${M}`, `3${M}`] : [`3${M}`];
      // the data page ends 0x800 bytes above the operand area
      const pageCross = bits === 64 ? [`0x${(0x800 - Math.max(1, bytes >> 1)).toString(16)}${M}`] : [];
      return { aligned, misaligned, pageCross };
    },
    xmmPairs: bits === 64
      ? [['%xmm1', '%xmm0'], ['%xmm2', '%xmm2'], ['%xmm9', '%xmm14'], ['%xmm15', '%xmm3'], ['%xmm4', '%xmm8']]
      : [['%xmm1', '%xmm0'], ['%xmm2', '%xmm2'], ['%xmm7', '%xmm5']],
    mmPairs: [['%mm1', '%mm0'], ['%mm2', '%mm2'], ['%mm7', '%mm5']],
    add(name, variants, extra = {}) {
      const full = `${bits}: ${name}`;
      if (names.has(full)) throw new Error(`cpu-diff: form "${full}" (family ${family}) exists already`);
      names.add(full);
      forms.push({
        name: full,
        group: name.split(' ')[0].toUpperCase(),
        bits,
        variants: variants.map((v) => (typeof v === 'string' ? { asm: v } : v)),
        fp: true,
        ...extra,
      });
    },
  };
}

/** Appends every family's forms of mode `bits` to `forms`. */
export function addFamilyForms(bits: Bits, seed: number, forms: Form[]): void {
  for (const [family, fn] of FAMILIES) fn(formBuilder(bits, new Rng((seed ^ nameSeed(family)) >>> 0), forms, family));
}
