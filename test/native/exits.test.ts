import test from 'ava';
import { TestVm, abi, LAYOUT } from './harness.js';

const ioPort = (v: TestVm): number => v.st.getUint16(abi.TSV_OFF_EXIT_IO_PORT, true);
const ioSize = (v: TestVm): number => v.st.getUint8(abi.TSV_OFF_EXIT_IO_SIZE);
const ioDir = (v: TestVm): number => v.st.getUint8(abi.TSV_OFF_EXIT_IO_DIRECTION);
const ioCount = (v: TestVm): number => v.st.getUint32(abi.TSV_OFF_EXIT_IO_COUNT, true);
const ioData = (v: TestVm): number => v.st.getUint32(v.st.getUint32(abi.TSV_OFF_EXIT_IO_DATA_OFFSET, true), true);

test('port I/O: OUT and IN in all sizes, IN completes on re-entry', (t) => {
  const v = new TestVm();
  v.prepare('prot32', `
    mov $0x3f8, %dx
    mov $0x41, %al
    out %al, %dx
    mov $0xbeef, %ax
    out %ax, $0x80
    mov $0x12345678, %eax
    out %eax, %dx
    in %dx, %al
    in $0x71, %ax
    mov %eax, %ebx
    in %dx, %eax
    hlt`);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.deepEqual([ioPort(v), ioSize(v), ioDir(v), ioCount(v), ioData(v) & 0xff], [0x3f8, 1, abi.TSV_IO_OUT, 1, 0x41]);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.deepEqual([ioPort(v), ioSize(v), ioData(v) & 0xffff], [0x80, 2, 0xbeef]);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.deepEqual([ioSize(v), ioData(v)], [4, 0x12345678]);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.deepEqual([ioPort(v), ioSize(v), ioDir(v)], [0x3f8, 1, abi.TSV_IO_IN]);
  v.st.setUint8(abi.TSV_OFF_IO_DATA, 0x99);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.is(v.get('rax') & 0xffn, 0x99n);
  t.deepEqual([ioPort(v), ioSize(v)], [0x71, 2]);
  v.st.setUint16(abi.TSV_OFF_IO_DATA, 0x1234, true);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.is(v.get('rbx'), 0x12341234n);
  v.st.setUint32(abi.TSV_OFF_IO_DATA, 0xcafebabe, true);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.get('rax'), 0xcafebaben);
});

test('REP OUTS/INS batch up to the page boundary and the data area', (t) => {
  const v = new TestVm();
  for (let k = 0; k < 0x3000; k++) v.ram[0x60000 + k] = k & 0xff;
  v.prepare('long64', `
    mov $0x60ff0, %esi       # 16 bytes before a page boundary
    mov $0x40, %ecx
    mov $0xe9, %dx
    rep outsb
    mov $0x70000, %edi
    mov $0x801, %ecx         # 0x801 words: 0x800 fill one page, then 1
    rep insw
    hlt`);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.deepEqual([ioPort(v), ioDir(v), ioCount(v)], [0xe9, abi.TSV_IO_OUT, 16]);
  t.is(v.stBytes[abi.TSV_OFF_IO_DATA], 0xf0);
  t.is(v.get('rcx'), 0x30n);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.is(ioCount(v), 0x30);
  t.is(v.stBytes[abi.TSV_OFF_IO_DATA], 0x00);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.deepEqual([ioDir(v), ioSize(v), ioCount(v)], [abi.TSV_IO_IN, 2, 0x800]);
  for (let k = 0; k < 0x800; k++) v.st.setUint16(abi.TSV_OFF_IO_DATA + 2 * k, k, true);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.is(ioCount(v), 1);
  t.is(v.ramView.getUint16(0x70000 + 2 * 0x7ff, true), 0x7ff);
  v.st.setUint16(abi.TSV_OFF_IO_DATA, 0xabcd, true);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.ramView.getUint16(0x71000, true), 0xabcd);
  t.is(v.get('rcx'), 0n);
  t.is(v.get('rdi'), 0x71002n);
});

