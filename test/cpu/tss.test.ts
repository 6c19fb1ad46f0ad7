/**
 * Hardware task switches on the interpreter: test/guests/tss.c (scenarios in
 * tss32.c, run in 32-bit protected mode) switches tasks with CALL, JMP, task
 * gates, INT n, IRET and faults, and checks busy bits, links, NT, CR0.TS,
 * the state loaded from each TSS, error codes, the T bit and #GP in IA-32e mode.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const TIMEOUT_MS = 120_000;

test('tss guest: CALL/JMP/IRET task switches, task gates, faults before and after the commit point, 16-bit TSS, T bit', async (t) => {
  const r = await runGuest('tss', { timeoutMs: TIMEOUT_MS });
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, []);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
  for (const line of [
    'PASS: CALL: previous-task link is the caller\'s TSS (0x18)',
    'PASS: CALL: the switch clears DR7.L0, keeps DR7.G1 (DR7 0x408)',
    'PASS: JMP: the previous-task link is left alone (0x1234)',
    'PASS: #GP through a task gate: the error code is pushed on the handler task\'s stack',
    /PASS: invalid LDT in the new TSS \(new task's context\): vector 10 error 0x10 from task 0x58 at the expected EIP/,
    /PASS: SS not present in the new TSS: vector 12 error 0x50 from task 0x58/,
    'PASS: 16-bit TSS: registers and TR (runs 1 AX 0x2222 TR 0x38)',
    /PASS: TSS T bit: #DB with DR6.BT before the new task's first instruction \(count 1/,
    /PASS: 64-bit mode: far CALL to a TSS is #GP\(selector\) \(vector 13 error 0x50\)/,
    /PASS: 64-bit mode: IRET with NT is #GP\(0\)/,
  ]) {
    if (typeof line === 'string') t.true(r.serial.includes(line), line);
    else t.regex(r.serial, line);
  }
});
