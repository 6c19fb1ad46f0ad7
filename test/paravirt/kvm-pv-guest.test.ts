/**
 * The kvm_pv guest on the real CPU core under icount: KVM's PV EOI and Hyper-V's APIC assist
 * (the local APIC's one lazy-EOI mechanism), steal time's preempted byte with PV TLB flush on
 * -smp 2, poll control, and each MSR's error paths; the machine's counters must show the
 * lazy EOIs and the TLB flush really happened.
 */
import test, { type ExecutionContext } from 'ava';
import type { Machine } from '../../lib/machine/machine.js';
import { runGuest, type GuestResult, type RunGuestOptions } from '../helpers/run-guest.js';

const ICOUNT = { mode: 'icount', shift: 0 } as const;

async function run(opts: RunGuestOptions): Promise<{ r: GuestResult; machine: Machine }> {
  let machine: Machine | undefined;
  const r = await runGuest('kvm_pv', { clock: ICOUNT, timeoutMs: 60_000, ...opts, afterRun: (m) => (machine = m) });
  return { r, machine: machine! };
}

function assertPassed(t: ExecutionContext, r: GuestResult): void {
  t.deepEqual(r.serial.split('\n').filter((l) => l.startsWith('FAIL:')), [], 'no FAIL: lines');
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.is(r.status, 1, `exit status (reason: ${r.reason}${r.message ? ': ' + r.message : ''})`);
}

test('max -smp 2: PV EOI, poll control, preempted byte and PV TLB flush', async (t) => {
  const { r, machine } = await run({ cpuModel: 'max', smp: 2 });
  assertPassed(t, r);
  // Bits 0, 1, 3, 5, 6, 9, 11-13, 15, 24, 30 (pv-unhalt, bit 7, stays opt-in).
  t.true(r.serial.includes('INFO: hyperv=0 kvm=1 KVM features 0x4100ba6b'), r.serial.split('\n').find((l) => l.includes('KVM features')));
  t.true(r.serial.includes('INFO: MSI extended destination ID advertised'));
  t.true(r.serial.includes('PASS: PV EOI: the same vector is taken again: the lazy EOI retired it'));
  t.true(r.serial.includes('PASS: PV EOI: a GPA that is not 4-byte aligned (bit 1) is #GP'));
  t.true(r.serial.includes('PASS: poll control: bit 1 is #GP'));
  t.true(r.serial.includes('INFO: without a flush the AP reads 0xaaaa'), 'the AP kept its stale translation: the flush below is what changes it');
  t.true(r.serial.includes('PASS: the AP\'s TLB was flushed before it ran: it reads page B (0xbbbb)'));
  const pvEoi = machine.paravirt.pvEoi!;
  // Granted: the two lazy cases, the EOI-writing handler and the nested case's outer interrupt.
  t.is(pvEoi.grants, 4, 'PV EOI grants');
  t.is(pvEoi.lazyEois, 2, 'EOIs signalled through the flag');
  t.is(machine.paravirt.stealTime!.tlbFlushes, 1, 'one PV TLB flush');
});

test('qemu64 defaults: PV EOI on, the others off (their MSRs #GP)', async (t) => {
  const { r } = await run({ cpuModel: 'qemu64', smp: 2 });
  assertPassed(t, r);
  t.true(r.serial.includes('INFO: hyperv=0 kvm=1 KVM features 0x100006b'), 'kvmclock, nopiodelay, steal time, PV EOI, stable bit');
  t.true(r.serial.includes('PASS: PV EOI: its flag was set on entry, other bits untouched (0xab01)'));
  t.true(r.serial.includes('PASS: no kvm-poll-control: MSR 0x4b564d05 is #GP'));
  t.true(r.serial.includes('PASS: steal time: the AP is preempted while the BSP runs (1)'));
  t.false(r.serial.includes('KVM_VCPU_FLUSH_TLB set'), 'no PV TLB flush without the feature');
});

test('kvm-pv-eoi off: MSR 0x4b564d04 is #GP', async (t) => {
  const { r } = await run({ cpuModel: 'kvm64', cpuFlags: { 'kvm-pv-eoi': false } });
  assertPassed(t, r);
  t.true(r.serial.includes('PASS: no kvm-pv-eoi: MSR 0x4b564d04 is #GP'));
});

test('hv-vapic: APIC assist through the VP assist page, the same lazy EOI', async (t) => {
  const { r, machine } = await run({ cpuModel: 'qemu64', cpuFlags: { 'hv-vapic': true, kvm: true }, smp: 2 });
  assertPassed(t, r);
  t.true(r.serial.includes('INFO: hyperv=1 kvm=1 KVM features 0x100006b'), 'KVM\'s leaves answer at 0x40000100 next to Hyper-V\'s');
  t.true(r.serial.includes('PASS: APIC assist: the same vector is taken again: the lazy EOI retired it'));
  t.true(r.serial.includes('PASS: APIC assist: a second interrupt arriving withdrew it (0xab00)'));
  t.true(r.serial.includes('PASS: VP assist page off: No EOI required never set'));
  const vapic = machine.hyperv!.vapic!;
  t.is(vapic.apicAssistGrants, 4, 'No EOI required grants');
  t.is(vapic.apicAssistLazyEois, 2, 'EOIs signalled through the flag');
  t.is(machine.paravirt.pvEoi!.grants, 0, 'KVM PV EOI stayed unused');
});
