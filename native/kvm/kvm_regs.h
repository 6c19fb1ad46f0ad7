// Register state between the vCPU's shared buffer (tsvisor_abi.h layout) and
// KVM's kvm_regs / kvm_sregs.
#pragma once
#include <linux/kvm.h>
#include <cstddef>
#include <cstdint>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv::kvm {

// Byte ranges of the shared buffer each KVM structure covers, for dirty checks.
constexpr unsigned kRegsBegin = 0x000, kRegsEnd = 0x090;    // GPRs, RIP, RFLAGS
constexpr unsigned kSregsBegin = 0x090, kSregsEnd = 0x168;  // segments, tables, CRs, EFER, APIC base

void regs_to_buffer(const kvm_regs& r, uint8_t* buf);
void regs_from_buffer(const uint8_t* buf, kvm_regs& r);
void sregs_to_buffer(const kvm_sregs& s, uint8_t* buf);
// Starts from `s` (so fields the buffer lacks keep KVM's values) and clears the
// interrupt bitmap so that writing the result never injects an interrupt.
void sregs_from_buffer(const uint8_t* buf, kvm_sregs& s);
// The architectural INIT state (what the interpreter's reset writes), into the buffer.
void init_state_to_buffer(uint8_t* buf, uint32_t cpuid1_eax, bool bsp);

}  // namespace tsv::kvm
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