test('I/O permission: IOPL and the TSS I/O bitmap give #GP at CPL 3', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  // TSS: rsp0, I/O bitmap at 0x68 allowing port 0x80 only
  v.ramView.setBigUint64(LAYOUT.tss + 4, 0x7f000n, true);
  v.ramView.setUint16(LAYOUT.tss + 0x66, 0x68, true);
  v.ram.fill(0xff, LAYOUT.tss + 0x68, LAYOUT.tss + 0x68 + 0x2001);
  v.ram[LAYOUT.tss + 0x68 + 0x10] = 0xfe; // port 0x80 allowed
  v.setSeg('tr', 0x38, LAYOUT.tss, 0x68 + 0x2001, 0x8b);
  v.load('long64', `
    push $0x33
    push $0x70000
    push $0x202
    push $0x2b
    lea user(%rip), %rax
    push %rax
    iretq
  user:
    out %al, $0x80
    out %al, $0x81
    hlt`);
  t.is(v.run(), abi.TSV_EXIT_IO);
  t.is(ioPort(v), 0x80);
  v.runToHlt();
  t.is(v.reported().vector, 13);
});

test('MMIO: reads complete on re-entry, writes exit once, read-only regions', (t) => {
  const v = new TestVm();
  const rom = v.vm.allocateMemory(0x1000);
  new DataView(rom).setUint32(0, 0xdeadbeef, true);
  v.vm.setMemoryRegion(1, 0x800000, 0x1000, rom, 0, abi.TSV_MEM_READONLY);
  v.prepare('long64', `
    mov $0x900000, %rbx
    mov (%rbx), %eax          # MMIO read
    add $1, %eax
    mov %eax, 8(%rbx)         # MMIO write
    addl $5, 16(%rbx)         # read-modify-write: one read exit, one write exit
    mov $0x800000, %rcx
    mov (%rcx), %edx          # ROM read: no exit
    movl $7, (%rcx)           # ROM write: MMIO exit
    hlt`);
  t.is(v.run(), abi.TSV_EXIT_MMIO);
  t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_GPA), 0x900000n);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_MMIO_LEN, true), 4);
  t.is(v.st.getUint8(abi.TSV_OFF_EXIT_MMIO_IS_WRITE), 0);
  v.st.setUint32(abi.TSV_OFF_EXIT_MMIO_DATA, 41, true);
  t.is(v.run(), abi.TSV_EXIT_MMIO);
  t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_GPA), 0x900008n);
  t.is(v.st.getUint8(abi.TSV_OFF_EXIT_MMIO_IS_WRITE), 1);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_MMIO_DATA, true), 42);
  t.is(v.run(), abi.TSV_EXIT_MMIO);
  t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_GPA), 0x900010n);
  t.is(v.st.getUint8(abi.TSV_OFF_EXIT_MMIO_IS_WRITE), 0);
  v.st.setUint32(abi.TSV_OFF_EXIT_MMIO_DATA, 100, true);
  t.is(v.run(), abi.TSV_EXIT_MMIO);
  t.is(v.st.getUint8(abi.TSV_OFF_EXIT_MMIO_IS_WRITE), 1);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_MMIO_DATA, true), 105);
  t.is(v.run(), abi.TSV_EXIT_MMIO);
  t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_GPA), 0x800000n);
  t.is(v.st.getUint8(abi.TSV_OFF_EXIT_MMIO_IS_WRITE), 1);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_MMIO_DATA, true), 7);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.get('rdx'), 0xdeadbeefn);
  t.is(new DataView(rom).getUint32(0, true), 0xdeadbeef);
});

test('instruction fetch from MMIO is an internal error naming the address', (t) => {
  const v = new TestVm();
  v.prepare('long64', 'jmp *%rax');
  v.set('rax', 0x900000);
  t.is(v.run(), abi.TSV_EXIT_INTERNAL_ERROR);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_INTERNAL_SUBERROR, true), abi.TSV_INTERNAL_FETCH_MMIO);
  t.regex(v.message(), /0x900000/);
});

