/**
 * The event ring of -d int (tsvisor_abi.h TSV_OFF_EVENT_RING): the interp
 * backend records each interrupt and exception it delivers while the ring is
 * enabled, nothing while it is off, asks for an early end of the slice once
 * the ring is half full, and counts (never drops silently) what does not fit
 * when the consumer does not drain. lib/machine/guest-log.ts turns the records
 * into lines.
 */
import test from 'ava';
import { TestVm, abi, LAYOUT } from './harness.js';
import { Vcpu } from '../../lib/hypervisor/vcpu.js';
import { GuestLog } from '../../lib/machine/guest-log.js';

const HANDLER = 0x41000;

/** Long mode; vector 3 returns at once, vector 14 pops the error code and skips the 2-byte faulting load. */
function setup(source: string): TestVm {
  const v = new TestVm();
  v.setMode('long64');
  // 0x41000: iretq        0x41010: add $8,%rsp; addq $2,(%rsp); iretq
  v.ram.set(Buffer.from([0x48, 0xcf]), HANDLER);
  v.ram.set(Buffer.from([0x48, 0x83, 0xc4, 0x08, 0x48, 0x83, 0x04, 0x24, 0x02, 0x48, 0xcf]), HANDLER + 0x10);
  const gate = (target: number): bigint =>
    BigInt(target & 0xffff) | (0x18n << 16n) | (0x8en << 40n) | (BigInt((target >>> 16) & 0xffff) << 48n);
  v.ramView.setBigUint64(LAYOUT.idt + 16 * 3, gate(HANDLER), true);
  v.ramView.setBigUint64(LAYOUT.idt + 16 * 14, gate(HANDLER + 0x10), true);
  v.setU64(abi.TSV_OFF_IDTR, LAYOUT.idt);
  v.st.setUint32(abi.TSV_OFF_IDTR + 8, 0xfff, true);
  v.load('long64', source);
  return v;
}

const u32 = (v: TestVm, off: number): number => v.st.getUint32(off, true);

function drained(v: TestVm): string[] {
  const lines: string[] = [];
  new GuestLog({ items: ['int'], write: (l) => lines.push(l) }).drain(new Vcpu(0, v.cpu));
  return lines;
}

test('off: delivering events records nothing', (t) => {
  const v = setup('int3; int3; hlt');
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(u32(v, abi.TSV_OFF_EVENT_RING_HEAD), 0);
  t.is(u32(v, abi.TSV_OFF_EVENT_RING_LOST), 0);
});

test('on: a #PF with its error code and CR2, then a software INT3, one line each', (t) => {
  // 0x40000000 is past the 1 GiB the harness maps: a not-present read fault (error 0)
  const v = setup('mov $0x40000000, %rbx; mov (%rbx), %eax; int3; hlt');
  v.stBytes[abi.TSV_OFF_EVENT_RING_ENABLE] = 1;
  t.is(v.run(), abi.TSV_EXIT_HLT);
  t.is(u32(v, abi.TSV_OFF_EVENT_RING_HEAD), 2);
  const lines = drained(v);
  t.is(lines.length, 2);
  t.regex(lines[0]!, /^exception #PF v=0e e=0000 cpl=0 IP=0018:0000000000010007 SP=\S+ CR2=0000000040000000 mode=long cpu=0 insn=\d+$/);
  t.regex(lines[1]!, /^software interrupt INT=0x03 \(#BP\) v=03 e=---- cpl=0 IP=0018:0000000000010009 /);
  t.is(u32(v, abi.TSV_OFF_EVENT_RING_TAIL), 2, 'the consumer moved the tail');
  t.deepEqual(drained(v), [], 'drained once');
});

test('a tight INT3 loop ends the slice when the ring is half full, so a draining consumer loses nothing', (t) => {
  const v = setup('1: int3; jmp 1b');
  v.stBytes[abi.TSV_OFF_EVENT_RING_ENABLE] = 1;
  let total = 0;
  for (let i = 0; i < 20; i++) {
    v.st.setUint8(abi.TSV_OFF_IMMEDIATE_EXIT, 0);
    t.is(v.run(), abi.TSV_EXIT_SLICE_END);
    t.is(v.st.getUint32(abi.TSV_OFF_EXIT_SLICE_REASON, true), abi.TSV_SLICE_IMMEDIATE_EXIT);
    const lines = drained(v);
    t.true(lines.length >= abi.TSV_EVENT_RING_CAPACITY >> 1, `${lines.length} events in slice ${i}`);
    t.false(lines.some((l) => l.includes('lost')), lines.find((l) => l.includes('lost')));
    total += lines.length;
  }
  t.is(u32(v, abi.TSV_OFF_EVENT_RING_HEAD), total);
});

test('a consumer that does not drain: the ring keeps its capacity and counts the rest as lost', (t) => {
  const v = setup('1: int3; jmp 1b');
  v.stBytes[abi.TSV_OFF_EVENT_RING_ENABLE] = 1;
  for (let i = 0; i < 4; i++) {
    v.st.setUint8(abi.TSV_OFF_IMMEDIATE_EXIT, 0);
    v.run();
  }
  t.is(u32(v, abi.TSV_OFF_EVENT_RING_HEAD), abi.TSV_EVENT_RING_CAPACITY);
  const lost = u32(v, abi.TSV_OFF_EVENT_RING_LOST);
  t.true(lost > 0);
  const lines = drained(v);
  t.is(lines.length, abi.TSV_EVENT_RING_CAPACITY + 1);
  t.is(lines.at(-1), `cpu=0: ${lost} event${lost === 1 ? '' : 's'} lost (the event ring was full)`);
  t.is(u32(v, abi.TSV_OFF_EVENT_RING_LOST), 0, 'the count restarts once reported');
});
