import test from 'ava';
import { TestVm, abi, LAYOUT, FLAGS, assemble } from './harness.js';

test('32-bit: INT from ring 3 switches to the TSS ring-0 stack, IRET returns to ring 3', (t) => {
  const v = new TestVm();
  v.setMode('prot32');
  // GDT additions: 0x40 code32 DPL3, 0x48 data32 DPL3, 0x50 TSS32
  const g = LAYOUT.gdt;
  v.ramView.setBigUint64(g + 0x40, 0x00cffb000000ffffn, true);
  v.ramView.setBigUint64(g + 0x48, 0x00cff3000000ffffn, true);
  const tss = 0x6000n;
  v.ramView.setBigUint64(g + 0x50, 0x67n | ((tss & 0xffffffn) << 16n) | (0x89n << 40n), true);
  v.st.setUint32(abi.TSV_OFF_GDTR + 8, 0x57, true);
  v.ramView.setUint32(0x6004, 0x7e000, true); // ESP0
  v.ramView.setUint16(0x6008, 0x10, true); // SS0
  v.setSeg('tr', 0x50, 0x6000, 0x67, 0x8b);
  // IDT vector 0x80: 32-bit trap gate DPL3 -> handler
  v.setU64(abi.TSV_OFF_IDTR, LAYOUT.idt);
  v.st.setUint32(abi.TSV_OFF_IDTR + 8, 0x7ff, true);
  const bin = v.load('prot32', `
    push $0x4b            # SS3 (0x48|3)
    push $0x70000         # ESP3
    pushf
    push $0x43            # CS3
    push $user
    iret
  user:
    mov $7, %eax
    int $0x80
    mov %cs, %ebx
    mov %esp, %ecx
    hlt_ring3:
    jmp .
  handler:
    mov %esp, %esi        # ring-0 stack
    mov 4(%esp), %edi     # saved CS
    add $1, %eax
    iret
  `);
  const handler = LAYOUT.code + bin.indexOf(Buffer.from([0x89, 0xe6])); // mov %esp,%esi
  const h = BigInt(handler);
  v.ramView.setBigUint64(LAYOUT.idt + 0x80 * 8, (h & 0xffffn) | (0x08n << 16n) | (0xefn << 40n) | (((h >> 16n) & 0xffffn) << 48n), true);
  v.setU64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, 30);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(v.get('rax'), 8n);
  t.is(v.get('rsi'), 0x7e000n - 20n); // SS, ESP, EFLAGS, CS, EIP
  t.is(v.get('rdi'), 0x43n);
  t.is(v.get('rbx') & 0xffffn, 0x43n);
  t.is(v.get('rcx'), 0x70000n);
});

test('32-bit: segment loads check descriptors (#GP with the selector as error code)', (t) => {
  const v = new TestVm();
  v.setMode('prot32');
  v.installReportingIdt('prot32');
  v.load('prot32', 'mov $0x08, %ax; mov %ax, %ds; hlt'); // code segment without R... 0x08 is readable code: allowed
  v.runToHlt();
  t.is(v.seg('ds').sel, 0x08);
  const w = new TestVm();
  w.setMode('prot32');
  w.installReportingIdt('prot32');
  w.load('prot32', 'mov $0x1f8, %ax; mov %ax, %es; hlt'); // beyond the GDT limit
  w.runToHlt();
  t.is(w.reported().vector, 13);
  t.is(w.reported().w0 & 0xffffn, 0x1f8n);
  const x = new TestVm();
  x.setMode('prot32');
  x.installReportingIdt('prot32');
  x.load('prot32', 'mov $0x08, %ax; mov %ax, %ss; hlt'); // SS must be writable data
  x.runToHlt();
  t.is(x.reported().vector, 13);
  t.is(x.reported().w0 & 0xffffn, 0x08n);
});

test('far CALL/RET and far JMP through memory pointers in protected mode', (t) => {
  const v = new TestVm();
  v.prepare('prot32', `
    lcall $0x08, $farfn
    mov %eax, %ebx
    ljmp *ptr
  farfn:
    mov $0x99, %eax
    lret
  dest:
    hlt
  ptr: .long dest
       .word 0x08`);
  v.runToHlt();
  t.is(v.get('rbx'), 0x99n);
});

