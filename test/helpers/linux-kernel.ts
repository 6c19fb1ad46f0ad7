/**
 * What every Linux test shares: the cache of Debian's kernel and busybox
 * initramfs that scripts/fetch-linux.mjs prepares (Debian packages fetched
 * with apt-get download into a cache outside the repository), a test
 * function that skips on a developer machine without apt and fails under
 * CI=true, and the kernel messages that mean the virtual platform misled
 * the kernel.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunGuestOptions } from './run-guest.js';
import { testWhen } from './test-when.js';

const root = join(__dirname, '..', '..', '..');

/** Where bzImage, vmlinux and initramfs.cpio are kept ($TSVISOR_CACHE/linux or ~/.cache/tsvisor/linux). */
export const LINUX_CACHE = process.env.TSVISOR_CACHE
  ? join(process.env.TSVISOR_CACHE, 'linux')
  : join(homedir(), '.cache', 'tsvisor', 'linux');
export const LINUX_BZIMAGE = join(LINUX_CACHE, 'bzImage');
export const LINUX_VMLINUX = join(LINUX_CACHE, 'vmlinux');
export const LINUX_INITRAMFS = join(LINUX_CACHE, 'initramfs.cpio');
/** How long one boot may take (TSVISOR_LINUX_TIMEOUT_MS overrides). */
export const LINUX_TIMEOUT_MS = Number(process.env.TSVISOR_LINUX_TIMEOUT_MS ?? 240_000);
/** How the Linux tests boot the kernel: 256 MiB, exact -icount time (shift 1), the issue's command line. */
export const LINUX_BOOT: Pick<RunGuestOptions, 'memoryMb' | 'timeoutMs' | 'clock' | 'append'> = {
  memoryMb: 256,
  timeoutMs: LINUX_TIMEOUT_MS,
  clock: { mode: 'icount', shift: 1 },
  append: 'console=ttyS0 panic=-1',
};

const files = [LINUX_BZIMAGE, LINUX_VMLINUX, LINUX_INITRAMFS];

/** Fetches the kernel and busybox once (a no-op when the cache is complete); returns why not, or undefined. */
function prepare(): string | undefined {
  if (files.every((f) => existsSync(f))) return undefined;
  if (spawnSync('apt-get', ['--version']).status !== 0) return 'apt-get is not available to fetch Debian\'s kernel and busybox';
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'fetch-linux.mjs')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return `scripts/fetch-linux.mjs failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`;
  return files.every((f) => existsSync(f)) ? undefined : 'scripts/fetch-linux.mjs left the cache incomplete';
}

let missing: string | undefined | null = null;

/** A serial test that needs the Linux cache (prepared on first use). */
export function linuxTest(): ReturnType<typeof testWhen> {
  if (missing === null) missing = prepare();
  return testWhen(missing === undefined, missing ?? '', { serial: true });
}

/** Kernel messages that mean the virtual platform misled the kernel. */
export const PLATFORM_WARNINGS: readonly RegExp[] = [
  /Marking TSC unstable|TSC unstable|clocksource .* unstable/i,
  /ACPI (BIOS )?(Error|Warning)/,
  /APIC error/i,
  /unchecked MSR access/,
  /lost \d+ (timer )?ticks?|timer.*lost/i,
  /WARNING: |BUG: |Call Trace:|Oops/,
  /IO-APIC \+ timer doesn't work|MP-BIOS bug/,
  /spurious (8259A )?interrupt/i,
];

/** The lines of a kernel log that match PLATFORM_WARNINGS. */
export function platformWarnings(serial: string): string[] {
  return serial.split('\n').filter((line) => PLATFORM_WARNINGS.some((p) => p.test(line)));
}
