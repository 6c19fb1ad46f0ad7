// Segment-register loads (real, V86, protected and long mode), descriptor
// decoding and far control transfers (far JMP/CALL/RET).
#include "cpu/interrupts.h"
#include "cpu/task_switch.h"
#include "cpu/vm.h"

namespace tsv {

uint16_t desc_attr(uint64_t d) { return (uint16_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8)); }
uint64_t desc_base(uint64_t d) { return ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24); }
uint32_t desc_limit(uint64_t d) {
  uint32_t l = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16));
  if ((d >> 55) & 1) l = (l << 12) | 0xfff;
  return l;
}

uint64_t read_descriptor(Cpu& c, uint16_t sel, bool& ok) {
  uint64_t base;
  uint32_t limit;
  if (sel & 4) {
    const SegCache& l = c.seg[TSV_SEG_LDTR];
    if ((l.attr & TSV_SEG_ATTR_UNUSABLE) || !(l.attr & TSV_SEG_ATTR_P)) { ok = false; return 0; }
    base = l.base;
    limit = l.limit;
  } else {
    base = c.gdtr_base;
    limit = c.gdtr_limit;
  }
  uint32_t off = sel & ~7u;
  if (off + 7 > limit) { ok = false; return 0; }
  ok = true;
  return sys_read(c, base + off, 8);
}

static void set_accessed(Cpu& c, uint16_t sel, uint64_t d) {
  if (d & (1ull << 40)) return;
  uint64_t base = (sel & 4) ? c.seg[TSV_SEG_LDTR].base : c.gdtr_base;
  sys_write(c, base + (sel & ~7u) + 5, 1, ((d >> 40) & 0xff) | 1);
}

void load_seg_real(Cpu& c, int s, uint16_t sel) {
  SegCache& sc = c.seg[s];
  sc.sel = sel;
  sc.base = (uint64_t)sel << 4;
  if (c.mode == MODE_V86) {
    sc.limit = 0xffff;
    sc.attr = s == TSV_SEG_CS ? 0xfb : 0xf3;
  }
  if (s == TSV_SEG_CS) c.recompute_mode();
  else refresh_seg_windows(c, s);
}

void load_seg(Cpu& c, int s, uint16_t sel) {
  if (c.mode == MODE_REAL || c.mode == MODE_V86) {
    load_seg_real(c, s, sel);
    return;
  }
  uint16_t rpl = sel & 3;
  if ((sel & ~3u) == 0) {
    if (s == TSV_SEG_SS) {
      // a null SS is legal only in 64-bit mode below CPL 3 with RPL == CPL
      if (c.mode != MODE_LONG64 || c.cpl == 3 || rpl != c.cpl) raise_gp(c, 0);
    }
    set_seg_cache(c, s, sel, 0, 0, TSV_SEG_ATTR_UNUSABLE | (s == TSV_SEG_SS ? (c.cpl << TSV_SEG_ATTR_DPL_SHIFT) : 0));
    return;
  }
  bool ok;
  uint64_t d = read_descriptor(c, sel, ok);
  if (!ok) raise_gp(c, sel & 0xfffc);
  uint16_t a = desc_attr(d);
  unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
  bool sys = !(a & TSV_SEG_ATTR_S);
  bool code = a & 8;
  if (s == TSV_SEG_SS) {
    if (sys || code || !(a & 2) || rpl != c.cpl || dpl != c.cpl) raise_gp(c, sel & 0xfffc);
    if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_SS, sel & 0xfffc);
  } else {
    if (sys || (code && !(a & 2))) raise_gp(c, sel & 0xfffc);
    bool conforming_code = code && (a & 4);
    if (!conforming_code && (dpl < c.cpl || dpl < rpl)) raise_gp(c, sel & 0xfffc);
    if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, sel & 0xfffc);
  }
  set_accessed(c, sel, d);
  set_seg_cache(c, s, sel, desc_base(d), desc_limit(d), a | 1);
}

// Loads CS for a far transfer to a code-segment descriptor at privilege level new_cpl.
static void load_cs_desc(Cpu& c, uint16_t sel, uint64_t d, unsigned new_cpl) {
  set_accessed(c, sel, d);
  uint16_t a = desc_attr(d) | 1;
  c.set_cpl(new_cpl);
  set_seg_cache(c, TSV_SEG_CS, (sel & ~3u) | new_cpl, desc_base(d), desc_limit(d), a);
}