test('RDTSC: icount clock, tsc_offset, WRMSR IA32_TSC, CR4.TSD', (t) => {
  const v = new TestVm();
  const vmv = new DataView(v.vmState);
  vmv.setUint32(abi.TSV_OFF_VM_CLOCK_MODE, abi.TSV_CLOCK_ICOUNT, true);
  vmv.setUint32(abi.TSV_OFF_VM_ICOUNT_SHIFT, 0, true);
  vmv.setBigUint64(abi.TSV_OFF_VM_TSC_KHZ, 1000000n, true); // 1 GHz: 1 tick per ns
  v.prepare('long64', `
    nop
    nop
    rdtsc
    shl $32, %rdx
    or %rax, %rdx
    mov %rdx, %r8
    mov $0x10, %ecx
    mov $1000000, %eax
    xor %edx, %edx
    wrmsr
    rdtsc
    mov %rax, %r9
    rdtscp
    mov %rcx, %r10
    hlt`);
  v.setU64(abi.TSV_OFF_TSC_OFFSET, 100);
  v.runToHlt();
  t.is(v.get('r8'), 2n + 100n); // two NOPs retired before RDTSC
  // after WRMSR at instret 10, the next RDTSC (instret 11) reads 1000000 + 1
  t.is(v.get('r9'), 1000001n);
  t.is(v.get('r10'), 0n);

  const w = new TestVm();
  w.setMode('long64');
  w.installReportingIdt('long64');
  w.setU64(abi.TSV_OFF_CR4, 0x20 | 0x4); // PAE | TSD
  w.load('long64', `
    push $0x33
    push $0x70000
    push $0x2
    push $0x2b
    lea user(%rip), %rax
    push %rax
    iretq
  user:
    rdtsc
    hlt`);
  w.ramView.setBigUint64(LAYOUT.tss + 4, 0x7f000n, true);
  w.runToHlt();
  t.is(w.reported().vector, 13);
});

test('rotates, SHLD/SHRD, BT on memory, CMPXCHG8B/16B, PUSHA/POPA, LES, XLAT, AAM', (t) => {
  const v = new TestVm();
  v.prepare('prot32', `
    mov $0x80000001, %eax
    rol $1, %eax            # 3, CF=1
    pushf
    mov $1, %ebx
    rcr $1, %ebx            # CF(1)->bit31, CF=1
    mov %ebx, %ebp
    mov $0x12345678, %ecx
    mov $0x9abcdef0, %edx
    shld $8, %edx, %ecx     # 0x3456789a
    movl $0, 0x60000
    mov $35, %eax
    bts %eax, 0x60000       # register bit offset: bit 3 of the dword at 0x60004
    mov 0x60004, %esi
    movl $1, 0x61000
    movl $2, 0x61004
    push %ebx
    push %ecx
    mov $1, %eax
    mov $2, %edx
    mov $0x33, %ebx
    mov $0x44, %ecx
    cmpxchg8b 0x61000       # equal: store ecx:ebx
    pop %ecx
    pop %ebx
    pusha
    mov $0, %edi
    popa
    movl $0x1234, 0x62000
    movw $0x10, 0x62004
    les 0x62000, %edi
    mov $0x63000, %ebx
    movb $0x77, 0x63005
    mov $5, %al
    xlat
    mov %al, %dl
    mov $47, %al
    aam
    hlt`);
  v.runToHlt();
  t.is(v.get('rbp'), 0x80000000n);
  t.is(v.get('rcx'), 0x3456789an);
  t.is(v.get('rsi'), 8n);
  t.is(v.ramView.getUint32(0x61000, true), 0x33);
  t.is(v.ramView.getUint32(0x61004, true), 0x44);
  t.is(v.get('rdi'), 0x1234n);
  t.is(v.seg('es').sel, 0x10);
  t.is(v.get('rdx') & 0xffn, 0x77n);
  t.is(v.get('rax') & 0xffffn, 0x0407n);
  const sp = Number(v.get('rsp'));
  t.is(BigInt(v.ramView.getUint32(sp, true)) & FLAGS.CF, FLAGS.CF);

  const w = new TestVm();
  w.prepare('long64', `
    movq $1, 0x61000
    movq $2, 0x61008
    mov $1, %eax
    mov $2, %edx
    mov $0x33, %ebx
    mov $0x44, %ecx
    cmpxchg16b 0x61000
    sete %r8b
    cmpxchg16b 0x61000      # now unequal: rdx:rax get the memory value
    hlt`);
  w.runToHlt();
  t.is(w.get('r8') & 0xffn, 1n);
  t.is(w.ramView.getBigUint64(0x61000, true), 0x33n);
  t.is(w.get('rax'), 0x33n);
  t.is(w.get('rdx'), 0x44n);
});

