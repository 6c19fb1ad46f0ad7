// Control transfer: Jcc, JMP/CALL/RET near and far, LOOP/LOOPcc/JCXZ,
// INT n/INT3/INTO and IRET.
#include "cpu/decoder.h"
#include "cpu/task_switch.h"
#include "cpu/interrupts.h"

namespace tsv {
namespace {

// Sets RIP to a near-branch target of operand size OS (checks CS limit / canonical form).
template <unsigned OS> TSV_INLINE void jump_to(Cpu& c, uint64_t t) {
  if (OS == 8) {
    if (TSV_UNLIKELY(!canonical(c, t))) raise_gp(c, 0);
  } else {
    t = OS == 4 ? (uint32_t)t : (uint16_t)t;
    if (TSV_UNLIKELY(t > c.seg[TSV_SEG_CS].limit)) raise_gp(c, 0);
  }
  c.rip = t;
}

template <class T, unsigned CC> const Insn* JCC_Jv(Cpu& c, const Insn* i) {
  if (cond_t<CC>(c)) {
    jump_to<sizeof(T)>(c, next_rip(c, i) + i->imm);
    return chain(c, i, 1);
  }
  advance(c, i);
  return chain(c, i, 0);
}
template <class T> const Insn* JMP_Jv(Cpu& c, const Insn* i) {
  jump_to<sizeof(T)>(c, next_rip(c, i) + i->imm);
  return chain(c, i, 1);
}
template <class T> const Insn* CALL_Jv(Cpu& c, const Insn* i) {
  uint64_t ret = next_rip(c, i);
  uint64_t t = ret + i->imm;
  if (sizeof(T) == 8 ? !canonical(c, t) : (T)t > c.seg[TSV_SEG_CS].limit) raise_gp(c, 0);
  push<T>(c, (T)ret);
  c.rip = (T)t;
  return chain(c, i, 1);
}
template <class T> const Insn* JMP_Ev(Cpu& c, const Insn* i) {
  jump_to<sizeof(T)>(c, rd_rm<T>(c, i));
  return chain_indirect(c);
}
template <class T> const Insn* CALL_Ev(Cpu& c, const Insn* i) {
  T t = rd_rm<T>(c, i);
  if (sizeof(T) == 8 ? !canonical(c, t) : t > c.seg[TSV_SEG_CS].limit) raise_gp(c, 0);
  push<T>(c, (T)next_rip(c, i));
  c.rip = t;
  return chain_indirect(c);
}
template <class T> const Insn* RET(Cpu& c, const Insn* i) {
  T t = pop_peek<T>(c);
  jump_to<sizeof(T)>(c, t);
  sp_add(c, sizeof(T) + (i->op == 0xc2 ? (uint16_t)i->imm : 0));
  return chain_indirect(c);
}

static inline uint64_t count_reg(const Cpu& c, const Insn* i) {
  return i->asize == 8 ? c.gpr[1] : i->asize == 4 ? (uint32_t)c.gpr[1] : (uint16_t)c.gpr[1];
}
static inline uint64_t dec_count(Cpu& c, const Insn* i) {
  uint64_t v = count_reg(c, i) - 1;
  if (i->asize == 8) c.gpr[1] = v;
  else if (i->asize == 4) c.gpr[1] = (uint32_t)v;
  else setr<uint16_t>(c, 1, (uint16_t)v);
  return i->asize == 8 ? v : i->asize == 4 ? (uint32_t)v : (uint16_t)v;
}
template <class T> const Insn* LOOP_Jb(Cpu& c, const Insn* i) {
  bool take;
  uint64_t t = next_rip(c, i) + i->imm;
  uint64_t old = c.gpr[1];
  uint64_t n = dec_count(c, i);
  if (i->op == 0xe2) take = n != 0;
  else if (i->op == 0xe1) take = n != 0 && get_zf(c);
  else take = n != 0 && !get_zf(c);
  if (take) {
    try {
      jump_to<sizeof(T)>(c, t);
    } catch (...) {
      c.gpr[1] = old;
      throw;
    }
    return &kEndOfBlock;
  }
  return next(c, i);
}
template <class T> const Insn* JCXZ_Jb(Cpu& c, const Insn* i) {
  if (count_reg(c, i) == 0) {
    jump_to<sizeof(T)>(c, next_rip(c, i) + i->imm);
    return &kEndOfBlock;
  }
  return next(c, i);
}

template <class T> const Insn* JMP_Ap(Cpu& c, const Insn* i) {
  far_transfer(c, (uint16_t)i->imm2, i->imm, 0, sizeof(T), next_rip(c, i));  // a task switch saves it
  return &kEndOfBlock;
}
template <class T> const Insn* CALL_Ap(Cpu& c, const Insn* i) {
  far_transfer(c, (uint16_t)i->imm2, i->imm, 1, sizeof(T), next_rip(c, i));
  return &kEndOfBlock;
}
template <class T> const Insn* JMP_Ep(Cpu& c, const Insn* i) {
  uint64_t off = ea(c, i);
  T o = rd<T>(c, i->seg, off);
  uint16_t sel = rd<uint16_t>(c, i->seg, off + sizeof(T));
  far_transfer(c, sel, o, 0, sizeof(T), next_rip(c, i));
  return &kEndOfBlock;
}
template <class T> const Insn* CALL_Ep(Cpu& c, const Insn* i) {
  uint64_t off = ea(c, i);
  T o = rd<T>(c, i->seg, off);
  uint16_t sel = rd<uint16_t>(c, i->seg, off + sizeof(T));
  far_transfer(c, sel, o, 1, sizeof(T), next_rip(c, i));
  return &kEndOfBlock;
}
template <class T> const Insn* RETF(Cpu& c, const Insn* i) {
  T ip = pop_peek<T>(c);
  uint16_t cs = (uint16_t)pop_peek<T>(c, sizeof(T));
  far_return(c, sizeof(T), i->op == 0xca ? (uint16_t)i->imm : 0, ip, cs);
  return &kEndOfBlock;
}

const Insn* INT_Ib(Cpu& c, const Insn* i) {
  if (c.mode == MODE_V86 && ((c.rflags >> 12) & 3) < 3) raise_gp(c, 0);
  deliver_event(c, (uint8_t)i->imm, false, 0, true, next_rip(c, i));
  return &kEndOfBlock;
}
const Insn* INT3(Cpu& c, const Insn* i) {
  deliver_event(c, EXC_BP, false, 0, true, next_rip(c, i));
  return &kEndOfBlock;
}
const Insn* INT1(Cpu& c, const Insn* i) {  // ICEBP: #DB without the gate DPL check
  deliver_event(c, EXC_DB, false, 0, false, next_rip(c, i));
  return &kEndOfBlock;
}
const Insn* INTO(Cpu& c, const Insn* i) {
  if (!of_slow(c)) return next(c, i);
  deliver_event(c, EXC_OF, false, 0, true, next_rip(c, i));
  return &kEndOfBlock;
}

template <class T> const Insn* IRET(Cpu& c, const Insn* i) {
  const unsigned n = sizeof(T);
  uint64_t iopl = (c.rflags >> 12) & 3;
  if (c.mode == MODE_V86 && iopl < 3) raise_gp(c, 0);
  if ((c.rflags & F_NT) && c.mode != MODE_REAL && c.mode != MODE_V86) {
    // nested task: return to the previous task (IA-32e mode has no task switches)
    if (c.efer & EFER_LMA) raise_gp(c, 0);
    c.nmi_blocked = false;
    task_return(c, next_rip(c, i));
    return &kEndOfBlock;
  }
  uint64_t ip = pop_peek<T>(c);
  uint16_t cs = (uint16_t)pop_peek<T>(c, n);
  uint64_t fl = pop_peek<T>(c, 2 * n);
  uint64_t cur = c.get_rflags();
  c.nmi_blocked = false;
  if (c.mode == MODE_REAL || c.mode == MODE_V86) {
    uint64_t mask = F_ARITH | F_TF | F_DF | F_IF | F_NT | F_AC | F_ID | F_IOPL;
    if (c.mode == MODE_V86) mask &= ~F_IOPL;
    if (n == 2) mask &= 0xffff;
    sp_add(c, 3 * n);
    load_seg_real(c, TSV_SEG_CS, cs);
    c.rip = n == 2 ? (uint16_t)ip : (uint32_t)ip;
    c.set_rflags((cur & ~mask) | (fl & mask));
    return &kEndOfBlock;
  }
  if (c.cpl == 0 && (fl & F_VM) && n == 4 && !(c.efer & EFER_LMA)) {
    // return to virtual-8086 mode: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS
    uint32_t esp = pop_peek<uint32_t>(c, 12), ss = pop_peek<uint32_t>(c, 16);
    uint32_t es = pop_peek<uint32_t>(c, 20), ds = pop_peek<uint32_t>(c, 24);
    uint32_t fs = pop_peek<uint32_t>(c, 28), gs = pop_peek<uint32_t>(c, 32);
    c.set_rflags((fl & 0x3f7fd5) | 2);
    c.recompute_mode();
    c.set_cpl(3);
    load_seg_real(c, TSV_SEG_CS, cs);
    for (auto [s, v] : {std::pair<int, uint32_t>{TSV_SEG_ES, es}, {TSV_SEG_DS, ds}, {TSV_SEG_FS, fs}, {TSV_SEG_GS, gs}, {TSV_SEG_SS, ss}})
      load_seg_real(c, s, (uint16_t)v);
    c.gpr[4] = esp;
    c.rip = (uint16_t)ip;
    return &kEndOfBlock;
  }
  // flags the return may change depend on the privilege it executes at
  uint64_t mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID | F_RF;
  if (c.cpl == 0) mask |= F_IOPL | F_IF | F_VIF | F_VIP;
  else if (c.cpl <= iopl) mask |= F_IF;
  if (n == 2) mask &= 0xffff;
  uint64_t new_fl = (cur & ~mask) | (fl & mask);
  unsigned rpl = cs & 3;
  bool pop_stack = rpl > c.cpl || c.mode == MODE_LONG64;
  if (!pop_stack) {
    far_return(c, n, (uint16_t)n, ip, cs);  // pops IP, CS (+ FLAGS as the imm bytes)
    c.set_rflags(new_fl);
    c.recompute_mode();
    return &kEndOfBlock;
  }
  uint64_t nsp = pop_peek<T>(c, 3 * n);
  uint16_t nss = (uint16_t)pop_peek<T>(c, 4 * n);
  if ((cs & ~3u) == 0) raise_gp(c, 0);
  bool ok;
  uint64_t d = read_descriptor(c, cs, ok);
  if (!ok) raise_gp(c, cs & 0xfffc);
  uint16_t a = desc_attr(d);
  unsigned dpl = (a >> TSV_SEG_ATTR_DPL_SHIFT) & 3;
  if (!(a & TSV_SEG_ATTR_S) || !(a & 8) || rpl < c.cpl || ((a & 4) ? dpl > rpl : dpl != rpl)) raise_gp(c, cs & 0xfffc);
  if (!(a & TSV_SEG_ATTR_P)) raise_exc_err(c, EXC_NP, cs & 0xfffc);
  if ((c.efer & EFER_LMA) && (a & TSV_SEG_ATTR_L) && !canonical(c, ip)) raise_gp(c, 0);
  uint8_t old_cpl = c.cpl;
  SegCache old_cs = c.seg[TSV_SEG_CS];
  c.set_cpl(rpl);
  set_seg_cache(c, TSV_SEG_CS, cs, desc_base(d), desc_limit(d), a | 1);
  try {
    load_seg(c, TSV_SEG_SS, nss);
  } catch (...) {
    c.set_cpl(old_cpl);
    c.seg[TSV_SEG_CS] = old_cs;
    c.recompute_mode();
    throw;
  }
  c.rip = c.mode == MODE_LONG64 ? ip : (uint32_t)ip;
  if (n == 2) c.rip = (uint16_t)ip;
  c.gpr[4] = n == 2 ? ((c.gpr[4] & ~0xffffull) | (uint16_t)nsp) : (n == 4 ? (uint32_t)nsp : nsp);
  c.set_rflags(new_fl);
  if (rpl > old_cpl) null_outer_segments(c);
  c.recompute_mode();
  return &kEndOfBlock;
}

}  // namespace

void register_branch(OpTables& t) {
  const Handler jcc[16][3] = {
#define TSV_JCC(cc) {JCC_Jv<uint16_t, cc>, JCC_Jv<uint32_t, cc>, JCC_Jv<uint64_t, cc>}
      TSV_JCC(0), TSV_JCC(1), TSV_JCC(2), TSV_JCC(3), TSV_JCC(4), TSV_JCC(5), TSV_JCC(6), TSV_JCC(7),
      TSV_JCC(8), TSV_JCC(9), TSV_JCC(10), TSV_JCC(11), TSV_JCC(12), TSV_JCC(13), TSV_JCC(14), TSV_JCC(15),
#undef TSV_JCC
  };
  for (int cc = 0; cc < 16; cc++) {
    t.one[0x70 + cc] = opd(D_REL8 | D_FORCE64 | D_ENDS, {jcc[cc][0], jcc[cc][1], jcc[cc][2]});
    t.two[0x80 + cc] = opd(D_RELV | D_FORCE64 | D_ENDS, {jcc[cc][0], jcc[cc][1], jcc[cc][2]});
  }
  t.one[0xeb] = opd(D_REL8 | D_FORCE64 | D_ENDS, TSV_HV(JMP_Jv));
  t.one[0xe9] = opd(D_RELV | D_FORCE64 | D_ENDS, TSV_HV(JMP_Jv));
  t.one[0xe8] = opd(D_RELV | D_FORCE64 | D_ENDS, TSV_HV(CALL_Jv));
  t.one[0xc3] = opd(D_FORCE64 | D_ENDS, TSV_HV(RET));
  t.one[0xc2] = opd(D_IMM16 | D_FORCE64 | D_ENDS, TSV_HV(RET));
  t.grp[G5_FF][2] = opd(D_FORCE64 | D_ENDS, TSV_HV(CALL_Ev));
  t.grp[G5_FF][4] = opd(D_FORCE64 | D_ENDS, TSV_HV(JMP_Ev));
  t.grp[G5_FF][3] = opd(D_MEMONLY | D_ENDS, TSV_HV(CALL_Ep));
  t.grp[G5_FF][5] = opd(D_MEMONLY | D_ENDS, TSV_HV(JMP_Ep));
  t.one[0xff].attr = grp_attr(G5_FF) | D_VALID;
  t.one[0xea] = opd(D_FARPTR | D_INV64 | D_ENDS, {JMP_Ap<uint16_t>, JMP_Ap<uint32_t>, nullptr});
  t.one[0x9a] = opd(D_FARPTR | D_INV64 | D_ENDS, {CALL_Ap<uint16_t>, CALL_Ap<uint32_t>, nullptr});
  t.one[0xcb] = opd(D_ENDS, TSV_HV(RETF));
  t.one[0xca] = opd(D_IMM16 | D_ENDS, TSV_HV(RETF));
  for (int op = 0xe0; op <= 0xe2; op++) t.one[op] = opd(D_REL8 | D_FORCE64 | D_ENDS, TSV_HV(LOOP_Jb));
  t.one[0xe3] = opd(D_REL8 | D_FORCE64 | D_ENDS, TSV_HV(JCXZ_Jb));
  t.one[0xcc] = opd(D_ENDS, {INT3});
  t.one[0xcd] = opd(D_IMM8U | D_ENDS, {INT_Ib});
  t.one[0xce] = opd(D_INV64 | D_ENDS, {INTO});
  t.one[0xf1] = opd(D_ENDS, {INT1});
  t.one[0xcf] = opd(D_ENDS, TSV_HV(IRET));
}

}  // namespace tsv
