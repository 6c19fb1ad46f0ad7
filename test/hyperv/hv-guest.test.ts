/**
 * The Hyper-V enlightenments seen from a guest program on the real CPU core
 * (test/guests/hv_basic.c), on the deterministic clock and in real time.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const TIMEOUT_MS = 120_000;
const ICOUNT = { mode: 'icount', shift: 0 } as const;
const PASSTHROUGH = { 'hv-passthrough': true, 'hv-spinlocks': 0x1fff };

function failLines(serial: string): string[] {
  return serial.split('\n').filter((l) => l.startsWith('FAIL:'));
}

for (const [label, clock] of [['icount', ICOUNT], ['realtime', { mode: 'realtime' } as const]] as const) {
  test(`hv_basic (${label}): identification, hypercall page and statuses, VP MSRs, reference time on 2 vCPUs`, async (t) => {
    const r = await runGuest('hv_basic', { smp: 2, clock, cpuFlags: PASSTHROUGH, timeoutMs: TIMEOUT_MS });
    t.deepEqual(failLines(r.serial), []);
    t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
    t.regex(r.serial, /PASS: AP: VP_INDEX 1 = APIC ID 1/);
    // The interpreter's page is VMCALL; RET, so the guest also checks VMCALL directly (at CPL 0 and 3).
    t.regex(r.serial, /hypercall page: VMCALL; RET/);
    t.regex(r.serial, /PASS: VMCALL at CPL 3: #UD/);
    t.regex(r.serial, /PASS: hypercall page at CPL 3: #UD in the page/);
    t.is(r.status, 1, `exit status (reason: ${r.reason}); serial:\n${r.serial}`);
  });
}

test('hv_basic: only hv-relaxed offers no VP MSRs; HvNotifyLongSpinWait is denied without a retry count', async (t) => {
  const r = await runGuest('hv_basic', { append: 'minimal=1', clock: ICOUNT, cpuFlags: { 'hv-relaxed': true } });
  t.deepEqual(failLines(r.serial), []);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1);
});

test('hv_basic: a CRASH_CTL notification stops the machine with the five parameters', async (t) => {
  const r = await runGuest('hv_basic', { append: 'action=1', clock: ICOUNT, cpuFlags: { 'hv-crash': true } });
  t.is(r.reason, 'crash');
  t.is(r.status, 2);
  t.regex(r.message ?? '', /P0=0x0000000000001000 P1=0x0000000000001001 P2=0x0000000000001002 P3=0x0000000000001003 P4=0x0000000000001004/);
  t.notRegex(r.serial, /FAIL:/);
});

test('hv_basic: the RESET MSR resets the machine (shutdown with -no-reboot)', async (t) => {
  const r = await runGuest('hv_basic', { append: 'action=2', clock: ICOUNT, cpuFlags: { 'hv-reset': true } });
  t.is(r.reason, 'shutdown');
  t.notRegex(r.serial, /FAIL:/);
});
