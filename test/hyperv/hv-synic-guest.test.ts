/**
 * The SynIC seen from a guest program (test/guests/hv_synic.c) driven through
 * -device hyperv-testdev: SINT routes, auto-EOI, event and message
 * connections with the busy-slot/EOM path and every status, a masked and a
 * polling SINT — on VP 0 and again on VP 1 of a 2-vCPU machine, then VP 0
 * posting into VP 1's busy slot — on the deterministic clock and in real time.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const FLAGS = { 'hv-vpindex': true, 'hv-synic': true };

function failLines(serial: string): string[] {
  return serial.split('\n').filter((l) => l.startsWith('FAIL:'));
}

for (const [label, clock] of [['icount', { mode: 'icount', shift: 0 }], ['realtime', { mode: 'realtime' }]] as const) {
  test(`hv_synic (${label}): 16 SINTs with auto-EOI, HvSignalEvent, HvPostMessage busy slot and EOM`, async (t) => {
    const r = await runGuest('hv_synic', { smp: 2, clock, cpuFlags: FLAGS, extraDevices: [{ driver: 'hyperv-testdev' }], timeoutMs: 60_000 });
    t.deepEqual(failLines(r.serial), []);
    t.regex(r.serial, /PASS: VP 1 ran every scenario/);
    for (const vp of [0, 1]) {
      for (const check of [
        'one already waiting: INSUFFICIENT_BUFFERS',
        'after EOM the queued message is delivered and the SINT raised again',
        'an EOI of the SINT\'s vector delivers the waiting message too',
        'HvSignalEvent: flag 10 of SINT 3 set, SINT raised',
        'unmasking delivers it and raises the SINT',
        'EOM on the polled slot delivers the waiting message',
        'no interrupt for any of it',
      ]) {
        t.true(r.serial.includes(`PASS: VP ${vp}: ${check}`), `VP ${vp}: ${check}`);
      }
    }
    t.regex(r.serial, /PASS: VP 0 posts a third: INSUFFICIENT_BUFFERS/);
    t.regex(r.serial, /PASS: VP 1's EOM delivers VP 0's waiting message/);
    t.regex(r.serial, /SUMMARY: 101 tests, 0 failures/);
    t.is(r.status, 1, r.serial);
  });
}

test('hyperv-testdev without hv-synic is a configuration error', async (t) => {
  await t.throwsAsync(runGuest('hv_synic', { cpuFlags: { 'hv-relaxed': true }, extraDevices: [{ driver: 'hyperv-testdev' }] }), {
    message: /hyperv-testdev needs the hv-synic -cpu flag/,
  });
});
