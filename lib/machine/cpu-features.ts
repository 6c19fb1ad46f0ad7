/**
 * The CPU core's CPUID feature bits: FEATURES lists exactly what the
 * interpreter implements (the `max`/`host` models); the other models
 * (lib/machine/cpu-models.ts) advertise subsets of it. A feature bit is a
 * promise: edit FEATURES only when the CPU gains a feature.
 *
 * Each feature answers to a -cpu flag with QEMU's name (lower case, dashes:
 * `sse4-1`, `lahf-lm`, `tsc-deadline`; QEMU's spellings `sse4.1`/`sse4_1`
 * read the same), so `-cpu qemu64,+popcnt` and `-cpu max,-x2apic` edit it.
 */
import type { CpuFlagSpec } from './cpu-flags.js';

/** Every implemented feature, by leaf/register/bit. */
export const FEATURES = {
  leaf1Edx: { FPU: 0, DE: 2, PSE: 3, TSC: 4, MSR: 5, PAE: 6, MCE: 7, CX8: 8, APIC: 9, SEP: 11, MTRR: 12, PGE: 13, CMOV: 15, PAT: 16, PSE36: 17, CLFSH: 19, MMX: 23, FXSR: 24, SSE: 25, SSE2: 26 },
  leaf1Ecx: { SSE3: 0, PCLMULQDQ: 1, SSSE3: 9, CX16: 13, PCID: 17, SSE4_1: 19, SSE4_2: 20, X2APIC: 21, MOVBE: 22, POPCNT: 23, TSC_DEADLINE: 24, AES: 25, XSAVE: 26, RDRAND: 30 },
  leaf7Ebx: { TSC_ADJUST: 1, BMI1: 3, SMEP: 7, BMI2: 8, INVPCID: 10, RDSEED: 18, ADX: 19, SMAP: 20, CLFLUSHOPT: 23, CLWB: 24 },
  leaf7Ecx: { UMIP: 2, LA57: 16 },
  leaf7Edx: { ARCH_CAPABILITIES: 29 },
  ext1Edx: { SYSCALL: 11, NX: 20, PDPE1GB: 26, RDTSCP: 27, LM: 29 },
  ext1Ecx: { LAHF_LM: 0, ABM: 5 },
} as const;

export type FeatureRegister = keyof typeof FEATURES;
/** A FEATURES key ('SSE4_1', 'LAHF_LM'...). */
export type FeatureKey = { [R in FeatureRegister]: keyof (typeof FEATURES)[R] }[FeatureRegister];

/** QEMU's -cpu name of a FEATURES entry: lower case with dashes; CLFSH is QEMU's 'clflush'. */
export function featureFlagName(key: string): string {
  return key === 'CLFSH' ? 'clflush' : key.toLowerCase().replace(/_/g, '-');
}

/** Every implemented feature's flag name, with where its bit lives. */
export const FEATURE_BITS: ReadonlyMap<string, { register: FeatureRegister; bit: number; key: string }> = new Map(
  (Object.entries(FEATURES) as Array<[FeatureRegister, Record<string, number>]>).flatMap(([register, table]) =>
    Object.entries(table).map(([key, bit]) => [featureFlagName(key), { register, bit, key }] as const),
  ),
);

/** Every core CPU feature as a -cpu flag (+flag adds its CPUID bit to the model, -flag removes it). */
export const CORE_CPU_FLAGS: CpuFlagSpec[] = [...FEATURE_BITS.values()].map(({ key }) => ({
  name: featureFlagName(key),
  kind: 'bool' as const,
  description: `CPU: ${key} (CPUID)`,
}));

/** QEMU's other spellings of implemented features (x86 feature-name aliases) -> our name. */
export const CORE_FLAG_ALIASES: ReadonlyMap<string, string> = new Map([
  ['pni', 'sse3'],
  ['i64', 'lm'],
  ['xd', 'nx'],
]);

/**
 * x86 feature names QEMU knows that the interpreter does not implement: asking
 * for one is "property 'avx' is not implemented by tsvisor"; turning one off
 * is accepted (no model has it). Names QEMU does not know are "not found".
 */
export const CORE_UNIMPLEMENTED_FLAGS: readonly string[] = [
  // leaf 1 EDX
  'vme', 'mca', 'pn', 'ds', 'acpi', 'ss', 'ht', 'tm', 'pbe',
  // leaf 1 ECX
  'dtes64', 'monitor', 'ds-cpl', 'vmx', 'smx', 'est', 'tm2', 'cid', 'fma', 'xtpr', 'pdcm', 'dca', 'avx', 'f16c',
  'hypervisor',
  // leaf 7
  'fsgsbase', 'sgx', 'hle', 'avx2', 'erms', 'rtm', 'mpx', 'avx512f', 'avx512dq',
  'avx512ifma', 'pcommit', 'intel-pt', 'avx512pf', 'avx512er', 'avx512cd', 'sha-ni', 'avx512bw', 'avx512vl',
  'avx512vbmi', 'pku', 'ospke', 'waitpkg', 'avx512vbmi2', 'gfni', 'vaes', 'vpclmulqdq', 'avx512vnni',
  'avx512bitalg', 'avx512-vpopcntdq', 'rdpid', 'cldemote', 'movdiri', 'movdir64b', 'fsrm', 'md-clear',
  'spec-ctrl', 'stibp', 'ssbd', 'serialize', 'tsx-ldtrk', 'amx-bf16', 'amx-tile', 'amx-int8',
  'avx-vnni', 'avx512-bf16', 'fzrm', 'fsrs', 'fsrc', 'xsaveopt', 'xsavec', 'xgetbv1', 'xsaves', 'xfd',
  // 0x80000001 / AMD
  'mmxext', 'fxsr-opt', 'ffxsr', '3dnowext', '3dnow', 'svm', 'cmp-legacy', 'extapic', 'cr8legacy', 'sse4a',
  'misalignsse', '3dnowprefetch', 'osvw', 'ibs', 'xop', 'skinit', 'wdt', 'lwp', 'fma4', 'tce', 'nodeid-msr', 'tbm',
  'topoext', 'perfctr-core', 'perfctr-nb', 'invtsc', 'clzero', 'xsaveerptr', 'wbnoinvd', 'ibpb', 'ibrs', 'amd-ssbd',
  'virt-ssbd', 'amd-no-ssb', 'npt', 'nrip-save', 'lbrv', 'svm-lock', 'tsc-scale', 'vmcb-clean', 'flushbyasid',
  'decodeassists', 'pause-filter', 'pfthreshold', 'avic', 'v-vmsave-vmload', 'vgif',
  'pmu', 'arat',
];
