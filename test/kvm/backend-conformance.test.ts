/**
 * Backend conformance: the same guest code and the same answers from
 * "TypeScript" on the interpreter and on KVM must produce the same sequence
 * of exits (port I/O, MMIO, MSR, hypercall, HLT, interrupt injection) and the same
 * final registers. Each sequence is checked against its expected trace on the
 * interpreter, and the KVM trace must equal the interpreter's.
 *
 * Port I/O is compared element by element: REP OUTS/INS may be batched
 * differently (KVM's emulator writes one element of OUTS per exit).
 */
import test from 'ava';
import { TestVm, abi } from '../native/harness.js';
import { kvmTraits, testOnKvmUnless } from '../helpers/kvm-host.js';
import { hypercallInstruction } from '../../lib/hypervisor/hypercall-trap.js';

type Accel = 'interp' | 'kvm';
type Event = string;

/** A small CPUID table both backends can honour (long mode and NX need LM and NX in the guest's CPUID on KVM). */
function cpuidTable(): Uint32Array {
  const w = abi.TSV_CPUID_ENTRY_WORDS;
  const rows: number[][] = [
    [0, 0, 0, 1, 0x756e6547, 0x6c65746e, 0x49656e69],
    // FPU TSC MSR PAE CX8 APIC SEP PGE CMOV PAT FXSR SSE SSE2
    [1, 0, 0, 0x600, 0, 0, (1 << 0) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 9) | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 16) | (1 << 24) | (1 << 25) | (1 << 26)],
    [0x80000000, 0, 0, 0x80000008, 0, 0, 0],
    [0x80000001, 0, 0, 0, 0, 0, (1 << 11) | (1 << 20) | (1 << 29)], // SYSCALL NX LM
    [0x80000008, 0, 0, 0x3028, 0, 0, 0],
  ];
  const out = new Uint32Array(rows.length * w);
  rows.forEach((r, i) => out.set(r.map((x) => x >>> 0), i * w));
  return out;
}

/** What "TypeScript" answers: a value derived from the access, so a wrong port/address shows in the registers. */
const ioAnswer = (port: number, size: number): number => {
  const x = (port * 0x01010101 + size * 0x11) >>> 0;
  return size === 4 ? x : x & ((1 << (size * 8)) - 1);
};
const mmioAnswer = (gpa: number, len: number): number[] => Array.from({ length: len }, (_, k) => (gpa + k * 3) & 0xff);
const MSR_FIRST = 0x4b564d00;
const MSR_ANSWER = 0xaabbccdd00112233n;

interface Scenario {
  name: string;
  /** Needs the guest TSC to follow the TSC KVM is given (not so on PVM: HostKvm::tsc_offset_applies). */
  movesTsc?: boolean;
  code: string;
  /** vector to inject at each HLT exit, in order (the scenario ends at the first HLT without one) */
  irqAtHlt?: number[];
  /** at an OUT to this port, inject this vector (through the interrupt window when IF=0) */
  irqAtOut?: Record<number, number>;
  idt?: Record<number, number>; // vector -> handler offset in the code
  /** every run() starts past its host deadline (a slice that begins late must still run guest code) */
  lateDeadline?: boolean;
  expected: Event[];
  registers: Array<'rax' | 'rbx' | 'rcx' | 'rdx' | 'r8' | 'r9' | 'r10'>;
}

const HANDLER = (v: number): string => `push %rax; mov $${v}, %al; out %al, $0x90; pop %rax; iretq`;

