// Hardware task switches (Intel SDM vol. 3, 7.3): the checks of the
// instruction or event that starts one, the old task's state saved into its
// TSS, busy bits and the previous-task link, then the new task's state loaded
// from its TSS. Faults up to the commit point belong to the old task; once TR
// names the new task, faults of the segment loads are delivered in the new
// task's context (its EIP, its segment selectors), as on the CPU.
#include "cpu/task_switch.h"
#include "cpu/debug_regs.h"
#include "cpu/interrupts.h"

namespace tsv {

namespace {

constexpr uint16_t kTypeTss16 = 0x1, kTypeTss16Busy = 0x3, kTypeTaskGate = 0x5;
constexpr uint16_t kTypeTss32 = 0x9, kTypeTss32Busy = 0xb;
constexpr uint16_t kBusyBit = 0x2;  // in the TSS descriptor type
constexpr uint64_t DR6_BT = 1u << 15;
constexpr uint64_t DR7_LOCAL_ENABLES = 0x155;  // L0-L3 and LE: cleared on every task switch

bool is_tss(uint16_t attr) {
  unsigned t = attr & 0xf;
  return !(attr & TSV_SEG_ATTR_S) && (t == kTypeTss16 || t == kTypeTss16Busy || t == kTypeTss32 || t == kTypeTss32Busy);
}

// The task state a TSS holds (32-bit layout; a 16-bit TSS fills the 16-bit parts).
struct TaskState {
  uint32_t cr3, eip, eflags;
  uint32_t gpr[8];   // EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI
  uint16_t sel[6];   // ES, CS, SS, DS, FS, GS (TSV_SEG_* order)
  uint16_t ldt;
  bool trap;         // T bit: #DB once the new task is entered
};

// 32-bit TSS: CR3 0x1c, EIP 0x20, EFLAGS 0x24, GPRs 0x28.., ES..GS 0x48 + 4n, LDT 0x60, T 0x64.
// 16-bit TSS: IP 0x0e, FLAGS 0x10, GPRs 0x12.., ES/CS/SS/DS 0x22 + 2n, LDT 0x2a.
void read_task(Cpu& c, uint64_t base, bool tss32, TaskState& t) {
  if (tss32) {
    t.cr3 = (uint32_t)sys_read(c, base + 0x1c, 4);
    t.eip = (uint32_t)sys_read(c, base + 0x20, 4);
    t.eflags = (uint32_t)sys_read(c, base + 0x24, 4);
    for (int k = 0; k < 8; k++) t.gpr[k] = (uint32_t)sys_read(c, base + 0x28 + 4 * k, 4);
    for (int s = 0; s < 6; s++) t.sel[s] = (uint16_t)sys_read(c, base + 0x48 + 4 * s, 2);
    t.ldt = (uint16_t)sys_read(c, base + 0x60, 2);
    t.trap = sys_read(c, base + 0x64, 2) & 1;
  } else {
    t.cr3 = 0;
    t.eip = (uint16_t)sys_read(c, base + 0x0e, 2);
    t.eflags = (uint16_t)sys_read(c, base + 0x10, 2);
    for (int k = 0; k < 8; k++) t.gpr[k] = (uint16_t)sys_read(c, base + 0x12 + 2 * k, 2);
    for (int s = 0; s < 4; s++) t.sel[s] = (uint16_t)sys_read(c, base + 0x22 + 2 * s, 2);
    t.sel[TSV_SEG_FS] = t.sel[TSV_SEG_GS] = 0;
    t.ldt = (uint16_t)sys_read(c, base + 0x2a, 2);
    t.trap = false;
  }
}

// The dynamic fields of the current task (CR3 and LDT are not saved).
void save_task(Cpu& c, uint64_t base, bool tss32, uint32_t eip, uint32_t eflags) {
  if (tss32) {
    sys_write(c, base + 0x20, 4, eip);
    sys_write(c, base + 0x24, 4, eflags);
    for (int k = 0; k < 8; k++) sys_write(c, base + 0x28 + 4 * k, 4, (uint32_t)c.gpr[k]);
    for (int s = 0; s < 6; s++) sys_write(c, base + 0x48 + 4 * s, 2, c.seg[s].sel);
  } else {
    sys_write(c, base + 0x0e, 2, (uint16_t)eip);
    sys_write(c, base + 0x10, 2, (uint16_t)eflags);
    for (int k = 0; k < 8; k++) sys_write(c, base + 0x12 + 2 * k, 2, (uint16_t)c.gpr[k]);
    for (int s = 0; s < 4; s++) sys_write(c, base + 0x22 + 2 * s, 2, c.seg[s].sel);
  }
}

void set_busy(Cpu& c, uint16_t sel, bool busy) {
  uint64_t at = c.gdtr_base + (sel & ~7u) + 5;
  uint8_t access = (uint8_t)sys_read(c, at, 1);
  sys_write(c, at, 1, busy ? (access | kBusyBit) : (access & ~kBusyBit));
}

void set_accessed_bit(Cpu& c, uint16_t sel, uint64_t d) {
  if (d & (1ull << 40)) return;
  uint64_t base = (sel & 4) ? c.seg[TSV_SEG_LDTR].base : c.gdtr_base;
  sys_write(c, base + (sel & ~7u) + 5, 1, ((d >> 40) & 0xff) | 1);
}

[[noreturn]] void raise_ts(Cpu& c, uint16_t sel, uint32_t ext) { raise_exc_err(c, EXC_TS, (sel & 0xfffc) | ext); }

// The new task's LDTR and segment registers, checked in the SDM's order (Table 7-1):
// LDT, CS, SS, then ES/DS/FS/GS. Raises #TS/#NP/#SS with the failing selector.
void load_task_segments(Cpu& c, const TaskState& t, uint32_t ext) {
  if ((t.ldt & ~3u) == 0) {
    set_seg_cache(c, TSV_SEG_LDTR, t.ldt, 0, 0, TSV_SEG_ATTR_UNUSABLE);
  } else {
    if (t.ldt & 4) raise_ts(c, t.ldt, ext);
    bool ok;
    uint64_t d = read_descriptor(c, t.ldt, ok);
    uint16_t a = desc_attr(d);
    if (!ok || (a & TSV_SEG_ATTR_S) || (a & 0xf) != 2 || !(a & TSV_SEG_ATTR_P)) raise_ts(c, t.ldt, ext);
    set_seg_cache(c, TSV_SEG_LDTR, t.ldt, desc_base(d), desc_limit(d), a);
  }
  if (c.rflags & F_VM) {  // a virtual-8086 task: real-mode style segments at CPL 3
    c.recompute_mode();
    for (int s = 0; s < 6; s++) load_seg_real(c, s, t.sel[s]);
    return;
  }
  // CS: a present code segment whose DPL matches its RPL (at most its RPL when conforming)
  const uint16_t cs = t.sel[TSV_SEG_CS];
  const unsigned cpl = cs & 3;
  if ((cs & ~3u) == 0) raise_ts(c, cs, ext);
  bool ok;
  uint64_t csd = read_descriptor(c, cs, ok);
  uint16_t ca = desc_attr(csd);
  unsigned cdpl = (ca >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
  if (!ok || !(ca & TSV_SEG_ATTR_S) || !(ca & 8) || ((ca & 4) ? cdpl > cpl : cdpl != cpl)) raise_ts(c, cs, ext);
  if (!(ca & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, (cs & 0xfffc) | ext);
  set_accessed_bit(c, cs, csd);
  c.set_cpl(cpl);
  set_seg_cache(c, TSV_SEG_CS, cs, desc_base(csd), desc_limit(csd), ca | 1);
  // SS: a present writable data segment at the new CPL
  const uint16_t ss = t.sel[TSV_SEG_SS];
  if ((ss & ~3u) == 0) raise_ts(c, ss, ext);
  uint64_t ssd = read_descriptor(c, ss, ok);
  uint16_t sa = desc_attr(ssd);
  if (!ok || (ss & 3) != cpl || !(sa & TSV_SEG_ATTR_S) || (sa & 8) || !(sa & 2) ||
      ((sa >> TSV_SEG_ATTR_DPL_SHIFT) & 3) != cpl)
    raise_ts(c, ss, ext);
  if (!(sa & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_SS, (ss & 0xfffc) | ext);
  set_accessed_bit(c, ss, ssd);
  set_seg_cache(c, TSV_SEG_SS, ss, desc_base(ssd), desc_limit(ssd), sa | 1);
  // data segments: null is fine; else readable, present, and reachable from CPL and RPL
  for (int s : {TSV_SEG_ES, TSV_SEG_DS, TSV_SEG_FS, TSV_SEG_GS}) {
    const uint16_t sel = t.sel[s];
    if ((sel & ~3u) == 0) {
      set_seg_cache(c, s, sel, 0, 0, TSV_SEG_ATTR_UNUSABLE);
      continue;
    }
    uint64_t d = read_descriptor(c, sel, ok);
    uint16_t a = desc_attr(d);
    unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
    bool code = a & 8;
    if (!ok || !(a & TSV_SEG_ATTR_S) || (code && !(a & 2))) raise_ts(c, sel, ext);
    if (!(code && (a & 4)) && (dpl < cpl || dpl < (sel & 3u))) raise_ts(c, sel, ext);
    if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, (sel & 0xfffc) | ext);
    set_accessed_bit(c, sel, d);
    set_seg_cache(c, s, sel, desc_base(d), desc_limit(d), a | 1);
  }
}

// A fault after the commit point: delivered in the new task (the switch itself is done).
void deliver_in_new_task(Cpu& c) {
  if (!deliver_exception(c, c.exc_vec, c.exc_has_err, c.exc_err) && c.exit_reason == TSV_EXIT_NONE) {
    c.exit_reason = TSV_EXIT_SHUTDOWN;
    c.bufref<uint32_t>(TSV_OFF_EXIT_SHUTDOWN_REASON) = TSV_SHUTDOWN_TRIPLE_FAULT;
  }
}

// The switch itself (SDM 7.3 steps 3-14) to the TSS selected by nsel (descriptor nd).
void switch_to(Cpu& c, uint16_t nsel, uint64_t nd, TaskSwitchSource src, uint32_t ret_eip, uint32_t ext, bool has_err,
               uint32_t err) {
  const uint16_t na = desc_attr(nd);
  const bool n32 = (na & 0xf) == kTypeTss32 || (na & 0xf) == kTypeTss32Busy;
  const uint64_t nbase = desc_base(nd);
  const uint32_t nlimit = desc_limit(nd);
  if (!(na & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, (nsel & 0xfffc) | ext);
  const bool nbusy = na & kBusyBit;
  if (src == TS_IRET ? !nbusy : nbusy) {
    if (src == TS_IRET) raise_ts(c, nsel, ext);
    raise_gp(c, (nsel & 0xfffc) | ext);
  }
  if (nlimit < (n32 ? 0x67u : 0x2bu)) raise_ts(c, nsel, ext);
  const SegCache otr = c.seg[TSV_SEG_TR];
  const bool o32 = (otr.attr & 0xf) == kTypeTss32 || (otr.attr & 0xf) == kTypeTss32Busy;
  if (otr.limit < (o32 ? 0x67u : 0x2bu)) raise_ts(c, otr.sel, ext);

  // everything that can fault in the old task first: read the new state, then save the old one
  TaskState t;
  read_task(c, nbase, n32, t);
  uint32_t old_flags = (uint32_t)c.get_rflags();
  if (src == TS_IRET) old_flags &= ~F_NT;  // the task being left is no longer nested
  save_task(c, otr.base, o32, ret_eip, old_flags);
  if (src == TS_JMP || src == TS_IRET) set_busy(c, otr.sel, false);
  if (src == TS_CALL || src == TS_GATE) {
    sys_write(c, nbase, 2, otr.sel);  // previous-task link
    t.eflags |= F_NT;
  }
  if (src != TS_IRET) set_busy(c, nsel, true);

  // commit: the new task is current from here on
  set_seg_cache(c, TSV_SEG_TR, nsel, nbase, nlimit, na | kBusyBit);
  c.cr0 |= CR0_TS;
  if (n32 && (c.cr0 & CR0_PG)) {  // the TSS's CR3 matters only with paging on
    c.cr3 = t.cr3;
    c.flush_tlb(false);
  }
  if (c.dr[5] & DR7_LOCAL_ENABLES) {
    c.dr[5] &= ~DR7_LOCAL_ENABLES;
    debug_state_changed(c, true);
  }
  uint64_t fl = t.eflags | 2;
  if (!n32) fl = (c.get_rflags() & ~0xffffull) | (t.eflags & 0xffff) | 2;
  c.set_rflags(fl);
  c.rip = t.eip;
  for (int k = 0; k < 8; k++) {
    if (n32) c.gpr[k] = t.gpr[k];
    else setr<uint16_t>(c, k, (uint16_t)t.gpr[k]);
  }
  // the selectors are the new task's even if a descriptor below faults
  for (int s = 0; s < 6; s++) set_seg_cache(c, s, t.sel[s], 0, 0, TSV_SEG_ATTR_UNUSABLE);
  c.recompute_mode();
  try {
    load_task_segments(c, t, ext);
    c.recompute_mode();
    if (c.mode != MODE_V86 && c.rip > c.seg[TSV_SEG_CS].limit) raise_gp(c, ext);
    if (has_err) {
      if (n32) push<uint32_t>(c, err);
      else push<uint16_t>(c, (uint16_t)err);
    }
  } catch (const GuestEvent& ev) {
    if (ev.kind != 0) throw;
    deliver_in_new_task(c);
    return;
  }
  if (t.trap) {  // the T bit: a debug trap before the new task's first instruction
    c.dr[4] |= DR6_BT;
    c.exc_vec = EXC_DB;
    c.exc_has_err = false;
    c.exc_err = 0;
    deliver_in_new_task(c);
  }
}

// Reads and checks the TSS descriptor a task gate (or IRET's link) names.
uint64_t gate_target(Cpu& c, uint16_t tsel, uint32_t ext, bool for_iret) {
  if (tsel & 4) {  // a TSS lives in the GDT
    if (for_iret) raise_ts(c, tsel, ext);
    raise_gp(c, (tsel & 0xfffc) | ext);
  }
  bool ok;
  uint64_t d = read_descriptor(c, tsel, ok);
  uint16_t a = desc_attr(d);
  bool busy = a & kBusyBit;
  if (!ok || !is_tss(a) || (for_iret ? !busy : busy)) {
    if (for_iret) raise_ts(c, tsel, ext);
    raise_gp(c, (tsel & 0xfffc) | ext);
  }
  if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, (tsel & 0xfffc) | ext);
  return d;
}

}  // namespace

void task_switch_far(Cpu& c, uint16_t sel, uint64_t d, TaskSwitchSource src, uint64_t ret_eip) {
  uint16_t a = desc_attr(d);
  unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3, rpl = sel & 3;
  if (dpl < c.cpl || dpl < rpl) raise_gp(c, sel & 0xfffc);
  if ((a & 0xf) == kTypeTaskGate) {
    if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, sel & 0xfffc);
    uint16_t tsel = (uint16_t)(d >> 16);
    uint64_t td = gate_target(c, tsel, 0, false);
    switch_to(c, tsel, td, src, (uint32_t)ret_eip, 0, false, 0);
    return;
  }
  if ((sel & 4) || (a & kBusyBit)) raise_gp(c, sel & 0xfffc);
  if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, sel & 0xfffc);
  switch_to(c, sel, d, src, (uint32_t)ret_eip, 0, false, 0);
}

void task_switch_gate(Cpu& c, uint64_t gate, bool ext, bool has_err, uint32_t err, uint64_t ret_eip) {
  uint16_t tsel = (uint16_t)(gate >> 16);
  uint32_t e = ext ? 1 : 0;
  uint64_t td = gate_target(c, tsel, e, false);
  switch_to(c, tsel, td, TS_GATE, (uint32_t)ret_eip, e, has_err, err);
}

void task_return(Cpu& c, uint64_t ret_eip) {
  uint16_t link = (uint16_t)tss_read(c, 0, 2);
  uint64_t td = gate_target(c, link, 0, true);
  switch_to(c, link, td, TS_IRET, (uint32_t)ret_eip, 0, false, 0);
}

}  // namespace tsv
