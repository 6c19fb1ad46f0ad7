/**
 * Decoded code that stops being valid: a guest store into decoded bytes kills only that page's
 * blocks (branches linked to them find the new code), and INVLPG of a linear page that held
 * executed code retires the jump-cache entries and links that lead there, whether the page is
 * global or not, while INVLPG of other pages leaves them alone.
 */
import test from 'ava';
import { TestVm, abi, LAYOUT } from './harness.js';

const PDPT = LAYOUT.pml4 + 0x1000;
const PD = LAYOUT.pml4 + 0x2000;
const PT_LOW = 0x32000;
const PD2 = 0x30000;
const PT = 0x31000;
/** Linear 0x40000000 (4 KiB pages through PT) maps to one of these two physical pages. */
const PAGE_A = 0x90000;
const PAGE_B = 0x92000;

/** `mov $value, %eax; ret` at a physical page. */
function putReturner(v: TestVm, phys: number, value: number): void {
  v.ram.set([0xb8, value & 0xff, (value >> 8) & 0xff, 0, 0, 0xc3], phys);
}

for (const global of [false, true]) {
  test(`INVLPG of a remapped code page (${global ? 'global' : 'non-global'}) runs the new page's code; INVLPG elsewhere changes nothing`, (t) => {
    const v = new TestVm();
    v.setMode('long64');
    v.setU64(abi.TSV_OFF_CR4, 0x20 | 0x80); // PAE | PGE
    // the first 2 MiB through 4 KiB pages as well: with a large page in the TLB, INVLPG flushes everything
    for (let k = 0; k < 512; k++) v.ramView.setBigUint64(PT_LOW + 8 * k, BigInt(k * 0x1000) | 7n, true);
    v.ramView.setBigUint64(PD, BigInt(PT_LOW | 7), true);
    v.ramView.setBigUint64(PDPT + 8, BigInt(PD2 | 7), true);
    v.ramView.setBigUint64(PD2, BigInt(PT | 7), true);
    const g = global ? 0x100n : 0n;
    v.ramView.setBigUint64(PT, BigInt(PAGE_A) | 0x3n | g, true);
    v.ramView.setBigUint64(PT + 8, 0x94000n | 0x3n | g, true); // a data page next to it
    putReturner(v, PAGE_A, 1);
    putReturner(v, PAGE_B, 2);
    v.load('long64', `
      mov $0x40000000, %rbx
      xor %esi, %esi
      mov $100, %ecx
    1: call *%rbx                  # the jump cache learns the page's block
      add %eax, %esi
      call target
      add %eax, %esi
      dec %ecx
      jnz 1b
      invlpg 0x1000(%rbx)          # a page without code: the code above stays linked and valid
      mov $100, %ecx
    2: call *%rbx
      add %eax, %esi
      dec %ecx
      jnz 2b
      movq $${PAGE_B | 3 | (global ? 0x100 : 0)}, (%r8)   # map page B, then flush the old translation
      invlpg (%rbx)
      xor %edi, %edi
      mov $100, %ecx
    3: call *%rbx
      add %eax, %edi
      call target
      add %eax, %edi
      dec %ecx
      jnz 3b
      hlt
    target = 0x40000000`);
    v.set('r8', PT);
    v.runToHlt();
    t.is(v.get('rsi'), 300n, '100 x (1 + 1) before, 100 x 1 after INVLPG of the data page');
    t.is(v.get('rdi'), 400n, 'both the indirect and the direct (linked) call reach page B');
  });
}

test('a page patched thousands of times: every branch linked to its old blocks finds the new code', (t) => {
  const v = new TestVm();
  // the patched routine sits on a page of its own, so the loop's blocks stay alive
  const routine = LAYOUT.code + 0x2000;
  putReturner(v, routine, 0);
  v.prepare('long64', `
      xor %esi, %esi
      xor %edx, %edx
      mov $${routine}, %rdi
      mov $40000, %ecx
    1: mov %dl, 1(%rdi)            # the routine's immediate := counter & 0xff
      call routine
      add %eax, %esi
      call *%rdi
      add %eax, %esi
      inc %edx
      dec %ecx
      jnz 1b
      hlt
    routine = ${routine}`);
  v.runToHlt();
  // each iteration adds (k & 0xff) twice
  let want = 0n;
  for (let k = 0; k < 40000; k++) want += 2n * BigInt(k & 0xff);
  t.is(v.get('rsi'), want);
});

test('code patched inside the running block and in blocks on the same page', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
      xor %esi, %esi
      mov $5000, %ecx
      lea 2f(%rip), %rdi
    1: mov %cl, 1(%rdi)            # patches the next instruction's immediate, in this very block
    2: mov $0, %al
      movzbl %al, %eax
      add %eax, %esi
      dec %ecx
      jnz 1b
      hlt`);
  v.runToHlt();
  let want = 0n;
  for (let k = 5000; k >= 1; k--) want += BigInt(k & 0xff);
  t.is(v.get('rsi'), want);
});
