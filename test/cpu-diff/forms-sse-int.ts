/**
 * MMX and SSE2 integer forms (the sse-int family): packed integer
 * arithmetic, logic, shifts, compares, packs/unpacks and moves on MMX and
 * XMM registers, plus the SSE/SSE2 fences, prefetches and cache-line
 * flushes. MMX registers are the significands of the x87 registers: the
 * random state gives them integer-lane edge values (fp-values.ts mmEdge), and
 * CaseRef.setMm/mm address them by register number whatever TOP is.
 */
import type { FormBuilder } from './families.js';

export function addSseIntForms(b: FormBuilder): void {
  const { M } = b;
  // ordering and cache hints: no architectural effect beyond faults, state untouched
  b.add('sfence', ['sfence']);
  b.add('lfence', ['lfence']);
  b.add('mfence', ['mfence']);
  b.add('prefetch m8', [`prefetchnta ${M}`, `prefetcht0 3${M}`, `prefetcht1 -0x10${M}`, `prefetcht2 0x10${M}`]);
  b.add('clflush m8', [`clflush ${M}`, `clflush 0x13${M}`]);
}
