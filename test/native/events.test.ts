import test from 'ava';
import { TestVm, abi, LAYOUT, native, assemble } from './harness.js';

const sliceReason = (v: TestVm): number => v.st.getUint32(abi.TSV_OFF_EXIT_SLICE_REASON, true);

test('budget ends the slice exactly at the instruction count', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    xor %eax, %eax
  1: inc %eax
    jmp 1b`);
  v.setU64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, 1001);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(sliceReason(v), abi.TSV_SLICE_BUDGET);
  t.is(v.u64(abi.TSV_OFF_SLICE_INSTRUCTIONS), 1001n);
  t.is(v.get('rax'), 500n);
  v.setU64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, 1);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(v.get('rax'), 501n);
  t.is(v.u64(abi.TSV_OFF_INSTRET), 1002n);
  t.is(new DataView(v.vmState).getBigUint64(abi.TSV_OFF_VM_INSTRET, true), 1002n);
});

test('host deadline and immediate_exit end the slice', (t) => {
  const v = new TestVm();
  v.prepare('long64', '1: jmp 1b');
  v.setU64(abi.TSV_OFF_RUN_DEADLINE_HOST_NS, native.hostMonotonicNs() + 2_000_000n);
  const start = process.hrtime.bigint();
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(sliceReason(v), abi.TSV_SLICE_DEADLINE);
  t.true(process.hrtime.bigint() - start < 200_000_000n);
  v.setU64(abi.TSV_OFF_RUN_DEADLINE_HOST_NS, 0);
  v.st.setUint8(abi.TSV_OFF_IMMEDIATE_EXIT, 1);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(sliceReason(v), abi.TSV_SLICE_IMMEDIATE_EXIT);
  t.is(v.u64(abi.TSV_OFF_SLICE_INSTRUCTIONS), 0n);
});

test('PAUSE ends the slice while TSV_OFF_PAUSE_EXITS is set, and is a hint otherwise', (t) => {
  const v = new TestVm();
  v.prepare('long64', 'pause; pause; hlt');
  v.st.setUint8(abi.TSV_OFF_PAUSE_EXITS, 1);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(sliceReason(v), abi.TSV_SLICE_PAUSE);
  v.st.setUint8(abi.TSV_OFF_PAUSE_EXITS, 0);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.u64(abi.TSV_OFF_SLICE_INSTRUCTIONS), 2n, 'the second PAUSE and HLT retired in one run');
});

test('WRMSR IA32_TSC and IA32_TSC_ADJUST end the slice (clocks derived from the TSC are republished)', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $0x10, %ecx
    xor %eax, %eax
    xor %edx, %edx
    wrmsr
    mov $0x3b, %ecx
    wrmsr
    hlt`);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(sliceReason(v), abi.TSV_SLICE_TSC_WRITE);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(sliceReason(v), abi.TSV_SLICE_TSC_WRITE);
  t.is(v.run(), abi.TSV_EXIT_HLT);
});

test('external interrupt injection in long mode, wake from HLT, IRETQ, window exit after STI shadow', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  // vector 0x40 handler: count in r12, iretq
  v.ram.set(Buffer.from([0x49, 0xff, 0xc4, 0x48, 0xcf]), 0x41000); // inc %r12; iretq
  const idt = LAYOUT.idt;
  v.ramView.setBigUint64(idt + 16 * 0x40, 0x1000n | (0x18n << 16n) | (0x8en << 40n) | (0x4n << 48n), true);
  v.setU64(abi.TSV_OFF_IDTR, idt);
  v.st.setUint32(abi.TSV_OFF_IDTR + 8, 0xfff, true);
  v.load('long64', `
    sti
    hlt
    cli
    nop
    sti
    hlt`);
  v.set('r12', 0);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.st.getUint8(abi.TSV_OFF_IF_FLAG), 1);
  t.is(v.st.getUint8(abi.TSV_OFF_READY_FOR_INJECTION), 1);
  v.st.setInt32(abi.TSV_OFF_PENDING_IRQ, 0x40, true);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.get('r12'), 1n);
  t.is(v.st.getInt32(abi.TSV_OFF_PENDING_IRQ, true), -1);

  // interrupt window: closed by CLI, open one instruction after STI
  const w = new TestVm();
  w.prepare('long64', 'cli; nop; sti; nop; nop; hlt');
  w.st.setUint8(abi.TSV_OFF_REQUEST_IRQ_WINDOW, 1);
  t.is(w.run(), abi.TSV_EXIT_IRQ_WINDOW_OPEN);
  t.is(w.rip, BigInt(LAYOUT.code + 4));
  t.is(w.st.getUint8(abi.TSV_OFF_READY_FOR_INJECTION), 1);
  w.st.setUint8(abi.TSV_OFF_REQUEST_IRQ_WINDOW, 0);
  t.is(w.run(), abi.TSV_EXIT_HLT);
});

