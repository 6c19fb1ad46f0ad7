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

// The host's monotonic clock in ns (the clock the machine's virtual clock and the slice deadlines use).
uint64_t monotonic_ns();

// What the kvm backend found on this host, probed once per process.
struct HostKvm {
  int fd = -1;                // /dev/kvm, kept open for system ioctls
  std::string unusable;       // empty when the backend can run; otherwise the reason, one line
  int run_mmap_size = 0;      // KVM_GET_VCPU_MMAP_SIZE
  uint32_t sync_regs = 0;     // KVM_CAP_SYNC_REGS mask (0 = use the register ioctls)
  bool readonly_mem = false;  // KVM_CAP_READONLY_MEM
  bool tsc_control = false;   // KVM_CAP_TSC_CONTROL: KVM_SET_TSC_KHZ scales the guest TSC
  // Whether the guest's RDTSC follows the TSC offset KVM is given. PVM's /dev/kvm runs the guest's
  // RDTSC on the host CPU without it: there the guest TSC is the host's (kvm_vcpu.cc sync_tsc).
  bool tsc_offset_applies = true;
  // Whether KVM_EXIT_IRQ_WINDOW_OPEN comes as soon as the guest can take an interrupt. PVM's
  // instruction emulator sees events only between batches of up to pvm_emul_batch instructions,
  // so an STI; NOP; CLI window passes unseen there; the backend then single-steps to the window
  // when window_single_step says KVM_GUESTDBG_SINGLESTEP lands on it (kvm_vcpu.cc).
  bool exact_irq_window = true;
  bool window_single_step = false;
  int max_memslots = 0;       // KVM_CAP_NR_MEMSLOTS
  std::vector<kvm_cpuid_entry2> supported_cpuid;  // KVM_GET_SUPPORTED_CPUID
};

// Opens and probes /dev/kvm on first use. Never throws; check .unusable.
const HostKvm& host();

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
