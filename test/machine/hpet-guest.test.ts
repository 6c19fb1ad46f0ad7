/**
 * The HPET seen from a guest program on the real CPU core (test/guests/hpet.c):
 * registers, the 100 MHz counter against the PM timer, one-shot, periodic,
 * level-triggered, 32-bit and FSB interrupts, and the LegacyReplacement route
 * taking IRQ 0 and IRQ 8 from the PIT and the RTC. It runs under -icount, so
 * every count and interval it checks is exact.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

// 16 ns per instruction: busy waits on the counter take few MMIO exits per guest millisecond.
const ICOUNT = { mode: 'icount', shift: 4 } as const;

function failLines(serial: string): string[] {
  return serial.split('\n').filter((l) => l.startsWith('FAIL:'));
}

test('hpet guest: registers, counter, comparators, FSB and the legacy route', async (t) => {
  const r = await runGuest('hpet', { clock: ICOUNT, hpet: true, timeoutMs: 120_000 });
  t.deepEqual(failLines(r.serial), []);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.regex(r.serial, /PASS: 20 periodic interrupts through IOAPIC pin 16/);
  t.regex(r.serial, /PASS: LegacyReplacement: IRQ 0 comes from timer 0/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
});

test('hpet=off: nothing answers at 0xFED00000 and the PIT keeps IRQ 0', async (t) => {
  const r = await runGuest('hpet', { clock: ICOUNT, hpet: false, timeoutMs: 120_000 });
  // Unclaimed MMIO reads all-ones: the guest finds no HPET and stops there.
  t.regex(r.serial, /FAIL: an HPET answers at 0xFED00000/);
  t.regex(r.serial, /SUMMARY: 1 tests, 1 failures/);
});

test('hpet guest: the same run twice under -icount gives the same output and instruction count', async (t) => {
  const a = await runGuest('hpet', { clock: ICOUNT, hpet: true, timeoutMs: 120_000 });
  const b = await runGuest('hpet', { clock: ICOUNT, hpet: true, timeoutMs: 120_000 });
  t.is(a.serial, b.serial);
  t.deepEqual(a.instructions, b.instructions);
});
