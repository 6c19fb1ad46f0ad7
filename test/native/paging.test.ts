import test from 'ava';
import { TestVm, abi, LAYOUT } from './harness.js';

const PDPT = LAYOUT.pml4 + 0x1000;

test('1 GiB pages map through the PDPT', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.ramView.setBigUint64(PDPT + 8, 0x83n, true); // 0x40000000 -> 0 (1 GiB, writable)
  v.ramView.setUint32(0x60000, 0x5a5a5a5a, true);
  v.load('long64', 'mov $0x40060000, %rbx; mov (%rbx), %eax; movl $0x77, 4(%rbx); hlt');
  v.runToHlt();
  t.is(v.get('rax'), 0x5a5a5a5an);
  t.is(v.ramView.getUint32(0x60004, true), 0x77);
  t.true((v.ramView.getBigUint64(PDPT + 8, true) & 0x60n) === 0x60n); // accessed + dirty
  t.is(v.cpu.translate(0x40123456, false, false), 0x123456);
});

/**
 * Long mode with CR4.PGE: 0x40000000 maps a global page (frame 0x90000) and
 * 0x40001000 a non-global one (0x92000); the PTEs sit at PT_GLOBAL_TEST and the
 * words at 0x90000/0x91000/0x92000/0x93000 read 1/2/3/4, so a test can repoint
 * the PTEs and see which translation the TLB kept.
 */
const PT_GLOBAL_TEST = 0x31000;
function globalAndPlainPageVm(): TestVm {
  const v = new TestVm();
  v.setMode('long64');
  v.setU64(abi.TSV_OFF_CR4, 0x20 | 0x80); // PAE | PGE
  const pd2 = 0x30000, pt = PT_GLOBAL_TEST;
  v.ramView.setBigUint64(PDPT + 8, BigInt(pd2 | 7), true);
  v.ramView.setBigUint64(pd2, BigInt(pt | 7), true);
  v.ramView.setBigUint64(pt, 0x90000n | 0x103n, true); // global
  v.ramView.setBigUint64(pt + 8, 0x92000n | 0x3n, true); // not global
  v.ramView.setUint32(0x90000, 1, true);
  v.ramView.setUint32(0x91000, 2, true);
  v.ramView.setUint32(0x92000, 3, true);
  v.ramView.setUint32(0x93000, 4, true);
  return v;
}

test('TLB: MOV CR3 keeps global entries, INVLPG drops one page', (t) => {
  const v = globalAndPlainPageVm();
  const pt = PT_GLOBAL_TEST;
  v.load('long64', `
    mov $0x40000000, %rbx
    mov (%rbx), %eax          # 1 (global page cached)
    mov 0x1000(%rbx), %ecx    # 3 (non-global page cached)
    movq $0x91103, (%r8)      # repoint both PTEs
    movq $0x93003, 8(%r8)
    mov (%rbx), %edx          # still 1: stale TLB entry
    mov %cr3, %r9
    mov %r9, %cr3
    mov (%rbx), %esi          # still 1: global survives MOV CR3
    mov 0x1000(%rbx), %edi    # 4: non-global was flushed
    invlpg (%rbx)
    mov (%rbx), %r10d         # 2
    hlt`);
  v.set('r8', pt);
  v.runToHlt();
  t.deepEqual([v.get('rax'), v.get('rcx'), v.get('rdx'), v.get('rsi'), v.get('rdi'), v.get('r10')], [1n, 3n, 1n, 1n, 4n, 2n]);
});

test('TLB: a global entry outlives a hundred MOV CR3 (reads and writes) and goes with a CR4.PGE toggle', (t) => {
  const v = globalAndPlainPageVm();
  const pt = PT_GLOBAL_TEST;
  v.load('long64', `
    mov $0x40000000, %rbx
    mov (%rbx), %eax          # 1: global page cached
    movl $5, 4(%rbx)          # write entry cached too
    mov 0x1000(%rbx), %eax    # 3: non-global page cached
    movq $0x91103, (%r8)      # repoint both PTEs
    movq $0x93003, 8(%r8)
    mov $100, %ecx
  1: mov %cr3, %r9
    mov %r9, %cr3
    dec %ecx
    jnz 1b
    mov (%rbx), %edx          # still 1: the global translation is kept
    movl $6, 4(%rbx)          # still into 0x90004
    mov 0x1000(%rbx), %edi    # 4: the non-global one was not
    mov %cr4, %r9
    and $~0x80, %r9
    mov %r9, %cr4             # PGE off and on: global entries go
    or $0x80, %r9
    mov %r9, %cr4
    mov (%rbx), %esi          # 2
    hlt`);
  v.set('r8', pt);
  v.runToHlt();
  t.deepEqual([v.get('rdx'), v.get('rdi'), v.get('rsi')], [1n, 4n, 2n]);
  t.is(v.ramView.getUint32(0x90004, true), 6, 'the write after the CR3 writes went through the kept translation');
});

test('user-mode access to a supervisor page faults with U/S in the error code', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  v.ramView.setBigUint64(LAYOUT.tss + 4, 0x7f000n, true);
  // 0x40000000: supervisor-only 2 MiB page
  const pd2 = 0x30000;
  v.ramView.setBigUint64(PDPT + 8, BigInt(pd2 | 7), true);
  v.ramView.setBigUint64(pd2, 0x83n, true);
  v.load('long64', `
    push $0x33
    push $0x70000
    push $0x2
    push $0x2b
    lea user(%rip), %rax
    push %rax
    iretq
  user:
    mov $0x40000010, %rbx
    mov (%rbx), %eax
    hlt`);
  v.runToHlt();
  t.is(v.reported().vector, 14);
  t.is(v.reported().w0, 0x5n); // P | U
  t.is(v.u64(abi.TSV_OFF_CR2), 0x40000010n);
  t.is(v.seg('cs').sel & 3, 0); // the handler runs at CPL 0
});

test('64-bit IST: the gate stack comes from the TSS', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  // vector 6 uses IST1
  const g = v.ramView.getBigUint64(LAYOUT.idt + 16 * 6, true);
  v.ramView.setBigUint64(LAYOUT.idt + 16 * 6, g | (1n << 32n), true);
  v.ramView.setBigUint64(LAYOUT.tss + 0x24, 0x7a008n, true); // IST1 (aligned down to 16)
  v.load('long64', 'ud2');
  v.runToHlt();
  t.is(v.reported().vector, 6);
  // after the handler popped the vector, RSP = 0x7a000 - 5*8
  t.is(v.get('rsp'), 0x7a000n - 40n);
});

test('double fault: #GP while delivering #NP escalates to #DF', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  // vector 0x30: present gate, but its code selector is beyond the GDT -> #GP(sel) while delivering
  const lo = 0x1000n | (0x1f8n << 16n) | (0x8en << 40n);
  v.ramView.setBigUint64(LAYOUT.idt + 16 * 0x30, lo, true);
  v.st.setUint32(abi.TSV_OFF_IDTR + 8, 0x30 * 16 + 15, true);
  // and vector 13's gate not present -> #NP while delivering #GP -> #DF
  const gp = v.ramView.getBigUint64(LAYOUT.idt + 16 * 13, true);
  v.ramView.setBigUint64(LAYOUT.idt + 16 * 13, gp & ~(1n << 47n), true);
  v.load('long64', 'int $0x30');
  v.runToHlt();
  t.is(v.reported().vector, 8);
  t.is(v.reported().w0, 0n);
});
