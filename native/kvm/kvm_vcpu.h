// A kvm backend vCPU: the KVM vCPU fd, its mmap'd kvm_run, and the shared
// buffer of tsvisor_abi.h kept in step with KVM's register state.
#pragma once
#include <linux/kvm.h>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "kvm/kvm_kick.h"
#include "kvm/kvm_progress.h"
#include "kvm/kvm_vm.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv::kvm {

// OUT imm8 to this port (with AL) is tsvisor's hypercall trap on KVM, which keeps
// VMCALL in the kernel. KVM moves RIP past an OUT to 0x7e before it exits, on every
// kernel version, so the exit looks exactly like the interpreter's VMCALL exit.
constexpr uint16_t kHypercallPort = 0x7e;
constexpr uint32_t kHypercallInsnLength = 2;  // E6 7E

class KvmVcpu {
 public:
  KvmVcpu(std::shared_ptr<KvmVm> vm, int id, uint8_t* buf);  // throws KvmError
  ~KvmVcpu();
  KvmVcpu(const KvmVcpu&) = delete;
  KvmVcpu& operator=(const KvmVcpu&) = delete;

  // Runs until an exit TypeScript must see; returns the TSV_EXIT_* reason.
  int run();
  // INIT state into the buffer (and KVM's FPU); pushed to KVM on the next run.
  void reset();
  // Guest-linear to guest-physical (KVM_TRANSLATE); -1 when not mapped or when the
  // access (write, user) would fault.
  int64_t translate(uint64_t linear, bool write, bool user);

 private:
  enum class Pending { None, IoIn, MmioRead, Msr };

  int finish_exit(int reason);
  int internal_error(uint32_t suberror, const std::string& text);
  bool complete_previous_exit(std::string& error);
  bool apply_cpuid(std::string& error);
  bool push_state(std::string& error);
  bool fetch_state(bool cold, std::string& error);
  bool sync_tsc(std::string& error);
  // KVM_VCPU_TSC_OFFSET: guest TSC = host TSC + offset.
  bool set_kvm_tsc_offset(uint64_t offset, std::string& error);
  bool inject_events(std::string& error);
  int translate_exit();
  bool complete_in_kvm(const char* what, std::string& error);
  bool serve_tsc_msr();
  bool set_window_stepping(bool on, std::string& error);
  // The instruction at RIP is HLT, or that cannot be told (then it is not single-stepped).
  bool next_instruction_is_hlt();
  uint64_t virtual_tsc_now() const;

  std::shared_ptr<KvmVm> vm_;
  int id_;
  uint8_t* buf_;
  int fd_ = -1;
  kvm_run* run_ = nullptr;
  size_t run_size_ = 0;
  DeadlineKick kick_;
  SliceProgress progress_;
  // The last run() returned an exit that ends the machine's slice (SLICE_END, HLT, ...).
  bool slice_ended_ = true;
  Pending pending_ = Pending::None;
  // The buffer contents as last written from (or to) KVM: a difference means TypeScript changed it.
  std::vector<uint8_t> shadow_;
  kvm_sregs sregs_{};       // last sregs read from KVM (fields the buffer lacks)
  bool ran_ = false;        // KVM_RUN has been called (CPUID is then frozen on newer kernels)
  uint64_t cpuid_gen_ = 0;  // version of the VM table this vCPU has
  std::vector<kvm_cpuid_entry2> cpuid_applied_;
  bool internal_irq_window_ = false;  // we asked KVM for a window to inject pending_irq
  // Single-stepping to an interrupt window where KVM reports windows late (HostKvm::exact_irq_window):
  // whether KVM_GUESTDBG_SINGLESTEP is on, and how many more steps this run() may take.
  bool window_stepping_ = false;
  int window_steps_left_ = 0;
  // Clock parameters the guest TSC was last set from (re-set when the machine's clock re-bases).
  uint64_t tsc_params_[4] = {~0ull, ~0ull, ~0ull, ~0ull};
  // KVM_VCPU_TSC_OFFSET is settable (Linux 5.16+): the guest TSC is set as an offset to the host's.
  bool tsc_offset_attr_ = false;
  // IA32_TSC_ADJUST as the guest last wrote it (the backend serves it: kvm_vm.cc's filter).
  uint64_t tsc_adjust_ = 0;
};

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