test('CR and DR moves, CLTS, LMSW/SMSW, SGDT/SIDT, STR/SLDT, CR8', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $0x1234, %rax
    mov %rax, %dr0
    mov %dr0, %rbx
    mov %dr7, %rcx
    mov $5, %eax
    mov %rax, %cr8
    mov %cr8, %rdx
    sgdt 0x60000
    sidt 0x60010
    str %r8w
    smsw %r9
    mov %cr0, %r10
    or $8, %r10
    mov %r10, %cr0
    clts
    mov %cr0, %r11
    hlt`);
  v.runToHlt();
  t.is(v.get('rbx'), 0x1234n);
  t.is(v.get('rcx'), 0x400n);
  t.is(v.get('rdx'), 5n);
  t.is(v.ramView.getUint16(0x60000, true), 9 * 8 - 1);
  t.is(v.ramView.getBigUint64(0x60002, true), BigInt(LAYOUT.gdt));
  t.is(v.get('r8') & 0xffffn, 0x38n);
  t.is(v.get('r9') & 1n, 1n);
  t.is(v.get('r11') & 8n, 0n);
});

test('INT3 and INTO through 64-bit gates; non-canonical access is #GP', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  v.load('long64', 'int3');
  v.runToHlt();
  t.is(v.reported().vector, 3);
  t.is(v.reported().w0, BigInt(LAYOUT.code + 1)); // trap: RIP after INT3
  const w = new TestVm();
  w.setMode('long64');
  w.installReportingIdt('long64');
  w.load('long64', 'movabs $0x0000800000000000, %rax; mov (%rax), %rbx');
  w.runToHlt();
  t.is(w.reported().vector, 13);
  const x = new TestVm();
  x.setMode('prot32');
  x.installReportingIdt('prot32');
  x.load('prot32', 'mov $0x7fffffff, %eax; add $1, %eax; into; hlt');
  x.runToHlt();
  t.is(x.reported().vector, 4);
});

test('vm.destroy: later calls throw, vCPUs stop cleanly', (t) => {
  const v = new TestVm();
  v.prepare('long64', 'hlt');
  v.vm.destroy();
  t.throws(() => v.vm.allocateMemory(4096), { message: /destroyed/ });
  t.throws(() => v.run(), { message: /destroyed/ });
});

test('RDTSC in icount mode counts exactly, also inside a loop of chained blocks', (t) => {
  const v = new TestVm();
  const vmv = new DataView(v.vmState);
  vmv.setUint32(abi.TSV_OFF_VM_CLOCK_MODE, abi.TSV_CLOCK_ICOUNT, true);
  vmv.setBigUint64(abi.TSV_OFF_VM_TSC_KHZ, 1000000n, true);
  v.prepare('long64', `
    mov $10, %ecx
  1: dec %ecx
    jnz 1b
    rdtsc
    hlt`);
  v.runToHlt();
  t.is(v.get('rax'), 1n + 20n);
});

test('LSL/LAR, ARPL outside 64-bit mode', (t) => {
  const v = new TestVm();
  v.prepare('prot32', `
    mov $0x10, %eax
    lsl %eax, %ebx            # flat data: limit 0xffffffff, ZF=1
    lar %eax, %ecx
    mov $0x1f8, %eax
    lsl %eax, %edx            # beyond the GDT: ZF=0, EDX unchanged
    setz %dl
    mov $0x10, %si
    mov $0x13, %di
    arpl %di, %si             # RPL 0 -> 3, ZF=1
    hlt`);
  v.set('rdx', 0x1234500);
  v.runToHlt();
  t.is(v.get('rbx'), 0xffffffffn);
  t.is(v.get('rcx') & 0xfff0ff00n, 0x00c09300n); // bits 19:16 are undefined
  t.is(v.get('rdx'), 0x1234500n);
  t.is(v.get('rsi') & 0xffffn, 0x13n);
});

test('virtual-8086 mode: IRET into it, real-mode addressing, #GP on INT with IOPL<3 back to ring 0', (t) => {
  const v = new TestVm();
  v.setMode('prot32');
  v.installReportingIdt('prot32');
  const g = LAYOUT.gdt;
  const tss = 0x6000n;
  v.ramView.setBigUint64(g + 0x50, 0x67n | ((tss & 0xffffffn) << 16n) | (0x89n << 40n), true);
  v.st.setUint32(abi.TSV_OFF_GDTR + 8, 0x57, true);
  v.ramView.setUint32(0x6004, 0x7e000, true); // ESP0
  v.ramView.setUint16(0x6008, 0x10, true); // SS0
  v.setSeg('tr', 0x50, 0x6000, 0x67, 0x8b);
  // v86 code at 0x7000:0x0000 (linear 0x70000): mov $0x1234, %ax ; mov %ax, (0x10) via DS=0x7000 ; int $0x21
  v.ram.set(Buffer.from([0xb8, 0x34, 0x12, 0xa3, 0x10, 0x00, 0xcd, 0x21]), 0x70000);
  // #GP handler: data segments arrive null from V86, so it reloads DS before reporting
  const stub = assemble('prot32', `
    mov $0x10, %bx
    mov %bx, %ds
    movl $13, 0x5000
    mov (%esp), %ebx
    mov %ebx, 0x5008
    mov 4(%esp), %ebx
    mov %ebx, 0x5010
    mov 8(%esp), %ebx
    mov %ebx, 0x5018
    hlt`, 0x41000);
  v.ram.set(stub, 0x41000);
  v.ramView.setBigUint64(LAYOUT.idt + 13 * 8, 0x1000n | (0x08n << 16n) | (0x8en << 40n) | (0x4n << 48n), true);
  v.load('prot32', `
    push $0           # GS
    push $0           # FS
    push $0x7000      # DS
    push $0           # ES
    push $0x7000      # SS
    push $0xff00      # ESP
    push $0x20002     # EFLAGS: VM, IOPL 0
    push $0x7000      # CS
    push $0           # EIP
    iret`);
  v.runToHlt();
  t.is(v.ramView.getUint16(0x70010, true), 0x1234);
  t.is(v.reported().vector, 13);
  // #GP frame on the ring-0 stack: error code 0, EIP of the INT (6), CS 0x7000
  t.is(v.reported().w0, 0n);
  t.is(v.reported().w1 & 0xffffffffn, 6n);
  t.is(v.ramView.getUint32(0x5018, true), 0x7000);
});

test('POPCNT, LZCNT (F3 0F BD), BSF for F3 0F BC; SYSENTER/SYSEXIT', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $0xf0f0, %eax
    popcnt %rax, %rbx
    mov $0x00ffffff, %ecx
    lzcnt %ecx, %edx
    xor %esi, %esi
    lzcnt %esi, %esi          # 32, CF=1
    setc %r8b
    mov $0x80, %edi
    rep bsf %edi, %r9d        # TZCNT encoding without BMI1: BSF
    hlt`);
  v.runToHlt();
  t.is(v.get('rbx'), 8n);
  t.is(v.get('rdx'), 8n);
  t.is(v.get('rsi'), 32n);
  t.is(v.get('r8') & 0xffn, 1n);
  t.is(v.get('r9'), 7n);

  const w = new TestVm();
  w.setMode('prot32');
  w.load('prot32', `
    mov $0x174, %ecx          # SYSENTER_CS = 0x08 (then 0x10 SS, 0x18/0x20 user... flat enough here)
    mov $0x08, %eax
    xor %edx, %edx
    wrmsr
    mov $0x175, %ecx
    mov $0x7e000, %eax
    wrmsr
    mov $0x176, %ecx
    mov $kernel, %eax
    wrmsr
    sysenter
  kernel:
    mov %esp, %ebx
    hlt`);
  w.runToHlt();
  t.is(w.get('rbx'), 0x7e000n);
  t.is(w.seg('cs').sel, 0x08);
  t.is(w.seg('ss').sel, 0x10);
});