test('MSRs: native ones, exit ranges (with TypeScript-made #GP), unknown -> #GP', (t) => {
  const v = new TestVm();
  v.vm.setMsrExitRanges(new Uint32Array([0x4b564d00, 0x4b564dff]));
  v.setMode('long64');
  v.installReportingIdt('long64');
  v.load('long64', `
    mov $0xc0000082, %ecx      # LSTAR
    mov $0x12345678, %eax
    mov $0xffff8000, %edx
    wrmsr
    xor %eax, %eax
    xor %edx, %edx
    rdmsr
    mov %rax, %r8
    mov %rdx, %r9
    mov $0x4b564d01, %ecx      # exits
    rdmsr
    mov %rax, %r10
    mov $0x4b564d02, %ecx
    mov $5, %eax
    xor %edx, %edx
    wrmsr
    mov $0x4b564d03, %ecx
    rdmsr                      # TypeScript makes this #GP
    hlt`);
  t.is(v.run(), abi.TSV_EXIT_MSR_READ);
  t.is(v.get('r8'), 0x12345678n);
  t.is(v.get('r9'), 0xffff8000n);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_MSR_INDEX, true), 0x4b564d01);
  v.setU64(abi.TSV_OFF_EXIT_MSR_DATA, 0x1122334455667788n);
  t.is(v.run(), abi.TSV_EXIT_MSR_WRITE);
  t.is(v.get('r10'), 0x55667788n);
  t.is(v.u64(abi.TSV_OFF_EXIT_MSR_DATA), 5n);
  t.is(v.run(), abi.TSV_EXIT_MSR_READ);
  const rdmsrRip = v.rip;
  v.st.setUint8(abi.TSV_OFF_EXIT_MSR_ERROR, 1);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.reported().vector, 13);
  t.is(v.reported().w1, rdmsrRip); // error code 0, then RIP of the RDMSR

  const w = new TestVm();
  w.setMode('long64');
  w.installReportingIdt('long64');
  w.load('long64', 'mov $0x12345, %ecx; rdmsr; hlt');
  w.runToHlt();
  t.is(w.reported().vector, 13);
  const x = new TestVm();
  x.setMode('long64');
  x.installReportingIdt('long64');
  x.load('long64', 'mov $0x277, %ecx; mov $0x02020202, %eax; xor %edx, %edx; wrmsr; hlt'); // PAT type 2 is reserved
  x.runToHlt();
  t.is(x.reported().vector, 13);
});

test('CPUID answers from the table; out-of-range leaves give the highest basic leaf', (t) => {
  const v = new TestVm();
  const e = (fn: number, idx: number, flags: number, a: number, b: number, c: number, d: number): number[] => [fn, idx, flags, a, b, c, d];
  v.vm.setCpuid(new Uint32Array([
    ...e(0, 0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69),
    ...e(1, 0, 0, 0x806f8, 0, 0x80000000, 0x0),
    ...e(7, 0, abi.TSV_CPUID_FLAG_SIGNIFICANT_INDEX, 0, 0x111, 0, 0),
    ...e(7, 1, abi.TSV_CPUID_FLAG_SIGNIFICANT_INDEX, 0, 0x222, 0, 0),
    ...e(0xd, 0, 0, 0xabc, 0, 0, 0),
    ...e(0x80000000, 0, 0, 0x80000008, 0, 0, 0),
  ].flat()));
  v.prepare('long64', `
    xor %eax, %eax; cpuid; mov %rbx, %r8
    mov $7, %eax; mov $1, %ecx; cpuid; mov %rbx, %r9
    mov $0x20, %eax; cpuid; mov %rax, %r10
    hlt`);
  v.runToHlt();
  t.is(v.get('r8'), 0x756e6547n);
  t.is(v.get('r9'), 0x222n);
  t.is(v.get('r10'), 0xabcn);
  v.cpu.reset();
  t.is(v.get('rdx'), 0x806f8n); // reset EDX = CPUID.1.EAX
});

