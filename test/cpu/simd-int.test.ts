/**
 * MMX and SSE2 integer instructions on the CPU core: the simd_int guest checks
 * every instruction in its mm and xmm forms against values the host CPU
 * computed (test/guests/simd_int_expected.h), the moves, the MMX state
 * transitions and the architectural faults.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

test('simd_int: MMX and SSE2 integer arithmetic, logic, shifts, shuffles, moves, MMX state and faults', async (t) => {
  const r = await runGuest('simd_int', { timeoutMs: 120_000 });
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, [], 'no FAIL: lines');
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
  for (const line of [
    'PASS: paddq mm,mm/m64 and xmm,xmm/m128',
    'PASS: psadbw mm,mm/m64 and xmm,xmm/m128',
    'PASS: punpckhqdq xmm,xmm/m128',
    'PASS: psraw by imm8 (0F 71/72/73 group), mm and xmm',
    'PASS: psrldq by imm8 (0F 71/72/73 group), xmm',
    'PASS: pshufhw imm 0x1b, register and memory source',
    'PASS: MASKMOVDQU with address-size 32 stores through EDI',
    'PASS: EMMS empties every tag and sets TOP to 0',
    'PASS: pending x87 exception: MMX and EMMS are #MF, SSE2 is not (16 16 -1)',
  ]) {
    t.true(r.serial.includes(line), `serial output has "${line}"`);
  }
});