static uint64_t check_code_desc(Cpu& c, uint16_t sel, unsigned cpl_for_check, bool ret) {
  if ((sel & ~3u) == 0) raise_gp(c, 0);
  bool ok;
  uint64_t d = read_descriptor(c, sel, ok);
  if (!ok) raise_gp(c, sel & 0xfffc);
  uint16_t a = desc_attr(d);
  unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
  unsigned rpl = sel & 3;
  if (!(a & TSV_SEG_ATTR_S) || !(a & 8)) raise_gp(c, sel & 0xfffc);  // system descriptors the callers did not take
  if (ret) {
    if (rpl < cpl_for_check) raise_gp(c, sel & 0xfffc);
    if ((a & 4) ? dpl > rpl : dpl != rpl) raise_gp(c, sel & 0xfffc);
  } else if (a & 4) {
    if (dpl > cpl_for_check) raise_gp(c, sel & 0xfffc);
  } else if (rpl > cpl_for_check || dpl != cpl_for_check) {
    raise_gp(c, sel & 0xfffc);
  }
  if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, sel & 0xfffc);
  if ((c.efer & EFER_LMA) && (a & TSV_SEG_ATTR_L) && (a & TSV_SEG_ATTR_DB)) raise_gp(c, sel & 0xfffc);
  return d;
}

template <class T> static void push_pair(Cpu& c, uint16_t cs, uint64_t ip) {
  // both pushes must succeed before anything is committed
  uint64_t sp = c.gpr[4];
  push<T>(c, (T)cs);
  try {
    push<T>(c, (T)ip);
  } catch (...) {
    c.gpr[4] = sp;
    throw;
  }
}

