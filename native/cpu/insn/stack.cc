// Stack instructions: PUSH/POP (registers, memory, immediates, segment
// registers), PUSHA/POPA, PUSHF/POPF with the IOPL/VM rules, ENTER/LEAVE.
#include "cpu/decoder.h"

namespace tsv {
namespace {

template <class T> const Insn* PUSH_Zv(Cpu& c, const Insn* i) {
  push<T>(c, getr<T>(c, i->reg));
  return next(c, i);
}
template <class T> const Insn* POP_Zv(Cpu& c, const Insn* i) {
  T v = pop_peek<T>(c);
  sp_add(c, sizeof(T));
  setr<T>(c, i->reg, v);
  return next(c, i);
}
template <class T> const Insn* PUSH_Iv(Cpu& c, const Insn* i) {
  push<T>(c, (T)i->imm);
  return next(c, i);
}
template <class T> const Insn* PUSH_Ev(Cpu& c, const Insn* i) {
  push<T>(c, rd_rm<T>(c, i));
  return next(c, i);
}
template <class T> const Insn* POP_Ev(Cpu& c, const Insn* i) {
  T v = pop_peek<T>(c);
  uint64_t old = c.gpr[4];
  sp_add(c, sizeof(T));  // the address is computed with the incremented stack pointer
  try {
    wr_rm<T>(c, i, v);
  } catch (...) {
    c.gpr[4] = old;
    throw;
  }
  return next(c, i);
}
template <class T, int S> const Insn* PUSH_Sw(Cpu& c, const Insn* i) {
  push<T>(c, (T)c.seg[S].sel);
  return next(c, i);
}
template <class T, int S> const Insn* POP_Sw(Cpu& c, const Insn* i) {
  uint16_t sel = (uint16_t)pop_peek<T>(c);
  load_seg(c, S, sel);
  sp_add(c, sizeof(T));
  if (S == TSV_SEG_SS) {
    c.inhibit_irq = INHIBIT_SS;
    return end_after(c, i);
  }
  return next(c, i);
}
template <class T> const Insn* PUSHA(Cpu& c, const Insn* i) {
  uint64_t sp0 = c.gpr[4];
  T vals[8];
  for (int r = 0; r < 8; r++) vals[r] = getr<T>(c, r);
  uint64_t m = stack_mask(c);
  for (int r = 0; r < 8; r++) wr<T>(c, TSV_SEG_SS, (sp0 - (r + 1) * sizeof(T)) & m, vals[r]);
  c.gpr[4] = (sp0 & ~m) | ((sp0 - 8 * sizeof(T)) & m);
  return next(c, i);
}
template <class T> const Insn* POPA(Cpu& c, const Insn* i) {
  T vals[8];
  for (int r = 0; r < 8; r++) vals[7 - r] = pop_peek<T>(c, r * sizeof(T));
  for (int r = 0; r < 8; r++)
    if (r != 4) setr<T>(c, r, vals[r]);
  sp_add(c, 8 * sizeof(T));
  return next(c, i);
}

template <class T> const Insn* PUSHF(Cpu& c, const Insn* i) {
  uint64_t iopl = (c.rflags >> 12) & 3;
  if (c.mode == MODE_V86 && iopl < 3) raise_gp(c, 0);
  push<T>(c, (T)(c.get_rflags() & ~(F_VM | F_RF)));
  return next(c, i);
}
template <class T> const Insn* POPF(Cpu& c, const Insn* i) {
  uint64_t iopl = (c.rflags >> 12) & 3;
  if (c.mode == MODE_V86 && iopl < 3) raise_gp(c, 0);
  uint64_t v = pop_peek<T>(c);
  uint64_t cur = c.get_rflags();
  uint64_t mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID;
  if (c.mode == MODE_REAL || c.cpl == 0) mask |= F_IOPL | F_IF;
  else if (c.cpl <= iopl) mask |= F_IF;
  if (c.mode == MODE_V86) mask = (mask | F_IF) & ~F_IOPL;
  if (sizeof(T) == 2) mask &= 0xffff;
  uint64_t nv = (cur & ~mask) | (v & mask);
  nv &= ~F_RF;
  sp_add(c, sizeof(T));
  c.set_rflags(nv);
  return end_after(c, i);  // IF/TF may have changed
}

template <class T> const Insn* ENTER(Cpu& c, const Insn* i) {
  unsigned size = (unsigned)i->imm & 0xffff, level = (unsigned)i->imm2 & 0x1f;
  uint64_t m = stack_mask(c);
  uint64_t sp = c.gpr[4];
  uint64_t bp = c.gpr[5];
  uint64_t frame_bp = bp;
  sp = (sp - sizeof(T)) & m;
  wr<T>(c, TSV_SEG_SS, sp, (T)bp);
  uint64_t frame = sp;
  if (level > 0) {
    uint64_t bm = (c.mode == MODE_LONG64) ? ~0ull : m;
    for (unsigned k = 1; k < level; k++) {
      frame_bp = (frame_bp - sizeof(T)) & bm;
      T v = rd<T>(c, TSV_SEG_SS, frame_bp);
      sp = (sp - sizeof(T)) & m;
      wr<T>(c, TSV_SEG_SS, sp, v);
    }
    sp = (sp - sizeof(T)) & m;
    wr<T>(c, TSV_SEG_SS, sp, (T)frame);
  }
  uint64_t nsp = (sp - size) & m;
  // the hardware checks the final stack pointer is writable
  if (size) probe_write(c, TSV_SEG_SS, nsp, 1);
  setr<T>(c, 5, (T)frame);
  if (m == 0xffff) setr<uint16_t>(c, 4, (uint16_t)nsp);
  else c.gpr[4] = (c.gpr[4] & ~m) | nsp;
  return next(c, i);
}
template <class T> const Insn* LEAVE(Cpu& c, const Insn* i) {
  uint64_t m = stack_mask(c);
  uint64_t sp = c.gpr[5] & m;
  T v = rd<T>(c, TSV_SEG_SS, sp);
  c.gpr[4] = (c.gpr[4] & ~m) | ((sp + sizeof(T)) & m);
  setr<T>(c, 5, v);
  return next(c, i);
}

}  // namespace

#define SREG_PP(push_op, pop_op, S)                                                                    \
  t.one[push_op] = opd(D_INV64, {PUSH_Sw<uint16_t, S>, PUSH_Sw<uint32_t, S>, nullptr});               \
  if (pop_op >= 0) t.one[pop_op] = opd(D_INV64 | (S == TSV_SEG_SS ? (uint32_t)D_ENDS : 0u), {POP_Sw<uint16_t, S>, POP_Sw<uint32_t, S>, nullptr});

void register_stack(OpTables& t) {
  for (int r = 0; r < 8; r++) {
    t.one[0x50 + r] = opd(D_OPREG | D_DEF64, {PUSH_Zv<uint16_t>, PUSH_Zv<uint32_t>, PUSH_Zv<uint64_t>});
    t.one[0x58 + r] = opd(D_OPREG | D_DEF64, {POP_Zv<uint16_t>, POP_Zv<uint32_t>, POP_Zv<uint64_t>});
  }
  t.one[0x68] = opd(D_IMMV | D_DEF64, TSV_HV(PUSH_Iv));
  t.one[0x6a] = opd(D_IMM8 | D_DEF64, TSV_HV(PUSH_Iv));
  t.one[0x8f].attr = grp_attr(G1A_8F) | D_VALID;
  t.grp[G1A_8F][0] = opd(D_DEF64, TSV_HV(POP_Ev));
  t.grp[G5_FF][6] = opd(D_DEF64, TSV_HV(PUSH_Ev));
  SREG_PP(0x06, 0x07, TSV_SEG_ES)
  SREG_PP(0x0e, -1, TSV_SEG_CS)
  SREG_PP(0x16, 0x17, TSV_SEG_SS)
  SREG_PP(0x1e, 0x1f, TSV_SEG_DS)
  t.two[0xa0] = opd(D_DEF64, {PUSH_Sw<uint16_t, TSV_SEG_FS>, PUSH_Sw<uint32_t, TSV_SEG_FS>, PUSH_Sw<uint64_t, TSV_SEG_FS>});
  t.two[0xa1] = opd(D_DEF64, {POP_Sw<uint16_t, TSV_SEG_FS>, POP_Sw<uint32_t, TSV_SEG_FS>, POP_Sw<uint64_t, TSV_SEG_FS>});
  t.two[0xa8] = opd(D_DEF64, {PUSH_Sw<uint16_t, TSV_SEG_GS>, PUSH_Sw<uint32_t, TSV_SEG_GS>, PUSH_Sw<uint64_t, TSV_SEG_GS>});
  t.two[0xa9] = opd(D_DEF64, {POP_Sw<uint16_t, TSV_SEG_GS>, POP_Sw<uint32_t, TSV_SEG_GS>, POP_Sw<uint64_t, TSV_SEG_GS>});
  t.one[0x60] = opd(D_INV64, {PUSHA<uint16_t>, PUSHA<uint32_t>, nullptr});
  t.one[0x61] = opd(D_INV64, {POPA<uint16_t>, POPA<uint32_t>, nullptr});
  t.one[0x9c] = opd(D_DEF64, TSV_HV(PUSHF));
  t.one[0x9d] = opd(D_DEF64 | D_ENDS, TSV_HV(POPF));
  t.one[0xc8] = opd(D_ENTER | D_DEF64, TSV_HV(ENTER));
  t.one[0xc9] = opd(D_DEF64, TSV_HV(LEAVE));
}

}  // namespace tsv
