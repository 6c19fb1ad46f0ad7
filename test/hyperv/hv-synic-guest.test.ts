/**
 * The SynIC seen from a guest program (test/guests/hv_synic.c) driven through
 * -device hyperv-testdev: SINT routes, auto-EOI, event and message
 * connections with the busy-slot/EOM path, on the deterministic clock and in
 * real time.
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
    t.regex(r.serial, /PASS: HvPostMessage from VP 0 lands in VP 1's message page/);
    t.deepEqual(failLines(r.serial), []);
    t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
    t.regex(r.serial, /PASS: after EOM the queued message is delivered/);
    t.is(r.status, 1, r.serial);
  });
}

test('hyperv-testdev without hv-synic is a configuration error', async (t) => {
  await t.throwsAsync(runGuest('hv_synic', { cpuFlags: { 'hv-relaxed': true }, extraDevices: [{ driver: 'hyperv-testdev' }] }), {
    message: /hyperv-testdev needs the hv-synic -cpu flag/,
  });
});