test('MOVBE loads and stores byte-swapped; with F2 the opcode is CRC32', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    movl $0x11223344, 0x60000
    movbe 0x60000, %eax
    mov $0x0102030405060708, %rbx
    movbe %rbx, 0x60008
    movbe 0x60000, %cx
    hlt`);
  v.runToHlt();
  t.is(v.get('rax'), 0x44332211n);
  t.is(v.ramView.getBigUint64(0x60008, true), 0x0807060504030201n);
  t.is(v.get('rcx') & 0xffffn, 0x4433n);
  const w = new TestVm();
  w.prepare('long64', `
    movl $0x11223344, 0x60000
    mov $0xffffffff, %eax
    crc32l 0x60000, %eax
    hlt`);
  w.runToHlt();
  t.is(w.get('rax'), 0xa62f0b41n, 'CRC-32C step, value from the host CPU');
});

test('call gates: 32-bit CALL from ring 3 to ring 0 with parameter copy, RETF imm back', (t) => {
  const v = new TestVm();
  v.setMode('prot32');
  const g = LAYOUT.gdt;
  v.ramView.setBigUint64(g + 0x40, 0x00cffb000000ffffn, true); // code32 DPL3
  v.ramView.setBigUint64(g + 0x48, 0x00cff3000000ffffn, true); // data32 DPL3
  const tss = 0x6000n;
  v.ramView.setBigUint64(g + 0x50, 0x67n | ((tss & 0xffffffn) << 16n) | (0x89n << 40n), true);
  v.st.setUint32(abi.TSV_OFF_GDTR + 8, 0x5f, true);
  v.ramView.setUint32(0x6004, 0x7e000, true); // ESP0
  v.ramView.setUint16(0x6008, 0x10, true); // SS0
  v.setSeg('tr', 0x50, 0x6000, 0x67, 0x8b);
  const bin = v.load('prot32', `
    push $0x4b
    push $0x70000
    pushf
    push $0x43
    push $user
    iret
  user:
    push $0x11111111
    push $0x22222222
    lcall $0x5b, $0          # gate 0x58 with RPL 3; offset ignored
    mov %eax, %ebx
    mov %esp, %ecx
    mov %cs, %edx
  1: jmp 1b
  kernel:
    mov 8(%esp), %eax        # first parameter (the last pushed, 0x22222222)
    add 12(%esp), %eax       # + second
    mov %cs, %esi
    lret $8
  `);
  const kernel = BigInt(LAYOUT.code + bin.indexOf(Buffer.from([0x8b, 0x44, 0x24, 0x08])));
  // 32-bit call gate, DPL 3, 2 parameters, target 0x08:kernel
  const gate = (kernel & 0xffffn) | (0x08n << 16n) | (2n << 32n) | (0xecn << 40n) | (((kernel >> 16n) & 0xffffn) << 48n);
  v.ramView.setBigUint64(g + 0x58, gate, true);
  v.setU64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, 40);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(v.get('rsi') & 0xffffn, 0x08n); // ran at ring 0
  t.is(v.get('rbx'), 0x33333333n);
  t.is(v.get('rcx'), 0x70000n); // RETF imm releases the parameters on both stacks
  t.is(v.get('rdx') & 0xffffn, 0x43n);
});

test('64-bit call gate from ring 3: stack from TSS.RSP0, null SS, LRETQ back', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.ramView.setBigUint64(LAYOUT.tss + 4, 0x7f000n, true); // RSP0
  const bin = v.load('long64', `
    push $0x33
    push $0x70000
    push $0x202
    push $0x2b
    lea user(%rip), %rax
    push %rax
    iretq
  user:
    lcall *ptr(%rip)
    mov %cs, %ebx
    mov %rsp, %rcx
  1: jmp 1b
  kernel:
    mov %rsp, %rsi
    mov %ss, %edi
    mov 8(%rsp), %r8         # caller CS
    lretq
  ptr: .long 0
       .word 0x4b`);
  const kernel = BigInt(LAYOUT.code + bin.indexOf(Buffer.from([0x48, 0x89, 0xe6]))); // mov %rsp,%rsi
  const lo = (kernel & 0xffffn) | (0x18n << 16n) | (0xecn << 40n) | (((kernel >> 16n) & 0xffffn) << 48n);
  v.ramView.setBigUint64(LAYOUT.gdt + 0x48, lo, true);
  v.ramView.setBigUint64(LAYOUT.gdt + 0x50, kernel >> 32n, true);
  v.st.setUint32(abi.TSV_OFF_GDTR + 8, 0x57, true);
  v.setU64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, 30);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(v.get('rsi'), 0x7f000n - 32n);
  t.is(v.get('rdi') & 0xffffn, 0n);
  t.is(v.get('r8'), 0x2bn);
  t.is(v.get('rbx') & 0xffffn, 0x2bn);
  t.is(v.get('rcx'), 0x70000n);
});
