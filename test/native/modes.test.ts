import test from 'ava';
import { TestVm, abi, FLAGS, native, LAYOUT } from './harness.js';

test('addon surface: abiVersion, backends, hostMonotonicNs, createVm argument checks', (t) => {
  t.is(native.abiVersion, abi.TSV_ABI_VERSION);
  // the KVM backend is compiled on Linux only
  t.deepEqual(native.backends(), process.platform === 'linux' ? ['interp', 'kvm'] : ['interp']);
  const a = native.hostMonotonicNs();
  t.is(typeof a, 'bigint');
  t.true(native.hostMonotonicNs() >= a);
  t.throws(() => native.createVm('nope', new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE)), { instanceOf: TypeError, message: /unknown accel/ });
  // kvm: a VM where the host's /dev/kvm passes the probe, otherwise an error with the probe's reason
  const kvmReason = native.kvmProbe ? native.kvmProbe() : 'the KVM backend is only built on Linux';
  if (kvmReason === null) t.truthy(native.createVm('kvm', new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE)));
  else t.true(t.throws(() => native.createVm('kvm', new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE)))!.message.includes(kvmReason));
  t.throws(() => native.createVm('interp', new ArrayBuffer(8)), { instanceOf: RangeError });
  t.truthy(native.createVm('tcg', new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE)));
});

test('memory regions: alignment, bounds and overlap are checked', (t) => {
  const vm = native.createVm('interp', new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE));
  const mem = vm.allocateMemory(0x10000);
  t.is(mem.byteLength, 0x10000);
  t.true(new Uint8Array(mem).every((b) => b === 0));
  t.throws(() => vm.setMemoryRegion(0, 0x1001, 0x1000, mem, 0, 0), { instanceOf: RangeError, message: /multiples of 4096/ });
  t.throws(() => vm.setMemoryRegion(0, 0, 0x20000, mem, 0, 0), { instanceOf: RangeError, message: /beyond the end/ });
  vm.setMemoryRegion(0, 0, 0x10000, mem, 0, 0);
  t.throws(() => vm.setMemoryRegion(1, 0x8000, 0x1000, mem, 0, 0), { instanceOf: RangeError, message: /overlaps/ });
  vm.setMemoryRegion(1, 0x10000, 0x1000, mem, 0x1000, abi.TSV_MEM_READONLY);
  vm.setMemoryRegion(1, 0, 0, null, 0, 0); // delete
  vm.setMemoryRegion(1, 0x8000 + 0x10000, 0x1000, mem, 0, 0);
  t.pass();
});

test('reset: power-on state', (t) => {
  const v = new TestVm();
  v.cpu.reset();
  t.is(v.rip, 0xfff0n);
  t.is(v.seg('cs').sel, 0xf000);
  t.is(v.seg('cs').base, 0xffff0000n);
  t.is(v.u64(abi.TSV_OFF_CR0), 0x60000010n);
  t.is(v.rflags, 2n);
  t.is(v.st.getInt32(abi.TSV_OFF_PENDING_IRQ, true), -1);
});

test('real mode: 16-bit arithmetic, segments and stack', (t) => {
  const v = new TestVm();
  v.prepare('real', `
    mov $0x1000, %ax
    mov %ax, %ds
    movw $0x1234, (0x10)      # ds:0x10 -> linear 0x10010
    mov $0x7000, %sp
    mov (0x10), %bx
    push %bx
    pop %cx
    mov $0xffff, %dx
    add $1, %dx               # CF=1 ZF=1
    hlt`);
  v.runToHlt();
  t.is(v.ramView.getUint16(0x10010, true), 0x1234);
  t.is(v.get('rcx') & 0xffffn, 0x1234n);
  t.is(v.get('rdx') & 0xffffn, 0n);
  t.is(v.rflags & (FLAGS.CF | FLAGS.ZF), FLAGS.CF | FLAGS.ZF);
});

