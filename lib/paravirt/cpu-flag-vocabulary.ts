/**
 * The union of every -cpu flag list (CpuFlagSpec): the CPU core's CPUID
 * features (lib/machine/cpuid.ts), KVM's paravirtual features (here) and the
 * Hyper-V enlightenments (lib/hyperv/flags.ts). Both the command-line parser
 * and MachineConfig validation check against it, so the two cannot disagree.
 */
import type { CpuFlagSpec, CpuFlagValue } from '../machine/cpu-flags.js';
import { CORE_CPU_FLAGS } from '../machine/cpuid.js';
import { HYPERV_FLAGS } from '../hyperv/flags.js';
import { KVM_FLAGS, KVM_UNIMPLEMENTED_FLAGS, kvmModelDefaults } from './kvm-features.js';

export const ALL_CPU_FLAGS: readonly CpuFlagSpec[] = [...CORE_CPU_FLAGS, ...KVM_FLAGS, ...HYPERV_FLAGS];

const BY_NAME = new Map(ALL_CPU_FLAGS.map((f) => [f.name, f]));

export function findCpuFlag(name: string): CpuFlagSpec | undefined {
  return BY_NAME.get(name);
}

export function isUnimplementedKvmFlag(name: string): boolean {
  return KVM_UNIMPLEMENTED_FLAGS.includes(name);
}

const CORE_NAMES = new Set(CORE_CPU_FLAGS.map((f) => f.name));

/** A flag's value for this model when the user did not set it. */
export function modelDefault(model: string | undefined, name: string): CpuFlagValue | undefined {
  if (CORE_NAMES.has(name)) return true;
  return kvmModelDefaults(model).get(name);
}

/**
 * Checks a flag set (canonical names) for a model: every name known and of its kind, and every flag the
 * user turned on has its requirements on. Returns the problem as one line, or undefined.
 */
export function cpuFlagProblem(model: string | undefined, flags: ReadonlyMap<string, CpuFlagValue>): string | undefined {
  for (const [name, value] of flags) {
    const spec = findCpuFlag(name);
    if (spec === undefined) {
      return isUnimplementedKvmFlag(name) ? `property '${name}' is not implemented by tsvisor` : `property '${name}' not found`;
    }
    if (spec.kind === 'bool' && typeof value !== 'boolean') return `property '${name}' takes on or off`;
    if (spec.kind === 'uint' && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 0xffff_ffff)) {
      return `property '${name}' takes an unsigned 32-bit number`;
    }
    if (spec.kind === 'string' && typeof value !== 'string') return `property '${name}' takes a string`;
  }
  const isOn = (name: string): boolean => {
    const v = flags.has(name) ? flags.get(name) : modelDefault(model, name);
    return v === true || typeof v === 'number' || (typeof v === 'string' && v !== '');
  };
  const passthrough = flags.get('hv-passthrough') === true;
  for (const [name, value] of flags) {
    if (value !== true) continue;
    if (passthrough && name.startsWith('hv-')) continue; // hv-passthrough turns the requirements on itself
    for (const req of findCpuFlag(name)?.requires ?? []) {
      if (!isOn(req)) return `'${name}' requires '${req}'`;
    }
  }
  return undefined;
}
