/**
 * A suite: the forms of one mode, their assembled variants laid out in code
 * slots (CODE_BASE + slot * SLOT_SIZE), the two code images (host: each
 * snippet followed by a jump to the runner's exit stub; interpreter: followed
 * by HLT) and a case generator.
 */
import { CaseRef, REG } from './case-ref.js';
import { assembleSnippets } from './assemble.js';
import { addFamilyForms } from './families.js';
import { Bits, buildForms, Form } from './forms.js';
import { FCW_MASKS, plainFpState, randomFcw, randomFpState, randomMxcsr, withSummary } from './fp-state.js';
import { CODE_BASE, EXIT_JUMP, FLAG, IN, MAX_SLOTS, OPERAND_AREA, SLOT_SIZE, STACK_TOP, STATUS_FLAGS } from './layout.js';
import { Rng } from './rng.js';

export interface Slot { form: number; variant: number; bytes: Buffer }

export interface Suite {
  bits: Bits;
  forms: Form[];
  slots: Slot[];
  slotsOfForm: number[][];
  hostCode: Buffer;
  interpCode: Buffer;
}

export function buildSuite(bits: Bits, seed: number): Suite {
  const forms = buildForms(bits, new Rng(seed ^ 0x5eed));
  addFamilyForms(bits, seed, forms);
  return suiteOf(bits, forms);
}

/** Lays out and assembles the given forms (tests build small suites of their own forms with it). */
export function suiteOf(bits: Bits, forms: Form[]): Suite {
  const slots: Slot[] = [];
  const slotsOfForm: number[][] = [];
  const texts: string[] = [];
  forms.forEach((f, fi) => {
    slotsOfForm.push([]);
    f.variants.forEach((v, vi) => {
      slotsOfForm[fi].push(slots.length);
      slots.push({ form: fi, variant: vi, bytes: Buffer.alloc(0) });
      texts.push(v.asm);
    });
  });
  if (slots.length > MAX_SLOTS) throw new Error(`too many code slots: ${slots.length}`);
  const bytes = assembleSnippets(bits, texts);
  const hostCode = Buffer.alloc(slots.length * SLOT_SIZE, 0xcc);
  const interpCode = Buffer.alloc(slots.length * SLOT_SIZE, 0xcc);
  slots.forEach((s, i) => {
    s.bytes = bytes[i];
    if (s.bytes.length > SLOT_SIZE - 5) throw new Error(`snippet too long: ${texts[i]}`);
    const at = i * SLOT_SIZE;
    s.bytes.copy(hostCode, at);
    s.bytes.copy(interpCode, at);
    const end = at + s.bytes.length;
    hostCode[end] = 0xe9; // jmp rel32 to the runner's exit jump
    hostCode.writeInt32LE(EXIT_JUMP - (CODE_BASE + end + 5), end + 1);
    interpCode[end] = 0xf4; // hlt
  });
  return { bits, forms, slots, slotsOfForm, hostCode, interpCode };
}

/**
 * Case generators: `rng` draws the slot, general registers, flags, operand
 * and memory seed; `fp` the x87/MMX/SSE state (a separate stream, so the
 * general-register inputs of a seed did not change when the state was added).
 */
export interface CaseRngs { rng: Rng; fp: Rng }
export function caseRngs(seed: number): CaseRngs { return { rng: new Rng(seed), fp: new Rng((seed ^ 0xf87f87) >>> 0) }; }

/** Writes one random case of form `fi` at `off` of `buf`. */
export function writeCase(suite: Suite, fi: number, g: CaseRngs, buf: Buffer, off: number): void {
  const { rng } = g;
  const c = new CaseRef(buf, off);
  const slots = suite.slotsOfForm[fi];
  const slot = slots[rng.below(slots.length)];
  c.slot = slot;
  c.memSeed = rng.u32();
  const sizes = [8, 16, 32, 64] as const;
  for (let i = 0; i < 16; i++) c.setReg(i, rng.edge(rng.pick(sizes)));
  c.setReg(REG.rsp, BigInt(STACK_TOP));
  c.setReg(REG.rbx, BigInt(OPERAND_AREA));
  for (let k = 0; k < 32; k += 8) c.setOperand(k, 64, rng.edge(rng.pick(sizes)));
  c.flags = (rng.u32() & (STATUS_FLAGS | FLAG.DF)) | FLAG.IF | 2;
  const form = suite.forms[fi];
  if (form.fp) randomFpState(c, g.fp);
  else plainFpState(c, g.fp);
  if (form.unmask && g.fp.chance(form.unmask)) {
    c.mxcsr = randomMxcsr(g.fp, true);
    const fcw = randomFcw(g.fp, true);
    c.fcw = fcw;
    c.fsw = withSummary(c.fsw & ~(~fcw & FCW_MASKS), fcw); // TOP kept; flags now unmasked cleared, for the instruction to raise
  }
  form.setup?.(c, rng, form.variants[suite.slots[slot].variant]);
}

/** `perForm` cases of every form, form-major (the fixed-seed subset). */
export function casesPerForm(suite: Suite, seed: number, perForm: number): Buffer {
  const g = caseRngs(seed);
  const buf = Buffer.alloc(suite.forms.length * perForm * IN.size);
  let off = 0;
  for (let fi = 0; fi < suite.forms.length; fi++) {
    for (let k = 0; k < perForm; k++, off += IN.size) writeCase(suite, fi, g, buf, off);
  }
  return buf;
}

/** `n` cases of uniformly random forms (fuzzing), optionally only of the forms with these indices. */
export function randomCases(suite: Suite, g: CaseRngs, n: number, only?: number[]): Buffer {
  const buf = Buffer.alloc(n * IN.size);
  for (let k = 0; k < n; k++) writeCase(suite, only ? only[g.rng.below(only.length)] : g.rng.below(suite.forms.length), g, buf, k * IN.size);
  return buf;
}
