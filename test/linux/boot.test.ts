/**
 * Boots Debian's cloud kernel with the busybox initramfs that
 * scripts/fetch-linux.mjs prepares, by both entry paths (bzImage through
 * the 64-bit boot protocol, vmlinux through PVH), and expects userspace:
 * the init script's marker, the CPU count and a clocksource, then an ACPI
 * power-off. Opt-in: the default AVA configuration leaves test/linux out;
 * run `node scripts/fetch-linux.mjs`, then
 *   TSVISOR_LINUX_TESTS=1 npx ava --config ava.linux.config.mjs
 * Without TSVISOR_LINUX_TESTS=1 the file registers no test.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LINUX_TEST_MARKER } from '../../lib/machine/initramfs.js';
import { runKernel } from '../helpers/run-guest.js';

const enabled = process.env.TSVISOR_LINUX_TESTS === '1';
const cache = process.env.TSVISOR_CACHE ? join(process.env.TSVISOR_CACHE, 'linux') : join(homedir(), '.cache', 'tsvisor', 'linux');
const TIMEOUT_MS = Number(process.env.TSVISOR_LINUX_TIMEOUT_MS ?? 600_000);

const cases: Array<{ file: string; how: string }> = [
  { file: 'bzImage', how: 'bzImage (64-bit boot protocol)' },
  { file: 'vmlinux', how: 'vmlinux (PVH entry)' },
];

for (const { file, how } of cases) {
  for (const smp of [1, 2]) {
    const title = `Linux boots to userspace from the ${how} with ${smp} vCPU(s) and powers off`;
    if (!enabled) continue;
    test.serial(title, async (t) => {
      t.timeout(TIMEOUT_MS + 60_000);
      const kernel = join(cache, file);
      const initrd = join(cache, 'initramfs.cpio');
      if (!existsSync(kernel) || !existsSync(initrd)) t.fail(`${kernel} or ${initrd} is missing: run \`node scripts/fetch-linux.mjs\``);
      const r = await runKernel(kernel, { initrd, smp, memoryMb: 256, timeoutMs: TIMEOUT_MS, append: 'console=ttyS0 earlyprintk=serial,ttyS0 panic=-1' });
      t.log(r.serial.split('\n').slice(-15).join('\n'));
      t.true(r.serial.includes(LINUX_TEST_MARKER), 'init ran');
      t.regex(r.serial, new RegExp(`cpus: ${smp}\\b`));
      t.regex(r.serial, /clocksource: \w+/);
      t.is(r.reason, 'poweroff');
    });
  }
}
