/**
 * The sse_fp guest (test/guests/sse_fp.c) on the interpreter: every SSE/SSE2
 * floating-point form against outcome hashes computed on the reference host
 * CPU, readable spot checks, and the architectural faults.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

test('sse_fp: SSE/SSE2 floating point matches the host CPU; #GP/#XM/#UD/#NM where the SDM says', async (t) => {
  const r = await runGuest('sse_fp', { timeoutMs: 120_000 });
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, [], 'no FAIL: lines');
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
  for (const line of [
    'PASS: addps: 64 cases match the host CPU',
    'PASS: cvtsd2si_64: 64 cases match the host CPU',
    'PASS: rsqrtps: 64 cases match the host CPU',
    'PASS: DIVSS 1/3 with RC=1: 3eaaaaaa, PE',
    'PASS: COMISS QNaN: unordered, IE',
    'PASS: ADDPS misaligned m128: #GP(0)',
    'PASS: cvttpd2pi: 64 cases match the host CPU',
    'PASS: CVTPI2PS from mm3 enters MMX mode (all tags valid)',
    'PASS: unmasked SIMD exception without CR4.OSXMMEXCPT: #UD (got 6)',
  ]) t.true(r.serial.includes(line), `serial output has "${line}"`);
  t.regex(r.serial, /PASS: unmasked exceptions raised #XM in \d+ cases/);
});

test('bench_sse runs the iteration count from its cmdline and ends with the host CPU\'s lanes', async (t) => {
  const r = await runGuest('bench_sse', { append: 'iters=20000', memoryMb: 64, timeoutMs: 120_000 });
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
  for (const line of ['bench_sse: iterations: 20000', 'insns-per-iter: 10', 'PASS: bench_sse ran 20000 iterations',
    // the same loop run natively on the reference host (AMD EPYC, family 1Ah), 20000 iterations
    'lanes: 3f7fdf3e3f7fdf3e 3f7fdf3e3f7fdf3e 3fefff2e4e46a525 3fefffffffffb834']) {
    t.true(r.serial.includes(line), `serial output has "${line}"`);
  }
});