test('real-mode interrupts through the IVT, INT n and IRET', (t) => {
  const v = new TestVm();
  v.setMode('real');
  // IVT entry 0x21 -> 0000:0x7000 ; handler: mov $0x55,%bl ; iret
  v.ramView.setUint32(0x21 * 4, 0x7000, true);
  v.ram.set(Buffer.from([0xb3, 0x55, 0xcf]), 0x7000);
  v.setU64(abi.TSV_OFF_IDTR, 0);
  v.st.setUint32(abi.TSV_OFF_IDTR + 8, 0x3ff, true);
  v.load('real', 'mov $0x7c00, %sp; int $0x21; mov %bl, %cl; hlt');
  v.runToHlt();
  t.is(v.get('rcx') & 0xffn, 0x55n);
  t.is(v.get('rsp') & 0xffffn, 0x7c00n);
});

test('pending exception injected by TypeScript, NMI delivery', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  v.load('long64', 'nop; nop; hlt');
  v.st.setUint8(abi.TSV_OFF_PENDING_EXCEPTION_VALID, 1);
  v.st.setUint8(abi.TSV_OFF_PENDING_EXCEPTION_VECTOR, 13);
  v.st.setUint8(abi.TSV_OFF_PENDING_EXCEPTION_HAS_ERROR, 1);
  v.st.setUint32(abi.TSV_OFF_PENDING_EXCEPTION_ERROR, 0x18, true);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.reported().vector, 13);
  t.is(v.reported().w0, 0x18n);
  t.is(v.st.getUint8(abi.TSV_OFF_PENDING_EXCEPTION_VALID), 0);

  const w = new TestVm();
  w.setMode('long64');
  w.installReportingIdt('long64');
  w.load('long64', 'cli; nop; hlt');
  w.st.setUint8(abi.TSV_OFF_PENDING_NMI, 1);
  t.is(w.run(), abi.TSV_EXIT_HLT);
  t.is(w.reported().vector, 2);
  t.is(w.st.getUint8(abi.TSV_OFF_PENDING_NMI), 0);
});

test('page fault: error code and CR2; 4-level paging with 4 KiB pages, NX and U/S', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  // map 0x40000000 (1 GiB) with a 4 KiB page table: page 0 present read-only, page 1 not present, page 2 NX
  const pdpt = LAYOUT.pml4 + 0x1000;
  const pd2 = 0x30000, pt = 0x31000;
  v.ramView.setBigUint64(pdpt + 8, BigInt(pd2 | 7), true);
  v.ramView.setBigUint64(pd2, BigInt(pt | 7), true);
  v.ramView.setBigUint64(pt, 0x90000n | 5n, true); // P U, not writable
  v.ramView.setBigUint64(pt + 16, 0x91000n | 7n | (1n << 63n), true); // NX
  v.ramView.setUint32(0x90000, 0xfeedface, true);
  v.load('long64', `
    mov $0x40000000, %rbx
    mov (%rbx), %eax           # ok
    mov %eax, %r8d
    mov 0x1000(%rbx), %eax     # not present: #PF err=0
    hlt`);
  v.runToHlt();
  t.is(v.get('r8'), 0xfeedfacen);
  t.is(v.reported().vector, 14);
  t.is(v.reported().w0, 0n);
  t.is(v.u64(abi.TSV_OFF_CR2), 0x40001000n);
  // accessed bit set by the walker
  t.true((v.ramView.getBigUint64(LAYOUT.pml4 + 0x1000 + 8, true) & 0x20n) !== 0n);

  const cases: Array<[string, bigint, bigint]> = [
    ['mov $0x40000000, %rbx; movl $1, (%rbx); hlt', 3n, 0x40000000n], // write to read-only with CR0.WP: P|W
    ['mov $0x40002000, %rax; jmp *%rax', 0x11n, 0x40002000n], // NX fetch: P|I
  ];
  for (const [code, err, cr2] of cases) {
    const w = new TestVm();
    w.setMode('long64');
    w.installReportingIdt('long64');
    w.ram.set(v.ram.subarray(0x30000, 0x32000), 0x30000);
    w.ramView.setBigUint64(pdpt + 8, BigInt(pd2 | 7), true);
    w.load('long64', code);
    w.runToHlt();
    t.is(w.reported().vector, 14, code);
    t.is(w.reported().w0, err, code);
    t.is(w.u64(abi.TSV_OFF_CR2), cr2, code);
  }
  t.is(v.cpu.translate(0x40000000, false, true), 0x90000);
  t.is(v.cpu.translate(0x40000000, true, false), -1);
  t.is(v.cpu.translate(0x40001000, false, false), -1);
});

