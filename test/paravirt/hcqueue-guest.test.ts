/**
 * The batched hypercall queue on the real CPU core (icount): batches of PTE updates verified
 * through the page tables, implicit flushes of a full queue, SET_CR with MOV's checks, SEND_IPI and
 * KVM hypercall entries, and every error path; without kvm-hcqueue neither the MSR nor the flush exists.
 */
import test, { type ExecutionContext } from 'ava';
import { runGuest, type GuestResult } from '../helpers/run-guest.js';

const ICOUNT = { mode: 'icount', shift: 0 } as const;

function assertPassed(t: ExecutionContext, r: GuestResult): void {
  t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL:')), [], 'no FAIL: lines');
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason}${r.message ? ': ' + r.message : ''})`);
}

test('-cpu max: the queue works and every error path answers with its code', async (t) => {
  const r = await runGuest('hcqueue', { cpuModel: 'max', clock: ICOUNT });
  assertPassed(t, r);
  for (const line of [
    'PASS: 256 PTE updates visible through the page tables',
    'PASS: a full queue flushed implicitly 4 times',
    'PASS: MMU_WRITE + INVLPG: the page now maps frame 9',
    'PASS: SET_CR CR0 clearing PG: -KVM_EINVAL (-22)',
    'PASS: SEND_IPI entries: 2 interrupts taken',
    'PASS: unknown op at index 2: -KVM_ENOSYS, done 2, index kept (-1000, 2, 4)',
    'PASS: index beyond max_entries: -KVM_E2BIG',
    'PASS: flush with no control area registered: -KVM_EINVAL',
  ]) {
    t.true(r.serial.includes(line), line);
  }
});

test('+kvm-hcqueue on qemu64; without it the MSR is #GP and the flush is -KVM_ENOSYS', async (t) => {
  const on = await runGuest('hcqueue', { cpuModel: 'qemu64', cpuFlags: { 'kvm-hcqueue': true }, clock: ICOUNT });
  assertPassed(t, on);
  const off = await runGuest('hcqueue', { cpuModel: 'qemu64', clock: ICOUNT });
  t.true(off.serial.includes('FAIL: CPUID 0x40000001 EAX bit 30: the hypercall queue'), 'not advertised on qemu64 by default');
  t.true(off.serial.includes('PASS: no queue: MSR 0x4b564dff is #GP'));
  t.true(off.serial.includes('PASS: no queue: the flush hypercall is -KVM_ENOSYS'));
});

test('benchmark mode: 8192 batched updates take 2 flushes', async (t) => {
  const r = await runGuest('hcqueue', { cpuModel: 'max', clock: ICOUNT, append: 'bench=8192 benchmode=2' });
  assertPassed(t, r);
  t.regex(r.serial, /BENCH mode=2 updates=8192 guest_us=\d+/);
});
