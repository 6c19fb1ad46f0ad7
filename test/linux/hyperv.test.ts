/**
 * Debian's kernel on tsvisor's Hyper-V: booted with `-cpu qemu64,hv-passthrough
 * -smp 2` (the bzImage, under -icount shift=1 as in boot.test.ts) it must find
 * Microsoft Hyper-V and use the enlightenments: the reference TSC page as its
 * clocksource, the synthetic cluster IPI and remote TLB flush hypercalls. The
 * log lines say Linux chose them; lib/hyperv's hypercall counts (read through
 * the machine) prove it then really executed them.
 *
 * One platform warning is expected here and only here: "tsc: Marking TSC
 * unstable due to running on Hyper-V". Linux says it on every Hyper-V
 * partition that lacks the AccessTscInvariantControls privilege (0x40000003
 * EAX bit 15, HV_X64_MSR_TSC_INVARIANT_CONTROL). tsvisor does not offer that
 * privilege because QEMU has no -cpu flag for it, and because a guest granted
 * it ranks the TSC above the reference TSC page, so Linux would not use the
 * Hyper-V clocksource this test is about. With the TSC marked unstable, the
 * reference TSC page (computed from the same virtual TSC) is the clocksource.
 *
 * The standard test /init runs too few processes for Linux to ever flush a
 * TLB on another CPU, so this test's initramfs (the cached busybox, built
 * here) adds one: a shell that ran on CPU 1 is moved to CPU 0 while CPU 1
 * keeps its address space loaded (lazy TLB), then forks, which write-protects
 * its pages and has to flush CPU 1's TLB too (three times over, in case CPU 1
 * ran another process in between).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestInitramfs, LINUX_TEST_INIT, LINUX_TEST_MARKER } from '../../lib/machine/initramfs.js';
import type { HypervHypercallCounts } from '../../lib/hyperv/hypercalls.js';
import { LINUX_BOOT, LINUX_BZIMAGE, LINUX_CACHE, LINUX_TIMEOUT_MS, linuxTest, platformWarnings } from '../helpers/linux-kernel.js';
import { runKernel } from '../helpers/run-guest.js';

/** Linux's own reaction to a Hyper-V partition without the TSC-invariant privilege (see above). */
const EXPECTED_ON_HYPERV = /tsc: Marking TSC unstable due to running on Hyper-V/;
/**
 * Linux's Hyper-V code complaining about the partition. ("Hyper-V: PV spinlocks disabled" is not one:
 * Linux wants the guest idle MSR for them, which QEMU does not offer either.)
 */
const HYPERV_ERRORS = /Hyper-?V.*(error|fail|unable|invalid|not supported)|hv_\w+.*(error|fail)/i;

/** Before the standard /init powers off: a remote TLB flush (see above). */
const REMOTE_FLUSH = `/bin/busybox mknod /dev/null c 1 3
for n in 1 2 3; do
  /bin/busybox rm -f /ready /go
  /bin/busybox taskset 2 /bin/busybox sh -c ': > /ready; i=0; while [ ! -e /go ] && [ $i -lt 20000 ]; do i=$((i+1)); done; /bin/busybox true' &
  P=$!
  i=0; while [ ! -e /ready ] && [ $i -lt 20000 ]; do i=$((i+1)); done
  /bin/busybox taskset -p 1 $P
  : > /go
  wait $P
done
echo "remote flush workload done"
`;
const INIT = LINUX_TEST_INIT.replace('/bin/busybox poweroff -f', `${REMOTE_FLUSH}/bin/busybox poweroff -f`);
const BUSYBOX = join(LINUX_CACHE, 'busybox-static', 'bin', 'busybox');

linuxTest()('Linux finds Hyper-V with hv-passthrough on 2 vCPUs and uses the TSC page, IPI and TLB-flush hypercalls', async (t) => {
  t.timeout(LINUX_TIMEOUT_MS + 60_000);
  t.true(existsSync(BUSYBOX), `scripts/fetch-linux.mjs keeps busybox at ${BUSYBOX}`);
  t.true(INIT.includes(REMOTE_FLUSH), 'the standard /init ends with poweroff -f');
  const dir = mkdtempSync(join(tmpdir(), 'tsvisor-hv-linux-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const initrd = join(dir, 'initramfs.cpio');
  writeFileSync(initrd, buildTestInitramfs(readFileSync(BUSYBOX), INIT));
  let counts: HypervHypercallCounts | undefined;
  const r = await runKernel(LINUX_BZIMAGE, {
    initrd,
    smp: 2,
    ...LINUX_BOOT,
    cpuModel: 'qemu64',
    cpuFlags: { 'hv-passthrough': true },
    // A fixed wall clock: with -icount the whole run is then the same every time.
    rtcBase: { datetime: '2026-01-01T00:00:00' },
    afterRun: (m) => (counts = m.hyperv?.hypercalls.counts()),
  });
  const log = r.serial;
  const tail = `last lines:\n${log.split('\n').slice(-15).join('\n')}`;
  t.true(log.includes(LINUX_TEST_MARKER), `init ran; ${tail}`);
  t.regex(log, /Hypervisor detected: Microsoft Hyper-V/);
  t.regex(log, /cpus: 2\b/);
  t.regex(log, /clocksource: Switched to clocksource hyperv_clocksource_tsc_page/);
  t.regex(log, /clocksource: hyperv_clocksource_tsc_page\b/, 'init sees the reference TSC page as the current clocksource');
  t.regex(log, /Hyper-V: Using IPI hypercalls/);
  t.regex(log, /Hyper-V: Using hypercall for remote TLB flush/);
  t.regex(log, /remote flush workload done/);
  t.regex(log, /ACPI: PM: Preparing to enter system sleep state S5/);
  t.is(r.reason, 'poweroff');

  t.not(counts, undefined, 'the machine has Hyper-V');
  t.true(counts!.sendIpi > 0, `HvSendSyntheticClusterIpi(Ex) executed (${JSON.stringify(counts)})`);
  t.true(counts!.flushTlb > 0, `HvFlushVirtualAddress* executed (${JSON.stringify(counts)})`);

  const warnings = platformWarnings(log).filter((line) => !EXPECTED_ON_HYPERV.test(line));
  t.deepEqual(warnings, [], 'no platform warnings in the kernel log besides the TSC line explained above');
  const hvErrors = log.split('\n').filter((line) => HYPERV_ERRORS.test(line));
  t.deepEqual(hvErrors, [], 'no Hyper-V errors in the kernel log');
});
