// Exception and interrupt delivery through the IVT (real mode) or the IDT
// (32-bit and 64-bit gates, stack switch through the TSS, IST), with #DF and
// triple-fault classification.
#include "cpu/interrupts.h"
#include "cpu/task_switch.h"
#include <cstdio>
#include "cpu/vm.h"
#include "tsvisor_event_ring.h"

namespace tsv {

void raise_exc(Cpu& c, uint8_t vec) {
  c.exc_vec = vec;
  c.exc_has_err = false;
  c.exc_err = 0;
  throw GuestEvent{0};
}

void raise_exc_err(Cpu& c, uint8_t vec, uint32_t err) {
  c.exc_vec = vec;
  c.exc_has_err = true;
  c.exc_err = err;
  throw GuestEvent{0};
}

void exit_unwind(Cpu& c) { throw GuestEvent{1}; }

// -d int: records the event about to be delivered in the shared buffer's event ring.
static void record_event(Cpu& c, uint8_t kind, uint8_t vec, bool has_err, uint32_t err, int prev, uint8_t extra_flags = 0) {
  EventRecord e{};
  e.rip = c.rip;
  e.rsp = c.gpr[4];
  e.cr2 = c.cr2;
  e.instret = c.instret + c.slice_count;
  e.error = has_err ? err : 0;
  e.cs = c.seg[TSV_SEG_CS].sel;
  e.ss = c.seg[TSV_SEG_SS].sel;
  e.vector = vec;
  e.kind = kind;
  e.flags = (has_err ? TSV_EVENT_FLAG_HAS_ERROR : 0) | (prev >= 0 ? TSV_EVENT_FLAG_NESTED : 0) | extra_flags;
  e.cpl = c.cpl;
  e.prev = prev >= 0 ? (uint8_t)prev : 0;
  e.mode = c.mode == MODE_REAL ? TSV_EVENT_MODE_REAL
           : c.mode == MODE_V86 ? TSV_EVENT_MODE_V86
           : c.mode == MODE_PROT ? TSV_EVENT_MODE_PROTECTED
                                 : TSV_EVENT_MODE_LONG;
  event_ring_push(c.buf, e);
}

static bool contributory(int v) { return v == EXC_DE || (v >= EXC_TS && v <= EXC_GP); }

// Fault-class exceptions push RFLAGS with RF set (SDM vol. 3, 18.3.1.1), so the faulting instruction,
// once restarted, does not hit its own instruction breakpoint again. #DB is not here: an instruction
// breakpoint pushes RF as it is, and the other #DB faults (DR7.GD) set RF before raising.
static bool fault_class(int v) {
  return v == EXC_DE || v == EXC_BR || v == EXC_UD || v == EXC_NM || (v >= EXC_TS && v <= EXC_PF) || v == EXC_MF ||
         v == EXC_AC || v == EXC_XM || v == 20 || v == 21;
}

bool exc_has_error_code(int v) {
  return v == EXC_DF || (v >= EXC_TS && v <= EXC_PF) || v == EXC_AC;
}

namespace {
// Pushes one value of the gate size onto the (new) stack.
struct Frame {
  Cpu& c;
  uint64_t sp;
  uint64_t ss_base;
  uint64_t mask;
  unsigned size;
  void push(uint64_t v) {
    sp = (sp - size) & mask;
    sys_write(c, ss_base + sp, size, v);
  }
};
}  // namespace

static void deliver_real(Cpu& c, uint8_t vec, uint64_t ret_ip) {
  if ((uint32_t)vec * 4 + 3 > c.idtr_limit) raise_gp(c, 0);
  uint32_t ent = (uint32_t)sys_read(c, c.idtr_base + vec * 4, 4);
  uint64_t fl = c.get_rflags();
  Frame f{c, c.gpr[4] & 0xffff, c.seg[TSV_SEG_SS].base, 0xffff, 2};
  f.push(fl);
  f.push(c.seg[TSV_SEG_CS].sel);
  f.push(ret_ip);
  setr<uint16_t>(c, 4, (uint16_t)f.sp);
  c.rflags &= ~(F_IF | F_TF | F_AC | F_RF);
  load_seg_real(c, TSV_SEG_CS, ent >> 16);
  c.rip = ent & 0xffff;
}

uint64_t tss_read(Cpu& c, uint32_t off, unsigned size) {
  const SegCache& tr = c.seg[TSV_SEG_TR];
  if (off + size - 1 > tr.limit) raise_exc_err(c, EXC_TS, tr.sel & 0xfffc);
  return sys_read(c, tr.base + off, size);
}

static void deliver_protected(Cpu& c, uint8_t vec, bool has_err, uint32_t err, bool soft, uint64_t ret_ip) {
  const bool lm = c.efer & EFER_LMA;
  const unsigned gsz = lm ? 16 : 8;
  const uint32_t idt_err = vec * 8 + 2 + (soft ? 0 : 1);
  if ((uint32_t)vec * gsz + gsz - 1 > c.idtr_limit) raise_gp(c, idt_err);
  uint64_t lo = sys_read(c, c.idtr_base + vec * gsz, 8);
  uint64_t hi = lm ? sys_read(c, c.idtr_base + vec * gsz + 8, 8) : 0;
  unsigned type = (lo >> 40) & 0xf;
  unsigned gdpl = (lo >> 45) & 3;
  bool present = (lo >> 47) & 1;
  bool trap;
  unsigned gate_size;
  if (lm) {
    if (type != 0xe && type != 0xf) raise_gp(c, idt_err);
    trap = type == 0xf;
    gate_size = 8;
  } else {
    if (type == 0x5) {  // task gate: the handler is a task (events not caused by an instruction set EXT)
      if (soft && gdpl < c.cpl) raise_gp(c, idt_err);
      if (!present) raise_exc_err(c, EXC_NP, idt_err);
      task_switch_gate(c, lo, !soft, has_err, err, ret_ip);
      return;
    }
    if (type != 0x6 && type != 0x7 && type != 0xe && type != 0xf) raise_gp(c, idt_err);
    trap = type & 1;
    gate_size = (type & 8) ? 4 : 2;
  }
  if (soft && gdpl < c.cpl) raise_gp(c, idt_err);
  if (!present) raise_exc_err(c, EXC_NP, idt_err);
  uint16_t sel = (uint16_t)(lo >> 16);
  uint64_t off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (lm ? (hi & 0xffffffffull) << 32 : 0);
  unsigned ist = lm ? (lo >> 32) & 7 : 0;

  if ((sel & ~3u) == 0) raise_gp(c, 0);
  bool ok;
  uint64_t d = read_descriptor(c, sel, ok);
  if (!ok) raise_gp(c, (sel & 0xfffc) + (soft ? 0 : 1));
  uint16_t a = desc_attr(d);
  unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
  if (!(a & TSV_SEG_ATTR_S) || !(a & 8) || dpl > c.cpl) raise_gp(c, (sel & 0xfffc) + (soft ? 0 : 1));
  if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, (sel & 0xfffc) + (soft ? 0 : 1));
  if (lm && (!(a & TSV_SEG_ATTR_L) || (a & TSV_SEG_ATTR_DB))) raise_gp(c, (sel & 0xfffc) + (soft ? 0 : 1));
  if (lm && !canonical(c, off)) raise_gp(c, 0);
  bool conforming = a & 4;
  unsigned new_cpl = conforming ? c.cpl : dpl;
  bool from_v86 = c.mode == MODE_V86;
  if (from_v86 && new_cpl != 0) raise_gp(c, sel & 0xfffc);

