/**
 * Debian's kernel on the HPET (docs/hpet.md): with it (the default), Linux's
 * ACPI finds the HPET table and the hpet driver the PNP0103 device, the
 * counter becomes an available clocksource, `tsc` stays the current one and
 * the log has no platform warnings; with -no-hpet (MachineConfig.hpet false)
 * none of it is there and the boot is as clean. The init script of an
 * initramfs built here from the cached busybox prints available_clocksource.
 * Both boots run under -icount, as the other Linux tests do.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestInitramfs, linuxTestInit, LINUX_TEST_MARKER } from '../../lib/machine/initramfs.js';
import { LINUX_BOOT, LINUX_BZIMAGE, LINUX_CACHE, LINUX_TIMEOUT_MS, linuxTest as linuxTestFor, platformWarnings } from '../helpers/linux-kernel.js';
import { runKernel, type GuestResult } from '../helpers/run-guest.js';

const linuxTest = linuxTestFor();

const INIT = linuxTestInit(
  'echo "available: $(/bin/busybox cat /sys/devices/system/clocksource/clocksource0/available_clocksource)"\n',
);

async function boot(hpet: boolean): Promise<GuestResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvisor-hpet-'));
  try {
    const initrd = join(dir, 'initramfs.cpio');
    writeFileSync(initrd, buildTestInitramfs(readFileSync(join(LINUX_CACHE, 'busybox-static', 'bin', 'busybox')), INIT));
    return await runKernel(LINUX_BZIMAGE, {
      initrd,
      smp: 2,
      ...LINUX_BOOT,
      hpet,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLines(serial: string): string {
  return serial.split('\n').slice(-15).join('\n');
}

linuxTest('Linux with the HPET: hpet0 at 0xfed00000, an available clocksource, tsc current, no warnings', async (t) => {
  t.timeout(LINUX_TIMEOUT_MS + 60_000);
  const r = await boot(true);
  t.true(r.serial.includes(LINUX_TEST_MARKER), `init ran; last lines:\n${lastLines(r.serial)}`);
  t.regex(r.serial, /ACPI: HPET id: 0x8086a201 base: 0xfed00000/);
  t.regex(r.serial, /hpet0: at MMIO 0xfed00000, IRQs 2, 8, 0/);
  t.regex(r.serial, /hpet0: 3 comparators, 64-bit 100\.000000 MHz counter/);
  t.regex(r.serial, /available: .*\bhpet\b/);
  t.regex(r.serial, /clocksource: tsc\b/);
  t.deepEqual(platformWarnings(r.serial), []);
  t.is(r.reason, 'poweroff');
});

linuxTest('Linux with -no-hpet: no HPET table, no hpet clocksource, still clean', async (t) => {
  t.timeout(LINUX_TIMEOUT_MS + 60_000);
  const r = await boot(false);
  t.true(r.serial.includes(LINUX_TEST_MARKER), `init ran; last lines:\n${lastLines(r.serial)}`);
  t.notRegex(r.serial, /ACPI: HPET|hpet0:/);
  t.regex(r.serial, /available: /);
  t.notRegex(r.serial, /available: .*\bhpet\b/);
  t.regex(r.serial, /clocksource: tsc\b/);
  t.deepEqual(platformWarnings(r.serial), []);
  t.is(r.reason, 'poweroff');
});
