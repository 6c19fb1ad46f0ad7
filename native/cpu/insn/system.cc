// System instructions: HLT, CLI/STI and the flag instructions, CPUID, RDTSC(P),
// control/debug-register moves, descriptor-table instructions (group 6/7),
// INVLPG, WBINVD/INVD, SYSCALL/SYSRET, SWAPGS, VMCALL/VMMCALL, UD2, fences,
// and the #UD/#NM answers for the x87/SSE opcodes this backend does not implement.
#include "cpu/decoder.h"
#include "cpu/interrupts.h"
#include "cpu/msr.h"
#include "cpu/vm.h"

namespace tsv {
namespace {

inline void need_cpl0(Cpu& c) {
  if (c.cpl != 0) raise_gp(c, 0);
}
inline void need_prot(Cpu& c) {
  if (c.mode == MODE_REAL || c.mode == MODE_V86) raise_ud(c);
}

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
  if (!(c.rflags & F_IF)) c.inhibit_irq = 1;  // interrupts open after the next instruction
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
  unsigned n = i->ext;
  if ((n == 4 || n == 5) && (c.cr4 & CR4_DE)) raise_ud(c);
  if (i->reg & 8) raise_ud(c);
  uint64_t v = n < 4 ? c.dr[n] : (n == 4 || n == 6) ? c.dr[4] : c.dr[5];
  if (c.mode == MODE_LONG64) c.gpr[i->rm] = v;
  else c.gpr[i->rm] = (uint32_t)v;
  return next(c, i);
}
const Insn* MOV_DdRd(Cpu& c, const Insn* i) {
  need_cpl0(c);
  unsigned n = i->ext;
  if ((n == 4 || n == 5) && (c.cr4 & CR4_DE)) raise_ud(c);
  if (i->reg & 8) raise_ud(c);
  uint64_t v = c.mode == MODE_LONG64 ? c.gpr[i->rm] : (uint32_t)c.gpr[i->rm];
  if (n >= 4 && (v >> 32)) raise_gp(c, 0);
  if (n < 4) c.dr[n] = v;
  else if (n == 4 || n == 6) c.dr[4] = (v & 0x1e00f) | 0xffff0ff0;
  else c.dr[5] = (v & ~0x0000d800ull & 0xffffffffull) | 0x400;
  return next(c, i);
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

// ---- group 6: SLDT/STR/LLDT/LTR/VERR/VERW
template <int S> const Insn* SxDT_Ew(Cpu& c, const Insn* i) {  // SLDT (S=LDTR) / STR (S=TR)
  need_prot(c);
  uint16_t sel = c.seg[S].sel;
  if (i->flags & INSN_MEM) wr<uint16_t>(c, i->seg, ea(c, i), sel);
  else if (i->opsize == 2) setr<uint16_t>(c, i->rm, sel);
  else c.gpr[i->rm] = sel;
  return next(c, i);
}
// Reads a system descriptor (16 bytes in long mode) from the GDT.
static uint64_t read_sys_desc(Cpu& c, uint16_t sel, uint64_t& hi) {
  if (sel & 4) raise_gp(c, sel & 0xfffc);
  bool ok;
  uint64_t d = read_descriptor(c, sel, ok);
  if (!ok) raise_gp(c, sel & 0xfffc);
  hi = 0;
  if (c.efer & EFER_LMA) {
    if ((sel & ~7u) + 15 > c.gdtr_limit) raise_gp(c, sel & 0xfffc);
    hi = sys_read(c, c.gdtr_base + (sel & ~7u) + 8, 8);
  }
  return d;
}
const Insn* LLDT_Ew(Cpu& c, const Insn* i) {
  need_prot(c);
  need_cpl0(c);
  uint16_t sel = rd_rm<uint16_t>(c, i);
  if ((sel & ~3u) == 0) {
    set_seg_cache(c, TSV_SEG_LDTR, sel, 0, 0, TSV_SEG_ATTR_UNUSABLE);
    return next(c, i);
  }
  uint64_t hi;
  uint64_t d = read_sys_desc(c, sel, hi);
  uint16_t a = desc_attr(d);
  if ((a & TSV_SEG_ATTR_S) || (a & 0xf) != 2) raise_gp(c, sel & 0xfffc);
  if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, sel & 0xfffc);
  set_seg_cache(c, TSV_SEG_LDTR, sel, desc_base(d) | ((hi & 0xffffffffull) << 32), desc_limit(d), a);
  return next(c, i);
}
const Insn* LTR_Ew(Cpu& c, const Insn* i) {
  need_prot(c);
  need_cpl0(c);
  uint16_t sel = rd_rm<uint16_t>(c, i);
  if ((sel & ~3u) == 0) raise_gp(c, 0);
  uint64_t hi;
  uint64_t d = read_sys_desc(c, sel, hi);
  uint16_t a = desc_attr(d);
  unsigned type = a & 0xf;
  bool ok_type = (c.efer & EFER_LMA) ? type == 9 : (type == 9 || type == 1);
  if ((a & TSV_SEG_ATTR_S) || !ok_type) raise_gp(c, sel & 0xfffc);
  if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, sel & 0xfffc);
  sys_write(c, c.gdtr_base + (sel & ~7u) + 5, 1, ((d >> 40) & 0xff) | 2);  // mark busy
  set_seg_cache(c, TSV_SEG_TR, sel, desc_base(d) | ((hi & 0xffffffffull) << 32), desc_limit(d), a | 2);
  return next(c, i);
}
template <bool W> const Insn* VERx_Ew(Cpu& c, const Insn* i) {
  need_prot(c);
  uint16_t sel = rd_rm<uint16_t>(c, i);
  bool ok = false;
  if (sel & ~3u) {
    bool found;
    uint64_t d = read_descriptor(c, sel, found);
    uint16_t a = desc_attr(d);
    unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
    if (found && (a & TSV_SEG_ATTR_S)) {
      bool code = a & 8, conforming = code && (a & 4);
      bool priv_ok = conforming || (dpl >= c.cpl && dpl >= (sel & 3u));
      ok = priv_ok && (W ? (!code && (a & 2)) : (!code || (a & 2)));
    }
  }
  uint32_t f = c.arith_flags() & ~F_ZF;
  set_arith_flags(c, ok ? f | F_ZF : f);
  return next(c, i);
}

