/**
 * SSE3, SSSE3, SSE4.1, SSE4.2, AES and PCLMULQDQ forms (the sse4 family).
 * Instructions join here when the interpreter implements them (a form whose
 * instruction raises #UD in the interpreter is a mismatch); add them with
 * b.add(name, variants, { setup, ignore }) as the other family files do.
 * 0F 3A forms carry an imm8: draw a few with b.rng so that a seed fixes
 * them, plus the edge values the instruction treats specially.
 */
import type { FormBuilder } from './families.js';

export function addSse4Forms(b: FormBuilder): void {
  void b; // no SSE3..SSE4.2/AES/PCLMUL instruction is implemented yet
}
