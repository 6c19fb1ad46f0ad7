// Probing /dev/kvm: the backend needs API version 12, a VM it can create,
// immediate_exit (slice deadlines), user-space MSR exits with an MSR filter
// (the machine's MSRs live in TypeScript) and the supported-CPUID list.
// Anything missing makes the backend unusable with a one-line reason.
#include "kvm/kvm_host.h"
#include "kvm/kvm_flex_ioctls.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

namespace tsv::kvm {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

uint64_t monotonic_ns() {
  return (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

bool fetch_supported_cpuid(HostKvm& h) {
  for (uint32_t n = 128; n <= 4096; n *= 2) {
    std::vector<uint8_t> raw(sizeof(CpuidListHeader) + n * sizeof(kvm_cpuid_entry2));
    reinterpret_cast<CpuidListHeader*>(raw.data())->nent = n;
    if (ioctl(h.fd, kIoctlGetSupportedCpuid, raw.data()) == 0) {
      uint32_t got = reinterpret_cast<const CpuidListHeader*>(raw.data())->nent;
      h.supported_cpuid.resize(got);
      std::memcpy(h.supported_cpuid.data(), raw.data() + sizeof(CpuidListHeader), got * sizeof(kvm_cpuid_entry2));
      return true;
    }
    if (errno != E2BIG) {
      h.unusable = errno_text("KVM_GET_SUPPORTED_CPUID fails");
      return false;
    }
  }
  h.unusable = "KVM_GET_SUPPORTED_CPUID: more than 4096 entries";
  return false;
}

// A throw-away VM with one page at the reset vector and one vCPU in KVM's reset state
// (real mode, IF=0), for running a few probe instructions with raw ioctls, none of the
// backend's code.
class ProbeGuest {
 public:
  ProbeGuest(const HostKvm& h, const uint8_t* code, size_t len) : size_((size_t)h.run_mmap_size) {
    vm_ = ioctl(h.fd, KVM_CREATE_VM, 0);
    if (vm_ < 0) {
      error = errno_text("KVM_CREATE_VM fails");
      return;
    }
    page_ = mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page_ == MAP_FAILED) {
      error = errno_text("mmap for the KVM probe guest");
      return;
    }
    std::memcpy(static_cast<uint8_t*>(page_) + 0xff0, code, len);  // the reset vector 0xfffffff0
    kvm_userspace_memory_region r;
    std::memset(&r, 0, sizeof r);
    r.guest_phys_addr = 0xfffff000ull;
    r.memory_size = 0x1000;
    r.userspace_addr = (uint64_t)(uintptr_t)page_;
    if (ioctl(vm_, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0 || ioctl(vm_, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
      error = errno_text("setting up the KVM probe guest");
      return;
    }
    cpu = ioctl(vm_, KVM_CREATE_VCPU, 0);
    if (cpu < 0) {
      error = errno_text("KVM_CREATE_VCPU fails");
      return;
    }
    void* m = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
    if (m == MAP_FAILED) {
      error = errno_text("mmap of kvm_run");
      return;
    }
    run = static_cast<kvm_run*>(m);
  }
  ~ProbeGuest() {
    if (run) munmap(run, size_);
    if (cpu >= 0) close(cpu);
    if (vm_ >= 0) close(vm_);
    if (page_ != MAP_FAILED) munmap(page_, 0x1000);
  }
  ProbeGuest(const ProbeGuest&) = delete;
  ProbeGuest& operator=(const ProbeGuest&) = delete;

  // KVM_RUN once (retrying signals); false with `error` set when the ioctl fails.
  bool enter() {
    int rc;
    do rc = ioctl(cpu, KVM_RUN, 0);
    while (rc < 0 && (errno == EINTR || errno == EAGAIN));
    if (rc < 0) error = errno_text("KVM_RUN of a probe guest fails");
    return rc >= 0;
  }

  std::string error;  // empty while everything worked
  int cpu = -1;
  kvm_run* run = nullptr;

 private:
  size_t size_;
  int vm_ = -1;
  void* page_ = MAP_FAILED;
};

// The host must be able to create a VM and run a guest in it (a loaded module without
// hardware support, or a nested KVM that cannot enter guests, fails here). The guest is
// RDTSC; HLT with the TSC set to 2^62 first, which also tells whether the guest's RDTSC
// sees the TSC KVM was told (tsc_offset_applies).
std::string run_smoke_guest(HostKvm& h) {
  static const uint8_t kRdtscHlt[] = {0x0f, 0x31, 0xf4};
  ProbeGuest g(h, kRdtscHlt, sizeof kRdtscHlt);
  if (!g.error.empty()) return g.error;
  constexpr uint64_t kProbeTsc = 1ull << 62;
  struct {
    MsrListHeader header;
    kvm_msr_entry entry;
  } tsc;
  std::memset(&tsc, 0, sizeof tsc);
  tsc.header.nmsrs = 1;
  tsc.entry.index = 0x10;  // IA32_TSC
  tsc.entry.data = kProbeTsc;
  if (ioctl(g.cpu, kIoctlSetMsrs, &tsc) != 1) return errno_text("KVM_SET_MSRS(IA32_TSC) for the KVM probe guest");
  if (!g.enter()) return g.error;
  if (g.run->exit_reason != KVM_EXIT_HLT)
    return "a two-instruction probe guest (RDTSC; HLT) ends with KVM exit " + std::to_string(g.run->exit_reason) + " instead of KVM_EXIT_HLT";
  kvm_regs regs;
  if (ioctl(g.cpu, KVM_GET_REGS, &regs) < 0) return errno_text("KVM_GET_REGS of the KVM probe guest");
  h.tsc_offset_applies = (regs.rdx & 0xffffffffu) >= (kProbeTsc >> 32);
  return "";
}

// STI; NOP; CLI; HLT with an interrupt window requested: a CPU that runs the guest exits
// when the window opens, after the NOP (exact_irq_window). An instruction emulator that looks
// at events only between batches of instructions (PVM's) runs on to the HLT instead; then the
// backend single-steps to the window where KVM_GUESTDBG_SINGLESTEP works (window_single_step).
void probe_irq_window(HostKvm& h) {
  static const uint8_t kStiNopCliHlt[] = {0xfb, 0x90, 0xfa, 0xf4};
  {
    ProbeGuest g(h, kStiNopCliHlt, sizeof kStiNopCliHlt);
    if (!g.error.empty()) return;
    g.run->request_interrupt_window = 1;
    if (!g.enter()) return;
    h.exact_irq_window = g.run->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN;
  }
  if (h.exact_irq_window) return;
  ProbeGuest g(h, kStiNopCliHlt, sizeof kStiNopCliHlt);
  if (!g.error.empty()) return;
  kvm_guest_debug d;
  std::memset(&d, 0, sizeof d);
  d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
  if (ioctl(g.cpu, KVM_SET_GUEST_DEBUG, &d) < 0) return;
  // Two steps (STI, NOP) must each end in KVM_EXIT_DEBUG, and then the window be open.
  for (int step = 0; step < 2; step++)
    if (!g.enter() || g.run->exit_reason != KVM_EXIT_DEBUG) return;
  h.window_single_step = g.run->if_flag && g.run->ready_for_interrupt_injection;
}

void probe(HostKvm& h) {
  h.fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (h.fd < 0) {
    h.unusable = errno == ENOENT ? std::string("/dev/kvm does not exist") : errno_text("cannot open /dev/kvm");
    return;
  }
  int version = ioctl(h.fd, KVM_GET_API_VERSION, 0);
  if (version != KVM_API_VERSION) {
    h.unusable = "/dev/kvm speaks KVM API " + std::to_string(version) + ", not " + std::to_string(KVM_API_VERSION);
    return;
  }
  auto cap = [&](int c) { return ioctl(h.fd, KVM_CHECK_EXTENSION, c); };
  struct Need {
    int cap;
    const char* name;
  };
  for (const Need& n : {Need{KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"}, Need{KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
                        Need{KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR"},
                        Need{KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER"}, Need{KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"}}) {
    if (cap(n.cap) <= 0) {
      h.unusable = std::string("the host's KVM lacks ") + n.name;
      return;
    }
  }
  h.run_mmap_size = ioctl(h.fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (h.run_mmap_size < (int)sizeof(kvm_run)) {
    h.unusable = errno_text("KVM_GET_VCPU_MMAP_SIZE fails");
    return;
  }
  std::string smoke = run_smoke_guest(h);
  if (!smoke.empty()) {
    h.unusable = smoke;
    return;
  }
  int sync = cap(KVM_CAP_SYNC_REGS);
  uint32_t want = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
  h.sync_regs = sync > 0 && ((uint32_t)sync & want) == want ? want : 0;
  h.readonly_mem = cap(KVM_CAP_READONLY_MEM) > 0;
  h.tsc_control = cap(KVM_CAP_TSC_CONTROL) > 0;
  h.max_memslots = cap(KVM_CAP_NR_MEMSLOTS);
  if (h.max_memslots <= 0) h.max_memslots = 32;
  fetch_supported_cpuid(h);
  probe_irq_window(h);
}

}  // namespace

const HostKvm& host() {
  static HostKvm h;
  static std::once_flag once;
  std::call_once(once, [] { probe(h); });
  return h;
}

}  // namespace tsv::kvm
