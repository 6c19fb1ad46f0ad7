// CPUID intersection: a feature bit the host's KVM cannot virtualize is never
// shown to the guest, whatever the CPU model asked for; the vendor is the host's.
#include "kvm/kvm_cpuid.h"
#include "tsvisor_abi.h"

namespace tsv::kvm {

namespace {

// Which registers of a leaf are feature bitmaps (bit 0 = EAX .. bit 3 = EDX).
struct FeatureLeaf {
  uint32_t function;
  int32_t index;  // -1: any subleaf
  unsigned regs;
};
constexpr unsigned EAX = 1, EBX = 2, ECX = 4, EDX = 8;
constexpr FeatureLeaf kFeatureLeaves[] = {
    {0x00000001, -1, ECX | EDX},       // the basic feature flags
    {0x00000006, -1, EAX},             // thermal and power management
    {0x00000007, 0, EBX | ECX | EDX},  // structured extended features
    {0x00000007, 1, EAX | EDX},
    {0x0000000d, 0, EAX | EDX},        // XCR0 bits the guest may enable
    {0x0000000d, 1, EAX},              // XSAVEOPT, XSAVEC, XGETBV1, XSAVES
    {0x80000001, -1, ECX | EDX},       // extended feature flags
    {0x80000007, -1, EDX},             // invariant TSC
    {0x80000008, -1, EBX},             // extended feature flags (CLZERO, WBNOINVD, ...)
};

// Bits of leaf 1 that the machine's TypeScript devices implement, not the CPU: KVM's
// answer does not limit them (x2APIC, TSC-deadline and the xAPIC are the TypeScript
// local APIC; "hypervisor present" is the machine's statement; HTT describes the
// machine's topology, which KVM leaves to user space and never reports as supported).
constexpr uint32_t kLeaf1EcxServedByMachine = (1u << 21) | (1u << 24) | (1u << 31);
constexpr uint32_t kLeaf1EdxServedByMachine = (1u << 9) | (1u << 28);

const kvm_cpuid_entry2* find(const std::vector<kvm_cpuid_entry2>& s, uint32_t fn, uint32_t idx) {
  for (const kvm_cpuid_entry2& e : s)
    if (e.function == fn && (!(e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e.index == idx)) return &e;
  return nullptr;
}

}  // namespace

std::vector<kvm_cpuid_entry2> intersect_cpuid(const std::vector<uint32_t>& w, const std::vector<kvm_cpuid_entry2>& supported) {
  std::vector<kvm_cpuid_entry2> out;
  for (size_t k = 0; k + TSV_CPUID_ENTRY_WORDS <= w.size(); k += TSV_CPUID_ENTRY_WORDS) {
    kvm_cpuid_entry2 e{};
    e.function = w[k];
    e.index = w[k + 1];
    e.flags = (w[k + 2] & TSV_CPUID_FLAG_SIGNIFICANT_INDEX) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
    uint32_t regs[4] = {w[k + 3], w[k + 4], w[k + 5], w[k + 6]};
    bool hypervisor_leaf = e.function >= 0x40000000u && e.function < 0x50000000u;
    if (!hypervisor_leaf) {
      const kvm_cpuid_entry2* s = find(supported, e.function, e.index);
      uint32_t host[4] = {0, 0, 0, 0};
      if (s) {
        host[0] = s->eax;
        host[1] = s->ebx;
        host[2] = s->ecx;
        host[3] = s->edx;
      }
      for (const FeatureLeaf& f : kFeatureLeaves) {
        if (f.function != e.function || (f.index >= 0 && (uint32_t)f.index != e.index)) continue;
        if (e.function == 1) {
          host[2] |= kLeaf1EcxServedByMachine;
          host[3] |= kLeaf1EdxServedByMachine;
        }
        for (int r = 0; r < 4; r++)
          if (f.regs & (1u << r)) regs[r] &= host[r];
      }
      // The guest's physical-address width may not exceed the host's (reserved-bit checks
      // in the guest's page tables are the host's).
      if (e.function == 0x80000008u && s && (s->eax & 0xff) < (regs[0] & 0xff)) regs[0] = (regs[0] & ~0xffu) | (s->eax & 0xff);
      // The vendor string is the host's (leaf 0, and 0x80000000 where AMD repeats it), as
      // QEMU shows with KVM: the host CPU runs the guest's instructions, so what differs by
      // vendor (VMCALL or VMMCALL, SYSCALL and SYSENTER outside 64-bit mode) is the host's.
      if ((e.function == 0 || e.function == 0x80000000u) && s) {
        regs[1] = s->ebx;
        regs[2] = s->ecx;
        regs[3] = s->edx;
      }
    }
    e.eax = regs[0];
    e.ebx = regs[1];
    e.ecx = regs[2];
    e.edx = regs[3];
    out.push_back(e);
  }
  return out;
}

}  // namespace tsv::kvm
