// The KVM ioctls whose argument ends in a variable-length array: kvm_cpuid2
// (KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2) and kvm_msrs (KVM_SET_MSRS).
// Linux's uapi headers declare those arrays with __DECLARE_FLEX_ARRAY, which
// under C++ puts an empty struct before the array; an empty struct has size 1
// in C++ (0 in C), so g++ places entries[] 4 or 8 bytes later than the kernel
// does and makes the structs 12 and 16 bytes. Both the data layout and the
// request numbers (_IOWR encodes the argument size) would then be wrong, and
// KVM answers the unknown request with EINVAL. These headers have the kernel's
// layout; the entries follow them directly.
#pragma once
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <cstdint>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv::kvm {

struct CpuidListHeader {  // then `nent` kvm_cpuid_entry2
  uint32_t nent;
  uint32_t padding;
};
struct MsrListHeader {  // then `nmsrs` kvm_msr_entry
  uint32_t nmsrs;
  uint32_t pad;
};
static_assert(sizeof(CpuidListHeader) == 8 && sizeof(MsrListHeader) == 8, "the kernel's fixed parts are 8 bytes");
static_assert(sizeof(kvm_cpuid_entry2) == 40 && sizeof(kvm_msr_entry) == 16, "entry sizes of the KVM ABI");

constexpr unsigned long kIoctlGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, sizeof(CpuidListHeader));
constexpr unsigned long kIoctlSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, sizeof(CpuidListHeader));
constexpr unsigned long kIoctlSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, sizeof(MsrListHeader));
// The request numbers the kernel was built with (Documentation/virt/kvm/api.rst).
static_assert(kIoctlGetSupportedCpuid == 0xc008ae05ul && kIoctlSetCpuid2 == 0x4008ae90ul && kIoctlSetMsrs == 0x4008ae89ul,
              "KVM request numbers");

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