const SCENARIOS: Scenario[] = [
  {
    name: 'port I/O: OUT and IN of every size, REP OUTSB',
    code: `
      mov $0x3f8, %dx
      mov $0x41, %al
      out %al, %dx
      mov $0xbeef, %ax
      out %ax, $0x80
      mov $0x12345678, %eax
      out %eax, %dx
      xor %eax, %eax
      in %dx, %al
      mov %rax, %rbx
      in $0x71, %ax
      mov %rax, %r8
      in %dx, %eax
      mov %rax, %r9
      lea msg(%rip), %rsi
      mov $4, %ecx
      mov $0xe9, %dx
      rep outsb
      hlt
    msg: .ascii "kvm!"`,
    expected: [
      'out 0x3f8/1 0x41', 'out 0x80/2 0xbeef', 'out 0x3f8/4 0x12345678', 'in 0x3f8/1', 'in 0x71/2', 'in 0x3f8/4',
      'out 0xe9/1 0x6b', 'out 0xe9/1 0x76', 'out 0xe9/1 0x6d', 'out 0xe9/1 0x21', 'hlt',
    ],
    registers: ['rbx', 'r8', 'r9', 'rcx'],
  },
  {
    name: 'MMIO: writes and reads of 1, 2, 4 and 8 bytes outside RAM',
    code: `
      mov $0x01000000, %rdi
      movl $0xcafef00d, (%rdi)
      movw $0x1234, 8(%rdi)
      movb $0x5a, 16(%rdi)
      mov $-2, %rax
      mov %rax, 24(%rdi)
      mov 32(%rdi), %ebx
      movzbl 40(%rdi), %ecx
      mov 48(%rdi), %r8
      movzwl 56(%rdi), %r9d
      hlt`,
    expected: [
      'mmio write 0x1000000/4 0df0feca', 'mmio write 0x1000008/2 3412', 'mmio write 0x1000010/1 5a', 'mmio write 0x1000018/8 feffffffffffffff',
      'mmio read 0x1000020/4', 'mmio read 0x1000028/1', 'mmio read 0x1000030/8', 'mmio read 0x1000038/2', 'hlt',
    ],
    registers: ['rbx', 'rcx', 'r8', 'r9'],
  },
  {
    name: 'MSR exits: WRMSR and RDMSR of a range the machine claims',
    code: `
      mov $${MSR_FIRST + 0x10}, %ecx
      mov $0x11223344, %eax
      mov $0x55667788, %edx
      wrmsr
      mov $${MSR_FIRST + 0x11}, %ecx
      rdmsr
      mov %rax, %rbx
      mov %rdx, %r8
      hlt`,
    expected: ['wrmsr 0x4b564d10 0x5566778811223344', 'rdmsr 0x4b564d11', 'hlt'],
    registers: ['rbx', 'r8'],
  },
  {
    // HYPERCALL is VMCALL on the interpreter and OUT 0x7e on KVM (lib/hypervisor/hypercall-trap.ts);
    // they differ in length, so the HLT sits at a fixed offset for the HLT RIPs to compare.
    // The first exit is answered like a Hyper-V rep hypercall that is not finished: RIP goes back
    // to the instruction and RCX counts; the second sets RAX and lets the guest go on.
    name: 'hypercall exits: RIP past the trap, rewinding re-executes it, RAX is the answer',
    code: `
      mov $0x1234, %eax
      xor %ecx, %ecx
      mov $0xfeed, %edx
      jmp 1f
      .org 0x100
    1: HYPERCALL
      mov %rax, %rbx
      mov %rcx, %r8
      mov %rdx, %r9
      jmp 2f
      .org 0x140
    2: hlt`,
    expected: ['hypercall at 0x100 rax=0x1234 rcx=0x0', 'hypercall at 0x100 rax=0x1234 rcx=0x1', 'hlt'],
    registers: ['rbx', 'r8', 'r9'],
  },
  {
    name: 'interrupt injection: wake from HLT, and through the interrupt window after STI',
    code: `
      sti
      hlt
      out %al, $0x91
      cli
      out %al, $0x92
      mov $7, %r10
      sti
      nop
      out %al, $0x93
      hlt
      .org 0x200
      ${HANDLER(0x40)}
      .org 0x240
      ${HANDLER(0x41)}`,
    irqAtHlt: [0x40],
    irqAtOut: { 0x92: 0x41 },
    idt: { 0x40: 0x200, 0x41: 0x240 },
    expected: ['hlt', 'out 0x90/1 0x40', 'out 0x91/1 *', 'out 0x92/1 *', 'out 0x90/1 0x41', 'out 0x93/1 *', 'hlt'],
    registers: ['r10'],
  },
  {
    // The slice ends after the WRMSR (RIP past it) so that the machine republishes kvmclock
    // before the guest runs on: TSV_SLICE_TSC_WRITE, on KVM as on the interpreter.
    name: 'WRMSR IA32_TSC ends the slice after the instruction, and the guest TSC follows the write',
    code: `
      mov $0x10, %ecx
      xor %eax, %eax
      mov $1, %edx
      jmp 1f
      .org 0x40
    1: wrmsr
      rdtsc
      mov %rdx, %rbx
      hlt`,
    expected: ['slice end tsc-write at 0x42', 'hlt'],
    movesTsc: true,
    registers: ['rbx'],
  },
  {
    // Every run() is called past its deadline: the interpreter still executes some blocks; KVM must
    // still enter the guest once per slice (native/kvm/kvm_progress.h), or the guest never moves on.
    name: 'a slice that starts past its deadline still runs guest code',
    code: `
      mov $7, %r10
      out %al, $0x91
      out %al, $0x92
      hlt`,
    lateDeadline: true,
    expected: ['out 0x91/1 *', 'out 0x92/1 *', 'hlt'],
    registers: ['r10'],
  },
];

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

interface Trace {
  events: Event[];
  registers: Record<string, string>;
  haltRip: string[];
}

