/**
 * What a MachineConfig's cpuModel/cpuFlags mean for the machine: the core
 * CPUID features advertised (the model's, edited by the flags), the effective KVM features and whether Hyper-V is
 * on, and the hypervisor leaves for the CPUID table (Hyper-V's at 0x40000000
 * when on, KVM's after them at 0x40000100, or KVM's at 0x40000000 alone).
 */
import type { CpuidEntry } from '../hypervisor/vm.js';
import type { CpuFlagValue } from '../machine/cpu-flags.js';
import { effectiveCoreFeatures } from '../machine/cpu-models.js';
import { anyHypervFlag } from '../hyperv/flags.js';
import { kvmCpuidLeaves } from './kvm-cpuid.js';
import { effectiveKvmFlags } from './kvm-features.js';

export interface CpuSelectionResult {
  readonly model: string | undefined;
  readonly flags: ReadonlyMap<string, CpuFlagValue>;
  /** Core CPUID features advertised (CORE_CPU_FLAGS names). */
  readonly coreFeatures: ReadonlySet<string>;
  readonly kvm: ReadonlySet<string>;
  readonly hyperv: boolean;
}

export function resolveCpuSelection(model: string | undefined, cpuFlags: Record<string, CpuFlagValue> | undefined): CpuSelectionResult {
  const flags = new Map(Object.entries(cpuFlags ?? {}));
  const hyperv = anyHypervFlag(flags);
  return { model, flags, coreFeatures: effectiveCoreFeatures(model, flags), kvm: effectiveKvmFlags(model, flags, hyperv), hyperv };
}

/**
 * The hypervisor leaves: `hypervLeaves` are lib/hyperv's (at 0x40000000 when Hyper-V is on);
 * KVM's go after them at 0x40000100 whenever any hv flag is on, as QEMU places them.
 */
export function hypervisorLeaves(sel: CpuSelectionResult, hypervLeaves: readonly CpuidEntry[]): CpuidEntry[] {
  return [...hypervLeaves, ...kvmCpuidLeaves(sel.kvm, sel.hyperv)];
}
