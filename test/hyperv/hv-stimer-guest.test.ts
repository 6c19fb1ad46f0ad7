/**
 * Synthetic timers seen from a guest program (test/guests/hv_stimer.c): the
 * seed scenario (two 1 ms periodic timers, 1000 expiries each, one on an
 * auto-EOI SINT), one-shot, auto-enabled one-shot and periodic, a one-shot in
 * the past, the busy slot with EOM and merged missed periods, direct mode, a
 * polling SINT (the message without an interrupt) —
 * on VP 0 and again on VP 1 of a 2-vCPU machine.
 * Deterministic under -icount; in real time the guest relaxes only the checks
 * host scheduling can stretch.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const FLAGS = { 'hv-vpindex': true, 'hv-time': true, 'hv-synic': true, 'hv-stimer': true, 'hv-stimer-direct': true };

function failLines(serial: string): string[] {
  return serial.split('\n').filter((l) => l.startsWith('FAIL:'));
}

for (const [label, clock, append] of [
  ['icount', { mode: 'icount', shift: 0 }, ''],
  ['realtime', { mode: 'realtime' }, 'realtime=1'],
] as const) {
  test(`hv_stimer (${label}): periodic, one-shot, auto-enable, past, busy slot, direct mode, polling`, async (t) => {
    const r = await runGuest('hv_stimer', { smp: 2, clock, append, cpuFlags: FLAGS, timeoutMs: 90_000 });
    t.regex(r.serial, /PASS: VP 1 ran every scenario/);
    t.regex(r.serial, /PASS: VP 1's expiries reached VP 1 only/);
    t.deepEqual(failLines(r.serial), []);
    for (const vp of [0, 1]) t.regex(r.serial, new RegExp(`PASS: VP ${vp}: two periodic 1 ms timers: 100[01] and 100[01] expiries`));
    for (const vp of [0, 1]) t.regex(r.serial, new RegExp(`PASS: VP ${vp}: slot busy: no second interrupt, msg_pending set`));
    for (const vp of [0, 1]) t.regex(r.serial, new RegExp(`PASS: VP ${vp}: polling SINT: the expiry message lands in the slot, no interrupt`));
    t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
    t.is(r.status, 1, r.serial);
  });
}
