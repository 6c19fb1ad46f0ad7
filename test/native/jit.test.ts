/**
 * The block JIT (native/cpu/jit, docs/jit.md): every program here runs twice, once with
 * TSVISOR_JIT=always (each block translated at its first execution) and once interpreted,
 * and must end in the same state after the same number of instructions; the JIT run must
 * really have translated code. Specific results are checked as well, so a change that broke
 * both sides the same way still fails.
 */
import test from 'ava';
import { abi, GPR, LAYOUT, TestVm } from './harness.js';

const PD = LAYOUT.pml4 + 0x2000;  // the harness's page directory (2 MiB pages)

/** A VM created with these TSVISOR_JIT* variables (the native side reads them when the VM is created). */
function makeVm(jit: 'always' | 'off', arenaKb?: number): TestVm {
  const env: Record<string, string | undefined> = { TSVISOR_JIT: jit, TSVISOR_JIT_ARENA_KB: arenaKb === undefined ? undefined : String(arenaKb) };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (vals: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(vals)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  try {
    return new TestVm();
  } finally {
    apply(saved);
  }
}

interface Outcome {
  gprs: bigint[];
  rip: bigint;
  rflags: bigint;
  cr2: bigint;
  instructions: bigint;
  data: Buffer;
  /** what the reporting IDT stored: vector, error code, RIP */
  report: Buffer;
  slices: string[];
}

/**
 * Runs `source` (64-bit) until HLT in slices of `budget` instructions, recording RIP and RAX at
 * every slice end: the JIT must stop at exactly the interpreter's instruction.
 */
function runProgram(jit: 'always' | 'off', source: string, prepare?: (v: TestVm) => void, budget = 0, arenaKb?: number): { v: TestVm; out: Outcome } {
  const v = makeVm(jit, arenaKb);
  v.setMode('long64');
  v.installReportingIdt('long64');
  prepare?.(v);
  v.load('long64', source);
  v.setU64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, budget);
  const slices: string[] = [];
  let instructions = 0n;
  for (let k = 0; k < 100000; k++) {
    const r = v.run();
    instructions += v.u64(abi.TSV_OFF_SLICE_INSTRUCTIONS);
    if (r === abi.TSV_EXIT_HLT) break;
    if (r !== abi.TSV_EXIT_SLICE_END) throw new Error(`unexpected exit ${r} at 0x${v.rip.toString(16)}: ${v.message()}`);
    slices.push(`${v.rip.toString(16)}:${v.get('rax').toString(16)}`);
  }
  const out: Outcome = {
    gprs: GPR.map((r) => v.get(r)),
    rip: v.rip,
    rflags: v.rflags,
    cr2: v.u64(abi.TSV_OFF_CR2),
    instructions,
    data: Buffer.from(v.ram.subarray(0x60000, 0x62000)),
    report: Buffer.from(v.ram.subarray(0x5000, 0x5018)),
    slices,
  };
  return { v, out };
}

/** Runs both ways, checks they agree and that the JIT translated blocks; returns the JIT run. */
function bothAgree(t: import('ava').ExecutionContext, source: string, prepare?: (v: TestVm) => void, budget = 0, arenaKb?: number): { v: TestVm; out: Outcome } {
  const jit = runProgram('always', source, prepare, budget, arenaKb);
  const interp = runProgram('off', source, prepare, budget);
  const stats = jit.v.vm.jitStats!();
  if (!stats.enabled) {
    t.log('this host has no block JIT (not x86-64, or no executable memory): interpreter only');
  } else {
    t.true(stats.blocks > 0, 'the JIT translated nothing');
    t.true(stats.runs >= stats.blocks);
  }
  t.is(interp.v.vm.jitStats!().blocks, 0, 'TSVISOR_JIT=off still translated');
  t.deepEqual(jit.out, interp.out);
  return jit;
}

test('integer forms (8/16/32/64-bit, high byte registers, memory operands, PUSH/POP, MUL/IMUL, ROL/ROR) match the interpreter', (t) => {
  const { out } = bothAgree(t, `
    mov $0x60000, %rbx
    mov $0x0123456789abcdef, %rax
    mov %rax, (%rbx)
    mov $0x1234, %ecx
    mov $50, %r12d
  again:
    add %ch, %al            # high byte registers
    sub %cl, %ah
    xchg %ah, %bl
    xchg %ah, %bl
    inc %bh
    dec %bh
    movzbl %ah, %edx
    movsbl %ch, %esi
    add %dx, %si
    adc %esi, %eax           # carry from the 16-bit ADD
    imul $-7, %rax, %rdi
    imul %rcx, %rdi
    mov %rdi, 8(%rbx)
    add 8(%rbx), %rdx
    sbb %rdx, 16(%rbx)
    xor %eax, %eax
    cmp %r12, %rdx
    setb %al
    cmovae %rdx, %r8
    mov %rcx, %rax
    mul %r12
    push %rax
    push %rdx
    neg %rdx
    not %rax
    pop %r9
    pop %r10
    lea 0x10(%r9,%r10,4), %r11
    shl $3, %r11
    sar $1, %r11d
    shr $5, %r10w
    movslq %r11d, %r13
    cqto
    cltd
    cwtl
    cltq
    test %r13b, %r13b
    sete 24(%rbx)
    andl $0xfff0, 28(%rbx)
    orw $0x55, 30(%rbx)
    incq 32(%rbx)
    negq 40(%rbx)
    rol $13, %r11            # ROL/ROR: translated only where their flags are dead
    ror $3, %r11w
    rorb $9, %dl
    add %r13, %rcx
    xor %r11, %rcx
    dec %r12
    jnz again
    hlt`);
  t.is(out.gprs[GPR.indexOf('r12')], 0n);
  t.is(out.instructions, 5n + 50n * 49n + 1n, 'every instruction counted once');
});

