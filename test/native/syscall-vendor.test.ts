/**
 * The CPUID vendor decides the vendor-specific system instructions (docs/cpu-models.md): with
 * AuthenticAMD (qemu64) SYSCALL enters the kernel from compatibility mode through CSTAR and
 * SYSENTER is #UD in long mode; with GenuineIntel SYSCALL outside 64-bit mode is #UD.
 */
import test from 'ava';
import { buildCpuidTable } from '../../lib/machine/cpuid.js';
import { TestVm, abi, LAYOUT } from './harness.js';

function withModel(model: string): TestVm {
  const v = new TestVm();
  const entries = buildCpuidTable({ model });
  const words = new Uint32Array(entries.length * abi.TSV_CPUID_ENTRY_WORDS);
  entries.forEach((e, i) => words.set([e.function, e.index, e.significantIndex ? abi.TSV_CPUID_FLAG_SIGNIFICANT_INDEX : 0, e.eax, e.ebx, e.ecx, e.edx], i * abi.TSV_CPUID_ENTRY_WORDS));
  v.vm.setCpuid(words);
  return v;
}

// 64-bit code sets STAR (kernel CS 0x18), CSTAR and SFMASK, then far-returns to the 32-bit code
// segment 0x08 (compatibility mode) with DF set, where SYSCALL runs.
const PROGRAM = `
    mov $0xc0000080, %ecx
    rdmsr
    or $1, %eax                 # EFER.SCE
    wrmsr
    mov $0xc0000081, %ecx       # STAR: SYSCALL CS = 0x18
    xor %eax, %eax
    mov $0x00000018, %edx
    wrmsr
    mov $0xc0000083, %ecx       # CSTAR
    lea cstar_entry(%rip), %rax
    xor %edx, %edx
    wrmsr
    mov $0xc0000084, %ecx       # SFMASK: clear DF (bit 10)
    mov $0x400, %eax
    wrmsr
    mov $0x0f000, %ebx          # RBX: what the far return pops (RIP, CS)
    lea compat(%rip), %rax
    mov %eax, (%rbx)
    movl $0x08, 4(%rbx)
    mov %rbx, %rsp
    std
    .byte 0xcb                  # RETF (32-bit operand size): to compat mode
  compat:
    .byte 0x0f, 0x05            # SYSCALL (32-bit code)
  after:
    hlt
  cstar_entry:
    mov $0x5a5a, %r12
    hlt
`;

test('AuthenticAMD (qemu64): SYSCALL from compatibility mode goes to CSTAR in 64-bit mode', (t) => {
  const v = withModel('qemu64');
  v.prepare('long64', PROGRAM);
  v.runToHlt();
  t.is(v.get('r12'), 0x5a5an, 'reached CSTAR');
  t.is(v.seg('cs').sel, 0x18);
  t.is(v.seg('ss').sel, 0x20);
  const after = BigInt(LAYOUT.code) + BigInt(Buffer.from(v.ram.subarray(LAYOUT.code, LAYOUT.code + 256)).indexOf(Buffer.from([0x0f, 0x05, 0xf4])) + 2);
  t.is(v.get('rcx'), after, 'RCX = the instruction after SYSCALL');
  t.not(v.get('r11') & 0x400n, 0n, 'R11 holds RFLAGS with DF');
  t.is(v.rflags & 0x400n, 0n, 'SFMASK cleared DF');
});

test('GenuineIntel (kvm64): SYSCALL from compatibility mode is #UD', (t) => {
  const v = withModel('kvm64');
  v.prepare('long64', PROGRAM);
  v.installReportingIdt('long64');
  v.runToHlt();
  t.is(v.reported().vector, 6);
  t.not(v.get('r12'), 0x5a5an);
});

test('AuthenticAMD: SYSENTER in long mode is #UD; GenuineIntel enters through SYSENTER_EIP', (t) => {
  const src = `
    mov $0x174, %ecx
    mov $0x18, %eax
    xor %edx, %edx
    wrmsr
    mov $0x176, %ecx
    lea entry(%rip), %rax
    wrmsr
    sysenter
    hlt
  entry:
    mov $0x77, %r12
    hlt
  `;
  const amd = withModel('qemu64');
  amd.prepare('long64', src);
  amd.installReportingIdt('long64');
  amd.runToHlt();
  t.is(amd.reported().vector, 6);
  const intel = withModel('kvm64');
  intel.prepare('long64', src);
  intel.runToHlt();
  t.is(intel.get('r12'), 0x77n);
});