test('HLT exits with RIP past it; HLT at CPL 3 is #GP', (t) => {
  const v = new TestVm();
  v.prepare('long64', 'nop; hlt; nop');
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.rip, BigInt(LAYOUT.code + 2));
});

test('hypercalls: VMCALL and VMMCALL exit with RIP past the instruction', (t) => {
  const v = new TestVm();
  v.prepare('long64', 'vmcall; vmmcall; hlt');
  t.is(v.run(), abi.TSV_EXIT_HYPERCALL);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_HYPERCALL_KIND, true), abi.TSV_HYPERCALL_VMCALL);
  t.is(v.rip, BigInt(LAYOUT.code + 3));
  t.is(v.run(), abi.TSV_EXIT_HYPERCALL);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_HYPERCALL_KIND, true), abi.TSV_HYPERCALL_VMMCALL);
  t.is(v.run(), abi.TSV_EXIT_HLT);
});

test('MMIO inside REP MOVS and a PUSH to an MMIO stack: one exit per access, each completed once', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
    mov $0x900000, %esi
    mov $0x60000, %edi
    mov $3, %ecx
    rep movsb                 # three MMIO reads
    mov $0x900100, %rsp
    push $0x1234              # MMIO write of 8 bytes at 0x9000f8
    hlt`);
  for (let k = 0; k < 3; k++) {
    t.is(v.run(), abi.TSV_EXIT_MMIO);
    t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_GPA), BigInt(0x900000 + k));
    t.is(v.st.getUint8(abi.TSV_OFF_EXIT_MMIO_IS_WRITE), 0);
    v.st.setUint8(abi.TSV_OFF_EXIT_MMIO_DATA, 0x41 + k);
  }
  t.is(v.run(), abi.TSV_EXIT_MMIO);
  t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_GPA), 0x9000f8n);
  t.is(v.st.getUint32(abi.TSV_OFF_EXIT_MMIO_LEN, true), 8);
  t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_DATA), 0x1234n);
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(Buffer.from(v.ram.subarray(0x60000, 0x60003)).toString(), 'ABC');
  t.is(v.get('rcx'), 0n);
  t.is(v.get('rsp'), 0x9000f8n);
  t.is(v.u64(abi.TSV_OFF_INSTRET), 7n);
});

test('exception delivery onto an MMIO stack: one write exit per pushed slot, then the handler runs', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  // #UD gate -> handler "mov $0x77, %r15; hlt" at 0x41000
  v.ram.set(Buffer.from([0x49, 0xc7, 0xc7, 0x77, 0x00, 0x00, 0x00, 0xf4]), 0x41000);
  v.ramView.setBigUint64(LAYOUT.idt + 16 * 6, 0x1000n | (0x18n << 16n) | (0x8en << 40n) | (0x4n << 48n), true);
  v.setU64(abi.TSV_OFF_IDTR, LAYOUT.idt);
  v.st.setUint32(abi.TSV_OFF_IDTR + 8, 0xfff, true);
  v.load('long64', 'mov $0x900100, %rsp; ud2');
  const expect = [0x10n, 0x900100n, null, 0x18n, BigInt(LAYOUT.code + 7)]; // SS, RSP, RFLAGS, CS, RIP
  for (let k = 0; k < 5; k++) {
    t.is(v.run(), abi.TSV_EXIT_MMIO, `push ${k}`);
    t.is(v.st.getUint8(abi.TSV_OFF_EXIT_MMIO_IS_WRITE), 1);
    t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_GPA), BigInt(0x900100 - 8 * (k + 1)));
    const e = expect[k];
    if (e !== null) t.is(v.u64(abi.TSV_OFF_EXIT_MMIO_DATA), e!, `slot ${k}`);
  }
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(v.get('r15'), 0x77n);
  t.is(v.get('rsp'), 0x900100n - 40n);
});
