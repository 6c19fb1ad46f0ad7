/**
 * The CPUID table of a vCPU, handed to the backend once (it answers CPUID
 * natively): the identity of the CPU model (lib/machine/cpu-models.ts), its
 * features after the -cpu edits, topology, XSAVE layout and the hypervisor
 * leaves. A feature bit is a promise: lib/machine/cpu-features.ts lists
 * exactly what the interpreter implements.
 */
import type { CpuidEntry } from '../hypervisor/vm.js';
import { FEATURE_BITS, FEATURES, type FeatureRegister } from './cpu-features.js';
import { cpuModelDefinition, CPU_MODEL_DEFINITIONS, TSVISOR_BRAND } from './cpu-models.js';
import { MachineConfigError } from './errors.js';
import { DEFAULT_TSC_KHZ } from './clock.js';
import { APIC_BUS_HZ } from '../devices/lapic-registers.js';

export { FEATURES, CORE_CPU_FLAGS } from './cpu-features.js';

export const CPU_BRAND = TSVISOR_BRAND;
/** Leaf 1 EDX: more than one logical processor per package (set when the machine has several vCPUs). */
export const HTT_BIT = 28;
export const PHYS_ADDRESS_BITS = 40;
/** XSAVE state components (x87, SSE) and the standard-form area size: 512-byte legacy region + 64-byte header. */
export const XCR0_SUPPORTED = 0b11;
export const XSAVE_AREA_BYTES = 576;
/** Linear-address width in 0x80000008 EAX[15:8]: 48, or 57 where LA57 (5-level paging) is advertised. */
export const LINEAR_ADDRESS_BITS = 48;
export const LINEAR_ADDRESS_BITS_LA57 = 57;
/** CLFLUSH line size, reported in 8-byte units in leaf 1 EBX[15:8]. */
export const CACHE_LINE_BYTES = 64;

/** Names accepted for MachineConfig.cpuModel (lib/machine/cpu-models.ts; base = no -cpu). */
export const CPU_MODELS: readonly string[] = CPU_MODEL_DEFINITIONS.map((m) => m.name);

export function checkCpuModel(name: string | undefined): void {
  if (name !== undefined && !CPU_MODELS.includes(name)) {
    throw new MachineConfigError(`unknown CPU model '${name}' (known: ${CPU_MODELS.join(', ')})`);
  }
}

/** Leaf 1 ECX bit 31: a hypervisor is present (set when a paravirtual interface is advertised). */
export const HYPERVISOR_BIT = 31;

/** AMD mirrors these leaf 1 EDX bits in 0x80000001 EDX (FPU..PSE36, MMX, FXSR: bits 0-9, 12-17, 23, 24). */
const AMD_EXT1_EDX_ALIASES = 0x0183_f3ff;

function bits(register: FeatureRegister, features: ReadonlySet<string>): number {
  let v = 0;
  for (const name of features) {
    const f = FEATURE_BITS.get(name);
    if (f !== undefined && f.register === register) v |= 1 << f.bit;
  }
  return v >>> 0;
}

