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
#include <cstring>
#include <mutex>

namespace tsv::kvm {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

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

// The host must be able to create a VM and run one instruction in it (a loaded module
// without hardware support, or a nested KVM that cannot enter guests, fails here). This
// uses raw ioctls on KVM's own reset state, none of the backend's code.
std::string run_smoke_guest(const HostKvm& h) {
  int vm = ioctl(h.fd, KVM_CREATE_VM, 0);
  if (vm < 0) return errno_text("KVM_CREATE_VM fails");
  std::string result;
  void* page = mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int cpu = -1;
  void* run = MAP_FAILED;
  do {
    if (page == MAP_FAILED) {
      result = errno_text("mmap for the KVM probe guest");
      break;
    }
    static_cast<uint8_t*>(page)[0xff0] = 0xf4;  // HLT at the reset vector 0xfffffff0
    kvm_userspace_memory_region r;
    std::memset(&r, 0, sizeof r);
    r.guest_phys_addr = 0xfffff000ull;
    r.memory_size = 0x1000;
    r.userspace_addr = (uint64_t)(uintptr_t)page;
    if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0 || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
      result = errno_text("setting up the KVM probe guest");
      break;
    }
    cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (cpu < 0) {
      result = errno_text("KVM_CREATE_VCPU fails");
      break;
    }
    run = mmap(nullptr, (size_t)h.run_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
    if (run == MAP_FAILED) {
      result = errno_text("mmap of kvm_run");
      break;
    }
    int rc;
    do rc = ioctl(cpu, KVM_RUN, 0);
    while (rc < 0 && (errno == EINTR || errno == EAGAIN));
    if (rc < 0) {
      result = errno_text("KVM_RUN of a one-instruction probe guest fails");
      break;
    }
    uint32_t reason = static_cast<kvm_run*>(run)->exit_reason;
    if (reason != KVM_EXIT_HLT)
      result = "a one-instruction probe guest (HLT) ends with KVM exit " + std::to_string(reason) + " instead of KVM_EXIT_HLT";
  } while (false);
  if (run != MAP_FAILED) munmap(run, (size_t)h.run_mmap_size);
  if (cpu >= 0) close(cpu);
  close(vm);
  if (page != MAP_FAILED) munmap(page, 0x1000);
  return result;
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
}

}  // namespace

const HostKvm& host() {
  static HostKvm h;
  static std::once_flag once;
  std::call_once(once, [] { probe(h); });
  return h;
}

}  // namespace tsv::kvm