function runScenario(accel: Accel, s: Scenario): Trace {
  const v = new TestVm(undefined, accel);
  v.vm.setCpuid(cpuidTable());
  v.vm.setMsrExitRanges(Uint32Array.of(MSR_FIRST, MSR_FIRST + 0xff));
  const trap = [...hypercallInstruction(accel)].map((b) => '0x' + b.toString(16)).join(', ');
  v.prepare('long64', s.code.replace('HYPERCALL', `.byte ${trap}`));
  const code = Number(v.rip);
  if (s.idt) {
    const idt = 0x2000;
    for (const [vector, off] of Object.entries(s.idt)) {
      const target = BigInt(code + off);
      const lo = (target & 0xffffn) | (0x18n << 16n) | (0x8en << 40n) | (((target >> 16n) & 0xffffn) << 48n);
      v.ramView.setBigUint64(idt + 16 * Number(vector), lo, true);
      v.ramView.setBigUint64(idt + 16 * Number(vector) + 8, target >> 32n, true);
    }
    v.setU64(abi.TSV_OFF_IDTR, idt);
    v.st.setUint32(abi.TSV_OFF_IDTR + 8, 256 * 16 - 1, true);
  }
  const events: Event[] = [];
  const haltRip: string[] = [];
  const irqs = [...(s.irqAtHlt ?? [])];
  let windowFor = -1;
  // The run loop's protocol: inject when ready, otherwise ask for the interrupt window.
  const offer = (vector: number): void => {
    if (v.stBytes[abi.TSV_OFF_READY_FOR_INJECTION]) v.st.setInt32(abi.TSV_OFF_PENDING_IRQ, vector, true);
    else {
      windowFor = vector;
      v.stBytes[abi.TSV_OFF_REQUEST_IRQ_WINDOW] = 1;
    }
  };
  for (let n = 0; n < 200; n++) {
    if (s.lateDeadline) v.setU64(abi.TSV_OFF_RUN_DEADLINE_HOST_NS, 1);
    const r = v.run();
    if (r === abi.TSV_EXIT_SLICE_END) {
      if (v.st.getUint32(abi.TSV_OFF_EXIT_SLICE_REASON, true) === abi.TSV_SLICE_TSC_WRITE) events.push(`slice end tsc-write at 0x${(v.rip - BigInt(code)).toString(16)}`);
      continue; // otherwise a host signal, not part of the guest's behaviour
    }
    if (r === abi.TSV_EXIT_IO) {
      const port = v.st.getUint16(abi.TSV_OFF_EXIT_IO_PORT, true);
      const size = v.st.getUint8(abi.TSV_OFF_EXIT_IO_SIZE);
      const out = v.st.getUint8(abi.TSV_OFF_EXIT_IO_DIRECTION) === abi.TSV_IO_OUT;
      const count = v.st.getUint32(abi.TSV_OFF_EXIT_IO_COUNT, true);
      let at = v.st.getUint32(abi.TSV_OFF_EXIT_IO_DATA_OFFSET, true);
      for (let k = 0; k < count; k++, at += size) {
        if (out) {
          const value = size === 1 ? v.st.getUint8(at) : size === 2 ? v.st.getUint16(at, true) : v.st.getUint32(at, true);
          // ports 0x91-0x93 are markers: AL there is whatever the code left in it
          events.push(`out 0x${port.toString(16)}/${size} ${port >= 0x91 && port <= 0x93 ? '*' : '0x' + value.toString(16)}`);
        } else {
          events.push(`in 0x${port.toString(16)}/${size}`);
          const value = ioAnswer(port, size);
          if (size === 1) v.st.setUint8(at, value);
          else if (size === 2) v.st.setUint16(at, value, true);
          else v.st.setUint32(at, value, true);
        }
      }
      if (out && s.irqAtOut?.[port] !== undefined) offer(s.irqAtOut[port]!);
      continue;
    }
    if (r === abi.TSV_EXIT_MMIO) {
      const gpa = Number(v.u64(abi.TSV_OFF_EXIT_MMIO_GPA));
      const len = v.st.getUint32(abi.TSV_OFF_EXIT_MMIO_LEN, true);
      if (v.stBytes[abi.TSV_OFF_EXIT_MMIO_IS_WRITE]) {
        events.push(`mmio write 0x${gpa.toString(16)}/${len} ${hex(v.stBytes.subarray(abi.TSV_OFF_EXIT_MMIO_DATA, abi.TSV_OFF_EXIT_MMIO_DATA + len))}`);
      } else {
        events.push(`mmio read 0x${gpa.toString(16)}/${len}`);
        v.stBytes.set(mmioAnswer(gpa, len), abi.TSV_OFF_EXIT_MMIO_DATA);
      }
      continue;
    }
    if (r === abi.TSV_EXIT_MSR_READ || r === abi.TSV_EXIT_MSR_WRITE) {
      const index = v.st.getUint32(abi.TSV_OFF_EXIT_MSR_INDEX, true);
      if (r === abi.TSV_EXIT_MSR_WRITE) events.push(`wrmsr 0x${index.toString(16)} 0x${v.u64(abi.TSV_OFF_EXIT_MSR_DATA).toString(16)}`);
      else {
        events.push(`rdmsr 0x${index.toString(16)}`);
        v.setU64(abi.TSV_OFF_EXIT_MSR_DATA, MSR_ANSWER);
      }
      v.stBytes[abi.TSV_OFF_EXIT_MSR_ERROR] = 0;
      continue;
    }
    if (r === abi.TSV_EXIT_HYPERCALL) {
      const len = v.st.getUint32(abi.TSV_OFF_EXIT_HYPERCALL_INSN_LEN, true);
      const at = v.rip - BigInt(len) - BigInt(code);
      events.push(`hypercall at 0x${at.toString(16)} rax=0x${v.get('rax').toString(16)} rcx=0x${v.get('rcx').toString(16)}`);
      if (v.get('rcx') === 0n) {
        v.set('rcx', 1);
        v.rip = v.rip - BigInt(len);
      } else v.set('rax', 0x5678);
      continue;
    }
    if (r === abi.TSV_EXIT_IRQ_WINDOW_OPEN) {
      v.stBytes[abi.TSV_OFF_REQUEST_IRQ_WINDOW] = 0;
      v.st.setInt32(abi.TSV_OFF_PENDING_IRQ, windowFor, true);
      continue;
    }
    if (r === abi.TSV_EXIT_HLT) {
      events.push('hlt');
      haltRip.push('0x' + (v.rip - BigInt(code)).toString(16));
      const next = irqs.shift();
      if (next === undefined) break;
      offer(next);
      continue;
    }
    throw new Error(`${accel}: unexpected exit ${r} at rip 0x${v.rip.toString(16)}: ${v.message()}`);
  }
  const registers: Record<string, string> = {};
  for (const name of s.registers) registers[name] = '0x' + v.get(name).toString(16);
  v.vm.destroy();
  return { events, registers, haltRip };
}

