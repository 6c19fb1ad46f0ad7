/**
 * The union of every -cpu flag list (CpuFlagSpec): the CPU core's CPUID
 * features (lib/machine/cpuid.ts), KVM's paravirtual features (here) and the
 * Hyper-V enlightenments (lib/hyperv/flags.ts). Both the command-line parser
 * and MachineConfig validation check against it, so the two cannot disagree.
 */
import type { CpuFlagSpec, CpuFlagValue } from '../machine/cpu-flags.js';
import { CORE_CPU_FLAGS, CORE_FLAG_ALIASES, CORE_UNIMPLEMENTED_FLAGS } from '../machine/cpu-features.js';
import { cpuModelDefinition } from '../machine/cpu-models.js';
import { HYPERV_FLAGS, HYPERV_UNIMPLEMENTED_FLAGS } from '../hyperv/flags.js';
import { KVM_FLAGS, KVM_UNIMPLEMENTED_FLAGS, kvmModelDefaults } from './kvm-features.js';

export const ALL_CPU_FLAGS: readonly CpuFlagSpec[] = [...CORE_CPU_FLAGS, ...KVM_FLAGS, ...HYPERV_FLAGS];

const BY_NAME = new Map(ALL_CPU_FLAGS.map((f) => [f.name, f]));

export function findCpuFlag(name: string): CpuFlagSpec | undefined {
  return BY_NAME.get(name);
}

/** QEMU's alternative spelling of a core feature (pni = sse3) -> tsvisor's name; other names unchanged. */
export function canonicalCpuFlagName(name: string): string {
  return CORE_FLAG_ALIASES.get(name) ?? name;
}

/** A QEMU -cpu feature name (KVM, Hyper-V or x86 CPUID) that tsvisor does not implement. */
export function isUnimplementedCpuFlag(name: string): boolean {
  return KVM_UNIMPLEMENTED_FLAGS.includes(name) || CORE_UNIMPLEMENTED_FLAGS.includes(name) || HYPERV_UNIMPLEMENTED_FLAGS.has(name);
}

/** The one-line problem of a flag name nobody lists: QEMU's "not found", or tsvisor's "not implemented" and why. */
export function unknownCpuFlagProblem(name: string): string {
  if (!isUnimplementedCpuFlag(name)) return `property '${name}' not found`;
  const why = HYPERV_UNIMPLEMENTED_FLAGS.get(name);
  return `property '${name}' is not implemented by tsvisor` + (why === undefined ? '' : `: ${why}`);
}

const CORE_NAMES = new Set(CORE_CPU_FLAGS.map((f) => f.name));

/** A flag's value for this model when the user did not set it. */
export function modelDefault(model: string | undefined, name: string): CpuFlagValue | undefined {
  if (CORE_NAMES.has(name)) return cpuModelDefinition(model).features.has(name);
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
      return unknownCpuFlagProblem(name);
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
