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
  const cpu0 = process.cpuUsage();
  const r = t.run();
  const ns = Number(process.hrtime.bigint() - start);
  const cpuUs = process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system;
  const insns = Number(t.u64(abi.TSV_OFF_SLICE_INSTRUCTIONS));
  if (r !== abi.TSV_EXIT_HLT) throw new Error(`unexpected exit ${r}: ${t.message()}`);
  // CPU time is the figure that does not depend on other load on the machine
  console.log(`ALU loop: ${insns} instructions in ${(ns / 1e6).toFixed(1)} ms wall = ${(insns / (ns / 1e3)).toFixed(0)} MIPS` +
    ` (${(insns / cpuUs).toFixed(0)} MIPS per CPU-second)`);
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
  const cpu0 = process.cpuUsage();
  for (;;) {
    const r = cpu.run();
    if (r === abi.TSV_EXIT_IO) { n++; continue; }
    break;
  }
  const ns = Number(process.hrtime.bigint() - start);
  const u = process.cpuUsage(cpu0);
  console.log(`port-I/O exit round trip: ${n} exits, ${(ns / n).toFixed(0)} ns per exit wall (${((u.user + u.system) * 1000 / n).toFixed(0)} ns CPU)`);
}

mips(Number(process.argv[2] ?? 1e8));
pioRoundTrip(Number(process.argv[3] ?? 1e6));