  uint64_t old_fl = c.get_rflags();
  uint16_t old_cs = c.seg[TSV_SEG_CS].sel;
  uint16_t old_ss = c.seg[TSV_SEG_SS].sel;
  uint64_t old_sp = c.gpr[4];

  if (lm) {
    uint64_t nsp;
    bool switch_stack = new_cpl < c.cpl;
    if (ist) nsp = tss_read(c, 0x24 + 8 * (ist - 1), 8);
    else if (switch_stack) nsp = tss_read(c, 4 + 8 * new_cpl, 8);
    else nsp = c.gpr[4];
    nsp &= ~0xfull;
    Frame f{c, nsp, 0, ~0ull, 8};
    f.push(old_ss);
    f.push(old_sp);
    f.push(old_fl);
    f.push(old_cs);
    f.push(ret_ip);
    if (has_err) f.push(err);
    if (switch_stack) {
      set_seg_cache(c, TSV_SEG_SS, new_cpl, 0, 0, TSV_SEG_ATTR_UNUSABLE | (new_cpl << TSV_SEG_ATTR_DPL_SHIFT));
    }
    c.gpr[4] = f.sp;
  } else {
    uint64_t ss_base, sp, mask;
    uint16_t new_ss = 0;
    uint64_t ssd = 0;
    bool switch_stack = new_cpl < c.cpl;
    if (switch_stack) {
      // 32-bit TSS: SSn at 8 + 8n, ESPn at 4 + 8n (16-bit TSS: 4 + 4n / 2 + 4n)
      bool tss32 = (c.seg[TSV_SEG_TR].attr & 0xf) == 0x9 || (c.seg[TSV_SEG_TR].attr & 0xf) == 0xb;
      uint64_t nsp;
      if (tss32) {
        nsp = tss_read(c, 4 + 8 * new_cpl, 4);
        new_ss = (uint16_t)tss_read(c, 8 + 8 * new_cpl, 2);
      } else {
        nsp = tss_read(c, 2 + 4 * new_cpl, 2);
        new_ss = (uint16_t)tss_read(c, 4 + 4 * new_cpl, 2);
      }
      if ((new_ss & ~3u) == 0 || (new_ss & 3) != new_cpl) raise_exc_err(c, EXC_TS, new_ss & 0xfffc);
      ssd = read_descriptor(c, new_ss, ok);
      uint16_t sa = desc_attr(ssd);
      if (!ok || !(sa & TSV_SEG_ATTR_S) || (sa & 8) || !(sa & 2) || ((sa >> TSV_SEG_ATTR_DPL_SHIFT) & 3) != new_cpl)
        raise_exc_err(c, EXC_TS, new_ss & 0xfffc);
      if (!(sa & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_SS, new_ss & 0xfffc);
      ss_base = desc_base(ssd);
      mask = (sa & TSV_SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;
      sp = nsp & mask;
    } else {
      ss_base = c.seg[TSV_SEG_SS].base;
      mask = stack_mask(c);
      sp = c.gpr[4] & mask;
    }
    Frame f{c, sp, ss_base, mask, gate_size};
    if (switch_stack) {
      if (from_v86) {
        f.push(c.seg[TSV_SEG_GS].sel);
        f.push(c.seg[TSV_SEG_FS].sel);
        f.push(c.seg[TSV_SEG_DS].sel);
        f.push(c.seg[TSV_SEG_ES].sel);
      }
      f.push(old_ss);
      f.push(old_sp);
    }
    f.push(old_fl);
    f.push(old_cs);
    f.push(ret_ip);
    if (has_err) f.push(err);
    if (switch_stack) {
      set_seg_cache(c, TSV_SEG_SS, new_ss, desc_base(ssd), desc_limit(ssd), desc_attr(ssd) | 1);
      if (from_v86) {
        for (int s : {TSV_SEG_ES, TSV_SEG_DS, TSV_SEG_FS, TSV_SEG_GS}) set_seg_cache(c, s, 0, 0, 0, TSV_SEG_ATTR_UNUSABLE);
      }
    }
    c.gpr[4] = (c.gpr[4] & ~mask) | f.sp;
  }
  c.rflags &= ~(F_TF | F_NT | F_RF | F_VM);
  if (!trap) c.rflags &= ~F_IF;
  c.set_cpl(new_cpl);
  set_seg_cache(c, TSV_SEG_CS, (sel & ~3u) | new_cpl, desc_base(d), desc_limit(d), a | 1);
  c.rip = lm ? off : (gate_size == 2 ? (off & 0xffff) : (uint32_t)off);
}

static void deliver_gate(Cpu& c, uint8_t vec, bool has_err, uint32_t err, bool soft, uint64_t ret_ip) {
  if (c.mode == MODE_REAL) deliver_real(c, vec, ret_ip);
  else deliver_protected(c, vec, has_err, err, soft, ret_ip);
}

// INT n, INT3, INTO and INT1 come here straight from their instructions.
void deliver_event(Cpu& c, uint8_t vec, bool has_err, uint32_t err, bool soft, uint64_t ret_ip) {
  if (TSV_UNLIKELY(event_ring_enabled(c.buf))) record_event(c, TSV_EVENT_KIND_SOFT_INT, vec, has_err, err, -1);
  deliver_gate(c, vec, has_err, err, soft, ret_ip);
}

// Delivers an exception raised by an instruction (the state is at the faulting
// instruction), escalating to #DF and triple fault. Returns false on triple fault.
bool deliver_exception(Cpu& c, uint8_t vec, bool has_err, uint32_t err, uint8_t kind) {
  c.link_from = nullptr;  // the next block is not the branch target the run loop was about to link
  bool replay = c.delivery_replay;  // re-delivery after an MMIO exit: keep the completed accesses
  c.delivery_replay = false;
  const bool trace = event_ring_enabled(c.buf);
  int first = -1;
  for (int depth = 0; depth < 3; depth++) {
    SegCache saved[8];
    std::memcpy(saved, c.seg, sizeof saved);
    uint64_t saved_rsp = c.gpr[4], saved_rip = c.rip, saved_fl = c.rflags;
    uint8_t saved_cpl = c.cpl;
    try {
      c.mmio_seq = 0;
      if (!replay) c.mmio_done = 0;
      if (c.mode == MODE_REAL) has_err = false;
      // a replayed delivery was recorded the first time
      if (TSV_UNLIKELY(trace) && !(depth == 0 && replay))
        record_event(c, depth == 0 ? kind : TSV_EVENT_KIND_EXCEPTION, vec, has_err, err, first);
      replay = false;
      if ((depth > 0 || kind == TSV_EVENT_KIND_EXCEPTION) && fault_class(vec)) c.rflags |= F_RF;
      deliver_gate(c, vec, has_err, err, false, c.rip);
      return true;
    } catch (const GuestEvent& ev) {
      std::memcpy(c.seg, saved, sizeof saved);
      c.gpr[4] = saved_rsp;
      c.rip = saved_rip;
      c.rflags = saved_fl;
      c.set_cpl(saved_cpl);
      c.recompute_mode();
      if (ev.kind != 0) {
        // the IDT, GDT, TSS or the new stack is not RAM: an MMIO exit is recorded; the state is
        // back at the event, which run() delivers again (replaying the completed accesses) on re-entry
        c.deliver_pending = true;
        c.dp_vec = vec;
        c.dp_has_err = has_err;
        c.dp_err = err;
        return false;
      }
      int second = c.exc_vec;
      first = vec;
      if (first == EXC_DF) {
        if (TSV_UNLIKELY(trace)) record_event(c, TSV_EVENT_KIND_TRIPLE_FAULT, (uint8_t)second, c.exc_has_err, c.exc_err, first);
        return false;
      }
      bool df = (contributory(first) && contributory(second)) ||
                (first == EXC_PF && (contributory(second) || second == EXC_PF));
      if (df) {
        // -d int: the exception that made it a double fault, as it was raised
        if (TSV_UNLIKELY(trace))
          record_event(c, TSV_EVENT_KIND_EXCEPTION, (uint8_t)second, c.exc_has_err, c.exc_err, first, TSV_EVENT_FLAG_ESCALATED);
        vec = EXC_DF;
        has_err = true;
        err = 0;
      } else {
        vec = c.exc_vec;
        has_err = c.exc_has_err;
        err = c.exc_err;
      }
    }
  }
  if (TSV_UNLIKELY(trace)) record_event(c, TSV_EVENT_KIND_TRIPLE_FAULT, vec, has_err, err, first);
  return false;
}

}  // namespace tsv