test('32-bit protected mode: flags of ADD/SUB/ADC/SBB/INC/DEC/NEG', (t) => {
  const v = new TestVm();
  v.prepare('prot32', `
    mov $0x7fffffff, %eax
    add $1, %eax            # OF SF
    pushf
    mov $0, %ebx
    sub $1, %ebx            # CF SF
    pushf
    stc
    mov $1, %ecx
    adc $1, %ecx            # 3
    clc
    mov $0, %edx
    sbb $0, %edx            # 0, ZF
    pushf
    stc
    inc %edx                # CF kept
    pushf
    mov $5, %esi
    neg %esi
    pushf
    hlt`);
  v.runToHlt();
  const sp = Number(v.get('rsp'));
  const f = (k: number): bigint => BigInt(v.ramView.getUint32(sp + 4 * k, true));
  t.is(v.get('rax'), 0x80000000n);
  t.is(f(4) & (FLAGS.OF | FLAGS.SF | FLAGS.CF | FLAGS.ZF), FLAGS.OF | FLAGS.SF);
  t.is(v.get('rbx'), 0xffffffffn);
  t.is(f(3) & (FLAGS.OF | FLAGS.SF | FLAGS.CF | FLAGS.ZF), FLAGS.SF | FLAGS.CF);
  t.is(v.get('rcx'), 3n);
  t.is(f(2) & (FLAGS.ZF | FLAGS.CF), FLAGS.ZF);
  t.is(f(1) & (FLAGS.ZF | FLAGS.CF), FLAGS.CF);
  t.is(v.get('rsi'), 0xfffffffbn);
  t.is(f(0) & (FLAGS.CF | FLAGS.SF | FLAGS.AF), FLAGS.CF | FLAGS.SF | FLAGS.AF);
});

test('64-bit long mode: registers, zero extension, MUL/DIV, shifts, bit ops', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $0x123456789abcdef0, %rax
    mov %eax, %ebx            # zero-extends
    mov $0xffffffffffffffff, %rcx
    mov %cl, %ch              # no REX: CH
    movabs $0x1000000000, %rsi
    mov $0x10, %edi
    imul %rdi, %rsi           # 0x10000000000
    mov $100, %eax
    xor %edx, %edx
    mov $7, %r8d
    div %r8                   # 14 r 2
    mov %rax, %r9
    mov %rdx, %r10
    mov $1, %r11
    shl $63, %r11
    sar $3, %r11
    mov $0x80, %r12d
    bsf %r12, %r13
    bts $5, %r12
    movsxd %r8d, %r14
    mov $-1, %r15d
    cmovz %rbx, %r15          # ZF from bts? no -- flags of BTS leave ZF from BSF (0)
    hlt`);
  v.runToHlt();
  t.is(v.get('rbx'), 0x9abcdef0n);
  t.is(v.get('rsi'), 0x10000000000n);
  t.is(v.get('r9'), 14n);
  t.is(v.get('r10'), 2n);
  t.is(v.get('r11'), 0xf000000000000000n);
  t.is(v.get('r13'), 7n);
  t.is(v.get('r12'), 0xa0n);
  t.is(v.get('r14'), 7n);
  t.is(v.get('r15'), 0xffffffffn);
});

test('16-bit protected mode and operand-size prefixes', (t) => {
  const v = new TestVm();
  v.prepare('prot16', `
    mov $0x1234, %ax
    mov $0x12345678, %ebx
    add %ax, %bx
    movzbl %bl, %ecx
    hlt`);
  v.runToHlt();
  t.is(v.get('rbx'), 0x123468acn);
  t.is(v.get('rcx'), 0xacn);
});

test('compatibility mode: 32-bit code under a 64-bit kernel, far return into it and back', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  // code32 selector 0x08 runs in compatibility mode when EFER.LMA=1
  const code64 = `
    lea compat(%rip), %rax
    push $0x08
    push %rax
    lretq
  .code32
  compat:
    mov $0x11223344, %ebx
    push $0x18
    push $back
    lret
  .code64
  back:
    mov %rbx, %rcx
    hlt`;
  v.load('long64', code64);
  v.runToHlt();
  t.is(v.get('rcx'), 0x11223344n);
  t.is(v.seg('cs').sel, 0x18);
});

test('string instructions with REP, REPE/REPNE and DF', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    lea src(%rip), %rsi
    mov $0x60000, %rdi
    mov $13, %ecx
    cld
    rep movsb
    mov $0x61000, %rdi
    mov $0xab, %al
    mov $100, %ecx
    rep stosb
    lea src(%rip), %rsi
    mov $0x60000, %rdi
    mov $13, %ecx
    repe cmpsb             # all equal: rcx=0, ZF=1
    mov %rcx, %r8
    mov $0x60000, %rdi
    mov $'o', %al
    mov $13, %ecx
    repne scasb            # finds 'o' at index 4
    mov %rcx, %r9
    std
    lea src+12(%rip), %rsi
    lodsb
    mov %rsi, %r10
    cld
    mov $0x62000, %edi
    mov $3, %ecx
    mov $0x11223344, %eax
    addr32 rep stosl
    hlt
  src: .ascii "hello, world!"`);
  v.runToHlt();
  t.is(Buffer.from(v.ram.subarray(0x60000, 0x6000d)).toString(), 'hello, world!');
  t.true(v.ram.subarray(0x61000, 0x61064).every((b) => b === 0xab));
  t.is(v.ram[0x61064], 0);
  t.is(v.get('r8'), 0n);
  t.is(v.get('r9'), 8n);
  t.is(v.get('rax') & 0xffn, 0x44n);
  t.is(v.ramView.getUint32(0x62008, true), 0x11223344);
  t.is(v.ramView.getUint32(0x6200c, true), 0);
  t.true(v.get('r10') > 0n);
});

