/**
 * The CPUID table of tsvisor's base CPU model, handed to the backend once
 * (it answers CPUID natively). Vendor: GenuineIntel, because the VMX family
 * (and Hyper-V's enlightened VMCS) is the virtualization extension the
 * project plans to expose later.
 *
 * A feature bit is a promise: FEATURES below lists exactly what the
 * interpreter implements. Edit only that table when the CPU gains features.
 */
import type { CpuidEntry } from '../hypervisor/vm.js';
import type { CpuFlagSpec } from './cpu-flags.js';
import { MachineConfigError } from './errors.js';

/** Every advertised feature, by leaf/register/bit. The one place to edit. */
export const FEATURES = {
  leaf1Edx: { FPU: 0, PSE: 3, TSC: 4, MSR: 5, PAE: 6, CX8: 8, APIC: 9, SEP: 11, PGE: 13, CMOV: 15, PAT: 16, CLFSH: 19, MMX: 23, FXSR: 24, SSE: 25, SSE2: 26 },
  leaf1Ecx: { SSE3: 0, PCLMULQDQ: 1, SSSE3: 9, CX16: 13, PCID: 17, SSE4_1: 19, SSE4_2: 20, X2APIC: 21, MOVBE: 22, POPCNT: 23, TSC_DEADLINE: 24, AES: 25, XSAVE: 26 },
  leaf7Ebx: { TSC_ADJUST: 1, BMI1: 3, SMEP: 7, BMI2: 8, INVPCID: 10, ADX: 19, SMAP: 20, CLFLUSHOPT: 23, CLWB: 24 },
  leaf7Ecx: { UMIP: 2 },
  ext1Edx: { SYSCALL: 11, NX: 20, PDPE1GB: 26, RDTSCP: 27, LM: 29 },
  ext1Ecx: { LAHF_LM: 0, ABM: 5 },
} as const;

export const CPU_VENDOR = 'GenuineIntel';
export const CPU_BRAND = 'tsvisor virtual CPU';
/** Family 6, model 15, stepping 1 (a generic 64-bit Intel-style signature). */
export const CPU_FAMILY = 6;
export const CPU_MODEL = 15;
export const CPU_STEPPING = 1;
export const MAX_BASIC_LEAF = 0xd;
/** Leaf 1 EDX: more than one logical processor per package (set when the machine has several vCPUs). */
export const HTT_BIT = 28;
export const MAX_EXTENDED_LEAF = 0x8000_0008;
export const PHYS_ADDRESS_BITS = 40;
/** XSAVE state components (x87, SSE) and the standard-form area size: 512-byte legacy region + 64-byte header. */
export const XCR0_SUPPORTED = 0b11;
export const XSAVE_AREA_BYTES = 576;
export const LINEAR_ADDRESS_BITS = 48;
/** CLFLUSH line size, reported in 8-byte units in leaf 1 EBX[15:8]. */
export const CACHE_LINE_BYTES = 64;

/**
 * Names accepted for MachineConfig.cpuModel. Every model has the same CPU core
 * features today (everything the interpreter implements: 'host' and 'max'
 * cannot offer more); they differ in the paravirtual interfaces: 'base' (no
 * -cpu) has none, qemu64/kvm64 have QEMU's KVM defaults, host/max every KVM
 * feature tsvisor implements (lib/paravirt/kvm-features.ts).
 */
export const CPU_MODELS = ['base', 'qemu64', 'kvm64', 'max', 'host'] as const;

export function checkCpuModel(name: string | undefined): void {
  if (name !== undefined && !(CPU_MODELS as readonly string[]).includes(name)) {
    throw new MachineConfigError(`unknown CPU model '${name}' (known: ${CPU_MODELS.join(', ')})`);
  }
}

/** Leaf 1 ECX bit 31: a hypervisor is present (set when a paravirtual interface is advertised). */
export const HYPERVISOR_BIT = 31;

type FeatureRegister = keyof typeof FEATURES;

/** QEMU's -cpu name of a FEATURES entry: lower case with dashes; CLFSH is QEMU's 'clflush'. */
function featureFlagName(key: string): string {
  return key === 'CLFSH' ? 'clflush' : key.toLowerCase().replace(/_/g, '-');
}

/** Every core CPU feature as a -cpu flag (-flag removes its CPUID bit). */
export const CORE_CPU_FLAGS: CpuFlagSpec[] = Object.values(FEATURES).flatMap((table) =>
  Object.keys(table).map((key) => ({ name: featureFlagName(key), kind: 'bool' as const, description: `CPU: ${key} (CPUID)` })),
);

function bits(table: Record<string, number>, removed?: ReadonlySet<string>): number {
  let v = 0;
  for (const [key, bit] of Object.entries(table)) if (removed === undefined || !removed.has(featureFlagName(key))) v |= 1 << bit;
  return v >>> 0;
}

/** 4 ASCII bytes as the little-endian register value CPUID returns them in. */
function asciiWord(s: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (s.charCodeAt(at + i) || 0) << (i * 8);
  return v >>> 0;
}

