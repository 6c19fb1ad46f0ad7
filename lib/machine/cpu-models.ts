/**
 * The CPU models of -cpu / MachineConfig.cpuModel: identity (vendor,
 * family/model/stepping, brand string, highest basic and extended leaf) and
 * the CPUID features each advertises by default.
 *
 * qemu64 and kvm64 follow QEMU's definitions of those models, limited to what
 * the interpreter implements (a feature bit is a promise): QEMU's qemu64 also
 * lists SVM and MCA, kvm64 VME and MCA; tsvisor
 * implements none of them, so they stay clear, as QEMU's TCG drops the
 * features it lacks. `max`/`host` have every implemented feature. `base` (no
 * -cpu) is tsvisor's own default and keeps the feature set it always had.
 */
import { FEATURE_BITS, featureFlagName, type FeatureKey } from './cpu-features.js';

export interface CpuModelDefinition {
  readonly name: string;
  readonly vendor: 'GenuineIntel' | 'AuthenticAMD';
  /** The display family/model (the leaf 1 signature carries the extended fields when they exceed 15). */
  readonly family: number;
  readonly model: number;
  readonly stepping: number;
  /** CPUID 0x80000002-4 (up to 47 characters). */
  readonly brand: string;
  readonly maxBasicLeaf: number;
  readonly maxExtendedLeaf: number;
  /** Advertised features, as -cpu flag names (FEATURE_BITS keys). */
  readonly features: ReadonlySet<string>;
}

const names = (keys: readonly FeatureKey[]): ReadonlySet<string> => new Set(keys.map(featureFlagName));

/** The Pentium Pro-era leaf 1 EDX set QEMU's 64-bit models start from. */
const PPRO: readonly FeatureKey[] = ['FPU', 'DE', 'PSE', 'TSC', 'MSR', 'MCE', 'CX8', 'PGE', 'CMOV', 'PAT', 'FXSR', 'MMX', 'SSE', 'SSE2', 'PAE', 'SEP', 'APIC'];
/** What qemu64 and kvm64 add to it (QEMU also lists MCA, and VME for kvm64: not implemented). */
const GENERIC_64: readonly FeatureKey[] = [...PPRO, 'MTRR', 'CLFSH', 'PSE36', 'SSE3', 'CX16', 'LM', 'SYSCALL', 'NX'];

/**
 * tsvisor's default core: every feature the interpreter had before the model table existed, and
 * DE (CR4.DE, I/O breakpoints: docs/debug-registers.md), which it always accepted.
 */
const BASE_FEATURES: readonly FeatureKey[] = [
  'FPU', 'DE', 'PSE', 'TSC', 'MSR', 'PAE', 'CX8', 'APIC', 'SEP', 'PGE', 'CMOV', 'PAT', 'CLFSH', 'MMX', 'FXSR', 'SSE', 'SSE2',
  'SSE3', 'PCLMULQDQ', 'SSSE3', 'CX16', 'PCID', 'SSE4_1', 'SSE4_2', 'X2APIC', 'MOVBE', 'POPCNT', 'TSC_DEADLINE', 'AES', 'XSAVE',
  'TSC_ADJUST', 'BMI1', 'SMEP', 'BMI2', 'INVPCID', 'ADX', 'SMAP', 'CLFLUSHOPT', 'CLWB', 'UMIP',
  'SYSCALL', 'NX', 'PDPE1GB', 'RDTSCP', 'LM', 'LAHF_LM', 'ABM',
  // An interpreter does not speculate: IA32_ARCH_CAPABILITIES says so, and Linux then skips the
  // Meltdown/MDS/L1TF work-arounds (page-table isolation costs a TLB flush on every kernel entry).
  'ARCH_CAPABILITIES',
];

/** The QEMU hardware version qemu64's brand string names (QEMU keeps it at 2.5+ for compatibility). */
export const QEMU_HW_VERSION = '2.5+';
export const TSVISOR_BRAND = 'tsvisor virtual CPU';

const TSVISOR_IDENTITY = {
  vendor: 'GenuineIntel',
  family: 6,
  model: 15,
  stepping: 1,
  brand: TSVISOR_BRAND,
  // up to leaf 0x16: the TSC and crystal clock frequencies (lib/machine/cpuid.ts tscFrequencyLeaves)
  maxBasicLeaf: 0x16,
  maxExtendedLeaf: 0x8000_0008,
} as const;

export const CPU_MODEL_DEFINITIONS: readonly CpuModelDefinition[] = [
  { name: 'base', ...TSVISOR_IDENTITY, features: names(BASE_FEATURES) },
  {
    name: 'qemu64',
    vendor: 'AuthenticAMD',
    family: 15,
    model: 107,
    stepping: 1,
    brand: `QEMU Virtual CPU version ${QEMU_HW_VERSION}`,
    maxBasicLeaf: 0xd,
    maxExtendedLeaf: 0x8000_000a,
    features: names([...GENERIC_64, 'LAHF_LM']),
  },
  {
    name: 'kvm64',
    vendor: 'GenuineIntel',
    family: 15,
    model: 6,
    stepping: 1,
    brand: 'Common KVM processor',
    maxBasicLeaf: 0xd,
    maxExtendedLeaf: 0x8000_0008,
    features: names(GENERIC_64),
  },
  { name: 'max', ...TSVISOR_IDENTITY, features: new Set(FEATURE_BITS.keys()) },
  { name: 'host', ...TSVISOR_IDENTITY, features: new Set(FEATURE_BITS.keys()) },
];

export function cpuModelDefinition(name: string | undefined): CpuModelDefinition {
  const def = CPU_MODEL_DEFINITIONS.find((m) => m.name === (name ?? 'base'));
  if (def === undefined) throw new Error(`no CPU model '${name}'`); // names are validated before (checkCpuModel)
  return def;
}

/**
 * The features a model advertises after the user's -cpu edits: the model's set,
 * plus the implemented features turned on, minus those turned off.
 */
export function effectiveCoreFeatures(model: string | undefined, flags: ReadonlyMap<string, unknown>): Set<string> {
  const out = new Set(cpuModelDefinition(model).features);
  for (const [name, value] of flags) {
    if (!FEATURE_BITS.has(name)) continue;
    if (value === true) out.add(name);
    else if (value === false) out.delete(name);
  }
  return out;
}
