// KVM VM setup, memory slots and the MSR filter.
#include "kvm/kvm_vm.h"
#include <sys/ioctl.h>
#include <unistd.h>
#include <cerrno>
#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>
#include "kvm/kvm_host.h"
#include "tsvisor_abi.h"

namespace tsv::kvm {

KvmVm::KvmVm(uint8_t* vm_state) : state_(vm_state) {
  const HostKvm& h = host();
  if (!h.unusable.empty()) throw KvmError("KVM is not usable: " + h.unusable);
  fd_ = ioctl(h.fd, KVM_CREATE_VM, 0);
  if (fd_ < 0) throw KvmError(errno_text("KVM_CREATE_VM fails"));
  auto fail = [&](const char* what) {
    std::string m = errno_text(what);
    close(fd_);
    fd_ = -1;
    throw KvmError(m);
  };
  // Intel needs these for real mode (harmless elsewhere); they must precede vCPU creation.
  if (ioctl(fd_, KVM_SET_TSS_ADDR, (unsigned long)kTssAddr) < 0) fail("KVM_SET_TSS_ADDR");
  uint64_t ident = kIdentityMapAddr;
  if (ioctl(fd_, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0) fail("KVM_SET_IDENTITY_MAP_ADDR");
  // MSRs exit to user space when the filter denies them (the machine's ranges) and when
  // KVM has no in-kernel handler or rejects the access (x2APIC without an in-kernel APIC,
  // unknown MSRs): TypeScript answers those, with #GP for what no device claims.
  kvm_enable_cap cap;
  std::memset(&cap, 0, sizeof cap);
  cap.cap = KVM_CAP_X86_USER_SPACE_MSR;
  cap.args[0] = KVM_MSR_EXIT_REASON_FILTER | KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_INVAL;
  if (ioctl(fd_, KVM_ENABLE_CAP, &cap) < 0) fail("KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR)");
  int khz = ioctl(h.fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) > 0 ? ioctl(fd_, KVM_GET_TSC_KHZ, 0) : -1;
  tsc_khz_ = khz > 0 ? (uint64_t)khz : 0;
  try {
    set_msr_exit_ranges(nullptr, 0);  // the paravirtual ranges, before the machine adds its own
  } catch (const KvmError&) {
    close(fd_);
    fd_ = -1;
    throw;
  }
}

KvmVm::~KvmVm() {
  if (fd_ >= 0) close(fd_);
}

void KvmVm::kvm_set(uint32_t kvm_slot, uint64_t gpa, uint64_t size, uint8_t* host, uint32_t flags) {
  kvm_userspace_memory_region r;
  std::memset(&r, 0, sizeof r);
  r.slot = kvm_slot;
  r.flags = (flags & TSV_MEM_READONLY) ? KVM_MEM_READONLY : 0;
  r.guest_phys_addr = gpa;
  r.memory_size = size;
  r.userspace_addr = (uint64_t)(uintptr_t)host;
  if (ioctl(fd_, KVM_SET_USER_MEMORY_REGION, &r) < 0) throw KvmError(errno_text("KVM_SET_USER_MEMORY_REGION"));
}

uint32_t KvmVm::free_kvm_slot() const {
  for (uint32_t k = 0;; k++) {
    bool used = false;
    for (const Slot& s : slots_) used = used || s.kvm_slot == k;
    if (!used) return k;
  }
}

void KvmVm::set_region(uint32_t slot, uint64_t gpa, uint64_t size, uint8_t* host, uint32_t flags) {
  if (host) {
    if (gpa & 0xfff) throw std::invalid_argument("setMemoryRegion: gpa must be a multiple of 4096");
    if (size == 0 || (size & 0xfff)) throw std::invalid_argument("setMemoryRegion: size must be a non-zero multiple of 4096");
    if ((uintptr_t)host & 0xfff)
      throw std::invalid_argument("setMemoryRegion: KVM maps whole host pages; use memory from vm.allocateMemory()");
    if (gpa + size < gpa || gpa + size > (1ull << 52)) throw std::invalid_argument("setMemoryRegion: region beyond the 52-bit physical address space");
    if ((flags & TSV_MEM_READONLY) && !kvm::host().readonly_mem) throw KvmError("setMemoryRegion: the host's KVM lacks KVM_CAP_READONLY_MEM");
    for (const Slot& s : slots_)
      if (s.id != slot && gpa < s.gpa + s.size && s.gpa < gpa + size)
        throw std::invalid_argument("setMemoryRegion: region overlaps slot " + std::to_string(s.id));
  }
  // KVM cannot move or resize a slot in place: delete the old mapping, then add the new one.
  for (size_t k = 0; k < slots_.size(); k++) {
    if (slots_[k].id != slot) continue;
    kvm_set(slots_[k].kvm_slot, slots_[k].gpa, 0, slots_[k].host, 0);
    slots_.erase(slots_.begin() + (long)k);
    break;
  }
  if (!host) return;
  uint32_t k = free_kvm_slot();
  if ((int)k >= kvm::host().max_memslots) throw KvmError("setMemoryRegion: the host's KVM has only " + std::to_string(kvm::host().max_memslots) + " memory slots");
  kvm_set(k, gpa, size, host, flags);
  slots_.push_back(Slot{slot, k, gpa, size, host, flags});
}

void KvmVm::clear_regions() {
  while (!slots_.empty()) set_region(slots_.back().id, 0, 0, nullptr, 0);
}

void KvmVm::set_cpuid(const uint32_t* words, size_t count) {
  std::vector<uint32_t> next(words, words + (count - count % TSV_CPUID_ENTRY_WORDS));
  if (next == cpuid_) return;
  cpuid_.swap(next);
  cpuid_gen_++;
}

uint32_t KvmVm::cpuid1_eax() const {
  for (size_t k = 0; k + TSV_CPUID_ENTRY_WORDS <= cpuid_.size(); k += TSV_CPUID_ENTRY_WORDS)
    if (cpuid_[k] == 1) return cpuid_[k + 3];
  return 0x600;
}

namespace {
// KVM serves its own paravirtual MSRs (and Hyper-V's) in the kernel whatever the guest's
// CPUID says, and a guest that enables Hyper-V's hypercall MSR there would make KVM claim
// VMCALL. These ranges always exit, so the machine decides them as on the interpreter:
// the MSRs a device registered are served in TypeScript, the others are #GP.
constexpr std::pair<uint64_t, uint64_t> kParavirtMsrRanges[] = {
    {0x11, 0x12},                  // KVM's first kvmclock MSRs (wall clock, system time)
    {0x40000000, 0x400001ff},      // Hyper-V synthetic MSRs
    {0x4b564d00, 0x4b564dff},      // KVM's paravirtual MSRs
};
}  // namespace

void KvmVm::set_msr_exit_ranges(const uint32_t* pairs, size_t count) {
  // A filter range is a bitmap over up to kSpan MSRs from its base: bit 1 allows the MSR
  // (KVM handles it), bit 0 denies it (the access exits with KVM_MSR_EXIT_REASON_FILTER).
  // The machine's ranges are sorted and packed into as few filter ranges as fit.
  constexpr uint64_t kSpan = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8;
  std::vector<std::pair<uint64_t, uint64_t>> want(std::begin(kParavirtMsrRanges), std::end(kParavirtMsrRanges));
  for (size_t k = 0; k + 1 < count; k += 2) {
    // x2APIC MSRs cannot be filtered; without an in-kernel APIC they exit anyway (INVAL).
    if (pairs[k] >= 0x800 && pairs[k + 1] <= 0x8ff) continue;
    want.emplace_back(pairs[k], pairs[k + 1]);
  }
  std::sort(want.begin(), want.end());
  struct Cluster {
    uint64_t base;
    std::vector<uint8_t> bitmap;
  };
  std::vector<Cluster> clusters;
  for (auto [first, last] : want) {
    for (uint64_t msr = first; msr <= last;) {
      if (clusters.empty() || msr >= clusters.back().base + kSpan) {
        if (clusters.size() == KVM_MSR_FILTER_MAX_RANGES)
          throw KvmError("setMsrExitRanges: the MSR ranges need more than the " + std::to_string(KVM_MSR_FILTER_MAX_RANGES) +
                         " ranges of KVM's MSR filter");
        clusters.push_back(Cluster{msr, std::vector<uint8_t>(KVM_MSR_FILTER_MAX_BITMAP_SIZE, 0xff)});
      }
      Cluster& c = clusters.back();
      uint64_t stop = std::min<uint64_t>(last, c.base + kSpan - 1);
      for (; msr <= stop; msr++) c.bitmap[(msr - c.base) / 8] &= (uint8_t) ~(1u << ((msr - c.base) % 8));
    }
  }
  kvm_msr_filter f;
  std::memset(&f, 0, sizeof f);
  f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
  for (size_t n = 0; n < clusters.size(); n++) {
    f.ranges[n].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
    f.ranges[n].base = (uint32_t)clusters[n].base;
    f.ranges[n].nmsrs = (uint32_t)std::min<uint64_t>(kSpan, 0x100000000ull - clusters[n].base);
    f.ranges[n].bitmap = clusters[n].bitmap.data();
  }
  if (ioctl(fd_, KVM_X86_SET_MSR_FILTER, &f) < 0) throw KvmError(errno_text("KVM_X86_SET_MSR_FILTER"));
}

}  // namespace tsv::kvm
