/**
 * The x87 FPU on the interpreter: test/guests/x87.c checks a table of
 * operations against results recorded on a real x87 (test/guests/x87_ref.h),
 * plus FNINIT state, stack faults, #NM, #MF and the FSAVE/FSTENV images.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const TIMEOUT_MS = 120_000;

test('x87 guest: reference table, stack faults, #NM/#MF, FSAVE/FSTENV formats', async (t) => {
  const r = await runGuest('x87', { timeoutMs: TIMEOUT_MS });
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, [], r.serial.split('\n').filter((l) => l.startsWith('INFO:')).join('\n'));
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
  for (const line of [
    'PASS: FNINIT then FNSTSW AX is 0 (got 0x0)',
    /PASS: FADD: \d+ reference cases \(0 differ\)/,
    /PASS: FPREM1: \d+ reference cases \(0 differ\)/,
    /PASS: FBSTP: \d+ reference cases \(0 differ\)/,
    'PASS: the next WAIT raises #MF',
    'PASS: CPUID.1:EDX.FPU advertised',
    /PASS: FSIN: \d+ reference cases within 1 ulp \(0 differ/,
    /PASS: FYL2XP1: \d+ reference cases within 1 ulp \(0 differ/,
    'PASS: FNSAVE: registers in stack order',
    'PASS: FRSTOR (16-bit)',
  ]) {
    if (typeof line === 'string') t.true(r.serial.includes(line), line);
    else t.regex(r.serial, line);
  }
});
