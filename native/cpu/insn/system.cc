// System instructions: HLT, CLI/STI and the flag instructions, CPUID,
// RDTSC/RDTSCP, RDMSR/WRMSR, control/debug-register moves, CLTS, WBINVD/INVD,
// SYSCALL/SYSRET, and the register forms of group 7 (VMCALL, VMMCALL, SWAPGS).
#include "cpu/debug_regs.h"
#include "cpu/decoder.h"
#include "cpu/insn/privilege.h"
#include "cpu/msr.h"
#include "cpu/vm.h"

namespace tsv {
namespace {

const Insn* HLT(Cpu& c, const Insn* i) {
  need_cpl0(c);
  c.exit_reason = TSV_EXIT_HLT;
  return end_after(c, i);
}
const Insn* CLI(Cpu& c, const Insn* i) {
  if (c.mode != MODE_REAL && c.cpl > ((c.rflags >> 12) & 3)) raise_gp(c, 0);
  c.rflags &= ~F_IF;
  return next(c, i);
}
const Insn* STI(Cpu& c, const Insn* i) {
  if (c.mode != MODE_REAL && c.cpl > ((c.rflags >> 12) & 3)) raise_gp(c, 0);
  if (!(c.rflags & F_IF)) c.inhibit_irq = INHIBIT_STI;  // interrupts open after the next instruction
  c.rflags |= F_IF;
  return end_after(c, i);
}
template <int OP> const Insn* FLAGOP(Cpu& c, const Insn* i) {
  switch (OP) {
    case 0: set_arith_flags(c, c.arith_flags() & ~F_CF); break;           // CLC
    case 1: set_arith_flags(c, c.arith_flags() | F_CF); break;            // STC
    case 2: set_arith_flags(c, c.arith_flags() ^ F_CF); break;            // CMC
    case 3: c.rflags &= ~F_DF; break;                                      // CLD
    default: c.rflags |= F_DF; break;                                      // STD
  }
  return next(c, i);
}

const Insn* CPUID(Cpu& c, const Insn* i) {
  uint32_t fn = (uint32_t)c.gpr[0], idx = (uint32_t)c.gpr[1];
  uint32_t r[4];
  c.vm->cpuid(fn, idx, r);
  // per-vCPU fields of a VM-wide table: the initial APIC ID, the APIC-present bit
  if (fn == 1) {
    r[1] = (r[1] & 0x00ffffff) | ((uint32_t)c.id << 24);
    if (!(c.apic_base & 0x800)) r[3] &= ~(1u << 9);
    // OSXSAVE (ECX bit 27) mirrors CR4.OSXSAVE where XSAVE (bit 26) is offered
    r[2] &= ~(1u << 27);
    if ((r[2] & (1u << 26)) && (c.cr4 & CR4_OSXSAVE)) r[2] |= 1u << 27;
  } else if (fn == 0xb || fn == 0x1f) {
    r[3] = (uint32_t)c.id;
  }
  c.gpr[0] = r[0];
  c.gpr[3] = r[1];
  c.gpr[1] = r[2];
  c.gpr[2] = r[3];
  return next(c, i);
}

const Insn* RDTSC(Cpu& c, const Insn* i) {
  if ((c.cr4 & CR4_TSD) && c.cpl != 0 && c.mode != MODE_REAL) raise_gp(c, 0);
  uint64_t t = read_tsc(c);
  c.gpr[0] = (uint32_t)t;
  c.gpr[2] = t >> 32;
  return next(c, i);
}
const Insn* RDTSCP(Cpu& c, const Insn* i) {
  if (!c.vm->features().rdtscp()) raise_ud(c);
  if ((c.cr4 & CR4_TSD) && c.cpl != 0 && c.mode != MODE_REAL) raise_gp(c, 0);
  uint64_t t = read_tsc(c);
  c.gpr[0] = (uint32_t)t;
  c.gpr[2] = t >> 32;
  c.gpr[1] = (uint32_t)c.tsc_aux;
  return next(c, i);
}

const Insn* RDMSR(Cpu& c, const Insn* i) {
  need_cpl0(c);
  uint32_t idx = (uint32_t)c.gpr[1];
  uint64_t v;
  int r = msr_read(c, idx, v);
  if (r == MSR_OK) {
    c.gpr[0] = (uint32_t)v;
    c.gpr[2] = v >> 32;
    return next(c, i);
  }
  if (r == MSR_EXIT) {
    c.bufref<uint32_t>(TSV_OFF_EXIT_MSR_INDEX) = idx;
    c.bufref<uint8_t>(TSV_OFF_EXIT_MSR_ERROR) = 0;
    c.bufref<uint64_t>(TSV_OFF_EXIT_MSR_DATA) = 0;
    c.exit_reason = TSV_EXIT_MSR_READ;
    c.pending = PEND_RDMSR;
    c.pend_next_rip = next_rip(c, i);
    return end_at(c, i);
  }
  raise_gp(c, 0);
}
const Insn* WRMSR(Cpu& c, const Insn* i) {
  need_cpl0(c);
  uint32_t idx = (uint32_t)c.gpr[1];
  uint64_t v = ((uint64_t)(uint32_t)c.gpr[2] << 32) | (uint32_t)c.gpr[0];
  int r = msr_write(c, idx, v);
  if (r == MSR_OK) {
    if (idx == 0x10 || idx == 0x3b) {  // IA32_TSC, IA32_TSC_ADJUST: see TSV_SLICE_TSC_WRITE
      c.exit_reason = TSV_EXIT_SLICE_END;
      c.bufref<uint32_t>(TSV_OFF_EXIT_SLICE_REASON) = TSV_SLICE_TSC_WRITE;
    }
    return end_after(c, i);  // may have changed paging / segment bases
  }
  if (r == MSR_EXIT) {
    c.bufref<uint32_t>(TSV_OFF_EXIT_MSR_INDEX) = idx;
    c.bufref<uint8_t>(TSV_OFF_EXIT_MSR_ERROR) = 0;
    c.bufref<uint64_t>(TSV_OFF_EXIT_MSR_DATA) = v;
    c.exit_reason = TSV_EXIT_MSR_WRITE;
    c.pending = PEND_WRMSR;
    c.pend_next_rip = next_rip(c, i);
    return end_at(c, i);
  }
  raise_gp(c, 0);
}

// MOV r, CRn / MOV CRn, r (the ModRM mod field is ignored: always registers)
const Insn* MOV_RdCd(Cpu& c, const Insn* i) {
  need_cpl0(c);
  unsigned n = i->ext | ((i->reg & 8));
  uint64_t v;
  switch (n) {
    case 0: v = c.cr0; break;
    case 2: v = c.cr2; break;
    case 3: v = c.cr3; break;
    case 4: v = c.cr4; break;
    case 8: v = c.cr8 & 0xf; break;
    default: raise_ud(c);
  }
  unsigned r = i->rm;
  if (c.mode == MODE_LONG64) c.gpr[r] = v;
  else c.gpr[r] = (uint32_t)v;
  return next(c, i);
}
const Insn* MOV_CdRd(Cpu& c, const Insn* i) {
  need_cpl0(c);
  unsigned n = i->ext | ((i->reg & 8));
  uint64_t v = c.mode == MODE_LONG64 ? c.gpr[i->rm] : (uint32_t)c.gpr[i->rm];
  if (n == 1 || (n > 4 && n != 8)) raise_ud(c);
  write_cr(c, n, v);
  return end_after(c, i);
}
const Insn* MOV_RdDd(Cpu& c, const Insn* i) {
  need_cpl0(c);
  uint64_t v = mov_from_dr(c, i->ext | (i->reg & 8));
  if (c.mode == MODE_LONG64) c.gpr[i->rm] = v;
  else c.gpr[i->rm] = (uint32_t)v;
  return next(c, i);
}
const Insn* MOV_DdRd(Cpu& c, const Insn* i) {
  need_cpl0(c);
  uint64_t v = c.mode == MODE_LONG64 ? c.gpr[i->rm] : (uint32_t)c.gpr[i->rm];
  mov_to_dr(c, i->ext | (i->reg & 8), v);
  return end_after(c, i);  // breakpoints may have changed: the run loop picks its path again
}
const Insn* CLTS(Cpu& c, const Insn* i) {
  need_cpl0(c);
  c.cr0 &= ~CR0_TS;
  return next(c, i);
}
const Insn* WBINVD(Cpu& c, const Insn* i) {
  need_cpl0(c);
  return next(c, i);
}
const Insn* NOPF(Cpu& c, const Insn* i) { return next(c, i); }

// group 7 with mod == 3: VMCALL, VMMCALL, SWAPGS, RDTSCP
const Insn* GRP7_R(Cpu& c, const Insn* i) {
  unsigned sub = (i->ext << 3) | (i->rm & 7);
  switch (sub) {
    case 0x01:    // C1 VMCALL
    case 0x19: {  // D9 VMMCALL
      c.bufref<uint32_t>(TSV_OFF_EXIT_HYPERCALL_KIND) = sub == 0x01 ? TSV_HYPERCALL_VMCALL : TSV_HYPERCALL_VMMCALL;
      c.bufref<uint32_t>(TSV_OFF_EXIT_HYPERCALL_INSN_LEN) = i->len;
      c.exit_reason = TSV_EXIT_HYPERCALL;
      return end_after(c, i);
    }
    case 0x10:  // D0 XGETBV
      return XGETBV(c, i);
    case 0x11:  // D1 XSETBV
      return XSETBV(c, i);
    case 0x0a:    // CA CLAC
    case 0x0b: {  // CB STAC
      uint32_t l7[4];
      c.vm->cpuid(7, 0, l7);
      if (!(l7[1] & (1u << 20)) || c.cpl != 0 || c.mode == MODE_V86) raise_ud(c);
      c.rflags = sub == 0x0b ? (c.rflags | F_AC) : (c.rflags & ~(uint64_t)F_AC);
      return next(c, i);
    }
    case 0x38:  // F8 SWAPGS
      if (c.mode != MODE_LONG64) raise_ud(c);
      need_cpl0(c);
      std::swap(c.seg[TSV_SEG_GS].base, c.kernel_gs_base);
      refresh_seg_windows(c, TSV_SEG_GS);
      return next(c, i);
    case 0x39:  // F9 RDTSCP
      return RDTSCP(c, i);
    default:
      raise_ud(c);
  }
}


// ---- INVPCID (66 0F 38 82): the TLB is not tagged by PCID, so each type flushes at least what
// it names: type 0 one address, 1 and 3 everything but global pages, 2 everything.
const Insn* INVPCID_GyMdq(Cpu& c, const Insn* i) {
  if (!c.vm->features().invpcid() || c.mode == MODE_REAL || c.mode == MODE_V86) raise_ud(c);
  if (c.cpl != 0) raise_gp(c, 0);
  uint64_t type = i->opsize == 8 ? c.gpr[i->reg] : (uint32_t)c.gpr[i->reg];
  uint64_t off = ea(c, i);
  uint64_t pcid_q = rd<uint64_t>(c, i->seg, off), lin = rd<uint64_t>(c, i->seg, off + 8);
  if (type > 3 || (pcid_q >> 12)) raise_gp(c, 0);
  uint64_t pcid = pcid_q & 0xfff;
  if (type <= 1 && pcid != 0 && !(c.cr4 & CR4_PCIDE)) raise_gp(c, 0);
  if (type == 0) {
    if (c.mode == MODE_LONG64 && !canonical_max_width(c, lin)) raise_gp(c, 0);
    c.flush_tlb_page(lin);
  } else {
    c.flush_tlb(type == 2);
  }
  return end_after(c, i);
}

// ---- SYSCALL / SYSRET
// Intel: SYSCALL/SYSRET exist only in 64-bit mode. AMD (a CPUID vendor of AuthenticAMD, qemu64):
// SYSCALL also from compatibility mode (to CSTAR) and from legacy mode (to STAR[31:0]), which is
// how Linux enters the kernel from 32-bit processes on AMD.
const Insn* syscall_legacy_amd(Cpu& c, const Insn* i) {
  uint16_t sel = (uint16_t)((c.star >> 32) & 0xfffc);
  c.gpr[1] = (uint32_t)next_rip(c, i);
  c.set_rflags(c.get_rflags() & ~(F_VM | F_IF | F_RF));
  c.set_cpl(0);
  set_seg_cache(c, TSV_SEG_SS, sel + 8, 0, 0xffffffff, 0xc93);
  set_seg_cache(c, TSV_SEG_CS, sel, 0, 0xffffffff, 0xc9b);
  c.rip = (uint32_t)c.star;
  return &kEndOfBlock;
}
const Insn* SYSCALL(Cpu& c, const Insn* i) {
  if (!(c.efer & EFER_SCE)) raise_ud(c);
  bool amd = c.vm->features().amd;
  if (c.mode != MODE_LONG64 && !amd) raise_ud(c);
  if (!(c.efer & EFER_LMA)) return syscall_legacy_amd(c, i);
  uint16_t sel = (uint16_t)((c.star >> 32) & 0xfffc);
  c.gpr[1] = c.mode == MODE_LONG64 ? next_rip(c, i) : (uint32_t)next_rip(c, i);
  c.gpr[11] = c.get_rflags() & ~F_RF;
  c.set_rflags(c.get_rflags() & ~c.sfmask & ~F_RF);
  uint64_t target = c.mode == MODE_LONG64 ? c.lstar : c.cstar;
  c.set_cpl(0);
  set_seg_cache(c, TSV_SEG_SS, sel + 8, 0, 0xffffffff, 0xc93);
  set_seg_cache(c, TSV_SEG_CS, sel, 0, 0xffffffff, 0xa9b);
  c.rip = target;
  return &kEndOfBlock;
}
const Insn* SYSRET(Cpu& c, const Insn* i) {
  if (!(c.efer & EFER_SCE) || c.mode != MODE_LONG64) raise_ud(c);
  need_cpl0(c);
  uint16_t base = (uint16_t)(c.star >> 48);
  bool to64 = i->opsize == 8;
  uint64_t target = to64 ? c.gpr[1] : (uint32_t)c.gpr[1];
  if (to64 && !canonical(c, target)) raise_gp(c, 0);
  c.set_rflags((c.gpr[11] & 0x3c7fd7) | 2);
  c.set_cpl(3);
  if (to64) set_seg_cache(c, TSV_SEG_CS, (base + 16) | 3, 0, 0xffffffff, 0xafb);
  else set_seg_cache(c, TSV_SEG_CS, base | 3, 0, 0xffffffff, 0xcfb);
  set_seg_cache(c, TSV_SEG_SS, (base + 8) | 3, 0, 0xffffffff, 0xcf3);
  c.rip = target;
  return &kEndOfBlock;
}

// SYSENTER / SYSEXIT (SEP): flat segments derived from IA32_SYSENTER_CS; AMD has them in legacy
// mode only (#UD in long mode)
const Insn* SYSENTER(Cpu& c, const Insn* i) {
  if ((c.efer & EFER_LMA) && c.vm->features().amd) raise_ud(c);
  if (c.mode == MODE_REAL || (c.sysenter_cs & 0xfffc) == 0) raise_gp(c, 0);
  uint16_t cs = (uint16_t)(c.sysenter_cs & 0xfffc);
  bool lm = c.efer & EFER_LMA;
  c.set_rflags(c.get_rflags() & ~(F_VM | F_IF | F_RF));
  c.set_cpl(0);
  set_seg_cache(c, TSV_SEG_SS, cs + 8, 0, 0xffffffff, 0xc93);
  set_seg_cache(c, TSV_SEG_CS, cs, 0, 0xffffffff, lm ? 0xa9b : 0xc9b);
  c.gpr[4] = lm ? c.sysenter_esp : (uint32_t)c.sysenter_esp;
  c.rip = lm ? c.sysenter_eip : (uint32_t)c.sysenter_eip;
  return &kEndOfBlock;
}
const Insn* SYSEXIT(Cpu& c, const Insn* i) {
  if ((c.efer & EFER_LMA) && c.vm->features().amd) raise_ud(c);
  if (c.mode == MODE_REAL || c.mode == MODE_V86 || c.cpl != 0 || (c.sysenter_cs & 0xfffc) == 0) raise_gp(c, 0);
  uint16_t base = (uint16_t)(c.sysenter_cs & 0xfffc);
  bool to64 = i->opsize == 8;
  uint64_t sp = to64 ? c.gpr[1] : (uint32_t)c.gpr[1], ip = to64 ? c.gpr[2] : (uint32_t)c.gpr[2];
  if (to64 && !canonical(c, ip)) raise_gp(c, 0);
  c.set_cpl(3);
  if (to64) {
    set_seg_cache(c, TSV_SEG_CS, (base + 32) | 3, 0, 0xffffffff, 0xafb);
    set_seg_cache(c, TSV_SEG_SS, (base + 40) | 3, 0, 0xffffffff, 0xcf3);
  } else {
    set_seg_cache(c, TSV_SEG_CS, (base + 16) | 3, 0, 0xffffffff, 0xcfb);
    set_seg_cache(c, TSV_SEG_SS, (base + 24) | 3, 0, 0xffffffff, 0xcf3);
  }
  c.gpr[4] = sp;
  c.rip = ip;
  return &kEndOfBlock;
}

}  // namespace

void register_system(OpTables& t) {
  t.two[0x34] = opd(D_ENDS, {SYSENTER});
  t.two[0x35] = opd(D_ENDS, {SYSEXIT});
  t.one[0xf4] = opd(D_ENDS, {HLT});
  t.one[0xfa] = opd(0, {CLI});
  t.one[0xfb] = opd(D_ENDS, {STI});
  t.one[0xf8] = opd(0, {FLAGOP<0>});
  t.one[0xf9] = opd(0, {FLAGOP<1>});
  t.one[0xf5] = opd(0, {FLAGOP<2>});
  t.one[0xfc] = opd(0, {FLAGOP<3>});
  t.one[0xfd] = opd(0, {FLAGOP<4>});

  t.two[0xa2] = opd(0, {CPUID});
  t.two[0x31] = opd(D_ALONE, {RDTSC});
  // D_ALONE: IA32_TSC reads/writes need the exact instruction count
  t.two[0x32] = opd(D_ENDS | D_ALONE, {RDMSR});
  t.two[0x30] = opd(D_ENDS | D_ALONE, {WRMSR});
  t.two[0x20] = opd(D_MODRM | D_FORCE64, {MOV_RdCd});
  t.two[0x22] = opd(D_MODRM | D_FORCE64 | D_ENDS, {MOV_CdRd});
  t.two[0x21] = opd(D_MODRM | D_FORCE64, {MOV_RdDd});
  t.two[0x23] = opd(D_MODRM | D_FORCE64 | D_ENDS, {MOV_DdRd});
  t.two[0x06] = opd(0, {CLTS});
  t.two[0x08] = opd(0, {WBINVD});
  t.two[0x09] = opd(0, {WBINVD});
  t.two[0x05] = opd(D_ENDS, {SYSCALL});
  t.two[0x07] = opd(D_ENDS, {SYSRET});
  t.two[0x0d] = opd(D_MODRM | D_MEMONLY, {NOPF});  // PREFETCHW hint
  t.sse[1][0x82][1] = opd(D_MODRM | D_MEMONLY | D_FORCE64 | D_ENDS, {INVPCID_GyMdq});

  // group 7 register forms (the memory forms come from register_descriptor_tables, which runs first);
  // /7 mod 3 includes RDTSCP, which must start its own block
  t.two[0x01].attr = grp_attr(G7_0F01) | D_VALID;
  for (int k : {0, 1, 2, 3, 7}) {
    OpDesc& d = t.grp[G7_0F01][k];
    d.h[0] = d.h[1] = d.h[2] = GRP7_R;
    d.attr = (d.attr & ~(uint32_t)D_MEMONLY) | D_VALID | D_ENDS | ((k == 0 || k == 7) ? (uint32_t)D_ALONE : 0u);
  }
}

}  // namespace tsv
