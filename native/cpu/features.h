// The CPUID feature words the backend must honour: what the CPUID table (built
// by TypeScript from the CPU model and the -cpu edits) advertises, decoded once
// when the table is set. Control-register bits, MSRs and instructions of a
// feature the table hides behave as on a CPU without it (#GP / #UD).
#pragma once
#include <cstdint>

namespace tsv {

struct CpuFeatures {
  // Until a table is set (the raw-backend tests drive a Vm without one) the checks allow what the
  // backend accepted before it had a table: every leaf 1 / 0x80000001 EDX feature, x2APIC mode and
  // IA32_TSC_ADJUST, but none of the CR4 bits of leaf 1 ECX / leaf 7 features.
  uint32_t leaf1_ecx = 1u << 21, leaf1_edx = ~0u, leaf7_ebx = 1u << 1, leaf7_ecx = 0, leaf7_edx = 0, ext1_ecx = 0, ext1_edx = ~0u;
  // CPUID.0 vendor is AuthenticAMD: the vendor-specific SYSCALL/SYSENTER rules are AMD's
  bool amd = false;

  bool tsc() const { return leaf1_edx & (1u << 4); }
  bool de() const { return leaf1_edx & (1u << 2); }
  bool pse() const { return leaf1_edx & (1u << 3); }
  bool pae() const { return leaf1_edx & (1u << 6); }
  bool mce() const { return leaf1_edx & (1u << 7); }
  bool apic() const { return leaf1_edx & (1u << 9); }
  bool sep() const { return leaf1_edx & (1u << 11); }
  bool mtrr() const { return leaf1_edx & (1u << 12); }
  bool pge() const { return leaf1_edx & (1u << 13); }
  bool pat() const { return leaf1_edx & (1u << 16); }
  bool fxsr() const { return leaf1_edx & (1u << 24); }
  bool sse() const { return leaf1_edx & (1u << 25); }
  bool pcid() const { return leaf1_ecx & (1u << 17); }
  bool x2apic() const { return leaf1_ecx & (1u << 21); }
  bool xsave() const { return leaf1_ecx & (1u << 26); }
  bool rdrand() const { return leaf1_ecx & (1u << 30); }
  bool tsc_adjust() const { return leaf7_ebx & (1u << 1); }
  bool smep() const { return leaf7_ebx & (1u << 7); }
  bool invpcid() const { return leaf7_ebx & (1u << 10); }
  bool rdseed() const { return leaf7_ebx & (1u << 18); }
  bool smap() const { return leaf7_ebx & (1u << 20); }
  bool umip() const { return leaf7_ecx & (1u << 2); }
  bool la57() const { return leaf7_ecx & (1u << 16); }
  bool arch_capabilities() const { return leaf7_edx & (1u << 29); }
  bool syscall() const { return ext1_edx & (1u << 11); }
  bool nx() const { return ext1_edx & (1u << 20); }
  bool rdtscp() const { return ext1_edx & (1u << 27); }
  bool lm() const { return ext1_edx & (1u << 29); }
};

}  // namespace tsv
