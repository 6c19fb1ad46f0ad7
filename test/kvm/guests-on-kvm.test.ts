/**
 * The guest programs of test/guests on both backends, from one list: each
 * runs on the interpreter and on KVM and must pass on both (status 1, a
 * SUMMARY with no failures). guest-programs.test.ts runs the full set on the
 * interpreter; this list is the set small enough for a nested /dev/kvm that
 * emulates guest instructions (~1.5 M instructions/s).
 */
import type { ExecutionContext } from 'ava';
import { runGuest, type GuestResult, type RunGuestOptions } from '../helpers/run-guest.js';
import { testOnKvm } from '../helpers/kvm-host.js';

export const GUESTS_ON_BOTH_BACKENDS = ['hello', 'pio', 'exceptions', 'paging', 'modes', 'smp', 'apic', 'kvmclock', 'hv_stimer'] as const;
type GuestName = (typeof GUESTS_ON_BOTH_BACKENDS)[number];
const STIMER_FLAGS = { 'hv-vpindex': true, 'hv-time': true, 'hv-synic': true, 'hv-stimer': true, 'hv-stimer-direct': true };
/**
 * Per-guest options (both backends): smp checks what a machine with more than one vCPU shows
 * (CPUID HTT, the APs starting), kvmclock the master clock across two vCPUs; the timer guests run in real time (KVM has no icount) and are
 * told so (realtime=1), which lets their checks allow for slow exits without accepting wrong answers.
 */
const OPTIONS: Partial<Record<GuestName, Pick<RunGuestOptions, 'smp' | 'append' | 'cpuFlags' | 'cpuModel'>>> = {
  smp: { smp: 2 },
  apic: { append: 'realtime=1' },
  kvmclock: { smp: 2, cpuModel: 'kvm64', append: 'reads=1000' },
  hv_stimer: { smp: 2, append: 'realtime=1', cpuFlags: STIMER_FLAGS },
};
const TIMEOUT_MS = 120_000;

function assertPassed(t: ExecutionContext, r: GuestResult, label: string): void {
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, [], `${label}: no FAIL: lines`);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/, `${label}: summary`);
  t.is(r.status, 1, `${label}: exit status (reason: ${r.reason}${r.message ? ', ' + r.message : ''})`);
}

/**
 * Inside scripts/kvm-in-qemu.mjs the /dev/kvm is a nested one whose guest instructions QEMU's
 * TCG executes (it says so in TSVISOR_KVM_OUTER_CPU): there the guests may give QEMU's
 * documented answers where it departs from the SDM (KNOWN-QEMU-DEVIATION lines), as they do
 * under test/guests/run-qemu.sh. Everywhere else, and always on the interpreter, they may not.
 */
const OUTER_CPU_IS_QEMU_TCG = process.env.TSVISOR_KVM_OUTER_CPU === 'qemu-tcg';

const onKvm = testOnKvm({ serial: true });
for (const name of GUESTS_ON_BOTH_BACKENDS) {
  onKvm(`${name} passes on interp and on kvm`, async (t) => {
    for (const accel of ['interp', 'kvm'] as const) {
      const { smp = 1, append = '', cpuFlags, cpuModel } = OPTIONS[name] ?? {};
      const quirks = accel === 'kvm' && OUTER_CPU_IS_QEMU_TCG ? 'qemu-quirks=1' : '';
      const r = await runGuest(name, { accel, memoryMb: 32, smp, cpuFlags, cpuModel, timeoutMs: TIMEOUT_MS, append: `${append} ${quirks}`.trim() || undefined });
      assertPassed(t, r, `${name} on ${accel}`);
    }
  });
}
