/**
 * The apic and smp guest programs on the real CPU core. Interrupt-driven
 * runs use icount (-icount shift=0), so timer interrupt counts are exact and
 * the vCPU interleaving is the same on every run.
 */
import test, { type ExecutionContext } from 'ava';
import { runGuest, type GuestResult } from '../helpers/run-guest.js';

const ICOUNT = { mode: 'icount', shift: 0 } as const;
const TIMEOUT_MS = 120_000;

function assertPassed(t: ExecutionContext, r: GuestResult): void {
  t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL:')), [], 'no FAIL: lines');
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason}${r.message ? ': ' + r.message : ''})`);
}

test('apic: registers, self-IPIs, TPR masking, ESR, timer modes, x2APIC (icount)', async (t) => {
  const r = await runGuest('apic', { clock: ICOUNT, timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  t.true(r.serial.includes('PASS: periodic: 5 ticks counted (5)'));
  t.true(r.serial.includes('INFO: CPUID.1:ECX.x2APIC 1, TSC-deadline 1'));
  t.true(r.serial.includes('PASS: x2APIC ICR IPI delivered'), 'x2APIC section ran');
  t.regex(r.serial, /PASS: TSC-deadline interrupt at TSC \d+ >= \d+/);
  t.true(r.serial.includes('PASS: CPUID.15H: TSC = crystal x 2/1, crystal 1000000000 Hz'));
  t.regex(r.serial, /PASS: timer ticks \d+ x 2\/1 match TSC ticks \d+/);
  t.true(r.serial.includes('PASS: CPUID.16H: base 2000 MHz (max 2000, bus 1000) is the TSC rate'));
});

test('apic: the same run in icount mode is reproducible', async (t) => {
  const [a, b] = [await runGuest('apic', { clock: ICOUNT, timeoutMs: TIMEOUT_MS }), await runGuest('apic', { clock: ICOUNT, timeoutMs: TIMEOUT_MS })];
  t.is(a.serial, b.serial, 'identical serial output, TSC values included');
});

for (const smp of [2, 4, 64]) {
  test(`smp: -smp ${smp} starts the APs with INIT-SIPI-SIPI; IPI ping-pong, spinlock, barrier (icount)`, async (t) => {
    const r = await runGuest('smp', { smp, clock: ICOUNT, timeoutMs: TIMEOUT_MS });
    assertPassed(t, r);
    t.true(r.serial.includes(`PASS: ${smp - 1} of ${smp - 1} APs arrived in long mode`));
    for (let id = 1; id < smp; id++) t.true(r.serial.includes(`APIC ID ${id}, CPUID initial APIC ID ${id}`), `AP ${id} reported`);
    t.true(r.serial.includes(`PASS: spinlock: counter ${200 * smp} (want ${200 * smp})`));
  });
}

test('smp: -smp 4 in realtime mode', async (t) => {
  assertPassed(t, await runGuest('smp', { smp: 4, clock: { mode: 'realtime' }, timeoutMs: TIMEOUT_MS }));
});

test('smp: icount runs with 4 vCPUs are reproducible, down to the instructions each vCPU retired', async (t) => {
  const a = await runGuest('smp', { smp: 4, clock: ICOUNT, timeoutMs: TIMEOUT_MS });
  const b = await runGuest('smp', { smp: 4, clock: ICOUNT, timeoutMs: TIMEOUT_MS });
  t.is(a.serial, b.serial);
  // Spin loops make each vCPU's count depend on the interleaving, so equal counts mean equal schedules.
  t.deepEqual(a.instructions, b.instructions);
});

test('smp guest on one vCPU reports the missing APs and fails cleanly', async (t) => {
  const r = await runGuest('smp', { smp: 1, clock: ICOUNT, timeoutMs: TIMEOUT_MS });
  t.is(r.status, 3);
  t.regex(r.serial, /FAIL: CPUID\.1:EBX\[23:16\]: 1 logical processors/);
});
