/**
 * Debian's kernel (CONFIG_X86_5LEVEL=y; the cache of test/helpers/linux-kernel.ts)
 * on -cpu max, which advertises LA57: the kernel must switch to 5-level paging.
 * Three witnesses: CR4.LA57 in the vCPU's registers when the machine powers
 * off, the `la57` flag in /proc/cpuinfo (the kernel clears it when it stays
 * on 4 levels), and VmallocTotal in /proc/meminfo, which is 32 TiB with 4
 * levels and far larger with 5. The same kernel on -cpu max,-la57 stays on 4
 * levels. Under -icount as the other Linux tests. Both runs also show that
 * the kernel takes max's RDRAND and RDSEED (/proc/cpuinfo).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestInitramfs, linuxTestInit, LINUX_TEST_MARKER } from '../../lib/machine/initramfs.js';
import { LINUX_BOOT, LINUX_BZIMAGE, LINUX_CACHE, LINUX_TIMEOUT_MS, linuxTest as linuxTestFor, platformWarnings } from '../helpers/linux-kernel.js';
import { runKernel } from '../helpers/run-guest.js';

const linuxTest = linuxTestFor();
const CR4_LA57 = 1n << 12n;
/** VmallocTotal with 4-level paging: 32 TiB in kB. */
const VMALLOC_4LEVEL_KB = 34359738367;

const INIT = linuxTestInit(`echo "la57-flag: $(/bin/busybox grep -o -w -m 1 la57 /proc/cpuinfo)"
echo "vmalloc-kb: $(/bin/busybox awk '/^VmallocTotal/ { print $2 }' /proc/meminfo)"
echo "rng-flags: $(/bin/busybox grep -o -w -m 1 rdrand /proc/cpuinfo) $(/bin/busybox grep -o -w -m 1 rdseed /proc/cpuinfo)"
`);

for (const { title, cpuFlags, fiveLevel } of [
  { title: '-cpu max: 5-level paging', cpuFlags: undefined, fiveLevel: true },
  { title: '-cpu max,-la57: 4-level paging', cpuFlags: { la57: false }, fiveLevel: false },
]) {
  linuxTest(`Linux on ${title}`, async (t) => {
    t.timeout(LINUX_TIMEOUT_MS + 60_000);
    const dir = mkdtempSync(join(tmpdir(), 'tsvisor-la57-'));
    const initrd = join(dir, 'initramfs.cpio');
    let cr4 = 0n;
    let r;
    try {
      writeFileSync(initrd, buildTestInitramfs(readFileSync(join(LINUX_CACHE, 'busybox-static', 'bin', 'busybox')), INIT));
      r = await runKernel(LINUX_BZIMAGE, {
        cpuModel: 'max',
        ...(cpuFlags ? { cpuFlags } : {}),
        initrd,
        ...LINUX_BOOT,
        afterRun: (m) => (cr4 = m.vcpus[0]!.cr4),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    t.true(r.serial.includes(LINUX_TEST_MARKER), `init ran; last lines:\n${r.serial.split('\n').slice(-15).join('\n')}`);
    t.is((cr4 & CR4_LA57) !== 0n, fiveLevel, `CR4 at power-off: 0x${cr4.toString(16)}`);
    t.regex(r.serial, fiveLevel ? /^la57-flag: la57\r?$/m : /^la57-flag: \r?$/m);
    const vmalloc = Number(/^vmalloc-kb: (\d+)/m.exec(r.serial)?.[1]);
    if (fiveLevel) t.true(vmalloc > VMALLOC_4LEVEL_KB, `VmallocTotal ${vmalloc} kB is beyond 4-level paging's 32 TiB`);
    else t.is(vmalloc, VMALLOC_4LEVEL_KB);
    t.regex(r.serial, /^rng-flags: rdrand rdseed\r?$/m, 'RDRAND and RDSEED in /proc/cpuinfo');
    t.deepEqual(platformWarnings(r.serial), [], 'no platform warnings in the kernel log');
    t.is(r.reason, 'poweroff');
  });
}