test('32-bit paging with 4 MiB pages and PAE paging', (t) => {
  const v = new TestVm();
  v.setMode('prot32');
  // 32-bit: PDE 0 = 4 MiB identity page, PDE 1 -> 0x400000 maps to physical 0 as well
  const pd = 0x20000;
  v.ramView.setUint32(pd, 0x83 | 0x4, true);
  v.ramView.setUint32(pd + 4, 0x83, true);
  v.setU64(abi.TSV_OFF_CR3, pd);
  v.setU64(abi.TSV_OFF_CR4, 0x10); // PSE
  v.setU64(abi.TSV_OFF_CR0, 0x80000011);
  v.load('prot32', 'movl $0x1234, 0x60000; mov 0x460000, %eax; hlt');
  v.runToHlt();
  t.is(v.get('rax'), 0x1234n);
  t.true((v.ramView.getUint32(pd + 4, true) & 0x20) !== 0); // accessed

  const w = new TestVm();
  w.setMode('prot32');
  // PAE: PDPT at 0x20000, PD at 0x21000 with 2 MiB pages
  w.ramView.setBigUint64(0x20000, 0x21001n, true);
  w.ramView.setBigUint64(0x21000, 0x83n, true);
  w.ramView.setBigUint64(0x21008, 0x83n, true); // 0x200000 -> 0
  w.setU64(abi.TSV_OFF_CR3, 0x20000);
  w.setU64(abi.TSV_OFF_CR4, 0x20);
  w.setU64(abi.TSV_OFF_CR0, 0x80000011);
  w.load('prot32', 'movl $0x4321, 0x60000; mov 0x260000, %eax; hlt');
  w.runToHlt();
  t.is(w.get('rax'), 0x4321n);
  t.true((w.ramView.getBigUint64(0x21000, true) & 0x40n) !== 0n); // dirty
});

test('entering long mode from protected mode (CR4.PAE, EFER.LME, CR0.PG, far jump)', (t) => {
  const v = new TestVm();
  v.setMode('prot32');
  v.writePageTables();
  v.load('prot32', `
    mov $${LAYOUT.pml4}, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x20, %eax
    mov %eax, %cr4
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    ljmp $0x18, $long
  .code64
  long:
    movabs $0x1122334455667788, %rax
    mov $0xc0000080, %ecx
    rdmsr
    mov %rax, %rbx
    hlt`);
  v.runToHlt();
  t.is(v.get('rbx') & 0x500n, 0x500n); // LME and LMA
  t.is(v.seg('cs').sel, 0x18);
});

test('triple fault exits with SHUTDOWN', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.setU64(abi.TSV_OFF_IDTR, 0);
  v.st.setUint32(abi.TSV_OFF_IDTR + 8, 0, true); // empty IDT: #UD -> #GP -> #DF -> shutdown
  v.load('long64', 'ud2');
  t.is(v.run(), abi.TSV_EXIT_SHUTDOWN);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_SHUTDOWN_REASON, true), abi.TSV_SHUTDOWN_TRIPLE_FAULT);
});

test('self-modifying code: a guest store invalidates decoded blocks; invalidateCode for host writes', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $3, %ecx
  again:
    call target
    lea target(%rip), %rdi
    movb $0x05, 1(%rdi)        # patch the immediate of "mov $1, %al" below
    dec %ecx
    jnz again
    hlt
  target:
    mov $1, %al
    add %al, %bl
    ret
  `);
  v.set('rbx', 0);
  v.runToHlt();
  t.is(v.get('rbx') & 0xffn, 1n + 5n + 5n);

  // a store inside the running block itself
  const w = new TestVm();
  w.prepare('long64', `
    lea 1f(%rip), %rdi
    movb $0x07, 1(%rdi)
  1: mov $1, %al
    hlt`);
  w.runToHlt();
  t.is(w.get('rax') & 0xffn, 7n);

  // host write + invalidateCode
  const x = new TestVm();
  x.prepare('long64', 'mov $1, %al; hlt');
  x.runToHlt();
  x.ram[LAYOUT.code + 1] = 9;
  x.vm.invalidateCode(LAYOUT.code, 2);
  x.rip = BigInt(LAYOUT.code);
  x.runToHlt();
  t.is(x.get('rax') & 0xffn, 9n);
});

test('SYSCALL/SYSRET and SWAPGS', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.load('long64', `
    mov $0xc0000081, %ecx          # STAR: kernel CS 0x18 (SS 0x20 is unused here), user base 0x20 -> CS 0x30|3 for 64-bit
    xor %eax, %eax
    mov $0x00200018, %edx
    wrmsr
    mov $0xc0000082, %ecx
    lea entry(%rip), %rax
    mov %rax, %rdx
    shr $32, %rdx
    wrmsr
    mov $0xc0000102, %ecx          # KERNEL_GS_BASE
    mov $0x5000, %eax
    xor %edx, %edx
    wrmsr
    lea user(%rip), %rcx
    mov $0x202, %r11
    sysretq
  user:
    mov $42, %eax
    syscall
    hlt
  entry:
    swapgs
    mov %rcx, %r8
    mov %r11, %r9
    hlt`);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.seg('cs').sel, 0x18);
  t.is(v.seg('gs').base, 0x5000n);
  t.true(v.get('r8') > BigInt(LAYOUT.code));
  t.is(v.get('r9') & 0x200n, 0x200n);
});

test('REP string instructions retire once however long they run (and stay interruptible)', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $0x100000, %edi
    mov $0x40000, %ecx
    xor %eax, %eax
    rep stosb
    hlt`);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.u64(abi.TSV_OFF_SLICE_INSTRUCTIONS), 5n);
  t.is(v.get('rdi'), 0x140000n);
});