test('icount: slices of any size stop at the same instruction with the same state', (t) => {
  // an MPI-style multiply-accumulate loop: IMUL/ADD/ADC/SETB/CMOVAE/DEC/JNZ over memory
  const src = `
    mov $0x60000, %rsi
    mov $300, %ecx
    xor %r9d, %r9d
    mov $0x9e3779b97f4a7c15, %r8
  loop:
    mov (%rsi,%rcx,8), %rax
    mul %r8
    add %r9, %rax
    adc $0, %rdx
    mov %rax, 0x800(%rsi,%rcx,8)
    mov %rdx, %r9
    cmp %rax, %r9
    setb %bl
    cmovae %rax, %r10
    add %r10, (%rsi,%rcx,8)
    dec %rcx
    jnz loop
    hlt`;
  for (const budget of [0, 49, 100, 777, 1001]) {
    const { out } = bothAgree(t, src, undefined, budget);
    t.is(out.instructions, 4n + 300n * 12n + 1n);
    if (budget) t.true(out.slices.length >= Math.floor(3600 / budget) - 1, `budget ${budget}: ${out.slices.length} slices`);
  }
});

test('#PF on a memory operand in the middle of a translated block: earlier instructions done, later ones not', (t) => {
  const unmapTop = (v: TestVm): void => v.ramView.setBigUint64(PD + 8, 0n, true);  // 2..4 MiB not present
  const { v, out } = bothAgree(t, `
    mov $0x1fffe0, %rsi
    xor %edx, %edx
    mov $7, %ecx
  loop:
    add $1, %rdx
    mov %rdx, (%rsi)         # the fifth store reaches 0x200000
    add $8, %rsi
    mov $9, %ecx
    jmp loop`, unmapTop);
  t.is(v.reported().vector, 14);
  t.is(v.reported().w0, 2n, 'error code: a write to a not-present page');
  t.is(out.cr2, 0x200000n);
  // (the reporting handler itself uses RAX and RBX)
  t.is(out.gprs[GPR.indexOf('rdx')], 5n, 'the ADD before the store ran');
  t.is(out.gprs[GPR.indexOf('rsi')], 0x200000n, 'the ADD after the store did not');
  t.is(out.gprs[GPR.indexOf('rcx')], 9n, 'the iterations before ran whole');
  t.is(v.reported().w1, BigInt(LAYOUT.code) + 18n, 'the pushed RIP is the store');
});

test('a flags consumer after a memory operand that missed the TLB, then hit it', (t) => {
  const { out } = bothAgree(t, `
    mov $0x60000, %rbx
    movq $5, 0x100(%rbx)
    mov $3, %ecx
    xor %r8d, %r8d
    xor %r9d, %r9d
  loop:
    cmp $2, %rcx             # producer
    mov 0x100(%rbx), %rax    # memory operand between producer and consumers
    setb %dl
    adc %rax, %r8
    sbb $0, %r9
    movzbl %dl, %edx
    add %rdx, %r9
    dec %rcx
    jnz loop
    hlt`);
  // rcx = 3, 2, 1: CF of CMP is 0, 0, 1
  t.is(out.gprs[GPR.indexOf('r8')], 5n * 3n + 1n);
  t.is(out.gprs[GPR.indexOf('r9')], 1n, 'SETB of the last iteration');
});

test('self-modifying code rewrites a translated block', (t) => {
  const { out } = bothAgree(t, `
    xor %r8d, %r8d
    mov $4, %ecx
  loop:
    call patched
    add %rax, %r8
    cmp $2, %ecx
    jne skip
    movl $0x90909090, patched + 1(%rip)   # mov $1, %eax -> mov $0x90909090, %eax
  skip:
    dec %ecx
    jnz loop
    hlt
  patched:
    mov $1, %eax
    add %eax, %eax
    ret`);
  t.is(out.gprs[GPR.indexOf('r8')], 3n * 2n + ((2n * 0x90909090n) & 0xffffffffn));
});

test('a full code arena is emptied and the blocks are translated again', (t) => {
  // 300 blocks of ~250 bytes of code each overflow a 64 KiB arena several times per pass
  const { v, out } = bothAgree(t, `
    mov $3, %r12d
  outer:
    .rept 300
    add $1, %rax
    imul $3, %rax, %rcx
    xor %rcx, %rdx
    jmp 1f
  1:
    .endr
    dec %r12
    jnz outer
    hlt`, undefined, 0, 64);
  const stats = v.vm.jitStats!();
  if (stats.enabled) {
    t.true(stats.flushes > 0, 'the arena never filled');
    t.true(stats.blocks > 300, 'blocks were not translated again after a flush');
  }
  t.is(out.gprs[GPR.indexOf('rax')], 900n);
});

test('CALL and RET in translated code: nested calls, RET imm16, a non-canonical return address raises #GP', (t) => {
  const { v, out } = bothAgree(t, `
    xor %r8d, %r8d
    mov $20, %ecx
  loop:
    push %rcx
    call f
    dec %ecx
    jnz loop
    mov $0x0000800000000000, %rdx   # not canonical with 4-level paging
    push %rdx
    ret
  f:
    call g
    add %rsi, %r8
    ret $8                          # drops the pushed RCX
  g:
    mov 16(%rsp), %rsi
    ret`);
  t.is(v.reported().vector, 13);
  t.is(out.gprs[GPR.indexOf('r8')], 20n * 21n / 2n);
  t.is(out.gprs[GPR.indexOf('rdx')], 0x800000000000n);
});