// LAR / LSL: access rights or limit of a descriptor the current privilege may see; ZF says whether it could
template <class T, bool LSL> const Insn* LxR_GvEw(Cpu& c, const Insn* i) {
  need_prot(c);
  uint16_t sel = rd_rm<uint16_t>(c, i);
  bool ok = false;
  uint64_t d = 0;
  if (sel & ~3u) d = read_descriptor(c, sel, ok);
  uint16_t a = desc_attr(d);
  if (ok) {
    unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
    bool conforming_code = (a & TSV_SEG_ATTR_S) && (a & 8) && (a & 4);
    if (!(a & TSV_SEG_ATTR_S)) {
      unsigned type = a & 0xf;
      bool lm = c.efer & EFER_LMA;
      // system types valid for LSL (LDT, TSS) and LAR (also call gates)
      bool valid = lm ? (type == 2 || type == 9 || type == 0xb || (!LSL && type == 0xc))
                      : (type == 1 || type == 2 || type == 3 || type == 9 || type == 0xb ||
                         (!LSL && (type == 4 || type == 5 || type == 0xc)));
      ok = valid;
    }
    if (ok && !conforming_code && (dpl < c.cpl || dpl < (sel & 3u))) ok = false;
  }
  uint32_t f = c.arith_flags() & ~F_ZF;
  if (ok) {
    f |= F_ZF;
    uint64_t v = LSL ? desc_limit(d) : (d >> 32) & 0x00f0ff00ull;
    setr<T>(c, i->reg, (T)v);
  }
  set_arith_flags(c, f);
  return next(c, i);
}

