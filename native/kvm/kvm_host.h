// The host's /dev/kvm: opening it, the capabilities the kvm backend needs,
// and the system-wide answers (supported CPUID, vCPU mmap size).
#pragma once
#include <linux/kvm.h>
#include <cstdint>
#include <string>
#include <vector>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv::kvm {

// errno of the last failing call, as "name: strerror" text.
std::string errno_text(const char* what);

// What the kvm backend found on this host, probed once per process.
struct HostKvm {
  int fd = -1;                // /dev/kvm, kept open for system ioctls
  std::string unusable;       // empty when the backend can run; otherwise the reason, one line
  int run_mmap_size = 0;      // KVM_GET_VCPU_MMAP_SIZE
  uint32_t sync_regs = 0;     // KVM_CAP_SYNC_REGS mask (0 = use the register ioctls)
  bool readonly_mem = false;  // KVM_CAP_READONLY_MEM
  bool tsc_control = false;   // KVM_CAP_TSC_CONTROL: KVM_SET_TSC_KHZ scales the guest TSC
  int max_memslots = 0;       // KVM_CAP_NR_MEMSLOTS
  std::vector<kvm_cpuid_entry2> supported_cpuid;  // KVM_GET_SUPPORTED_CPUID
};

// Opens and probes /dev/kvm on first use. Never throws; check .unusable.
const HostKvm& host();

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
