/**
 * RDRAND and RDSEED on the interpreter (test/guests/rdrand.c): 16/32/64-bit
 * destinations, CF=1 with the other arithmetic flags cleared, values from the
 * host's random source that differ between calls, #UD with LOCK/F2/F3 and
 * for the memory form; #UD where the model does not offer them.
 */
import test, { type ExecutionContext } from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const TIMEOUT_MS = 120_000;

function passed(t: ExecutionContext, r: Awaited<ReturnType<typeof runGuest>>, tests: number): void {
  t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL:')), []);
  t.regex(r.serial, new RegExp(`SUMMARY: ${tests} tests, 0 failures`), 'every check ran');
  t.notRegex(r.serial, /KNOWN-QEMU-DEVIATION/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
}

test('rdrand guest on -cpu max: RDRAND and RDSEED, every width, flags, prefixes', async (t) => {
  const r = await runGuest('rdrand', { timeoutMs: TIMEOUT_MS, cpuModel: 'max' });
  passed(t, r, 24);
  for (const insn of ['RDRAND', 'RDSEED']) {
    for (const w of [64, 32, 16]) {
      t.true(r.serial.includes(`PASS: ${insn} r${w}: CF=1, OF/SF/ZF/AF/PF cleared`));
      t.regex(r.serial, new RegExp(`PASS: ${insn} r${w}: successive values differ`));
    }
  }
  for (const line of ['PASS: LOCK RDRAND is #UD (got 6)', 'PASS: F3 RDRAND is #UD (got 6)', 'PASS: F2 RDSEED is #UD (got 6)']) t.true(r.serial.includes(line), line);
});

for (const [label, cpuModel, cpuFlags] of [
  ['-cpu max,-rdrand,-rdseed', 'max', { rdrand: false, rdseed: false }],
  ['-cpu qemu64', 'qemu64', undefined],
] as const) {
  test(`rdrand guest on ${label}: both are #UD`, async (t) => {
    const r = await runGuest('rdrand', { timeoutMs: TIMEOUT_MS, cpuModel, ...(cpuFlags ? { cpuFlags } : {}) });
    passed(t, r, 3);
    t.true(r.serial.includes('PASS: RDRAND not offered: #UD (got 6)'));
    t.true(r.serial.includes('PASS: RDSEED not offered: #UD (got 6)'));
  });
}
