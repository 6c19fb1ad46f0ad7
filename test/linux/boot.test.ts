/**
 * Boots Debian's cloud kernel with the busybox initramfs that
 * scripts/fetch-linux.mjs prepares (Debian packages fetched with apt-get
 * download into a cache outside the repository), by both entry paths: the
 * bzImage through the 64-bit boot protocol (Linux's own decompressor runs)
 * and the uncompressed vmlinux through PVH, with 1, 2 and 4 vCPUs. Each run
 * must reach userspace (the init script's marker, the CPU count and the
 * clocksource), power off through ACPI S5, and leave a kernel log without
 * warnings the platform could cause.
 *
 * The machine runs under -icount (shift 1: a 500 MIPS guest), so the kernel's
 * time sources (TSC, PIT, ACPI PM timer, LAPIC timer) all follow one virtual
 * clock and a loaded host cannot make its clocksource watchdog fire.
 *
 * The fetch needs apt (Debian/Ubuntu hosts): where it is unavailable a
 * developer machine skips these tests; under CI=true they fail.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LINUX_TEST_MARKER } from '../../lib/machine/initramfs.js';
import { runKernel } from '../helpers/run-guest.js';
import { testWhen } from '../helpers/test-when.js';

const root = join(__dirname, '..', '..', '..');
const cache = process.env.TSVISOR_CACHE ? join(process.env.TSVISOR_CACHE, 'linux') : join(homedir(), '.cache', 'tsvisor', 'linux');
const files = ['bzImage', 'vmlinux', 'initramfs.cpio'].map((f) => join(cache, f));
const TIMEOUT_MS = Number(process.env.TSVISOR_LINUX_TIMEOUT_MS ?? 240_000);

/** Fetches the kernel and busybox once (a no-op when the cache is complete); returns why not, or undefined. */
function prepare(): string | undefined {
  if (files.every((f) => existsSync(f))) return undefined;
  if (spawnSync('apt-get', ['--version']).status !== 0) return 'apt-get is not available to fetch Debian\'s kernel and busybox';
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'fetch-linux.mjs')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return `scripts/fetch-linux.mjs failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`;
  return files.every((f) => existsSync(f)) ? undefined : 'scripts/fetch-linux.mjs left the cache incomplete';
}

const missing = prepare();
const linuxTest = testWhen(missing === undefined, missing ?? '', { serial: true });

/** Kernel messages that mean the virtual platform misled the kernel. */
const PLATFORM_WARNINGS: RegExp[] = [
  /Marking TSC unstable|TSC unstable|clocksource .* unstable/i,
  /ACPI (BIOS )?(Error|Warning)/,
  /APIC error/i,
  /unchecked MSR access/,
  /lost \d+ (timer )?ticks?|timer.*lost/i,
  /WARNING: |BUG: |Call Trace:|Oops/,
  /IO-APIC \+ timer doesn't work|MP-BIOS bug/,
  /spurious (8259A )?interrupt/i,
];

for (const { file, how } of [
  { file: 'bzImage', how: 'bzImage (64-bit boot protocol)' },
  { file: 'vmlinux', how: 'vmlinux (PVH entry)' },
]) {
  for (const smp of [1, 2, 4]) {
    linuxTest(`Linux boots to userspace from the ${how} with ${smp} vCPU(s) and powers off`, async (t) => {
      t.timeout(TIMEOUT_MS + 60_000);
      const r = await runKernel(join(cache, file), {
        initrd: join(cache, 'initramfs.cpio'),
        smp,
        memoryMb: 256,
        timeoutMs: TIMEOUT_MS,
        clock: { mode: 'icount', shift: 1 },
        append: 'console=ttyS0 panic=-1',
      });
      t.true(r.serial.includes(LINUX_TEST_MARKER), `init ran; last lines:\n${r.serial.split('\n').slice(-15).join('\n')}`);
      t.regex(r.serial, new RegExp(`cpus: ${smp}\\b`));
      t.regex(r.serial, /clocksource: tsc\b/, 'the TSC is the clocksource (stable, calibrated)');
      t.regex(r.serial, /ACPI: PM: Preparing to enter system sleep state S5/);
      const warnings = r.serial.split('\n').filter((line) => PLATFORM_WARNINGS.some((p) => p.test(line)));
      t.deepEqual(warnings, [], 'no platform warnings in the kernel log');
      t.is(r.reason, 'poweroff');
    });
  }
}
