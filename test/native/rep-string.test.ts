/**
 * REP MOVS / REP STOS, which the interpreter does a page at a time on host memory when every
 * element hits the TLB: results across page boundaries at any alignment, the element-by-element
 * meaning of an overlapping copy, stores over decoded code, and a page fault in the middle with
 * RSI/RDI/RCX at the faulting element.
 */
import test from 'ava';
import { TestVm, abi, LAYOUT } from './harness.js';

const SRC = 0x100000;
const DST = 0x180000;

/** The bytes at `at` after a forward element-by-element copy of n elements of `size` bytes (what the CPU does). */
function refMovs(mem: Uint8Array, src: number, dst: number, n: number, size: number): void {
  for (let k = 0; k < n; k++) {
    const element = mem.slice(src + k * size, src + (k + 1) * size); // loaded whole, then stored
    mem.set(element, dst + k * size);
  }
}

function seed(v: TestVm, at: number, len: number, salt: number): void {
  for (let k = 0; k < len; k++) v.ram[at + k] = (k * 7 + salt + (k >> 8)) & 0xff;
}

for (const [suffix, size] of [['b', 1], ['w', 2], ['l', 4], ['q', 8]] as const) {
  test(`rep movs${suffix} and rep stos${suffix} across page boundaries at odd offsets`, (t) => {
    const v = new TestVm();
    const n = Math.floor(3 * 4096 / size) + 5;
    const src = SRC + 0x7f3, dst = DST + 0x1d;
    seed(v, SRC, 0x8000, 3);
    v.prepare('long64', `
      mov $${src}, %rsi
      mov $${dst}, %rdi
      mov $${n}, %ecx
      rep movs${suffix}
      mov %rsi, %r8
      mov %rdi, %r9
      mov %rcx, %r10
      mov $${DST + 0x6000 + 3}, %rdi
      mov $${n}, %ecx
      mov $0x1122334455667788, %rax
      rep stos${suffix}
      hlt`);
    const want = new Uint8Array(v.ram);
    refMovs(want, src, dst, n, size);
    v.runToHlt();
    t.deepEqual(v.ram.subarray(DST, DST + 0x6000), want.subarray(DST, DST + 0x6000), 'copied bytes');
    t.deepEqual([v.get('r8'), v.get('r9'), v.get('r10')], [BigInt(src + n * size), BigInt(dst + n * size), 0n]);
    const pattern = Buffer.alloc(8);
    pattern.writeBigUInt64LE(0x1122334455667788n);
    const filled = v.ram.subarray(DST + 0x6000 + 3, DST + 0x6000 + 3 + n * size);
    let ok = true;
    for (let k = 0; k < filled.length; k++) if (filled[k] !== pattern[k % size]) ok = false;
    t.true(ok, 'stored pattern');
    t.is(v.ram[DST + 0x6000 + 3 + n * size], 0, 'nothing stored past the count');
    t.deepEqual([v.get('rdi'), v.get('rcx')], [BigInt(DST + 0x6000 + 3 + n * size), 0n]);
  });
}

for (const [dist, suffix, size] of [[1, 'b', 1], [3, 'q', 8], [-5, 'b', 1], [8, 'q', 8]] as const) {
  test(`an overlapping rep movs${suffix} with the destination ${dist} bytes from the source copies element by element`, (t) => {
    const v = new TestVm();
    const n = 700;
    const src = SRC + 0x10, dst = src + dist;
    seed(v, SRC, 0x2000, 11);
    v.prepare('long64', `
      mov $${src}, %rsi
      mov $${dst}, %rdi
      mov $${n}, %ecx
      rep movs${suffix}
      hlt`);
    const want = new Uint8Array(v.ram);
    refMovs(want, src, dst, n, size);
    v.runToHlt();
    t.deepEqual(v.ram.subarray(SRC, SRC + 0x2000), want.subarray(SRC, SRC + 0x2000));
  });
}

test('rep movsb over decoded code: the new instruction runs', (t) => {
  const v = new TestVm();
  v.prepare('long64', `
      mov $3, %ecx
    1: call target                # decoded and linked before the copy
      dec %ecx
      jnz 1b
      lea newcode(%rip), %rsi
      lea target(%rip), %rdi
      mov $6, %ecx
      rep movsb
      call target
      hlt
    target:
      mov $1, %eax
      ret
    newcode:
      mov $42, %eax
      ret`);
  v.runToHlt();
  t.is(v.get('rax'), 42n);
});

test('a page fault in the middle of rep stosq: RDI, RCX and CR2 name the faulting element', (t) => {
  const v = new TestVm();
  v.setMode('long64');
  v.installReportingIdt('long64');
  const PDPT = LAYOUT.pml4 + 0x1000, PD2 = 0x30000, PT = 0x31000;
  v.ramView.setBigUint64(PDPT + 8, BigInt(PD2 | 7), true);
  v.ramView.setBigUint64(PD2, BigInt(PT | 7), true);
  v.ramView.setBigUint64(PT, 0x90000n | 3n, true); // 0x40000000 present, 0x40001000 not
  v.load('long64', `
      mov $0x40000fe8, %rdi
      mov $10, %ecx
      mov $-1, %rax
      rep stosq
      hlt`);
  v.runToHlt();
  t.is(v.reported().vector, 14);
  t.is(v.u64(abi.TSV_OFF_CR2), 0x40001000n);
  t.deepEqual([v.get('rdi'), v.get('rcx')], [0x40001000n, 7n]);
  t.is(v.ramView.getBigUint64(0x90ff8, true), 0xffffffffffffffffn, 'the elements before the fault are stored');
});
