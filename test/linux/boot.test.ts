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
import { join } from 'node:path';
import { LINUX_TEST_MARKER } from '../../lib/machine/initramfs.js';
import { LINUX_CACHE as cache, LINUX_INITRAMFS, LINUX_TIMEOUT_MS as TIMEOUT_MS, linuxTest as linuxTestFor, platformWarnings } from '../helpers/linux-kernel.js';
import { runKernel } from '../helpers/run-guest.js';

const linuxTest = linuxTestFor();

for (const { file, how } of [
  { file: 'bzImage', how: 'bzImage (64-bit boot protocol)' },
  { file: 'vmlinux', how: 'vmlinux (PVH entry)' },
]) {
  for (const smp of [1, 2, 4]) {
    linuxTest(`Linux boots to userspace from the ${how} with ${smp} vCPU(s) and powers off`, async (t) => {
      t.timeout(TIMEOUT_MS + 60_000);
      const r = await runKernel(join(cache, file), {
        initrd: LINUX_INITRAMFS,
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
      const warnings = platformWarnings(r.serial);
      t.deepEqual(warnings, [], 'no platform warnings in the kernel log');
      t.is(r.reason, 'poweroff');
    });
  }
}
