/**
 * What the machine cannot offer on the kvm backend. KVM runs guest
 * instructions in hardware and keeps VMCALL in the kernel, so:
 *
 * - `-icount` (time from instructions retired) needs the interpreter;
 * - KVM paravirtual features that work through KVM hypercalls (PV unhalt,
 *   PV IPIs, PV sched-yield, tsvisor's hypercall queue) are not advertised:
 *   the guest's VMCALL would reach KVM's in-kernel handler, which knows
 *   nothing of the machine's TypeScript APICs. Asking for one explicitly is
 *   an error; a model default that includes one drops it.
 *
 * The Hyper-V hypercall page does work: on kvm it traps with OUT to port
 * 0x7e instead of VMCALL (lib/hypervisor/hypercall-trap.ts, docs/backends.md).
 */
import type { CpuSelectionResult } from '../paravirt/cpu-selection.js';
import type { MachineConfig } from './config.js';

/** KVM feature flags whose hypercalls KVM handles in the kernel. */
export const KVM_FLAGS_NEEDING_VMCALL_EXITS: readonly string[] = ['kvm-pv-unhalt', 'kvm-pv-ipi', 'kvm-pv-sched-yield', 'kvm-hcqueue'];

/** Why this config cannot run on its backend, or undefined. */
export function kvmConfigProblem(config: MachineConfig): string | undefined {
  if (config.accel !== 'kvm') return undefined;
  if (config.clock.mode === 'icount') {
    return '-icount is not allowed with hardware virtualization (KVM cannot count guest instructions; use -accel tcg)';
  }
  for (const flag of KVM_FLAGS_NEEDING_VMCALL_EXITS) {
    if (config.cpuFlags?.[flag] === true) {
      return `-cpu flag '${flag}' needs KVM hypercalls in user space, which KVM keeps in the kernel (use -accel tcg)`;
    }
  }
  return undefined;
}

/** The CPU selection with the KVM features the kvm backend cannot serve removed. */
export function cpuSelectionForBackend(sel: CpuSelectionResult, accel: MachineConfig['accel']): CpuSelectionResult {
  if (accel !== 'kvm') return sel;
  const kvm = new Set([...sel.kvm].filter((f) => !KVM_FLAGS_NEEDING_VMCALL_EXITS.includes(f)));
  return { ...sel, kvm };
}
