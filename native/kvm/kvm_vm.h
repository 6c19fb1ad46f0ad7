// The kvm backend's VM: one KVM VM fd, its memory slots over the host buffers
// TypeScript sees, the machine's CPUID table and the MSR filter that sends the
// machine's MSR ranges to user space.
#pragma once
#include <linux/kvm.h>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv::kvm {

// The TSC MSRs the backend serves itself (the guest TSC is the virtual clock's plus tsc_offset).
constexpr uint32_t kMsrTsc = 0x10;
constexpr uint32_t kMsrTscAdjust = 0x3b;

// A KVM call failed or the host's KVM cannot do what was asked; the message is one line.
class KvmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KvmVm {
 public:
  // Guest-physical addresses KVM needs for itself on Intel hosts (real-mode TSS and
  // the identity-map page), just below the 4 GiB BIOS area where no RAM goes.
  static constexpr uint64_t kTssAddr = 0xfffbd000ull;
  static constexpr uint64_t kIdentityMapAddr = 0xfffbc000ull;

  explicit KvmVm(uint8_t* vm_state);  // throws KvmError
  ~KvmVm();
  KvmVm(const KvmVm&) = delete;
  KvmVm& operator=(const KvmVm&) = delete;

  // Same contract as the interpreter's Vm::set_region; throws std::invalid_argument / KvmError.
  void set_region(uint32_t slot, uint64_t gpa, uint64_t size, uint8_t* host, uint32_t flags);
  void clear_regions();
  void set_cpuid(const uint32_t* words, size_t count);
  void set_msr_exit_ranges(const uint32_t* pairs, size_t count);  // throws KvmError

  int fd() const { return fd_; }
  uint8_t* state() const { return state_; }
  // The table as the machine built it (TSV_CPUID_ENTRY_WORDS u32 per entry) and its version.
  const std::vector<uint32_t>& cpuid_words() const { return cpuid_; }
  uint64_t cpuid_generation() const { return cpuid_gen_; }
  uint32_t cpuid1_eax() const;
  // The guest TSC rate in kHz: the machine's when KVM can scale, otherwise the host's.
  uint64_t guest_tsc_khz() const { return tsc_khz_; }
  void set_guest_tsc_khz(uint64_t khz) { tsc_khz_ = khz; }
  // The virtual clock's parameters in the VM state: TSC kHz, host and guest base ns (TSV_OFF_VM_*).
  using ClockParams = std::array<uint64_t, 3>;
  ClockParams clock_params() const;
  // The virtual clock's TSC now, before any vCPU's tsc_offset.
  uint64_t clock_tsc_now() const;
  // Where the guest's RDTSC reads the host TSC (HostKvm::tsc_offset_applies is false): host TSC
  // minus clock_tsc_now(), sampled once per clock re-base so that every vCPU gets the same offset.
  uint64_t host_tsc_offset();
  // The host byte behind a guest-physical address in RAM, or nullptr.
  const uint8_t* host_byte(uint64_t gpa) const;

  bool destroyed = false;

 private:
  // The filter from the machine's ranges and what the CPUID table leaves KVM to serve.
  void apply_msr_filter();  // throws KvmError
  std::vector<std::pair<uint64_t, uint64_t>> machine_msr_ranges_;
  bool mtrr_advertised_ = false;  // CPUID.1:EDX.MTRR of the table the filter was made for

  struct Slot {
    uint32_t id;       // tsvisor's slot number
    uint32_t kvm_slot;
    uint64_t gpa, size;
    uint8_t* host;
    uint32_t flags;
  };
  void kvm_set(uint32_t kvm_slot, uint64_t gpa, uint64_t size, uint8_t* host, uint32_t flags);
  uint32_t free_kvm_slot() const;

  int fd_ = -1;
  uint8_t* state_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> cpuid_;
  uint64_t cpuid_gen_ = 0;
  uint64_t tsc_khz_ = 0;
  ClockParams host_tsc_params_{~0ull, ~0ull, ~0ull};  // the clock parameters host_tsc_offset_ is for
  uint64_t host_tsc_offset_ = 0;
};

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
