// Natively handled MSRs (msr.cc) and the guest TSC.
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

enum { MSR_OK, MSR_GP, MSR_EXIT };
int msr_read(Cpu& c, uint32_t idx, uint64_t& v);
int msr_write(Cpu& c, uint32_t idx, uint64_t v);
// the virtual-clock TSC without the vCPU offset
uint64_t vm_tsc(Cpu& c);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
