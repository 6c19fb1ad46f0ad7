/**
 * Debug registers on the interpreter: test/guests/debug.c sets instruction,
 * data and I/O breakpoints, single-steps, and checks DR6/DR7 semantics, the
 * RF flag pushed by faults and traps, and the MOV SS shadow over debug traps.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const TIMEOUT_MS = 120_000;

test('debug guest: breakpoints, single-step, DR6/DR7, RF, general detect, MOV SS shadow', async (t) => {
  const r = await runGuest('debug', { timeoutMs: TIMEOUT_MS });
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, []);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
  for (const line of [
    'PASS: DR3 instruction breakpoint reports B3 (DR6 0xffff0ff8)',
    'PASS: instruction breakpoint: #DB with RIP at the instruction (count 1, rip ok)',
    'PASS: RF lasts one instruction: the breakpoint fires on the next pass (count 2)',
    'PASS: write breakpoint: #DB after the store (count 1, rip ok)',
    /PASS: REP MOVSB: pushed RF is 1 between iterations \(0x1[0-9a-f]{4}\)/,
    'PASS: I/O breakpoint: IN from port 0x80 traps after the instruction (count 2)',
    'PASS: single-step: DR6.BS (DR6 0xffff4ff0)',
    'PASS: general detect: DR6.BD (DR6 0xffff2ff0)',
    'PASS: MOV SS: the data-breakpoint #DB waits for the next instruction (count 1, rip ok)',
    /PASS: #UD \(a fault\) pushes RF = 1 \(RFLAGS 0x1[0-9a-f]{4}\)/,
  ]) {
    if (typeof line === 'string') t.true(r.serial.includes(line), line);
    else t.regex(r.serial, line);
  }
});
