// The machine's CPUID table, cut down to what the host's KVM can run.
#pragma once
#include <linux/kvm.h>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv::kvm {

// words: TSV_CPUID_ENTRY_WORDS u32 per entry (function, index, flags, eax, ebx, ecx, edx).
// Feature-flag registers are ANDed with KVM_GET_SUPPORTED_CPUID; descriptive
// registers (family, cache geometry, APIC IDs, brand) pass through; the
// hypervisor leaves 0x40000000-0x4FFFFFFF pass through because TypeScript
// implements them (their MSRs exit through the MSR filter).
std::vector<kvm_cpuid_entry2> intersect_cpuid(const std::vector<uint32_t>& words, const std::vector<kvm_cpuid_entry2>& supported);

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
