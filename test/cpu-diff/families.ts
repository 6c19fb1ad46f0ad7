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

/** Appends every family's forms of mode `bits` to `forms`. */
export function addFamilyForms(bits: Bits, seed: number, forms: Form[]): void {
  const names = new Set(forms.map((f) => f.name));
  for (const [family, fn] of FAMILIES) {
    const b: FormBuilder = {
      bits,
      is64: bits === 64,
      rng: new Rng((seed ^ nameSeed(family)) >>> 0),
      M: bits === 64 ? '(%rbx)' : '(%ebx)',
      base: bits === 64 ? '%rbx' : '%ebx',
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
    fn(b);
  }
}
