/**
 * SSE3, SSSE3 (mm and xmm forms), SSE4.1, SSE4.2, AES-NI and PCLMULQDQ on the
 * interpreter: the sse4 guest (test/guests/sse4.c) runs every instruction form
 * of sse4_stubs.S and compares each form's digest with the one the host CPU
 * produced (sse4_expected.h), then checks FIPS-197, CRC-32C and carry-less
 * known answers and the #NM/#UD availability rules.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const TIMEOUT_MS = 300_000;

test('sse4: every form matches hardware, FIPS-197/CRC-32C known answers, #NM/#UD rules', async (t) => {
  const r = await runGuest('sse4', { timeoutMs: TIMEOUT_MS });
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, [], 'no FAIL: lines');
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
  for (const line of [
    /PASS: sse4_expected\.h matches sse4_stubs\.S \(\d+ forms/,
    'PASS: pcmpestri (form',
    'PASS: pcmpistrm_m (form',
    'PASS: crc32q_m (form',
    'PASS: pshufb_mm (form',
    'PASS: palignr_mm_m (form',
    'PASS: addsubps (form',
    'PASS: roundsd_m (form',
    'PASS: dpps (form',
    'PASS: dppd_m (form',
    'PASS: FIPS-197 C.1: AESENC/AESENCLAST give 69c4e0d8...70b4c55a',
    'PASS: FIPS-197 C.1: AESIMC/AESDEC/AESDECLAST give the plaintext back',
    'PASS: CRC32 (byte steps): CRC-32C check value of "123456789" is e3069283 (got e3069283)',
    'PASS: PSHUFB with CR0.TS is #NM',
    'PASS: CRC32 without CR4.OSFXSR runs',
  ]) {
    if (typeof line === 'string') t.true(r.serial.includes(line), `serial output has "${line}"`);
    else t.regex(r.serial, line);
  }
});
