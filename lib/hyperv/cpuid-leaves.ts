/**
 * CPUID 0x40000000-0x4000000A as the TLFS defines them, for the enlightenments
 * that are on. Every bit here is backed by working code in lib/hyperv.
 */
import type { CpuidEntry } from '../hypervisor/vm.js';
import type { HypervFeatures } from './features.js';
import * as hv from './hyperv-proto.js';

/** Highest Hyper-V leaf (0x4000000A, nested features: reported, all zero). */
export const HYPERV_MAX_LEAF = hv.HYPERV_CPUID_NESTED_FEATURES;

function asciiWord(s: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (s.charCodeAt(at + i) || 0) << (i * 8);
  return v >>> 0;
}

export interface HypervCpuidOptions {
  /** vCPUs in the machine (0x40000005 limits). */
  vcpus: number;
}

export function hypervCpuidLeaves(f: HypervFeatures, opts: HypervCpuidOptions): CpuidEntry[] {
  const on = (name: string): boolean => f.on.has(name);
  const entries: CpuidEntry[] = [];
  const leaf = (fn: number, eax: number, ebx = 0, ecx = 0, edx = 0): void => {
    entries.push({ function: fn, index: 0, significantIndex: false, eax: eax >>> 0, ebx: ebx >>> 0, ecx: ecx >>> 0, edx: edx >>> 0 });
  };

  const vendor = f.vendorId;
  leaf(hv.HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS, HYPERV_MAX_LEAF, asciiWord(vendor, 0), asciiWord(vendor, 4), asciiWord(vendor, 8));
  leaf(hv.HYPERV_CPUID_INTERFACE, hv.HYPERV_INTERFACE_SIGNATURE);
  leaf(hv.HYPERV_CPUID_VERSION, hv.HV_VERSION_BUILD, (hv.HV_VERSION_MAJOR << 16) | hv.HV_VERSION_MINOR);

  // GUEST_OS_ID and HYPERCALL exist whenever Hyper-V is on.
  let privileges = hv.HV_MSR_HYPERCALL_AVAILABLE;
  let misc = 0;
  if (on('hv-runtime')) privileges |= hv.HV_MSR_VP_RUNTIME_AVAILABLE;
  if (on('hv-time')) privileges |= hv.HV_MSR_TIME_REF_COUNT_AVAILABLE | hv.HV_MSR_REFERENCE_TSC_AVAILABLE;
  if (on('hv-vpindex')) privileges |= hv.HV_MSR_VP_INDEX_AVAILABLE;
  if (on('hv-reset')) privileges |= hv.HV_MSR_RESET_AVAILABLE;
  if (on('hv-frequencies')) {
    privileges |= hv.HV_ACCESS_FREQUENCY_MSRS;
    misc |= hv.HV_FEATURE_FREQUENCY_MSRS_AVAILABLE;
  }
  if (on('hv-reenlightenment')) privileges |= hv.HV_ACCESS_REENLIGHTENMENT;
  if (on('hv-crash')) misc |= hv.HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE;
  if (on('hv-stimer')) privileges |= hv.HV_MSR_SYNTIMER_AVAILABLE;
  if (on('hv-vapic')) privileges |= hv.HV_MSR_APIC_ACCESS_AVAILABLE;
  if (on('hv-stimer-direct')) misc |= hv.HV_STIMER_DIRECT_MODE_AVAILABLE;
  let privilegesHigh = 0;
  if (on('hv-synic')) {
    privileges |= hv.HV_MSR_SYNIC_AVAILABLE;
    privilegesHigh |= hv.HV_POST_MESSAGES | hv.HV_SIGNAL_EVENTS;
  }
  leaf(hv.HYPERV_CPUID_FEATURES, privileges, privilegesHigh, 0, misc);

  let hints = 0;
  if (on('hv-relaxed')) hints |= hv.HV_X64_RELAXED_TIMING_RECOMMENDED;
  if (on('hv-vapic')) hints |= hv.HV_X64_APIC_ACCESS_RECOMMENDED;
  if (on('hv-tlbflush')) hints |= hv.HV_X64_LOCAL_TLB_FLUSH_RECOMMENDED | hv.HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED;
  if (on('hv-ipi')) hints |= hv.HV_X64_CLUSTER_IPI_RECOMMENDED;
  // The Ex forms (HV_VP_SET) of both work.
  if (on('hv-tlbflush') || on('hv-ipi')) hints |= hv.HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED;
  leaf(hv.HYPERV_CPUID_ENLIGHTMENT_INFO, hints, f.spinlockRetries);

  // Limits: the machine's vCPU count for both virtual and logical processors; no interrupt remapping vectors.
  leaf(hv.HYPERV_CPUID_IMPLEMENT_LIMITS, opts.vcpus, opts.vcpus, 0);
  // Hardware features used by the hypervisor: none (software CPU).
  leaf(hv.HYPERV_CPUID_HARDWARE_FEATURES, 0);
  for (let fn = hv.HYPERV_CPUID_HARDWARE_FEATURES + 1; fn <= HYPERV_MAX_LEAF; fn++) leaf(fn, 0);
  return entries;
}
