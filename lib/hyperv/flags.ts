/**
 * The Hyper-V enlightenments as -cpu flags (QEMU's names, canonical with
 * dashes). `requires` lists the dependencies QEMU checks: a flag that is on
 * without one of them is a configuration error naming both.
 *
 * hv-passthrough means "every enlightenment tsvisor implements": the machine
 * expands it with HYPERV_IMPLEMENTED below.
 */
import type { CpuFlagSpec, CpuFlagValues } from '../machine/cpu-flags.js';

export const HYPERV_FLAGS: CpuFlagSpec[] = [
  { name: 'hv-relaxed', kind: 'bool', description: 'Hyper-V: relaxed timing (no watchdog on long waits)' },
  { name: 'hv-vapic', kind: 'bool', description: 'Hyper-V: virtual APIC MSRs (EOI, ICR, TPR) and the VP assist page' },
  { name: 'hv-time', kind: 'bool', description: 'Hyper-V: partition reference counter and reference TSC page' },
  { name: 'hv-vpindex', kind: 'bool', description: 'Hyper-V: VP_INDEX MSR (virtual processor number)' },
  { name: 'hv-runtime', kind: 'bool', description: 'Hyper-V: VP_RUNTIME MSR (vCPU run time in 100 ns)' },
  { name: 'hv-crash', kind: 'bool', description: 'Hyper-V: guest crash MSRs (CRASH_P0-P4, CRASH_CTL)' },
  { name: 'hv-reset', kind: 'bool', description: 'Hyper-V: RESET MSR (system reset)' },
  { name: 'hv-frequencies', kind: 'bool', description: 'Hyper-V: TSC and APIC frequency MSRs' },
  { name: 'hv-reenlightenment', kind: 'bool', description: 'Hyper-V: TSC re-enlightenment MSRs' },
  { name: 'hv-synic', kind: 'bool', description: 'Hyper-V: synthetic interrupt controller', requires: ['hv-vpindex'] },
  { name: 'hv-stimer', kind: 'bool', description: 'Hyper-V: synthetic timers', requires: ['hv-synic', 'hv-time'] },
  { name: 'hv-stimer-direct', kind: 'bool', description: 'Hyper-V: synthetic timers in direct (APIC vector) mode', requires: ['hv-stimer'] },
  { name: 'hv-tlbflush', kind: 'bool', description: 'Hyper-V: remote TLB flush hypercalls', requires: ['hv-vpindex'] },
  { name: 'hv-ipi', kind: 'bool', description: 'Hyper-V: synthetic cluster IPI hypercalls', requires: ['hv-vpindex'] },
  { name: 'hv-spinlocks', kind: 'uint', description: 'Hyper-V: spinlock retry count before HvNotifyLongSpinWait (0xffffffff = never)' },
  { name: 'hv-vendor-id', kind: 'string', description: 'Hyper-V: vendor ID in CPUID 0x40000000 (at most 12 characters)' },
  { name: 'hv-passthrough', kind: 'bool', description: 'Hyper-V: every enlightenment tsvisor implements' },
];

/**
 * QEMU's Hyper-V flags that tsvisor does not offer, each with the reason when
 * there is one worth telling: turning one on is a one-line configuration
 * error, turning it off is harmless (nothing advertises it anyway).
 */
export const HYPERV_UNIMPLEMENTED_FLAGS: ReadonlyMap<string, string | undefined> = new Map([
  // The enlightened VMCS replaces VMREAD/VMWRITE of a nested hypervisor: without VMX emulation
  // there is no VMCS to enlighten, and its CPUID recommendation bit would be a false promise.
  ['hv-evmcs', 'the enlightened VMCS is an interface for nested VMX, which tsvisor does not emulate'],
  ['hv-emsr-bitmap', 'it belongs to the enlightened VMCS (nested VMX), which tsvisor does not emulate'],
  ['hv-tlbflush-direct', 'it belongs to the enlightened VMCS (nested VMX), which tsvisor does not emulate'],
  ['hv-xmm-input', undefined],
  ['hv-tlbflush-ext', undefined],
  ['hv-avic', undefined],
  ['hv-syndbg', undefined],
]);

/** Canonical names of the boolean enlightenments (those hv-passthrough can turn on). */
export const HYPERV_BOOL_FLAGS: readonly string[] = HYPERV_FLAGS.filter((f) => f.kind === 'bool' && f.name !== 'hv-passthrough').map((f) => f.name);

/** Whether any Hyper-V flag is set to a true/non-empty value. */
export function anyHypervFlag(values: CpuFlagValues | undefined): boolean {
  if (values === undefined) return false;
  for (const f of HYPERV_FLAGS) {
    const v = values.get(f.name);
    if (v === true || typeof v === 'number' || (typeof v === 'string' && v !== '')) return true;
  }
  return false;
}
