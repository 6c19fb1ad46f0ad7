/**
 * Debian's kernel (the cache of test/helpers/linux-kernel.ts) on -smp 2 with
 * KVM's paravirtual interfaces: with kvmclock (`-cpu kvm64`, and qemu64 with
 * the flags spelled out) it must pick kvm-clock; with PV IPIs, PV TLB flush,
 * PV EOI, PV sched-yield and steal time advertised it must say it set them
 * up, and the machine's counters must show the PV EOI flag and the PV TLB
 * flush really used. Under -icount (shift 1), as boot.test.ts, so a loaded
 * host cannot disturb the kernel's clocks; no platform warnings allowed.
 *
 * The PV run's init (an initramfs built here from the cached busybox) adds
 * a workload before powering off, 20 times: the shell (PID 1) is moved to
 * vCPU 1 (taskset), waits there for a background job that moves it back to
 * vCPU 0 after 0.1 s, and forks. vCPU 1, idle since the shell left it, keeps
 * the shell's address space loaded (lazy TLB), so the fork's copy-on-write
 * protection needs vCPU 1's TLB flushed; vCPU 1 is not running, so Linux asks
 * for the flush through its steal-time byte instead of an IPI. The pinning
 * makes this independent of where the scheduler would put the tasks.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestInitramfs, LINUX_TEST_INIT, LINUX_TEST_MARKER } from '../../lib/machine/initramfs.js';
import type { Machine } from '../../lib/machine/machine.js';
import { LINUX_BOOT, LINUX_BZIMAGE, LINUX_CACHE, LINUX_INITRAMFS, LINUX_TIMEOUT_MS, linuxTest as linuxTestFor, platformWarnings } from '../helpers/linux-kernel.js';
import { runKernel, type GuestResult, type RunGuestOptions } from '../helpers/run-guest.js';

const linuxTest = linuxTestFor();
const WORKLOAD_DONE = 'TSVISOR-PV-WORKLOAD-DONE';

/** The test init with the workload above before its poweroff (a function replacer, so no '$' pattern is expanded). */
const WORKLOAD_INIT = LINUX_TEST_INIT.replace(
  '/bin/busybox poweroff -f',
  () => `/bin/busybox mount -t devtmpfs devtmpfs /dev
i=0
while [ $i -lt 20 ]; do
  /bin/busybox sh -c '/bin/busybox sleep 0.1; /bin/busybox taskset -p 1 1 > /dev/null' &
  /bin/busybox taskset -p 2 1 > /dev/null
  wait
  /bin/busybox true
  i=$((i + 1))
done
echo ${WORKLOAD_DONE}
/bin/busybox poweroff -f`,
);

async function boot(cpu: Pick<RunGuestOptions, 'cpuModel' | 'cpuFlags'>, initrd = LINUX_INITRAMFS): Promise<{ r: GuestResult; machine: Machine }> {
  let machine: Machine | undefined;
  const r = await runKernel(LINUX_BZIMAGE, {
    ...cpu,
    initrd,
    smp: 2,
    ...LINUX_BOOT,
    afterRun: (m) => (machine = m),
  });
  return { r, machine: machine! };
}

/**
 * qemu64 is QEMU's model: an AMD vendor without an invariant TSC, for which Linux assumes TSCs of
 * several CPUs unsynchronized and says so (unsynchronized_tsc()), on KVM as here. That line is the
 * kernel's rule for the model, not something the platform got wrong; kvm-clock is used regardless.
 */
const QEMU64_TSC_RULE = /tsc: Marking TSC unstable due to TSCs unsynchronized/;

function lastLines(serial: string): string {
  return serial.split('\n').slice(-15).join('\n');
}

for (const { title, cpu } of [
  { title: '-cpu kvm64', cpu: { cpuModel: 'kvm64' } },
  { title: '-cpu qemu64,kvmclock,kvmclock-stable-bit', cpu: { cpuModel: 'qemu64', cpuFlags: { kvmclock: true, 'kvmclock-stable-bit': true } } },
]) {
  linuxTest(`Linux on ${title} -smp 2 uses the kvm-clock clocksource`, async (t) => {
    t.timeout(LINUX_TIMEOUT_MS + 60_000);
    const { r } = await boot(cpu);
    t.true(r.serial.includes(LINUX_TEST_MARKER), `init ran; last lines:\n${lastLines(r.serial)}`);
    t.regex(r.serial, /Hypervisor detected: KVM/);
    t.regex(r.serial, /clocksource: kvm-clock\b/, 'kvm-clock is the current clocksource');
    const warnings = platformWarnings(r.serial).filter((l) => cpu.cpuModel !== 'qemu64' || !QEMU64_TSC_RULE.test(l));
    t.deepEqual(warnings, [], 'no platform warnings in the kernel log');
    t.is(r.reason, 'poweroff');
  });
}

linuxTest('Linux -smp 2 with PV IPIs, PV TLB flush, PV EOI, PV sched-yield and steal time uses them', async (t) => {
  t.timeout(LINUX_TIMEOUT_MS + 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'tsvisor-pv-'));
  const initrd = join(dir, 'initramfs.cpio');
  let run: { r: GuestResult; machine: Machine };
  try {
    writeFileSync(initrd, buildTestInitramfs(readFileSync(join(LINUX_CACHE, 'busybox-static', 'bin', 'busybox')), WORKLOAD_INIT));
    // kvm64 (Intel vendor): the kernel log must be free of every platform warning.
    const cpuFlags = { 'kvm-pv-ipi': true, 'kvm-pv-tlb-flush': true, 'kvm-pv-eoi': true, 'kvm-pv-sched-yield': true, 'kvm-steal-time': true };
    run = await boot({ cpuModel: 'kvm64', cpuFlags }, initrd);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { r, machine } = run;
  t.true(r.serial.includes(WORKLOAD_DONE), `init ran the workload; last lines:\n${lastLines(r.serial)}`);
  t.regex(r.serial, /kvm-guest: setup PV IPIs/);
  t.regex(r.serial, /kvm-guest: KVM setup pv remote TLB flush/);
  t.regex(r.serial, /kvm-guest: setup PV sched yield/);
  const pvEoi = machine.paravirt.pvEoi!;
  t.true(pvEoi.lazyEois > 0, `the kernel retired interrupts through the PV EOI flag (${pvEoi.grants} granted, ${pvEoi.lazyEois} lazy EOIs)`);
  const flushes = machine.paravirt.stealTime!.tlbFlushes;
  // Each of the 20 rounds should make one (about 30 in a run, with the kernel's own); half is the bound.
  t.true(flushes >= 10, `the kernel asked for PV TLB flushes of a preempted vCPU (${flushes})`);
  t.log(`PV EOI: ${pvEoi.grants} grants, ${pvEoi.lazyEois} lazy EOIs; PV TLB flushes: ${flushes}`);
  t.deepEqual(platformWarnings(r.serial), [], 'no platform warnings in the kernel log');
  t.is(r.reason, 'poweroff');
});
