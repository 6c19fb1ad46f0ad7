// Conversions between tsvisor's register layout and KVM's. The buffer keeps
// GPRs in x86 encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..);
// kvm_regs orders them RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP, R8...
#include "kvm/kvm_regs.h"
#include <cstring>
#include <initializer_list>
#include "tsvisor_abi.h"

namespace tsv::kvm {

namespace {

template <typename T>
T get(const uint8_t* b, unsigned off) {
  T v;
  std::memcpy(&v, b + off, sizeof v);
  return v;
}
template <typename T>
void put(uint8_t* b, unsigned off, T v) {
  std::memcpy(b + off, &v, sizeof v);
}

__u64* gpr_slot(kvm_regs& r, int i) {
  __u64* map[16] = {&r.rax, &r.rcx, &r.rdx, &r.rbx, &r.rsp, &r.rbp, &r.rsi, &r.rdi,
                       &r.r8,  &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15};
  return map[i];
}

// tsvisor segment slot order: ES, CS, SS, DS, FS, GS, LDTR, TR
kvm_segment* seg_slot(kvm_sregs& s, int i) {
  kvm_segment* map[8] = {&s.es, &s.cs, &s.ss, &s.ds, &s.fs, &s.gs, &s.ldt, &s.tr};
  return map[i];
}

uint16_t attr_of(const kvm_segment& k) {
  uint16_t a = (uint16_t)(k.type & TSV_SEG_ATTR_TYPE_MASK);
  if (k.s) a |= TSV_SEG_ATTR_S;
  a |= (uint16_t)((k.dpl & 3) << TSV_SEG_ATTR_DPL_SHIFT);
  if (k.present) a |= TSV_SEG_ATTR_P;
  if (k.avl) a |= TSV_SEG_ATTR_AVL;
  if (k.l) a |= TSV_SEG_ATTR_L;
  if (k.db) a |= TSV_SEG_ATTR_DB;
  if (k.g) a |= TSV_SEG_ATTR_G;
  if (k.unusable) a |= TSV_SEG_ATTR_UNUSABLE;
  return a;
}

void attr_to(uint16_t a, kvm_segment& k) {
  k.type = a & TSV_SEG_ATTR_TYPE_MASK;
  k.s = (a & TSV_SEG_ATTR_S) ? 1 : 0;
  k.dpl = (a & TSV_SEG_ATTR_DPL_MASK) >> TSV_SEG_ATTR_DPL_SHIFT;
  k.present = (a & TSV_SEG_ATTR_P) ? 1 : 0;
  k.avl = (a & TSV_SEG_ATTR_AVL) ? 1 : 0;
  k.l = (a & TSV_SEG_ATTR_L) ? 1 : 0;
  k.db = (a & TSV_SEG_ATTR_DB) ? 1 : 0;
  k.g = (a & TSV_SEG_ATTR_G) ? 1 : 0;
  k.unusable = (a & TSV_SEG_ATTR_UNUSABLE) ? 1 : 0;
}

}  // namespace

void regs_to_buffer(const kvm_regs& r, uint8_t* buf) {
  kvm_regs c = r;
  for (int i = 0; i < 16; i++) put<uint64_t>(buf, TSV_OFF_GPR + 8 * i, *gpr_slot(c, i));
  put<uint64_t>(buf, TSV_OFF_RIP, r.rip);
  put<uint64_t>(buf, TSV_OFF_RFLAGS, r.rflags);
}

void regs_from_buffer(const uint8_t* buf, kvm_regs& r) {
  for (int i = 0; i < 16; i++) *gpr_slot(r, i) = get<uint64_t>(buf, TSV_OFF_GPR + 8 * i);
  r.rip = get<uint64_t>(buf, TSV_OFF_RIP);
  r.rflags = get<uint64_t>(buf, TSV_OFF_RFLAGS);
}

void sregs_to_buffer(const kvm_sregs& s, uint8_t* buf) {
  kvm_sregs c = s;
  for (int i = 0; i < 8; i++) {
    const kvm_segment& k = *seg_slot(c, i);
    unsigned at = TSV_OFF_SEG + i * TSV_SEG_SIZE;
    put<uint64_t>(buf, at + TSV_SEG_OFF_BASE, k.base);
    put<uint32_t>(buf, at + TSV_SEG_OFF_LIMIT, k.limit);
    put<uint16_t>(buf, at + TSV_SEG_OFF_SELECTOR, k.selector);
    put<uint16_t>(buf, at + TSV_SEG_OFF_ATTR, attr_of(k));
  }
  put<uint64_t>(buf, TSV_OFF_GDTR + TSV_DTR_OFF_BASE, s.gdt.base);
  put<uint32_t>(buf, TSV_OFF_GDTR + TSV_DTR_OFF_LIMIT, s.gdt.limit);
  put<uint64_t>(buf, TSV_OFF_IDTR + TSV_DTR_OFF_BASE, s.idt.base);
  put<uint32_t>(buf, TSV_OFF_IDTR + TSV_DTR_OFF_LIMIT, s.idt.limit);
  put<uint64_t>(buf, TSV_OFF_CR0, s.cr0);
  put<uint64_t>(buf, TSV_OFF_CR2, s.cr2);
  put<uint64_t>(buf, TSV_OFF_CR3, s.cr3);
  put<uint64_t>(buf, TSV_OFF_CR4, s.cr4);
  put<uint64_t>(buf, TSV_OFF_CR8, s.cr8);
  put<uint64_t>(buf, TSV_OFF_EFER, s.efer);
  put<uint64_t>(buf, TSV_OFF_APIC_BASE, s.apic_base);
}

void sregs_from_buffer(const uint8_t* buf, kvm_sregs& s) {
  for (int i = 0; i < 8; i++) {
    kvm_segment& k = *seg_slot(s, i);
    unsigned at = TSV_OFF_SEG + i * TSV_SEG_SIZE;
    k.base = get<uint64_t>(buf, at + TSV_SEG_OFF_BASE);
    k.limit = get<uint32_t>(buf, at + TSV_SEG_OFF_LIMIT);
    k.selector = get<uint16_t>(buf, at + TSV_SEG_OFF_SELECTOR);
    attr_to(get<uint16_t>(buf, at + TSV_SEG_OFF_ATTR), k);
  }
  s.gdt.base = get<uint64_t>(buf, TSV_OFF_GDTR + TSV_DTR_OFF_BASE);
  s.gdt.limit = (uint16_t)get<uint32_t>(buf, TSV_OFF_GDTR + TSV_DTR_OFF_LIMIT);
  s.idt.base = get<uint64_t>(buf, TSV_OFF_IDTR + TSV_DTR_OFF_BASE);
  s.idt.limit = (uint16_t)get<uint32_t>(buf, TSV_OFF_IDTR + TSV_DTR_OFF_LIMIT);
  s.cr0 = get<uint64_t>(buf, TSV_OFF_CR0);
  s.cr2 = get<uint64_t>(buf, TSV_OFF_CR2);
  s.cr3 = get<uint64_t>(buf, TSV_OFF_CR3);
  s.cr4 = get<uint64_t>(buf, TSV_OFF_CR4);
  s.cr8 = get<uint64_t>(buf, TSV_OFF_CR8);
  s.efer = get<uint64_t>(buf, TSV_OFF_EFER);
  s.apic_base = get<uint64_t>(buf, TSV_OFF_APIC_BASE);
  std::memset(s.interrupt_bitmap, 0, sizeof s.interrupt_bitmap);
}

void init_state_to_buffer(uint8_t* buf, uint32_t cpuid1_eax, bool bsp) {
  // INIT leaves the TSC and the retired-instruction count alone
  uint64_t tsc_offset = get<uint64_t>(buf, TSV_OFF_TSC_OFFSET), instret = get<uint64_t>(buf, TSV_OFF_INSTRET);
  std::memset(buf, 0, TSV_OFF_EXIT_REASON);
  put<uint64_t>(buf, TSV_OFF_TSC_OFFSET, tsc_offset);
  put<uint64_t>(buf, TSV_OFF_INSTRET, instret);
  put<uint64_t>(buf, TSV_OFF_GPR + 8 * TSV_REG_RDX, cpuid1_eax);
  put<uint64_t>(buf, TSV_OFF_RIP, 0xfff0);
  put<uint64_t>(buf, TSV_OFF_RFLAGS, 2);
  auto seg = [&](int i, uint64_t base, uint16_t sel, uint16_t attr) {
    unsigned at = TSV_OFF_SEG + i * TSV_SEG_SIZE;
    put<uint64_t>(buf, at + TSV_SEG_OFF_BASE, base);
    put<uint32_t>(buf, at + TSV_SEG_OFF_LIMIT, 0xffff);
    put<uint16_t>(buf, at + TSV_SEG_OFF_SELECTOR, sel);
    put<uint16_t>(buf, at + TSV_SEG_OFF_ATTR, attr);
  };
  seg(TSV_SEG_CS, 0xffff0000ull, 0xf000, 0x9b);
  for (int s : {TSV_SEG_ES, TSV_SEG_SS, TSV_SEG_DS, TSV_SEG_FS, TSV_SEG_GS}) seg(s, 0, 0, 0x93);
  seg(TSV_SEG_LDTR, 0, 0, 0x82);
  seg(TSV_SEG_TR, 0, 0, 0x8b);
  put<uint32_t>(buf, TSV_OFF_GDTR + TSV_DTR_OFF_LIMIT, 0xffff);
  put<uint32_t>(buf, TSV_OFF_IDTR + TSV_DTR_OFF_LIMIT, 0xffff);
  put<uint64_t>(buf, TSV_OFF_CR0, 0x60000010);
  put<uint64_t>(buf, TSV_OFF_APIC_BASE, 0xfee00000ull | 0x800 | (bsp ? 0x100 : 0));
  put<uint64_t>(buf, TSV_OFF_XCR0, 1);
  put<uint64_t>(buf, TSV_OFF_DR + 8 * 4, 0xffff0ff0);
  put<uint64_t>(buf, TSV_OFF_DR + 8 * 5, 0x400);
}

}  // namespace tsv::kvm
