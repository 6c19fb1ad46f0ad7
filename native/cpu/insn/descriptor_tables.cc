// Descriptor-table and segment-inspection instructions: group 6
// (SLDT/STR/LLDT/LTR/VERR/VERW), the memory forms of group 7
// (SGDT/SIDT/LGDT/LIDT/SMSW/LMSW/INVLPG), and LAR/LSL.
#include "cpu/decoder.h"
#include "cpu/insn/privilege.h"

namespace tsv {
namespace {

// ---- group 6: SLDT/STR/LLDT/LTR/VERR/VERW
template <int S> const Insn* SxDT_Ew(Cpu& c, const Insn* i) {  // SLDT (S=LDTR) / STR (S=TR)
  need_prot(c);
  umip_check(c);
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
  uint64_t base = desc_base(d) | ((hi & 0xffffffffull) << 32);
  if ((c.efer & EFER_LMA) && !canonical_max_width(c, base)) raise_gp(c, sel & 0xfffc);
  set_seg_cache(c, TSV_SEG_LDTR, sel, base, desc_limit(d), a);
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
  uint64_t base = desc_base(d) | ((hi & 0xffffffffull) << 32);
  if ((c.efer & EFER_LMA) && !canonical_max_width(c, base)) raise_gp(c, sel & 0xfffc);
  sys_write(c, c.gdtr_base + (sel & ~7u) + 5, 1, ((d >> 40) & 0xff) | 2);  // mark busy
  set_seg_cache(c, TSV_SEG_TR, sel, base, desc_limit(d), a | 2);
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
  umip_check(c);
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
    if (!canonical_max_width(c, base)) raise_gp(c, 0);
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
  umip_check(c);
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

}  // namespace

void register_descriptor_tables(OpTables& t) {
  t.two[0x02] = opd(D_MODRM, {LxR_GvEw<uint16_t, false>, LxR_GvEw<uint32_t, false>, LxR_GvEw<uint64_t, false>});
  t.two[0x03] = opd(D_MODRM, {LxR_GvEw<uint16_t, true>, LxR_GvEw<uint32_t, true>, LxR_GvEw<uint64_t, true>});

  t.two[0x00].attr = grp_attr(G6_0F00) | D_VALID;
  t.grp[G6_0F00][0] = opd(0, {SxDT_Ew<TSV_SEG_LDTR>});
  t.grp[G6_0F00][1] = opd(0, {SxDT_Ew<TSV_SEG_TR>});
  t.grp[G6_0F00][2] = opd(D_ENDS, {LLDT_Ew});
  t.grp[G6_0F00][3] = opd(D_ENDS, {LTR_Ew});
  t.grp[G6_0F00][4] = opd(0, {VERx_Ew<false>});
  t.grp[G6_0F00][5] = opd(0, {VERx_Ew<true>});

  // memory forms of group 7; register_system adds the register forms
  t.two[0x01].attr = grp_attr(G7_0F01) | D_VALID;
  t.grp[G7_0F01][0] = opd_m(D_MEMONLY, {nullptr}, {SxDT_M<false>});
  t.grp[G7_0F01][1] = opd_m(D_MEMONLY, {nullptr}, {SxDT_M<true>});
  t.grp[G7_0F01][2] = opd_m(D_MEMONLY | D_ENDS | D_DEF64, {nullptr}, {LxDT_M<false>});  // 64-bit base in 64-bit mode
  t.grp[G7_0F01][3] = opd_m(D_MEMONLY | D_ENDS | D_DEF64, {nullptr}, {LxDT_M<true>});
  t.grp[G7_0F01][4] = opd(0, {SMSW_Ew});
  t.grp[G7_0F01][6] = opd(D_ENDS, {LMSW_Ew});
  t.grp[G7_0F01][7] = opd_m(D_MEMONLY | D_ENDS, {nullptr}, {INVLPG_M});
}

}  // namespace tsv
