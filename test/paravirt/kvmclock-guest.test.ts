/**
 * The kvmclock guest on the real CPU core, -smp 2, icount (exact and reproducible): kvmclock on
 * both vCPUs, 10^6 cross-vCPU reads per vCPU, the stable bit following TSC writes, the wall clock,
 * the KVM hypercalls and their error paths, and the MSRs' absence without kvmclock.
 */
import test, { type ExecutionContext } from 'ava';
import { runGuest, type GuestResult, type RunGuestOptions } from '../helpers/run-guest.js';

const ICOUNT = { mode: 'icount', shift: 0 } as const;
const TIMEOUT_MS = 120_000;
// qemu64 has no IA32_TSC_ADJUST (QEMU's model): +tsc-adjust for the stable-bit checks that use it
const ALL_PV = { 'kvm-pv-ipi': true, 'kvm-pv-sched-yield': true, 'tsc-adjust': true };

function run(opts: RunGuestOptions): Promise<GuestResult> {
  return runGuest('kvmclock', { smp: 2, clock: ICOUNT, timeoutMs: TIMEOUT_MS, ...opts });
}

function assertPassed(t: ExecutionContext, r: GuestResult): void {
  t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL:')), [], 'no FAIL: lines');
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason}${r.message ? ': ' + r.message : ''})`);
}

test('qemu64 + pv-ipi + sched-yield: 10^6 cross-vCPU reads, stable bit, hypercalls', async (t) => {
  const r = await run({ cpuModel: 'qemu64', cpuFlags: ALL_PV, append: 'reads=1000000' });
  assertPassed(t, r);
  t.true(r.serial.includes('INFO: KVM features 0x100286b'), 'CLOCKSOURCE, NOP_IO_DELAY, CLOCKSOURCE2, STEAL_TIME, PV_EOI, PV_SEND_IPI, PV_SCHED_YIELD, STABLE_BIT');
  t.true(r.serial.includes('PASS: both vCPUs saw steal time while both were runnable'));
  t.true(r.serial.includes('PASS: no steal time while the other vCPU is halted'));
  t.true(r.serial.includes('PASS: 1000000 cross-vCPU reads per vCPU never went backwards (0, 0)'));
  t.true(r.serial.includes('PASS: master clock: both vCPUs carry the same (tsc_timestamp, system_time)'));
  t.true(r.serial.includes('PASS: TSC_ADJUST back to 0: TSCs match, stable bit set again'));
  t.true(r.serial.includes('PASS: the AP took the PV IPI'));
  t.true(r.serial.includes('PASS: hypercall from CPL 3: -KVM_EPERM (-1)'));
});

test('kvm-pv-unhalt: KVM_HC_KICK_CPU wakes a vCPU halted with IF=0, also when the kick comes first', async (t) => {
  const r = await run({ cpuModel: 'qemu64', cpuFlags: { 'kvm-pv-unhalt': true }, append: 'reads=20000' });
  assertPassed(t, r);
  t.true(r.serial.includes('INFO: KVM features 0x10000eb'), 'PV_UNHALT (bit 7) advertised');
  t.true(r.serial.includes('PASS: the kick woke the AP from HLT with IF=0'));
  t.true(r.serial.includes('PASS: a kick before the HLT ends that HLT at once'));
});

test('wall clock within a second of the host (realtime)', async (t) => {
  const before = Date.now() / 1000;
  const r = await run({ cpuModel: 'kvm64', clock: { mode: 'realtime' }, append: 'reads=1000' });
  const after = Date.now() / 1000;
  assertPassed(t, r);
  const m = /wall clock sec=(\d+) nsec=\d+ now=(\d+)/.exec(r.serial);
  t.truthy(m);
  // The guest prints whole seconds of (wall clock + kvmclock time) at some instant of the run.
  const now = Number(m![2]);
  t.true(now >= Math.floor(before) - 1 && now <= after + 1, `guest ${now} vs host ${before}..${after}`);
});

test('-rtc base= gives the wall clock and clock pairing a fixed epoch', async (t) => {
  const r = await run({ cpuModel: 'qemu64', rtcBase: { datetime: '2020-01-01T00:00:00' }, append: 'reads=20000' });
  assertPassed(t, r);
  t.true(r.serial.includes('INFO: wall clock sec=1577836800 nsec=0 '));
  t.true(r.serial.includes('INFO: clock pairing sec=1577836800 '));
});

// One vCPU: the run loop's slices with several vCPUs also end at a host-time deadline in icount
// mode, so only a single-vCPU run has an interleaving that is a function of the guest alone.
test('icount with -rtc base=: a kvmclock run is reproducible, times included', async (t) => {
  const opts = { smp: 1, cpuModel: 'qemu64', rtcBase: { datetime: '2020-01-01T00:00:00' } } as const;
  const [a, b] = [await run(opts), await run(opts)];
  assertPassed(t, a);
  t.regex(a.serial, /INFO: mul=2147483648 shift=0 flags=1 /);
  t.is(a.serial, b.serial);
});

test('kvmclock-stable-bit off: the bit is never set; kvmclock off: the MSRs are #GP', async (t) => {
  const noStable = await run({ cpuModel: 'qemu64', cpuFlags: { 'kvmclock-stable-bit': false }, append: 'reads=20000' });
  assertPassed(t, noStable);
  t.true(noStable.serial.includes('PASS: stable bit clear (not advertised)'));
  const off = await run({ cpuModel: 'kvm64', cpuFlags: { kvmclock: false, 'kvmclock-stable-bit': false, 'kvm-steal-time': false } });
  assertPassed(t, off);
  t.true(off.serial.includes('PASS: no kvmclock: RDMSR 0x4b564d01 is #GP'));
  t.true(off.serial.includes('PASS: KVM_HC_SEND_IPI without kvm-pv-ipi: -KVM_ENOSYS'));
});