test('data writes next to code do not drop the decoded code; writes into it do', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $1000, %ecx
  1: incq counter(%rip)      # data in the same page as the loop
    dec %ecx
    jnz 1b
    lea patch(%rip), %rdi
    movb $0x09, 1(%rdi)
  patch:
    mov $1, %bl
    hlt
    .align 128
  counter: .quad 0`);
  v.runToHlt();
  t.is(v.get('rbx') & 0xffn, 9n);
  // the counter (1000 increments) sits in the same page as the loop
  const img = v.ram.subarray(LAYOUT.code, LAYOUT.code + 0x200);
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  let found = false;
  for (let off = 0; off + 8 <= img.length; off += 8) if (dv.getBigUint64(off, true) === 1000n) found = true;
  t.true(found);
});

test('RFLAGS.TF: a #DB trap after each instruction, with DR6.BS', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  v.load('long64', `
    pushf
    orq $0x100, (%rsp)
    popf                  # TF set: no trap after POPF itself
    mov $1, %eax          # trap after this one
    mov $2, %eax`);
  v.runToHlt();
  t.is(v.reported().vector, 1);
  t.is(v.get('rax'), 1n);
  t.is(v.reported().w0, BigInt(LAYOUT.code + 10 + 5)); // pushf, orq (8 bytes), popf, then RIP after MOV $1
  t.is(v.u64(abi.TSV_OFF_DR + 4 * 8) & 0x4000n, 0x4000n);
});

test('two vCPUs with different address spaces share decoded code but never each other\'s branch links', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  const P0 = 0x90000, P1 = 0x91000, S = 0x92000;
  v.ram.set(assemble('long64', 'mov $0x111, %eax; hlt', 0x40000000), P0);
  v.ram.set(assemble('long64', 'mov $0x222, %eax; hlt', 0x40000000), P1);
  v.ram.set(assemble('long64', 'nop; jmp 0x40000000', 0x40001000), S);
  const setTables = (pml4: number, pdpt: number, pd2: number, pt: number, own: number): void => {
    v.ramView.setBigUint64(pml4, BigInt(pdpt | 7), true);
    v.ramView.setBigUint64(pdpt, BigInt((LAYOUT.pml4 + 0x2000) | 7), true); // shared identity PD
    v.ramView.setBigUint64(pdpt + 8, BigInt(pd2 | 7), true);
    v.ramView.setBigUint64(pd2, BigInt(pt | 7), true);
    v.ramView.setBigUint64(pt, BigInt(own | 3), true);
    v.ramView.setBigUint64(pt + 8, BigInt(S | 3), true);
  };
  setTables(LAYOUT.pml4, LAYOUT.pml4 + 0x1000, 0x30000, 0x31000, P0);
  setTables(0x24000, 0x25000, 0x32000, 0x33000, P1);
  const cpu1 = v.vm.createVcpu(1);
  const st1 = new Uint8Array(cpu1.state);
  for (let round = 0; round < 3; round++) {
    v.rip = 0x40001000n;
    t.is(v.run(), abi.TSV_EXIT_HLT);
    t.is(v.get('rax'), 0x111n);
    st1.set(v.stBytes.subarray(0, 0x200));
    const d1 = new DataView(cpu1.state);
    d1.setBigUint64(abi.TSV_OFF_CR3, 0x24000n, true);
    d1.setBigUint64(abi.TSV_OFF_RIP, 0x40001000n, true);
    t.is(cpu1.run(), abi.TSV_EXIT_HLT);
    t.is(d1.getBigUint64(abi.TSV_OFF_GPR, true), 0x222n);
  }
});