/** The leaf 1 EAX signature: family/model above 15 go to the extended fields, as the SDM composes them. */
export function cpuSignature(family: number, model: number, stepping: number): number {
  const baseFamily = Math.min(family, 0xf);
  const extFamily = family > 0xf ? family - 0xf : 0;
  return ((stepping & 0xf) | ((model & 0xf) << 4) | (baseFamily << 8) | (((model >> 4) & 0xf) << 16) | ((extFamily & 0xff) << 20)) >>> 0;
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
  /** The CPU model (lib/machine/cpu-models.ts); undefined is 'base'. */
  model?: string;
  /** The advertised core features (CORE_CPU_FLAGS names); default: the model's own. */
  features?: ReadonlySet<string>;
  /** Hypervisor leaves 0x40000000+ (KVM from lib/paravirt, Hyper-V from lib/hyperv); non-empty sets the hypervisor bit. */
  hypervisorLeaves?: readonly CpuidEntry[];
  /** The guest TSC rate (the machine clock's), for leaves 0x15/0x16; default DEFAULT_TSC_KHZ. */
  tscKhz?: number;
  /** The core crystal clock, which feeds the local APIC timer, for leaf 0x15; default APIC_BUS_HZ. */
  crystalHz?: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Leaves 0x15 (TSC / core crystal clock ratio, crystal Hz) and 0x16 (base, maximum and bus
 * frequency in MHz), or undefined when the TSC rate is not an exact ratio of the crystal that a
 * guest can compute. Linux takes its TSC rate from them instead of calibrating against the PIT
 * (native_calibrate_tsc: crystal kHz x EBX / EAX in 32-bit arithmetic, so the product must fit),
 * and programs the local APIC timer at the crystal rate without measuring it either.
 */
export function tscFrequencyLeaves(tscKhz: number, crystalHz: number): { l15: [number, number, number]; l16: [number, number, number] } | undefined {
  if (!Number.isInteger(tscKhz) || tscKhz <= 0 || !Number.isInteger(crystalHz) || crystalHz <= 0 || crystalHz % 1000 !== 0 || crystalHz > 0xffff_ffff) return undefined;
  const crystalKhz = crystalHz / 1000;
  const g = gcd(tscKhz, crystalKhz);
  const numerator = tscKhz / g;
  const denominator = crystalKhz / g;
  if (crystalKhz * numerator > 0xffff_ffff) return undefined;
  // 0x16 holds whole MHz (16 bits each): only a rate it states exactly.
  if (tscKhz % 1000 !== 0 || tscKhz / 1000 > 0xffff || crystalHz % 1_000_000 !== 0) return undefined;
  const tscMhz = tscKhz / 1000;
  return { l15: [denominator, numerator, crystalHz], l16: [tscMhz, tscMhz, crystalHz / 1_000_000] };
}

export function buildCpuidTable(options: CpuidOptions = {}): CpuidEntry[] {
  const apicId = options.apicId ?? 0;
  const logical = options.logicalProcessors ?? 1;
  const def = cpuModelDefinition(options.model);
  const features = options.features ?? def.features;
  const hvLeaves = options.hypervisorLeaves ?? [];
  const entries: CpuidEntry[] = [];
  const feat = (reg: FeatureRegister): number => bits(reg, features);
  const leaf = (fn: number, eax: number, ebx: number, ecx: number, edx: number, index = 0, significantIndex = false): void => {
    entries.push({ function: fn, index, significantIndex, eax: eax >>> 0, ebx: ebx >>> 0, ecx: ecx >>> 0, edx: edx >>> 0 });
  };

  // Leaf 0: max basic leaf, vendor in EBX, EDX, ECX.
  // the vendor string is EBX, EDX, ECX: registers in leaf() order (EBX, ECX, EDX)
  const vendor = [asciiWord(def.vendor, 0), asciiWord(def.vendor, 8), asciiWord(def.vendor, 4)] as const;
  leaf(0, def.maxBasicLeaf, vendor[0], vendor[1], vendor[2]);
  // Leaf 1: signature, APIC ID / logical count / CLFLUSH size, features.
  const signature = cpuSignature(def.family, def.model, def.stepping);
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
  leaf(7, 0, feat('leaf7Ebx'), feat('leaf7Ecx'), feat('leaf7Edx'), 0, true);
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
  // Leaves 0xE-0x14 (reserved, resource director, SGX, processor trace): nothing to report.
  for (let fn = 0xe; fn <= Math.min(def.maxBasicLeaf, 0x14); fn++) leaf(fn, 0, 0, 0, 0);
  if (def.maxBasicLeaf >= 0x15) {
    // The TSC runs at a fixed ratio of the crystal clock that drives the local APIC timer.
    const f = tscFrequencyLeaves(options.tscKhz ?? DEFAULT_TSC_KHZ, options.crystalHz ?? APIC_BUS_HZ);
    leaf(0x15, f?.l15[0] ?? 0, f?.l15[1] ?? 0, f?.l15[2] ?? 0, 0);
    if (def.maxBasicLeaf >= 0x16) leaf(0x16, f?.l16[0] ?? 0, f?.l16[1] ?? 0, f?.l16[2] ?? 0, 0);
  }

  // Extended leaves: AMD repeats the vendor in 0x80000000 and the legacy leaf 1 EDX bits in
  // 0x80000001 EDX; Intel returns zeros there.
  const amd = def.vendor === 'AuthenticAMD';
  leaf(0x8000_0000, def.maxExtendedLeaf, amd ? vendor[0] : 0, amd ? vendor[1] : 0, amd ? vendor[2] : 0);
  leaf(0x8000_0001, 0, 0, feat('ext1Ecx'), feat('ext1Edx') | (amd ? edx1 & ~(1 << HTT_BIT) & AMD_EXT1_EDX_ALIASES : 0));
  const brand = def.brand.padEnd(48, '\0');
  for (let i = 0; i < 3; i++) {
    const at = i * 16;
    leaf(0x8000_0002 + i, asciiWord(brand, at), asciiWord(brand, at + 4), asciiWord(brand, at + 8), asciiWord(brand, at + 12));
  }
  leaf(0x8000_0005, 0, 0, 0, 0);
  leaf(0x8000_0006, 0, 0, 0, 0);
  leaf(0x8000_0007, 0, 0, 0, 0);
  const la57 = (feat('leaf7Ecx') & (1 << FEATURES.leaf7Ecx.LA57)) !== 0;
  leaf(0x8000_0008, PHYS_ADDRESS_BITS | ((la57 ? LINEAR_ADDRESS_BITS_LA57 : LINEAR_ADDRESS_BITS) << 8), 0, 0, 0);
  // qemu64's 0x80000009 (reserved) and 0x8000000A (SVM: not implemented, all zero)
  for (let fn = 0x8000_0009; fn <= def.maxExtendedLeaf; fn++) leaf(fn, 0, 0, 0, 0);
  for (const e of hvLeaves) entries.push({ ...e, eax: e.eax >>> 0, ebx: e.ebx >>> 0, ecx: e.ecx >>> 0, edx: e.edx >>> 0 });
  return entries;
}