// ---- group 7
template <bool IDT> const Insn* SxDT_M(Cpu& c, const Insn* i) {
  uint64_t off = ea(c, i);
  uint32_t limit = IDT ? c.idtr_limit : c.gdtr_limit;
  uint64_t base = IDT ? c.idtr_base : c.gdtr_base;
  unsigned bsz = c.mode == MODE_LONG64 ? 8 : 4;
  probe_write(c, i->seg, off, 2 + bsz);
  wr<uint16_t>(c, i->seg, off, (uint16_t)limit);
  uint64_t boff = off + 2;
  if (i->asize == 4) boff = (uint32_t)boff;
  else if (i->asize == 2) boff = (uint16_t)boff;
  if (bsz == 8) wr<uint64_t>(c, i->seg, boff, base);
  else wr<uint32_t>(c, i->seg, boff, (uint32_t)base);
  return next(c, i);
}
template <bool IDT> const Insn* LxDT_M(Cpu& c, const Insn* i) {
  need_cpl0(c);
  if (c.mode == MODE_V86) raise_gp(c, 0);
  uint64_t off = ea(c, i);
  uint16_t limit = rd<uint16_t>(c, i->seg, off);
  uint64_t boff = off + 2;
  if (i->asize == 4) boff = (uint32_t)boff;
  else if (i->asize == 2) boff = (uint16_t)boff;
  uint64_t base;
  if (c.mode == MODE_LONG64) {
    base = rd<uint64_t>(c, i->seg, boff);
    if ((uint64_t)((int64_t)(base << 16) >> 16) != base) raise_gp(c, 0);
  } else {
    base = rd<uint32_t>(c, i->seg, boff);
    if (i->opsize == 2) base &= 0xffffff;
  }
  if (IDT) {
    c.idtr_base = base;
    c.idtr_limit = limit;
  } else {
    c.gdtr_base = base;
    c.gdtr_limit = limit;
  }
  return next(c, i);
}
const Insn* SMSW_Ew(Cpu& c, const Insn* i) {
  if (i->flags & INSN_MEM) wr<uint16_t>(c, i->seg, ea(c, i), (uint16_t)c.cr0);
  else if (i->opsize == 2) setr<uint16_t>(c, i->rm, (uint16_t)c.cr0);
  else if (i->opsize == 4) c.gpr[i->rm] = (uint32_t)c.cr0;
  else c.gpr[i->rm] = c.cr0;
  return next(c, i);
}
const Insn* LMSW_Ew(Cpu& c, const Insn* i) {
  need_cpl0(c);
  uint16_t v = rd_rm<uint16_t>(c, i);
  // LMSW can set PE but never clear it
  uint64_t ncr0 = (c.cr0 & ~0xeull) | (v & 0xf) | (c.cr0 & CR0_PE);
  write_cr(c, 0, ncr0);
  return end_after(c, i);
}
const Insn* INVLPG_M(Cpu& c, const Insn* i) {
  need_cpl0(c);
  uint64_t lin = (c.seg[i->seg].ebase + ea(c, i)) & c.lin_mask;
  c.flush_tlb_page(lin);
  return end_after(c, i);
}
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

// ---- SYSCALL / SYSRET
// Intel semantics: SYSCALL/SYSRET exist only in 64-bit mode
const Insn* SYSCALL(Cpu& c, const Insn* i) {
  if (!(c.efer & EFER_SCE) || c.mode != MODE_LONG64) raise_ud(c);
  uint16_t sel = (uint16_t)((c.star >> 32) & 0xfffc);
  c.gpr[1] = next_rip(c, i);
  c.gpr[11] = c.get_rflags() & ~F_RF;
  c.set_rflags(c.get_rflags() & ~c.sfmask & ~F_RF);
  c.set_cpl(0);
  set_seg_cache(c, TSV_SEG_SS, sel + 8, 0, 0xffffffff, 0xc93);
  set_seg_cache(c, TSV_SEG_CS, sel, 0, 0xffffffff, 0xa9b);
  c.rip = c.lstar;
  return &kEndOfBlock;
}
const Insn* SYSRET(Cpu& c, const Insn* i) {
  if (!(c.efer & EFER_SCE) || c.mode != MODE_LONG64) raise_ud(c);
  need_cpl0(c);
  uint16_t base = (uint16_t)(c.star >> 48);
  bool to64 = i->opsize == 8;
  uint64_t target = to64 ? c.gpr[1] : (uint32_t)c.gpr[1];
  if (to64 && (uint64_t)((int64_t)(target << 16) >> 16) != target) raise_gp(c, 0);
  c.set_rflags((c.gpr[11] & 0x3c7fd7) | 2);
  c.set_cpl(3);
  if (to64) set_seg_cache(c, TSV_SEG_CS, (base + 16) | 3, 0, 0xffffffff, 0xafb);
  else set_seg_cache(c, TSV_SEG_CS, base | 3, 0, 0xffffffff, 0xcfb);
  set_seg_cache(c, TSV_SEG_SS, (base + 8) | 3, 0, 0xffffffff, 0xcf3);
  c.rip = target;
  return &kEndOfBlock;
}

