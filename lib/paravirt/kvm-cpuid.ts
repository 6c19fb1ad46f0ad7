/**
 * The KVM CPUID leaves: base (0x40000000, or 0x40000100 beside Hyper-V's
 * leaves) = max leaf and "KVMKVMKVM\0\0\0" in EBX, ECX, EDX; base+1 =
 * feature bits in EAX, hints (none) in EDX.
 */
import type { CpuidEntry } from '../hypervisor/vm.js';
import { KVM_CPUID_BASE, KVM_CPUID_BASE_WITH_HYPERV, KVM_SIGNATURE, kvmFeatureBits } from './kvm-features.js';

function asciiWord(s: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (s.charCodeAt(at + i) || 0) << (i * 8);
  return v >>> 0;
}

/** The KVM leaves for these effective flags; empty when the KVM interface is off. */
export function kvmCpuidLeaves(flags: ReadonlySet<string>, besideHyperv: boolean): CpuidEntry[] {
  if (!flags.has('kvm')) return [];
  const base = besideHyperv ? KVM_CPUID_BASE_WITH_HYPERV : KVM_CPUID_BASE;
  const entry = (fn: number, eax: number, ebx: number, ecx: number, edx: number): CpuidEntry => ({
    function: fn,
    index: 0,
    significantIndex: false,
    eax: eax >>> 0,
    ebx: ebx >>> 0,
    ecx: ecx >>> 0,
    edx: edx >>> 0,
  });
  return [
    entry(base, base + 1, asciiWord(KVM_SIGNATURE, 0), asciiWord(KVM_SIGNATURE, 4), asciiWord(KVM_SIGNATURE, 8)),
    entry(base + 1, kvmFeatureBits(flags), 0, 0, 0),
  ];
}
