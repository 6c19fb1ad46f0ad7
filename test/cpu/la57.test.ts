/**
 * 5-level paging on the interpreter: test/guests/la57.c leaves IA-32e mode,
 * enters it again with CR4.LA57 and a PML5 table, and checks 57-bit
 * translation (addresses differing only in bits 56:48, both halves), #PF
 * error codes and CR2, PML5 permissions, reserved PS and A/D bits, canonical
 * checks (#GP, #SS, branches, FS_BASE/KERNEL_GS_BASE) and the MOV CR4 rules.
 * -cpu max offers LA57; with la57=off the bit is reserved.
 */
import test from 'ava';
import { runGuest } from '../helpers/run-guest.js';

const TIMEOUT_MS = 120_000;

function passed(t: import('ava').ExecutionContext, r: Awaited<ReturnType<typeof runGuest>>): void {
  t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL:')), []);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.notRegex(r.serial, /KNOWN-QEMU-DEVIATION/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
}

test('la57 guest on -cpu max: 5-level paging', async (t) => {
  const r = await runGuest('la57', { timeoutMs: TIMEOUT_MS, cpuModel: 'max' });
  passed(t, r);
  for (const line of [
    'PASS: CPUID 0x80000008: 57 linear-address bits',
    'PASS: LA57 offered: KERNEL_GS_BASE takes 0x800000000000 before 5-level paging is on (got -1)',
    /PASS: outside IA-32e mode CR4.LA57 can be set: 5-level paging on \(CR4 0x[0-9a-f]*1[0-9a-f]{3}\)/,
    'PASS: IA-32e mode: clearing CR4.LA57 is #GP (got 13)',
    'PASS: 0x1000000200000 and 0xaa000000200000 (differ only in bits 56:48) are two pages',
    'PASS: code at both addresses runs its own bytes (sum 192, want 192)',
    'PASS: INVLPG 0x1000000200000: the new frame shows, 0xaa000000200000 keeps its own',
    'PASS: #PF at 0xff54321000abc000: PML5 entry absent, error 0x0, CR2 0xff54321000abc000',
    'PASS: write to a read-only page at 0xff12345678001008: #PF P|W (error 0x3), CR2 0xff12345678001008',
    'PASS: PML5 entry U/S=0: user read is #PF P|U (vector 14, error 0x5)',
    'PASS: PS in a PML5 entry: #PF P|RSVD (vector 14, error 0x9)',
    'PASS: RBP-based load from 0x100000000000000 is #SS(0) (vector 12)',
    /PASS: JMP to 0x100000000001000 is #GP at the JMP \(vector 13, RIP 0x[0-9a-f]+\)/,
    'PASS: FS_BASE 0xaa000000200000: %fs:16 reads through it (0xf5f5)',
    /PASS: read: A set at all five levels/,
    'PASS: write: D set in the PTE only',
    'PASS: back on 4 levels: CR4.LA57 clear, 0x800000000000 is #GP again (got 13)',
  ]) {
    if (typeof line === 'string') t.true(r.serial.includes(line), line);
    else t.regex(r.serial, line);
  }
  t.regex(r.serial, /SUMMARY: 31 tests, 0 failures/, 'every check ran');
});

test('la57 guest on -cpu max,la57=off: CR4.LA57 reserved, MSRs take 48-bit canonical addresses only', async (t) => {
  const r = await runGuest('la57', { timeoutMs: TIMEOUT_MS, cpuModel: 'max', cpuFlags: { la57: false } });
  passed(t, r);
  for (const line of [
    'PASS: CPUID 0x80000008: 48 linear-address bits',
    'PASS: IA-32e mode: setting CR4.LA57 is #GP (got 13)',
    'PASS: LA57 not offered: KERNEL_GS_BASE = 0x800000000000 is #GP (got 13)',
    'PASS: LA57 not offered: CR4.LA57 is reserved (#GP outside IA-32e mode, got 13)',
  ]) t.true(r.serial.includes(line), line);
});