// ---- x87 / SSE: no FPU in this backend
const Insn* FPU_ESC(Cpu& c, const Insn*) {
  if (c.cr0 & (CR0_EM | CR0_TS)) raise_exc(c, EXC_NM);
  raise_ud(c);
}
const Insn* FWAIT(Cpu& c, const Insn* i) {
  if ((c.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) raise_exc(c, EXC_NM);
  return next(c, i);
}
const Insn* SSE_OP(Cpu& c, const Insn*) {
  if (c.cr0 & CR0_TS) raise_exc(c, EXC_NM);
  raise_ud(c);
}
// 0F AE: CLFLUSH m8 (no cache to flush) and the fences (ordering is trivially kept)
const Insn* GRP15(Cpu& c, const Insn* i) {
  if (i->flags & INSN_MEM) {
    if (i->ext == 7) {
      (void)rd<uint8_t>(c, i->seg, ea(c, i));  // faults like a byte load
      return next(c, i);
    }
    return SSE_OP(c, i);  // FXSAVE/FXRSTOR/LDMXCSR/STMXCSR/XSAVE...
  }
  if (i->ext >= 5) return next(c, i);  // LFENCE / MFENCE / SFENCE
  raise_ud(c);
}

// ---- BCD adjust, BOUND, INT1, SALC-free one-byte leftovers
const Insn* DAA_DAS(Cpu& c, const Insn* i) {
  bool das = i->op == 0x2f;
  uint32_t f = c.arith_flags();
  uint8_t al = (uint8_t)c.gpr[0], old = al;
  bool cf = f & F_CF, af = f & F_AF;
  bool ncf = false;
  if ((al & 0xf) > 9 || af) {
    al = das ? al - 6 : al + 6;
    ncf = cf || (das ? old < 6 : old > 0xf9);
    af = true;
  } else {
    af = false;
  }
  if (old > 0x99 || cf) {
    al = das ? al - 0x60 : al + 0x60;
    ncf = true;
  }
  setr<uint8_t>(c, 0, al);
  uint32_t nf = parity_flag(al) | (al == 0 ? F_ZF : 0) | ((al & 0x80) ? F_SF : 0) | (ncf ? F_CF : 0) | (af ? F_AF : 0);
  set_arith_flags(c, nf);
  return next(c, i);
}
const Insn* AAA_AAS(Cpu& c, const Insn* i) {
  bool aas = i->op == 0x3f;
  uint32_t f = c.arith_flags();
  uint16_t ax = (uint16_t)c.gpr[0];
  bool adj = ((ax & 0xf) > 9) || (f & F_AF);
  if (adj) {
    if (aas) {
      ax = (uint16_t)(ax - 6);
      ax = (uint16_t)((((ax >> 8) - 1) << 8) | (ax & 0xff));
    } else {
      ax = (uint16_t)(ax + 0x106);
    }
  }
  ax &= 0xff0f;
  setr<uint16_t>(c, 0, ax);
  set_arith_flags(c, (f & ~(F_CF | F_AF)) | (adj ? (F_CF | F_AF) : 0));
  return next(c, i);
}
const Insn* AAM(Cpu& c, const Insn* i) {
  uint8_t base = (uint8_t)i->imm;
  if (base == 0) raise_exc(c, EXC_DE);
  uint8_t al = (uint8_t)c.gpr[0];
  uint8_t r = al % base;
  setr<uint16_t>(c, 0, (uint16_t)(((al / base) << 8) | r));
  set_arith_flags(c, parity_flag(r) | (r == 0 ? F_ZF : 0) | ((r & 0x80) ? F_SF : 0));
  return next(c, i);
}
const Insn* AAD(Cpu& c, const Insn* i) {
  uint16_t ax = (uint16_t)c.gpr[0];
  uint8_t r = (uint8_t)((ax & 0xff) + (ax >> 8) * (uint8_t)i->imm);
  setr<uint16_t>(c, 0, r);
  set_arith_flags(c, parity_flag(r) | (r == 0 ? F_ZF : 0) | ((r & 0x80) ? F_SF : 0));
  return next(c, i);
}
template <class T> const Insn* BOUND_GvMa(Cpu& c, const Insn* i) {
  using S = std::make_signed_t<T>;
  uint64_t off = ea(c, i);
  S lo = (S)rd<T>(c, i->seg, off), hi = (S)rd<T>(c, i->seg, off + sizeof(T));
  S v = (S)getr<T>(c, i->reg);
  if (v < lo || v > hi) raise_exc(c, EXC_BR);
  return next(c, i);
}
const Insn* INT1(Cpu& c, const Insn* i) {
  deliver_event(c, EXC_DB, false, 0, false, next_rip(c, i));
  return &kEndOfBlock;
}

}  // namespace