// Far CALL/JMP through a call gate (16/32-bit gates, or 64-bit gates in long mode).
// A CALL to a more privileged non-conforming segment switches to the TSS stack of
// that level and (outside long mode) copies the gate's parameter count of entries.
static void through_call_gate(Cpu& c, uint16_t gsel, uint64_t g, int kind, uint64_t ret_rip) {
  const bool lm = c.efer & EFER_LMA;
  uint16_t ga = desc_attr(g);
  unsigned gdpl = (ga >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
  if (gdpl < c.cpl || gdpl < (gsel & 3u)) raise_gp(c, gsel & 0xfffc);
  if (!(ga & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, gsel & 0xfffc);
  uint16_t tsel = (uint16_t)(g >> 16);
  uint64_t target = (g & 0xffff) | ((g >> 32) & 0xffff0000ull);
  unsigned size = lm ? 8 : ((ga & 0xf) == 0xc ? 4 : 2);
  unsigned params = lm ? 0 : (unsigned)((g >> 32) & 0x1f);
  if (lm) {
    uint64_t hi = sys_read(c, ((gsel & 4) ? c.seg[TSV_SEG_LDTR].base : c.gdtr_base) + (gsel & ~7u) + 8, 8);
    if ((hi >> 40) & 0x1f) raise_gp(c, gsel & 0xfffc);  // the upper half's type field must be 0
    target |= (hi & 0xffffffffull) << 32;
  } else if (size == 2) {
    target &= 0xffff;
  }
  if ((tsel & ~3u) == 0) raise_gp(c, 0);
  bool ok;
  uint64_t d = read_descriptor(c, tsel, ok);
  if (!ok) raise_gp(c, tsel & 0xfffc);
  uint16_t a = desc_attr(d);
  unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
  bool conforming = a & 4;
  if (!(a & TSV_SEG_ATTR_S) || !(a & 8) || dpl > c.cpl) raise_gp(c, tsel & 0xfffc);
  if (kind == 0 && !conforming && dpl != c.cpl) raise_gp(c, tsel & 0xfffc);
  if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, tsel & 0xfffc);
  if (lm && (!(a & TSV_SEG_ATTR_L) || (a & TSV_SEG_ATTR_DB))) raise_gp(c, tsel & 0xfffc);
  if (lm ? !canonical(c, target) : target > desc_limit(d)) raise_gp(c, 0);
  uint16_t old_cs = c.seg[TSV_SEG_CS].sel;

  if (kind == 1 && !conforming && dpl < c.cpl) {
    // more privileged: new stack from the TSS, old SS:SP and the parameters on it
    uint64_t nsp;
    uint16_t nss = 0;
    uint64_t ss_base = 0, mask = ~0ull, ssd = 0;
    if (lm) {
      nsp = tss_read(c, 4 + 8 * dpl, 8);
    } else {
      bool tss32 = (c.seg[TSV_SEG_TR].attr & 0xf) == 0x9 || (c.seg[TSV_SEG_TR].attr & 0xf) == 0xb;
      nsp = tss32 ? tss_read(c, 4 + 8 * dpl, 4) : tss_read(c, 2 + 4 * dpl, 2);
      nss = (uint16_t)(tss32 ? tss_read(c, 8 + 8 * dpl, 2) : tss_read(c, 4 + 4 * dpl, 2));
      if ((nss & ~3u) == 0 || (nss & 3u) != dpl) raise_exc_err(c, EXC_TS, nss & 0xfffc);
      ssd = read_descriptor(c, nss, ok);
      uint16_t sa = desc_attr(ssd);
      if (!ok || !(sa & TSV_SEG_ATTR_S) || (sa & 8) || !(sa & 2) || ((sa >> TSV_SEG_ATTR_DPL_SHIFT) & 3) != dpl)
        raise_exc_err(c, EXC_TS, nss & 0xfffc);
      if (!(sa & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_SS, nss & 0xfffc);
      ss_base = desc_base(ssd);
      mask = (sa & TSV_SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;
    }
    uint64_t old_sp = c.gpr[4], old_mask = stack_mask(c), old_base = c.seg[TSV_SEG_SS].ebase;
    uint16_t old_ss = c.seg[TSV_SEG_SS].sel;
    uint64_t param[32];
    for (unsigned k = 0; k < params; k++) param[k] = sys_read(c, old_base + ((old_sp + k * size) & old_mask), size);
    uint64_t sp = nsp & mask;
    auto put = [&](uint64_t v) {
      sp = (sp - size) & mask;
      sys_write(c, ss_base + sp, size, v);
    };
    put(old_ss);
    put(old_sp);
    for (unsigned k = params; k-- > 0;) put(param[k]);
    put(old_cs);
    put(ret_rip);
    c.set_cpl(dpl);
    if (lm) set_seg_cache(c, TSV_SEG_SS, dpl, 0, 0, TSV_SEG_ATTR_UNUSABLE | (dpl << TSV_SEG_ATTR_DPL_SHIFT));
    else set_seg_cache(c, TSV_SEG_SS, nss, desc_base(ssd), desc_limit(ssd), desc_attr(ssd) | 1);
    c.gpr[4] = lm ? sp : ((c.gpr[4] & ~mask) | sp);
  } else if (kind == 1) {
    if (size == 8) push_pair<uint64_t>(c, old_cs, ret_rip);
    else if (size == 4) push_pair<uint32_t>(c, old_cs, ret_rip);
    else push_pair<uint16_t>(c, old_cs, ret_rip);
  }
  unsigned new_cpl = conforming ? c.cpl : dpl;
  load_cs_desc(c, tsel, d, kind == 1 ? new_cpl : c.cpl);
  c.rip = target;
}

void far_transfer(Cpu& c, uint16_t sel, uint64_t off, int kind, unsigned opsize, uint64_t ret_rip) {
  uint16_t old_cs = c.seg[TSV_SEG_CS].sel;
  if (c.mode == MODE_REAL || c.mode == MODE_V86) {
    if (kind == 1) {
      if (opsize == 4) push_pair<uint32_t>(c, old_cs, ret_rip);
      else push_pair<uint16_t>(c, old_cs, ret_rip);
    }
    load_seg_real(c, TSV_SEG_CS, sel);
    c.rip = opsize == 4 ? (uint32_t)off : (uint16_t)off;
    return;
  }
  if ((sel & ~3u) != 0) {
    bool ok;
    uint64_t g = read_descriptor(c, sel, ok);
    uint16_t ga = desc_attr(g);
    unsigned type = ga & 0xf;
    bool lm = c.efer & EFER_LMA;
    if (ok && !(ga & TSV_SEG_ATTR_S) && (lm ? type == 0xc : (type == 0x4 || type == 0xc))) {
      through_call_gate(c, sel, g, kind, ret_rip);
      return;
    }
    // a TSS or a task gate: a task switch (IA-32e mode has none: check_code_desc gives #GP)
    if (ok && !lm && !(ga & TSV_SEG_ATTR_S) && (type == 0x1 || type == 0x3 || type == 0x5 || type == 0x9 || type == 0xb)) {
      task_switch_far(c, sel, g, kind == 1 ? TS_CALL : TS_JMP, ret_rip);
      return;
    }
  }
  uint64_t d = check_code_desc(c, sel, c.cpl, false);
  uint16_t a = desc_attr(d);
  bool target64 = (c.efer & EFER_LMA) && (a & TSV_SEG_ATTR_L);
  uint64_t target = target64 ? off : (opsize == 2 ? (uint16_t)off : (uint32_t)off);
  if (target64 ? !canonical(c, target) : target > desc_limit(d)) raise_gp(c, 0);
  if (kind == 1) {
    if (opsize == 8) push_pair<uint64_t>(c, old_cs, ret_rip);
    else if (opsize == 4) push_pair<uint32_t>(c, old_cs, ret_rip);
    else push_pair<uint16_t>(c, old_cs, ret_rip);
  }
  load_cs_desc(c, sel, d, c.cpl);
  c.rip = target;
}

// Data segments whose DPL is below the new CPL become unusable on a return to an outer level.
void null_outer_segments(Cpu& c) {
  for (int s : {TSV_SEG_ES, TSV_SEG_DS, TSV_SEG_FS, TSV_SEG_GS}) {
    SegCache& sc = c.seg[s];
    unsigned dpl = (sc.attr >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
    bool conforming_code = (sc.attr & 8) && (sc.attr & 4);
    if (!(sc.attr & TSV_SEG_ATTR_UNUSABLE) && !conforming_code && dpl < c.cpl)
      set_seg_cache(c, s, 0, 0, 0, TSV_SEG_ATTR_UNUSABLE);
  }
}

// RETF (kind 0) and the selector checks it shares with IRET (kind 1).
void far_return(Cpu& c, unsigned opsize, uint16_t imm, uint64_t new_ip, uint16_t new_cs) {
  if (c.mode == MODE_REAL || c.mode == MODE_V86) {
    sp_add(c, 2 * opsize + imm);
    load_seg_real(c, TSV_SEG_CS, new_cs);
    c.rip = new_ip;
    return;
  }
  uint64_t d = check_code_desc(c, new_cs, c.cpl, true);
  if ((c.efer & EFER_LMA) && (desc_attr(d) & TSV_SEG_ATTR_L) && !canonical(c, new_ip)) raise_gp(c, 0);
  unsigned rpl = new_cs & 3;
  if (rpl == c.cpl) {
    sp_add(c, 2 * opsize + imm);
    load_cs_desc(c, new_cs, d, rpl);
    c.rip = new_ip;
    return;
  }
  // return to an outer privilege level: SS:SP follow CS:IP (and the imm bytes)
  uint64_t sp_off = 2 * opsize + imm;
  uint64_t new_sp, new_ss;
  if (opsize == 8) { new_sp = pop_peek<uint64_t>(c, sp_off); new_ss = pop_peek<uint64_t>(c, sp_off + 8); }
  else if (opsize == 4) { new_sp = pop_peek<uint32_t>(c, sp_off); new_ss = pop_peek<uint32_t>(c, sp_off + 4); }
  else { new_sp = pop_peek<uint16_t>(c, sp_off); new_ss = pop_peek<uint16_t>(c, sp_off + 2); }
  uint8_t old_cpl = c.cpl;
  load_cs_desc(c, new_cs, d, rpl);
  try {
    load_seg(c, TSV_SEG_SS, (uint16_t)new_ss);
  } catch (...) {
    c.set_cpl(old_cpl);
    throw;
  }
  c.gpr[4] = opsize == 2 ? ((c.gpr[4] & ~0xffffull) | (uint16_t)(new_sp + imm)) : new_sp + imm;
  if (opsize == 4) c.gpr[4] = (uint32_t)c.gpr[4];
  c.rip = new_ip;
  null_outer_segments(c);
}

}  // namespace tsv
