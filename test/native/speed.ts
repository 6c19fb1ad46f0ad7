/**
 * Speed figures of the interp backend, run by hand (not a test):
 *   node dist/test/native/speed.js
 * - guest MIPS on a tight 64-bit ALU loop (add/xor/dec/jnz)
 * - port-I/O exit round trip: OUT in a loop, a TypeScript handler that does nothing
 */
import { TestVm, abi } from './harness.js';

function mips(iterations: number): void {
  const t = new TestVm();
  t.prepare('long64', `
    mov $${iterations}, %rcx
    xor %eax, %eax
    mov $3, %ebx
1:  add %rbx, %rax
    xor %rcx, %rax
    dec %rcx
    jnz 1b
    hlt`);
  const start = process.hrtime.bigint();
  const r = t.run();
  const ns = Number(process.hrtime.bigint() - start);
  const insns = Number(t.u64(abi.TSV_OFF_SLICE_INSTRUCTIONS));
  if (r !== abi.TSV_EXIT_HLT) throw new Error(`unexpected exit ${r}: ${t.message()}`);
  console.log(`ALU loop: ${insns} instructions in ${(ns / 1e6).toFixed(1)} ms = ${(insns / (ns / 1e3)).toFixed(0)} MIPS`);
}

function pioRoundTrip(exits: number): void {
  const t = new TestVm();
  t.prepare('long64', `
    mov $${exits}, %ecx
    mov $0x80, %dx
1:  out %al, %dx
    dec %ecx
    jnz 1b
    hlt`);
  const cpu = t.cpu;
  let n = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    const r = cpu.run();
    if (r === abi.TSV_EXIT_IO) { n++; continue; }
    break;
  }
  const ns = Number(process.hrtime.bigint() - start);
  console.log(`port-I/O exit round trip: ${n} exits, ${(ns / n).toFixed(0)} ns per exit`);
}

mips(Number(process.argv[2] ?? 1e8));
pioRoundTrip(Number(process.argv[3] ?? 1e6));