test('near/far control flow, ENTER/LEAVE, LOOP, XCHG, CMPXCHG, XADD, BSWAP, SETcc', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    call f
    mov $5, %ecx
    xor %edx, %edx
  1: add %rcx, %rdx
    loop 1b                    # rdx = 15
    mov $1, %eax
    mov $1, %ebx
    mov $2, %r8d
    lock cmpxchg %r8, (%rsp)   # compares with return slot garbage: just must not fault
    mov $10, %r9d
    mov $5, %r10d
    xadd %r10, %r9             # r9 = 15, r10 = 10
    mov $0x11223344, %r11d
    bswap %r11d
    cmp $3, %r9
    setg %r12b
    hlt
  f:
    enter $16, $0
    mov $0x42, %r13
    leave
    ret`);
  v.runToHlt();
  t.is(v.get('rdx'), 15n);
  t.is(v.get('r9'), 15n);
  t.is(v.get('r10'), 10n);
  t.is(v.get('r11'), 0x44332211n);
  t.is(v.get('r12') & 0xffn, 1n);
  t.is(v.get('r13'), 0x42n);
  t.is(v.get('rsp'), BigInt(LAYOUT.stackTop));
});

test('undefined opcodes and LOCK misuse raise #UD in the guest', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  v.load('long64', 'ud2');
  v.runToHlt();
  t.is(v.reported().vector, 6);
  t.is(v.reported().w0, BigInt(LAYOUT.code)); // RIP of the UD2

  const w = new TestVm();
  w.setMode('long64');
  w.installReportingIdt('long64');
  w.load('long64', 'nop; .byte 0xf0, 0x01, 0xc0'); // lock add %eax,%eax: register destination
  w.runToHlt();
  t.is(w.reported().vector, 6);
  t.is(w.reported().w0, BigInt(LAYOUT.code + 1));

  const x = new TestVm();
  x.setMode('prot32');
  x.installReportingIdt('prot32');
  x.load('prot32', '.byte 0xd9, 0xd1'); // a reserved x87 encoding (D9 D1)
  x.runToHlt();
  t.is(x.reported().vector, 6);
});

test('#DE from DIV by zero and from IDIV overflow', (t) => {
  for (const code of ['xor %ecx, %ecx; div %ecx', 'mov $0x80000000, %eax; cdq; mov $-1, %ecx; idiv %ecx']) {
    const v = new TestVm();
    v.setMode('prot32');
    v.installReportingIdt('prot32');
    v.load('prot32', code);
    v.runToHlt();
    t.is(v.reported().vector, 0, code);
  }
});

test('all 16 conditions after CMP, SUB, ADD and logic ops agree with the flag definitions', (t) => {
  const pairs: Array<[number, number]> = [[5, 3], [3, 5], [-1, 1], [1, -1], [0x7fffffff, -1], [-0x80000000, 1], [7, 7], [0, 0]];
  const ops = ['cmp', 'sub', 'add', 'and'];
  let src = '';
  let k = 0;
  for (const op of ops) {
    for (const [a, b] of pairs) {
      src += `mov $${a}, %eax\nmov $${b}, %ebx\n${op} %ebx, %eax\n`;
      for (let cc = 0; cc < 16; cc++) {
        const names = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
        src += `set${names[cc]} ${0x60000 + k * 16 + cc}\n`;
      }
      src += `pushf\npop %rcx\nmov %ecx, ${0x68000 + k * 4}\n`;
      k++;
    }
  }
  const v = new TestVm();
  v.prepare('long64', src + 'hlt');
  v.runToHlt();
  for (let n = 0; n < k; n++) {
    const f = v.ramView.getUint32(0x68000 + n * 4, true);
    const cf = (f & 1) !== 0, pf = (f & 4) !== 0, zf = (f & 0x40) !== 0, sf = (f & 0x80) !== 0, of = (f & 0x800) !== 0;
    const expect = [of, !of, cf, !cf, zf, !zf, cf || zf, !(cf || zf), sf, !sf, pf, !pf, sf !== of, sf === of, zf || sf !== of, !(zf || sf !== of)];
    for (let cc = 0; cc < 16; cc++) t.is(v.ram[0x60000 + n * 16 + cc], expect[cc] ? 1 : 0, `case ${n} cc ${cc}`);
  }
  // spot-check the flags themselves: cmp 3,5 -> CF SF; cmp 0x7fffffff,-1 -> OF SF CF
  t.is(v.ramView.getUint32(0x68000 + 1 * 4, true) & 0x8c1, 0x81);
  t.is(v.ramView.getUint32(0x68000 + 4 * 4, true) & 0x8c1, 0x881);
});

test('shift flags: CF is the last bit out, OF for 1-bit shifts, SF/ZF/PF of the result', (t) => {
  const cases: Array<[string, number, number]> = [];
  for (const op of ['shl', 'shr', 'sar']) for (const val of [0x80000001, 0x40000000, 0x1, 0x0, 0xfffffffe]) for (const cnt of [1, 3, 31]) cases.push([op, val, cnt]);
  let src = '';
  cases.forEach(([op, val, cnt], k) => {
    src += `mov $${val}, %eax\n${op} $${cnt}, %eax\npushf\npop %rcx\nmov %ecx, ${0x60000 + 8 * k}\nmov %eax, ${0x60004 + 8 * k}\n`;
  });
  const v = new TestVm();
  v.prepare('long64', src + 'hlt');
  v.runToHlt();
  cases.forEach(([op, val, cnt], k) => {
    const f = v.ramView.getUint32(0x60000 + 8 * k, true);
    const r = v.ramView.getUint32(0x60004 + 8 * k, true);
    let er: number, cf: number;
    if (op === 'shl') { er = (val << cnt) >>> 0; cf = (val >>> (32 - cnt)) & 1; }
    else if (op === 'shr') { er = val >>> cnt; cf = (val >>> (cnt - 1)) & 1; }
    else { er = (val >> cnt) >>> 0; cf = ((val | 0) >> (cnt - 1)) & 1; }
    const msb = (x: number): number => (x >>> 31) & 1;
    t.is(r, er, `${op} ${val} ${cnt}`);
    t.is(f & 1, cf, `${op} ${val} ${cnt} CF`);
    t.is((f >> 6) & 1, er === 0 ? 1 : 0, `${op} ZF`);
    t.is((f >> 7) & 1, msb(er), `${op} SF`);
    let bits = er & 0xff, p = 1;
    while (bits) { p ^= bits & 1; bits >>= 1; }
    t.is((f >> 2) & 1, p, `${op} PF`);
    if (cnt === 1) {
      const of = op === 'shl' ? msb(er) ^ cf : op === 'shr' ? msb(val) : 0;
      t.is((f >> 11) & 1, of, `${op} ${val} OF`);
    }
  });
});

test('address-size overrides: 16-bit addressing in 32-bit code, 32-bit in 16-bit code, LOOP with CX', (t) => {
  const v = new TestVm();
  v.prepare('prot32', `
    movl $0xaabbccdd, 0x1234
    mov $0x1000, %ebx
    mov $0x234, %esi
    addr16 mov (%bx,%si), %eax
    mov $0x10003, %ecx       # LOOP with 16-bit CX: runs 3 times, ECX upper half kept
    xor %edx, %edx
  1: inc %edx
    addr16 loop 1b
    hlt`);
  v.runToHlt();
  t.is(v.get('rax'), 0xaabbccddn);
  t.is(v.get('rdx'), 3n);
  t.is(v.get('rcx'), 0x10000n);

  const w = new TestVm();
  w.prepare('real', `
    xor %ax, %ax
    mov %ax, %ds
    addr32 movl $0x12345678, 0x20000   # a 32-bit offset beyond the 64 KiB limit: #GP
    hlt`);
  // real mode with the default 64 KiB limit: the access above faults (#GP through the IVT)
  w.ramView.setUint32(13 * 4, 0x7000, true);
  w.ram.set(Buffer.from([0xbb, 0x0d, 0x00, 0xf4]), 0x7000); // mov $13, %bx; hlt
  w.setU64(abi.TSV_OFF_IDTR, 0);
  w.st.setUint32(abi.TSV_OFF_IDTR + 8, 0x3ff, true);
  w.set('rsp', 0x7c00);
  w.runToHlt();
  t.is(w.get('rbx') & 0xffffn, 13n);

  const x = new TestVm();
  x.prepare('real', `
    addr32 movl $0x12345678, 0x20000
    addr32 mov 0x20000, %ebx
    hlt`);
  // "unreal" mode: a data segment cache with a 4 GiB limit left over from protected mode
  x.setSeg('ds', 0, 0, 0xffffffff, 0x93);
  x.set('rsp', 0x7c00);
  x.runToHlt();
  t.is(x.get('rbx'), 0x12345678n);
});

test('far return to an outer privilege level (64-bit) and expand-down data segments', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.load('long64', `
    push $0x33
    push $0x70000
    push $0x2b
    lea user(%rip), %rax
    push %rax
    lretq
  user:
    mov %cs, %ebx
    mov %ss, %ecx
    mov %rsp, %rdx
    1: jmp 1b`);
  v.setU64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, 20);
  t.is(v.run(), abi.TSV_EXIT_SLICE_END);
  t.is(v.get('rbx') & 0xffffn, 0x2bn);
  t.is(v.get('rcx') & 0xffffn, 0x33n);
  t.is(v.get('rdx'), 0x70000n);

  const w = new TestVm();
  w.setMode('prot32');
  w.installReportingIdt('prot32');
  // expand-down data segment with limit 0x0fff: offsets 0x1000..0xffffffff are valid
  w.ramView.setBigUint64(LAYOUT.gdt + 0x40, 0x00c0970000000fffn, true);
  w.st.setUint32(abi.TSV_OFF_GDTR + 8, 0x47, true);
  w.load('prot32', `
    mov $0x40, %ax
    mov %ax, %es
    mov %es:0x2000, %ebx     # fine
    mov %es:0x800, %ecx      # below the limit: #GP
    hlt`);
  w.runToHlt();
  t.is(w.reported().vector, 13);
});

test('MUL/IMUL/DIV/IDIV in every width, with CF/OF of the multiplications', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $200, %al
    mov $3, %bl
    mul %bl                  # AX = 600, CF=OF=1
    pushf
    mov %ax, %r8w
    mov $-3, %al
    mov $5, %bl
    imul %bl                 # AX = -15 fits in AL: CF=OF=0
    pushf
    mov %ax, %r9w
    mov $1000, %ax
    xor %dx, %dx
    mov $7, %bx
    div %bx                  # 142 r 6
    mov %ax, %r10w
    mov %dx, %r11w
    mov $-1000, %eax
    cdq
    mov $7, %ecx
    idiv %ecx                # -142 r -6
    mov %eax, %r12d
    mov %edx, %r13d
    mov $0xffffffffffffffff, %rax
    mov $0xffffffffffffffff, %rbx
    mul %rbx                 # rdx:rax = 0xfffffffffffffffe_0000000000000001
    mov %rdx, %r14
    mov $-2, %rax
    mov $3, %rcx
    imul %rcx                # -6: rdx = -1, CF=OF=0
    pushf
    mov %rdx, %r15
    hlt`);
  v.runToHlt();
  const sp = Number(v.get('rsp'));
  const fl = (k: number): bigint => v.ramView.getBigUint64(sp + 8 * k, true) & 0x801n;
  t.is(v.get('r8') & 0xffffn, 600n);
  t.is(fl(2), 0x801n);
  t.is(v.get('r9') & 0xffffn, 0xfff1n);
  t.is(fl(1), 0n);
  t.is(v.get('r10') & 0xffffn, 142n);
  t.is(v.get('r11') & 0xffffn, 6n);
  t.is(v.get('r12'), BigInt(-142 >>> 0));
  t.is(v.get('r13'), BigInt(-6 >>> 0));
  t.is(v.get('r14'), 0xfffffffffffffffen);
  t.is(v.get('rax'), 0xfffffffffffffffan);
  t.is(v.get('r15'), 0xffffffffffffffffn);
  t.is(fl(0), 0n);
});