export interface CpuidOptions {
  apicId?: number;
  logicalProcessors?: number;
  /** Core feature flags turned off with -cpu (CORE_CPU_FLAGS names). */
  removedFeatures?: ReadonlySet<string>;
  /** Hypervisor leaves 0x40000000+ (KVM from lib/paravirt, Hyper-V from lib/hyperv); non-empty sets the hypervisor bit. */
  hypervisorLeaves?: readonly CpuidEntry[];
}

export function buildCpuidTable(options: CpuidOptions = {}): CpuidEntry[] {
  const apicId = options.apicId ?? 0;
  const logical = options.logicalProcessors ?? 1;
  const removed = options.removedFeatures;
  const hvLeaves = options.hypervisorLeaves ?? [];
  const entries: CpuidEntry[] = [];
  const feat = (reg: FeatureRegister): number => bits(FEATURES[reg], removed);
  const leaf = (fn: number, eax: number, ebx: number, ecx: number, edx: number, index = 0, significantIndex = false): void => {
    entries.push({ function: fn, index, significantIndex, eax: eax >>> 0, ebx: ebx >>> 0, ecx: ecx >>> 0, edx: edx >>> 0 });
  };

  // Leaf 0: max basic leaf, vendor in EBX, EDX, ECX.
  leaf(0, MAX_BASIC_LEAF, asciiWord(CPU_VENDOR, 0), asciiWord(CPU_VENDOR, 8), asciiWord(CPU_VENDOR, 4));
  // Leaf 1: signature, APIC ID / logical count / CLFLUSH size, features.
  const signature = (CPU_STEPPING & 0xf) | ((CPU_MODEL & 0xf) << 4) | ((CPU_FAMILY & 0xf) << 8);
  const ebx1 = ((CACHE_LINE_BYTES / 8) << 8) | ((logical & 0xff) << 16) | ((apicId & 0xff) << 24);
  const edx1 = feat('leaf1Edx') | (logical > 1 ? 1 << HTT_BIT : 0);
  leaf(1, signature, ebx1, feat('leaf1Ecx') | (hvLeaves.length > 0 ? 1 << HYPERVISOR_BIT : 0), edx1);
  // Leaf 2: one iteration, no cache/TLB descriptors. Leaves 3-6: nothing to report.
  leaf(2, 0x0000_0001, 0, 0, 0);
  leaf(3, 0, 0, 0, 0);
  leaf(4, 0, 0, 0, 0, 0, true); // cache type 0 = no more caches
  leaf(5, 0, 0, 0, 0);
  leaf(6, 0, 0, 0, 0);
  // Leaf 7 subleaf 0: structured extended features, max subleaf 0.
  leaf(7, 0, feat('leaf7Ebx'), feat('leaf7Ecx'), 0, 0, true);
  // Leaves 8-0xA: reserved, no direct cache access, no architectural performance monitoring.
  leaf(8, 0, 0, 0, 0);
  leaf(9, 0, 0, 0, 0);
  leaf(0xa, 0, 0, 0, 0);
  // Leaf 0xB, x2APIC topology: one thread per core, `logical` cores in one package; EDX = x2APIC ID.
  const coreShift = logical > 1 ? 32 - Math.clz32(logical - 1) : 0;
  leaf(0xb, 0, 1, (1 << 8) | 0, apicId, 0, true);
  leaf(0xb, coreShift, logical, (2 << 8) | 1, apicId, 1, true);
  leaf(0xb, 0, 0, 2, apicId, 2, true);
  leaf(0xc, 0, 0, 0, 0);
  // Leaf 0xD, XSAVE: components x87 and SSE (XCR0 bits 0-1), standard-form area of
  // XSAVE_AREA_BYTES; subleaf 1 offers XSAVEOPT only (no XSAVEC/XSAVES/XGETBV ECX=1).
  const xsave = (feat('leaf1Ecx') & (1 << FEATURES.leaf1Ecx.XSAVE)) !== 0;
  leaf(0xd, xsave ? XCR0_SUPPORTED : 0, xsave ? XSAVE_AREA_BYTES : 0, xsave ? XSAVE_AREA_BYTES : 0, 0, 0, true);
  leaf(0xd, xsave ? 1 : 0, 0, 0, 0, 1, true);

  // Extended leaves: Intel returns zero vendor registers in 0x80000000.
  leaf(0x8000_0000, MAX_EXTENDED_LEAF, 0, 0, 0);
  leaf(0x8000_0001, 0, 0, feat('ext1Ecx'), feat('ext1Edx'));
  const brand = CPU_BRAND.padEnd(48, '\0');
  for (let i = 0; i < 3; i++) {
    const at = i * 16;
    leaf(0x8000_0002 + i, asciiWord(brand, at), asciiWord(brand, at + 4), asciiWord(brand, at + 8), asciiWord(brand, at + 12));
  }
  leaf(0x8000_0005, 0, 0, 0, 0);
  leaf(0x8000_0006, 0, 0, 0, 0);
  leaf(0x8000_0007, 0, 0, 0, 0);
  leaf(0x8000_0008, PHYS_ADDRESS_BITS | (LINEAR_ADDRESS_BITS << 8), 0, 0, 0);
  for (const e of hvLeaves) entries.push({ ...e, eax: e.eax >>> 0, ebx: e.ebx >>> 0, ecx: e.ecx >>> 0, edx: e.edx >>> 0 });
  return entries;
}
