// KVM VM setup, memory slots and the MSR filter.
#include "kvm/kvm_vm.h"
#include <sys/ioctl.h>
#include <unistd.h>
#include <x86intrin.h>
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
  bool mtrr = false;
  for (size_t k = 0; k + TSV_CPUID_ENTRY_WORDS <= cpuid_.size(); k += TSV_CPUID_ENTRY_WORDS)
    if (cpuid_[k] == 1) mtrr = (cpuid_[k + 6] >> 12) & 1;
  if (mtrr != mtrr_advertised_) {
    mtrr_advertised_ = mtrr;
    apply_msr_filter();
  }
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
    {kMsrTscAdjust, kMsrTscAdjust},  // moves the TSC: the backend serves it (kvm_vcpu.cc)
};
// KVM emulates the MTRRs whatever CPUID says; where the machine does not advertise
// them they exit, so the guest gets the interpreter's #GP.
constexpr std::pair<uint64_t, uint64_t> kMtrrMsrRanges[] = {
    {0xfe, 0xfe},    // MTRRCAP
    {0x200, 0x20f},  // the variable-range pairs
    {0x250, 0x250},  // fixed 64K
    {0x258, 0x259},  // fixed 16K
    {0x268, 0x26f},  // fixed 4K
    {0x2ff, 0x2ff},  // MTRR_DEF_TYPE
};
}  // namespace

void KvmVm::set_msr_exit_ranges(const uint32_t* pairs, size_t count) {
  machine_msr_ranges_.clear();
  for (size_t k = 0; k + 1 < count; k += 2) {
    // x2APIC MSRs cannot be filtered; without an in-kernel APIC they exit anyway (INVAL).
    if (pairs[k] >= 0x800 && pairs[k + 1] <= 0x8ff) continue;
    machine_msr_ranges_.emplace_back(pairs[k], pairs[k + 1]);
  }
  apply_msr_filter();
}

void KvmVm::apply_msr_filter() {
  // A filter range is a bitmap over up to kSpan MSRs from its base: bit 1 allows the MSR
  // (KVM handles it), bit 0 denies it (the access exits with KVM_MSR_EXIT_REASON_FILTER).
  // The machine's ranges are sorted and packed into as few filter ranges as fit.
  constexpr uint64_t kSpan = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8;
  std::vector<std::pair<uint64_t, uint64_t>> want(std::begin(kParavirtMsrRanges), std::end(kParavirtMsrRanges));
  want.insert(want.end(), machine_msr_ranges_.begin(), machine_msr_ranges_.end());
  if (!mtrr_advertised_) want.insert(want.end(), std::begin(kMtrrMsrRanges), std::end(kMtrrMsrRanges));
  std::sort(want.begin(), want.end());
  struct Cluster {
    uint64_t base;
    std::vector<uint8_t> bitmap;
  };
  std::vector<Cluster> clusters;
  for (auto [first, last] : want) {
    for (uint64_t msr = first; msr <= last;) {
      if (clusters.empty() || msr >= clusters.back().base + kSpan) {
        if (clusters.size() == KVM_MSR_FILTER_MAX_RANGES - 1)  // one range is IA32_TSC's (below)
          throw KvmError("setMsrExitRanges: the MSR ranges need more than the " + std::to_string(KVM_MSR_FILTER_MAX_RANGES - 1) +
                         " ranges of KVM's MSR filter left for them");
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
  // First (KVM takes the first range that holds the MSR for the access): writes of IA32_TSC,
  // which the backend serves so that the guest TSC stays the virtual clock's plus tsc_offset.
  // Reads stay in KVM, which returns the same value RDTSC does.
  static uint64_t tsc_write_denied = 0;  // KVM reads the bitmap in longs
  f.ranges[0].flags = KVM_MSR_FILTER_WRITE;
  f.ranges[0].base = kMsrTsc;
  f.ranges[0].nmsrs = 1;
  f.ranges[0].bitmap = reinterpret_cast<uint8_t*>(&tsc_write_denied);
  for (size_t n = 0; n < clusters.size(); n++) {
    f.ranges[n + 1].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
    f.ranges[n + 1].base = (uint32_t)clusters[n].base;
    f.ranges[n + 1].nmsrs = (uint32_t)std::min<uint64_t>(kSpan, 0x100000000ull - clusters[n].base);
    f.ranges[n + 1].bitmap = clusters[n].bitmap.data();
  }
  if (ioctl(fd_, KVM_X86_SET_MSR_FILTER, &f) < 0) throw KvmError(errno_text("KVM_X86_SET_MSR_FILTER"));
}

KvmVm::ClockParams KvmVm::clock_params() const {
  auto u64 = [&](unsigned off) { return *reinterpret_cast<const uint64_t*>(state_ + off); };
  return {u64(TSV_OFF_VM_TSC_KHZ), u64(TSV_OFF_VM_HOST_BASE_NS), u64(TSV_OFF_VM_GUEST_BASE_NS)};
}

uint64_t KvmVm::clock_tsc_now() const {
  const auto [khz, host_base, guest_base] = clock_params();
  uint64_t now = monotonic_ns();
  uint64_t guest_ns = guest_base + (now > host_base ? now - host_base : 0);
  return (uint64_t)((unsigned __int128)guest_ns * khz / 1000000u);
}

uint64_t KvmVm::host_tsc_offset() {
  const ClockParams params = clock_params();
  if (params != host_tsc_params_) {
    host_tsc_params_ = params;
    host_tsc_offset_ = __rdtsc() - clock_tsc_now();
  }
  return host_tsc_offset_;
}

const uint8_t* KvmVm::host_byte(uint64_t gpa) const {
  for (const Slot& s : slots_)
    if (gpa >= s.gpa && gpa - s.gpa < s.size) return s.host + (gpa - s.gpa);
  return nullptr;
}

}  // namespace tsv::kvm
