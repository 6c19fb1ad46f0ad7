/**
 * The guest programs of test/guests on both backends, from one list: each
 * runs on the interpreter and on KVM and must pass on both (status 1, a
 * SUMMARY with no failures). guest-programs.test.ts runs the full set on the
 * interpreter; this list is the set small enough for a nested /dev/kvm that
 * emulates guest instructions (~1.5 M instructions/s).
 */
import type { ExecutionContext } from 'ava';
import { runGuest, type GuestResult, type RunGuestOptions } from '../helpers/run-guest.js';
import { kvmIsPvm, testOnKvmUnless } from '../helpers/kvm-host.js';

export const GUESTS_ON_BOTH_BACKENDS = [
  'hello', 'pio', 'exceptions', 'paging', 'modes', 'protect', 'cpuid_msr', 'smp', 'apic', 'platform', 'pci', 'acpi', 'kvmclock', 'hv_basic',
  'hv_synic', 'hv_stimer',
] as const;
type GuestName = (typeof GUESTS_ON_BOTH_BACKENDS)[number];
const STIMER_FLAGS = { 'hv-vpindex': true, 'hv-time': true, 'hv-synic': true, 'hv-stimer': true, 'hv-stimer-direct': true };
/**
 * Per-guest options (both backends): smp checks what a machine with more than one vCPU shows
 * (CPUID HTT, the APs starting), kvmclock the master clock across two vCPUs; the timer guests run in real time (KVM has no icount) and are
 * told so (realtime=1), which lets their checks allow for slow exits without accepting wrong answers.
 */
const OPTIONS: Partial<Record<GuestName, Pick<RunGuestOptions, 'smp' | 'append' | 'cpuFlags' | 'cpuModel' | 'rtcBase' | 'extraDevices'>>> = {
  smp: { smp: 2 },
  apic: { append: 'realtime=1' },
  // platform's timers run at 50 Hz (PIT) and 32 Hz (RTC) with realtime=1: at 1 kHz the next tick is
  // always pending when the handler returns on a nested /dev/kvm, whose exits take about 1 ms.
  platform: { append: 'ram_mb=32 realtime=1', rtcBase: { datetime: '2006-06-17T16:01:21' } },
  pci: { extraDevices: [{ driver: 'pci-testdev' }] },
  acpi: { smp: 2, append: 'cpus=2' },
  hv_basic: { smp: 2, cpuFlags: { 'hv-passthrough': true, 'hv-spinlocks': 0x1fff } },
  hv_synic: { smp: 2, cpuFlags: { 'hv-vpindex': true, 'hv-synic': true }, extraDevices: [{ driver: 'hyperv-testdev' }] },
  kvmclock: { smp: 2, cpuModel: 'kvm64', append: 'reads=1000' },
  hv_stimer: { smp: 2, append: 'realtime=1', cpuFlags: STIMER_FLAGS },
};
const TIMEOUT_MS = 120_000;

/** Guests whose pass ends another way than isa-debug-exit status 1 (acpi powers off through \\_S5). */
const POWERS_OFF: ReadonlySet<GuestName> = new Set(['acpi']);

function assertPassed(t: ExecutionContext, name: GuestName, r: GuestResult, label: string): void {
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, [], `${label}: no FAIL: lines`);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/, `${label}: summary`);
  const [reason, status] = POWERS_OFF.has(name) ? ['poweroff', 0] : ['debug-exit', 1];
  t.is(`${r.reason} ${r.status}`, `${reason} ${status}`, `${label}: how it ended${r.message ? ' (' + r.message + ')' : ''}`);
}

/**
 * Inside scripts/kvm-in-qemu.mjs the /dev/kvm is a nested one whose guest instructions QEMU's
 * TCG executes (it says so in TSVISOR_KVM_OUTER_CPU): there the guests may give QEMU's
 * documented answers where it departs from the SDM (KNOWN-QEMU-DEVIATION lines), as they do
 * under test/guests/run-qemu.sh. Everywhere else, and always on the interpreter, they may not.
 * On kvm the guests also get kvm-quirks=1: where KVM answers in the kernel without asking user
 * space (CR4.MCE, IA32_ARCH_CAPABILITIES, a CPUID narrowed to the host's KVM), KVM's answer is a
 * KNOWN-KVM-DEVIATION line (docs/backends.md lists them); the interpreter never gets it.
 */
const OUTER_CPU_IS_QEMU_TCG = process.env.TSVISOR_KVM_OUTER_CPU === 'qemu-tcg';

/**
 * What PVM's instruction emulator cannot run (scripts/kvm-guest-sweep.mjs shows it there): the
 * guest fails at that instruction, the same on every run, before its checks are done.
 */
const INT_N = 'is PVM, whose instruction emulator answers INT n outside real mode with #UD (the guest runtime leaves CPL 3 with INT 0x80)';
const PVM_CANNOT: Partial<Record<GuestName, string>> = {
  exceptions: INT_N,
  paging: INT_N,
  kvmclock: INT_N,
  modes: 'is PVM, whose instruction emulator fails on IRET outside real mode (KVM_EXIT_INTERNAL_ERROR)',
  protect: 'is PVM, whose instruction emulator fails on CLAC (KVM_EXIT_INTERNAL_ERROR)',
  cpuid_msr: 'is PVM, whose instruction emulator fails on MOVQ xmm, r64 (KVM_EXIT_INTERNAL_ERROR)',
};

for (const name of GUESTS_ON_BOTH_BACKENDS) {
  testOnKvmUnless(kvmIsPvm ? PVM_CANNOT[name] : undefined, { serial: true })(`${name} passes on interp and on kvm`, async (t) => {
    for (const accel of ['interp', 'kvm'] as const) {
      const { smp = 1, append = '', ...rest } = OPTIONS[name] ?? {};
      const quirks = accel === 'kvm' ? `kvm-quirks=1${OUTER_CPU_IS_QEMU_TCG ? ' qemu-quirks=1' : ''}` : '';
      const r = await runGuest(name, { ...rest, accel, memoryMb: 32, smp, timeoutMs: TIMEOUT_MS, append: `${append} ${quirks}`.trim() || undefined });
      assertPassed(t, name, r, `${name} on ${accel}`);
    }
  });
}
