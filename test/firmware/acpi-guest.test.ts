/** The acpi guest program on the real CPU: RSDP scan, checksums, MADT/FADT/DSDT contents, S5 power-off through PM1a_CNT. */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

for (const smp of [1, 2]) {
  test(`acpi guest with ${smp} vCPU(s): tables valid, then powers off through \\_S5`, async (t) => {
    const r = await runGuest('acpi', { smp, append: `cpus=${smp}`, timeoutMs: 60_000 });
    t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL')), []);
    t.regex(r.serial, /PASS: RSDP found at 0xe0000/);
    t.regex(r.serial, new RegExp(`PASS: ${smp} LAPIC entries for ${smp} CPUs`));
    t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
    t.regex(r.serial, /powering off through PM1a_CNT\r?\n$/);
    t.is(r.reason, 'poweroff');
    t.is(r.status, 0);
  });
}