const TSC_FIXED = 'runs the guest\'s RDTSC on the host TSC without the offset KVM is given (PVM): a write of IA32_TSC cannot move it';
for (const s of SCENARIOS) {
  const onKvm = testOnKvmUnless(s.movesTsc && kvmTraits?.tscOffsetApplies === false ? TSC_FIXED : undefined);
  test(`interp: ${s.name}`, (t) => {
    const trace = runScenario('interp', s);
    t.deepEqual(trace.events, s.expected);
  });
  onKvm(`kvm matches interp: ${s.name}`, (t) => {
    const interp = runScenario('interp', s);
    const kvm = runScenario('kvm', s);
    t.deepEqual(kvm.events, interp.events);
    t.deepEqual(kvm.registers, interp.registers);
    t.deepEqual(kvm.haltRip, interp.haltRip);
  });
}

test('interp: the answers reach the guest registers', (t) => {
  const io = runScenario('interp', SCENARIOS[0]!);
  t.deepEqual(io.registers, {
    rbx: '0x' + ioAnswer(0x3f8, 1).toString(16),
    r8: '0x' + ioAnswer(0x71, 2).toString(16),
    r9: '0x' + ioAnswer(0x3f8, 4).toString(16),
    rcx: '0x0',
  });
  const mmio = runScenario('interp', SCENARIOS[1]!);
  const le = (gpa: number, len: number): string => '0x' + BigInt('0x' + Buffer.from(mmioAnswer(gpa, len).reverse()).toString('hex')).toString(16);
  t.deepEqual(mmio.registers, { rbx: le(0x1000020, 4), rcx: le(0x1000028, 1), r8: le(0x1000030, 8), r9: le(0x1000038, 2) });
  const msr = runScenario('interp', SCENARIOS[2]!);
  t.deepEqual(msr.registers, { rbx: '0x112233', r8: '0xaabbccdd' });
  const hypercall = runScenario('interp', SCENARIOS[3]!);
  t.deepEqual(hypercall.registers, { rbx: '0x5678', r8: '0x1', r9: '0xfeed' });
  const irq = runScenario('interp', SCENARIOS[4]!);
  t.deepEqual(irq.registers, { r10: '0x7' });
  const tsc = runScenario('interp', SCENARIOS[5]!);
  t.deepEqual(tsc.registers, { rbx: '0x1' }, 'RDTSC after WRMSR IA32_TSC = 1 << 32 reads about 1 << 32');
  const late = runScenario('interp', SCENARIOS[6]!);
  t.deepEqual(late.registers, { r10: '0x7' });
});