void register_system(OpTables& t) {
  t.one[0xf4] = opd(D_ENDS, {HLT});
  t.one[0xfa] = opd(0, {CLI});
  t.one[0xfb] = opd(D_ENDS, {STI});
  t.one[0xf8] = opd(0, {FLAGOP<0>});
  t.one[0xf9] = opd(0, {FLAGOP<1>});
  t.one[0xf5] = opd(0, {FLAGOP<2>});
  t.one[0xfc] = opd(0, {FLAGOP<3>});
  t.one[0xfd] = opd(0, {FLAGOP<4>});
  t.one[0x27] = opd(D_INV64, {DAA_DAS});
  t.one[0x2f] = opd(D_INV64, {DAA_DAS});
  t.one[0x37] = opd(D_INV64, {AAA_AAS});
  t.one[0x3f] = opd(D_INV64, {AAA_AAS});
  t.one[0xd4] = opd(D_INV64 | D_IMM8U, {AAM});
  t.one[0xd5] = opd(D_INV64 | D_IMM8U, {AAD});
  t.one[0x62] = opd(D_MODRM | D_MEMONLY | D_INV64, {BOUND_GvMa<uint16_t>, BOUND_GvMa<uint32_t>, nullptr});
  t.one[0xf1] = opd(D_ENDS, {INT1});
  for (int op = 0xd8; op <= 0xdf; op++) t.one[op] = opd(D_MODRM | D_ENDS, {FPU_ESC});
  t.one[0x9b] = opd(0, {FWAIT});

  t.two[0xa2] = opd(0, {CPUID});
  t.two[0x02] = opd(D_MODRM, {LxR_GvEw<uint16_t, false>, LxR_GvEw<uint32_t, false>, LxR_GvEw<uint64_t, false>});
  t.two[0x03] = opd(D_MODRM, {LxR_GvEw<uint16_t, true>, LxR_GvEw<uint32_t, true>, LxR_GvEw<uint64_t, true>});
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

  t.two[0x00].attr = grp_attr(G6_0F00) | D_VALID;
  t.grp[G6_0F00][0] = opd(0, {SxDT_Ew<TSV_SEG_LDTR>});
  t.grp[G6_0F00][1] = opd(0, {SxDT_Ew<TSV_SEG_TR>});
  t.grp[G6_0F00][2] = opd(D_ENDS, {LLDT_Ew});
  t.grp[G6_0F00][3] = opd(D_ENDS, {LTR_Ew});
  t.grp[G6_0F00][4] = opd(0, {VERx_Ew<false>});
  t.grp[G6_0F00][5] = opd(0, {VERx_Ew<true>});

  t.two[0x01].attr = grp_attr(G7_0F01) | D_VALID;
  t.grp[G7_0F01][0] = opd_m(D_ENDS | D_ALONE, {GRP7_R}, {SxDT_M<false>});
  t.grp[G7_0F01][1] = opd_m(D_ENDS, {GRP7_R}, {SxDT_M<true>});
  t.grp[G7_0F01][2] = opd_m(D_ENDS, {GRP7_R}, {LxDT_M<false>});
  t.grp[G7_0F01][3] = opd_m(D_ENDS, {GRP7_R}, {LxDT_M<true>});
  t.grp[G7_0F01][4] = opd(0, {SMSW_Ew});
  t.grp[G7_0F01][6] = opd(D_ENDS, {LMSW_Ew});
  t.grp[G7_0F01][7] = opd_m(D_ENDS | D_ALONE, {GRP7_R}, {INVLPG_M});  // /7 mod 3 includes RDTSCP
  for (int k : {2, 3}) t.grp[G7_0F01][k].attr |= D_DEF64;  // LGDT/LIDT take a 64-bit base in 64-bit mode

  t.two[0xae] = opd(D_MODRM, {GRP15});
  // SSE / MMX opcode space: #UD (or #NM with CR0.TS) until the SSE work lands
  for (int op : {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f})
    t.two[op] = opd(D_MODRM | D_ENDS, {SSE_OP});
  for (int op = 0x50; op <= 0x7f; op++) t.two[op] = opd(D_MODRM | D_ENDS, {SSE_OP});
  for (int op = 0xc2; op <= 0xc6; op++) t.two[op] = opd(D_MODRM | D_ENDS, {SSE_OP});
  for (int op = 0xd0; op <= 0xfe; op++) t.two[op] = opd(D_MODRM | D_ENDS, {SSE_OP});
  t.two[0x77] = opd(D_ENDS, {SSE_OP});
}

}  // namespace tsv
