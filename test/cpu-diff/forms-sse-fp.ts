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
import { randomMxcsr, reservedMxcsrBit } from './fp-state.js';
import type { Rng } from './rng.js';

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
}
