// Integer arithmetic and logic: ADD/OR/ADC/SBB/AND/SUB/XOR/CMP in all forms,
// INC/DEC, TEST, group 3 (NOT/NEG/MUL/IMUL/DIV/IDIV), IMUL Gv,Ev(,I),
// CMPXCHG, XADD, CMPXCHG8B/16B.
#include "cpu/bits.h"
#include "cpu/decoder.h"

namespace tsv {
namespace {

enum AluOp { A_ADD, A_OR, A_ADC, A_SBB, A_AND, A_SUB, A_XOR, A_CMP };

template <class T, int OP> TSV_INLINE T alu(Cpu& c, T a, T b) {
  T r;
  switch (OP) {
    case A_ADD: r = a + b; lf_set<T>(c, LF_ADD, r, a, b); break;
    case A_OR: r = a | b; lf_set_logic<T>(c, r); break;
    case A_ADC: {
      bool cf = get_cf(c);
      r = a + b + cf;
      lf_set<T>(c, LF_ADC, r, a, b);
      c.lf_flags = cf;
      break;
    }
    case A_SBB: {
      bool cf = get_cf(c);
      r = a - b - cf;
      lf_set<T>(c, LF_SBB, r, a, b);
      c.lf_flags = cf;
      break;
    }
    case A_AND: r = a & b; lf_set_logic<T>(c, r); break;
    case A_SUB: case A_CMP: r = a - b; lf_set<T>(c, LF_SUB, r, a, b); break;
    default: r = a ^ b; lf_set_logic<T>(c, r); break;
  }
  return r;
}

// E op= G, register form
template <class T, int OP> const Insn* ALU_EvGv_R(Cpu& c, const Insn* i) {
  T r = alu<T, OP>(c, getr<T>(c, i->rm), getr<T>(c, i->reg));
  if (OP != A_CMP) setr<T>(c, i->rm, r);
  return next(c, i);
}
template <class T, int OP> const Insn* ALU_EvGv_M(Cpu& c, const Insn* i) {
  uint64_t off = ea(c, i);
  T a = OP == A_CMP ? rd<T>(c, i->seg, off) : rd_rmw<T>(c, i->seg, off);
  T r = alu<T, OP>(c, a, getr<T>(c, i->reg));
  if (OP != A_CMP) wr<T>(c, i->seg, off, r);
  return next(c, i);
}
// G op= E
template <class T, int OP, bool M> const Insn* ALU_GvEv(Cpu& c, const Insn* i) {
  T b = rd_e<T, M>(c, i);
  T r = alu<T, OP>(c, getr<T>(c, i->reg), b);
  if (OP != A_CMP) setr<T>(c, i->reg, r);
  return next(c, i);
}
// rAX op= imm
template <class T, int OP> const Insn* ALU_rAXIv(Cpu& c, const Insn* i) {
  T r = alu<T, OP>(c, getr<T>(c, 0), (T)i->imm);
  if (OP != A_CMP) setr<T>(c, 0, r);
  return next(c, i);
}
// E op= imm (group 1)
template <class T, int OP> const Insn* ALU_EvIv_R(Cpu& c, const Insn* i) {
  T r = alu<T, OP>(c, getr<T>(c, i->rm), (T)i->imm);
  if (OP != A_CMP) setr<T>(c, i->rm, r);
  return next(c, i);
}
template <class T, int OP> const Insn* ALU_EvIv_M(Cpu& c, const Insn* i) {
  uint64_t off = ea(c, i);
  T a = OP == A_CMP ? rd<T>(c, i->seg, off) : rd_rmw<T>(c, i->seg, off);
  T r = alu<T, OP>(c, a, (T)i->imm);
  if (OP != A_CMP) wr<T>(c, i->seg, off, r);
  return next(c, i);
}

template <class T> TSV_INLINE T inc(Cpu& c, T a, bool cf) {
  T r = a + 1;
  lf_set<T>(c, LF_INC, r, a, (T)1);
  c.lf_flags = cf;
  return r;
}
template <class T> TSV_INLINE T dec(Cpu& c, T a, bool cf) {
  T r = a - 1;
  lf_set<T>(c, LF_DEC, r, a, (T)1);
  c.lf_flags = cf;
  return r;
}
// INC/DEC of register r keep CF: when the last flag-setting operation needs cf_slow to
// give it, the out-of-line variant does the whole instruction (the inline one stays frameless).
template <class T, bool DEC> TSV_NOINLINE const Insn* incdec_reg_slow(Cpu& c, const Insn* i, unsigned r) {
  bool cf = cf_slow(c);
  T a = getr<T>(c, r);
  setr<T>(c, r, DEC ? dec<T>(c, a, cf) : inc<T>(c, a, cf));
  return next(c, i);
}
template <class T, bool DEC> TSV_INLINE const Insn* incdec_reg(Cpu& c, const Insn* i, unsigned r) {
  bool cf;
  if (TSV_UNLIKELY(!cf_quick(c, cf))) return incdec_reg_slow<T, DEC>(c, i, r);
  T a = getr<T>(c, r);
  setr<T>(c, r, DEC ? dec<T>(c, a, cf) : inc<T>(c, a, cf));
  return next(c, i);
}
template <class T, bool M> const Insn* INC_Ev(Cpu& c, const Insn* i) {
  if constexpr (!M) {
    return incdec_reg<T, false>(c, i, i->rm);
  } else {
    uint64_t off = ea(c, i);
    T a = rd_rmw<T>(c, i->seg, off);
    bool cf = get_cf(c);
    T r = a + 1;
    wr<T>(c, i->seg, off, r);
    lf_set<T>(c, LF_INC, r, a, (T)1);
    c.lf_flags = cf;
    return next(c, i);
  }
}
template <class T, bool M> const Insn* DEC_Ev(Cpu& c, const Insn* i) {
  if constexpr (!M) {
    return incdec_reg<T, true>(c, i, i->rm);
  } else {
    uint64_t off = ea(c, i);
    T a = rd_rmw<T>(c, i->seg, off);
    bool cf = get_cf(c);
    T r = a - 1;
    wr<T>(c, i->seg, off, r);
    lf_set<T>(c, LF_DEC, r, a, (T)1);
    c.lf_flags = cf;
    return next(c, i);
  }
}
// 40+r / 48+r (outside 64-bit mode)
template <class T> const Insn* INC_Zv(Cpu& c, const Insn* i) { return incdec_reg<T, false>(c, i, i->reg); }
template <class T> const Insn* DEC_Zv(Cpu& c, const Insn* i) { return incdec_reg<T, true>(c, i, i->reg); }

template <class T, bool M> const Insn* TEST_EvGv(Cpu& c, const Insn* i) {
  T a = rd_e<T, M>(c, i);
  T r = a & getr<T>(c, i->reg);
  lf_set_logic<T>(c, r);
  return next(c, i);
}
template <class T, bool M> const Insn* TEST_EvIv(Cpu& c, const Insn* i) {
  T a = rd_e<T, M>(c, i);
  T r = a & (T)i->imm;
  lf_set_logic<T>(c, r);
  return next(c, i);
}
template <class T> const Insn* TEST_rAXIv(Cpu& c, const Insn* i) {
  T r = getr<T>(c, 0) & (T)i->imm;
  lf_set_logic<T>(c, r);
  return next(c, i);
}

template <class T> const Insn* NOT_Ev(Cpu& c, const Insn* i) {
  if (!(i->flags & INSN_MEM)) {
    setr<T>(c, i->rm, (T)~getr<T>(c, i->rm));
  } else {
    uint64_t off = ea(c, i);
    T a = rd_rmw<T>(c, i->seg, off);
    wr<T>(c, i->seg, off, (T)~a);
  }
  return next(c, i);
}
template <class T> const Insn* NEG_Ev(Cpu& c, const Insn* i) {
  if (!(i->flags & INSN_MEM)) {
    T a = getr<T>(c, i->rm);
    T r = (T)(0 - a);
    setr<T>(c, i->rm, r);
    lf_set<T>(c, LF_SUB, r, (T)0, a);
  } else {
    uint64_t off = ea(c, i);
    T a = rd_rmw<T>(c, i->seg, off);
    T r = (T)(0 - a);
    wr<T>(c, i->seg, off, r);
    lf_set<T>(c, LF_SUB, r, (T)0, a);
  }
  return next(c, i);
}

// flags after MUL/IMUL: CF=OF=overflow; SF/ZF/PF from the low half (Intel leaves them undefined)
// PF of the low result byte without a call (a call would give the multiply handlers a stack
// frame): 0x6996 holds the odd parity of each 4-bit value.
TSV_INLINE uint32_t parity_flag_inline(uint8_t v) {
  v ^= v >> 4;
  return ((0x6996u >> (v & 0xf)) & 1) ? 0 : F_PF;
}

template <class T> TSV_INLINE void mul_flags(Cpu& c, T lo, bool overflow) {
  uint32_t f = overflow ? (F_CF | F_OF) : 0;
  if (lo == 0) f |= F_ZF;
  if ((lo >> (sizeof(T) * 8 - 1)) & 1) f |= F_SF;
  f |= parity_flag_inline((uint8_t)lo);
  set_arith_flags(c, f);
}

template <class T> const Insn* MUL_Ev(Cpu& c, const Insn* i) {
  T b = rd_rm<T>(c, i);
  if constexpr (sizeof(T) == 1) {
    uint16_t r = (uint16_t)getr<uint8_t>(c, 0) * b;
    setr<uint16_t>(c, 0, r);
    mul_flags<uint8_t>(c, (uint8_t)r, (r >> 8) != 0);
  } else if constexpr (sizeof(T) < 8) {
    uint64_t r = (uint64_t)getr<T>(c, 0) * b;
    T lo = (T)r, hi = (T)(r >> (sizeof(T) * 8));
    setr<T>(c, 0, lo);
    setr<T>(c, 2, hi);
    mul_flags<T>(c, lo, hi != 0);
  } else {
    U128 r = mul_u64(getr<T>(c, 0), b);
    setr<T>(c, 0, r.lo);
    setr<T>(c, 2, r.hi);
    mul_flags<T>(c, r.lo, r.hi != 0);
  }
  return next(c, i);
}
template <class T> const Insn* IMUL_Ev(Cpu& c, const Insn* i) {
  using S = std::make_signed_t<T>;
  S b = (S)rd_rm<T>(c, i);
  if constexpr (sizeof(T) == 1) {
    int16_t r = (int16_t)(int8_t)getr<uint8_t>(c, 0) * b;
    setr<uint16_t>(c, 0, (uint16_t)r);
    mul_flags<uint8_t>(c, (uint8_t)r, r != (int8_t)r);
  } else if constexpr (sizeof(T) < 8) {
    int64_t r = (int64_t)(S)getr<T>(c, 0) * b;
    T lo = (T)r, hi = (T)((uint64_t)r >> (sizeof(T) * 8));
    setr<T>(c, 0, lo);
    setr<T>(c, 2, hi);
    mul_flags<T>(c, lo, r != (S)lo);
  } else {
    U128 r = mul_s64((int64_t)getr<T>(c, 0), b);
    setr<T>(c, 0, r.lo);
    setr<T>(c, 2, r.hi);
    // overflow unless the high half is the sign extension of the low half
    mul_flags<T>(c, r.lo, r.hi != (uint64_t)((int64_t)r.lo >> 63));
  }
  return next(c, i);
}
template <class T> const Insn* DIV_Ev(Cpu& c, const Insn* i) {
  T b = rd_rm<T>(c, i);
  if (b == 0) raise_exc(c, EXC_DE);
  if constexpr (sizeof(T) == 1) {
    uint16_t a = getr<uint16_t>(c, 0);
    uint16_t q = a / b;
    if (q > 0xff) raise_exc(c, EXC_DE);
    setr<uint8_t>(c, 0, (uint8_t)q);
    setr<uint8_t>(c, 1, (uint8_t)(a % b));
  } else if constexpr (sizeof(T) < 8) {
    constexpr unsigned W = sizeof(T) * 8;
    uint64_t a = ((uint64_t)getr<T>(c, 2) << W) | getr<T>(c, 0);
    uint64_t q = a / b;
    if (q >> W) raise_exc(c, EXC_DE);
    setr<T>(c, 0, (T)q);
    setr<T>(c, 2, (T)(a % b));
  } else {
    uint64_t q, r;
    if (!div_u128(U128{c.gpr[0], c.gpr[2]}, b, q, r)) raise_exc(c, EXC_DE);
    c.gpr[0] = q;
    c.gpr[2] = r;
  }
  return next(c, i);
}
template <class T> const Insn* IDIV_Ev(Cpu& c, const Insn* i) {
  using S = std::make_signed_t<T>;
  S b = (S)rd_rm<T>(c, i);
  if (b == 0) raise_exc(c, EXC_DE);
  if constexpr (sizeof(T) == 1) {
    int16_t a = (int16_t)getr<uint16_t>(c, 0);
    if (a == INT16_MIN && b == -1) raise_exc(c, EXC_DE);
    int16_t q = a / b;
    if (q != (int8_t)q) raise_exc(c, EXC_DE);
    setr<uint8_t>(c, 0, (uint8_t)q);
    setr<uint8_t>(c, 1, (uint8_t)(a % b));
  } else if constexpr (sizeof(T) < 8) {
    constexpr unsigned W = sizeof(T) * 8;
    int64_t a = (int64_t)(((uint64_t)getr<T>(c, 2) << W) | getr<T>(c, 0));
    a = (int64_t)((uint64_t)a << (64 - 2 * W)) >> (64 - 2 * W);  // sign-extend the 2W-bit dividend
    if (a == INT64_MIN && b == -1) raise_exc(c, EXC_DE);
    int64_t q = a / b;
    if (q != (S)q) raise_exc(c, EXC_DE);
    setr<T>(c, 0, (T)q);
    setr<T>(c, 2, (T)(a % b));
  } else {
    int64_t q, r;
    if (!div_s128(U128{c.gpr[0], c.gpr[2]}, b, q, r)) raise_exc(c, EXC_DE);
    c.gpr[0] = (uint64_t)q;
    c.gpr[2] = (uint64_t)r;
  }
  return next(c, i);
}

template <class T> inline T imul2(Cpu& c, T a, T b) {
  using S = std::make_signed_t<T>;
  if constexpr (sizeof(T) < 8) {
    int64_t r = (int64_t)(S)a * (S)b;
    T lo = (T)r;
    mul_flags<T>(c, lo, r != (S)lo);
    return lo;
  } else {
#if defined(__GNUC__)
    // one IMUL and SETO on the host; OF = the product does not fit 64 bits signed
    int64_t lo;
    const bool overflow = __builtin_mul_overflow((int64_t)a, (int64_t)b, &lo);
    mul_flags<T>(c, (T)lo, overflow);
    return (T)lo;
#else
    U128 r = mul_s64((int64_t)a, (int64_t)b);
    mul_flags<T>(c, (T)r.lo, r.hi != (uint64_t)((int64_t)r.lo >> 63));
    return (T)r.lo;
#endif
  }
}
template <class T, bool M> const Insn* IMUL_GvEv(Cpu& c, const Insn* i) {
  T b = rd_e<T, M>(c, i);
  setr<T>(c, i->reg, imul2<T>(c, getr<T>(c, i->reg), b));
  return next(c, i);
}
template <class T> const Insn* IMUL_GvEvIv(Cpu& c, const Insn* i) {
  T b = rd_rm<T>(c, i);
  setr<T>(c, i->reg, imul2<T>(c, b, (T)i->imm));
  return next(c, i);
}

template <class T> const Insn* CMPXCHG_EvGv(Cpu& c, const Insn* i) {
  T acc = getr<T>(c, 0);
  if (!(i->flags & INSN_MEM)) {
    T d = getr<T>(c, i->rm);
    alu<T, A_CMP>(c, acc, d);
    if (acc == d) setr<T>(c, i->rm, getr<T>(c, i->reg));
    else setr<T>(c, 0, d);
  } else {
    uint64_t off = ea(c, i);
    T d = rd_rmw<T>(c, i->seg, off);
    // the destination is always written (with its old value on failure), like the hardware
    wr<T>(c, i->seg, off, acc == d ? getr<T>(c, i->reg) : d);
    alu<T, A_CMP>(c, acc, d);
    if (acc != d) setr<T>(c, 0, d);
  }
  return next(c, i);
}
template <class T> const Insn* XADD_EvGv(Cpu& c, const Insn* i) {
  T s = getr<T>(c, i->reg);
  if (!(i->flags & INSN_MEM)) {
    T d = getr<T>(c, i->rm);
    T r = alu<T, A_ADD>(c, d, s);
    setr<T>(c, i->reg, d);
    setr<T>(c, i->rm, r);
  } else {
    uint64_t off = ea(c, i);
    T d = rd_rmw<T>(c, i->seg, off);
    T r = d + s;
    wr<T>(c, i->seg, off, r);
    alu<T, A_ADD>(c, d, s);
    setr<T>(c, i->reg, d);
  }
  return next(c, i);
}

// CMPXCHG8B / CMPXCHG16B (0F C7 /1)
template <class T> const Insn* CMPXCHG8B_Mq(Cpu& c, const Insn* i) {
  uint64_t off = ea(c, i);
  uint32_t f = c.arith_flags();
  if (i->opsize == 8) {
    if (off & 15) raise_gp(c, 0);
    probe_write(c, i->seg, off, 16);  // a locked read-modify-write: faults are write faults
    uint64_t lo = rd<uint64_t>(c, i->seg, off), hi = rd<uint64_t>(c, i->seg, off + 8);
    bool eq = lo == c.gpr[0] && hi == c.gpr[2];
    if (eq) {
      probe_write(c, i->seg, off, 16);
      wr<uint64_t>(c, i->seg, off, c.gpr[3]);
      wr<uint64_t>(c, i->seg, off + 8, c.gpr[1]);
    } else {
      probe_write(c, i->seg, off, 16);
      wr<uint64_t>(c, i->seg, off, lo);
      wr<uint64_t>(c, i->seg, off + 8, hi);
      c.gpr[0] = lo;
      c.gpr[2] = hi;
    }
    set_arith_flags(c, eq ? (f | F_ZF) : (f & ~F_ZF));
  } else {
    uint64_t v = rd_rmw<uint64_t>(c, i->seg, off);
    uint64_t cmp = ((uint64_t)(uint32_t)c.gpr[2] << 32) | (uint32_t)c.gpr[0];
    bool eq = v == cmp;
    if (eq) {
      wr<uint64_t>(c, i->seg, off, ((uint64_t)(uint32_t)c.gpr[1] << 32) | (uint32_t)c.gpr[3]);
    } else {
      wr<uint64_t>(c, i->seg, off, v);
      c.gpr[0] = (uint32_t)v;
      c.gpr[2] = v >> 32;
    }
    set_arith_flags(c, eq ? (f | F_ZF) : (f & ~F_ZF));
  }
  return next(c, i);
}

}  // namespace

#define ALU_SET(base, OP)                                                                                      \
  t.one[base + 0] = opd_m(D_MODRM | D_BYTE | D_LOCKOK, {ALU_EvGv_R<uint8_t, OP>}, {ALU_EvGv_M<uint8_t, OP>});  \
  t.one[base + 1] = opd_m(D_MODRM | D_LOCKOK, {ALU_EvGv_R<uint16_t, OP>, ALU_EvGv_R<uint32_t, OP>, ALU_EvGv_R<uint64_t, OP>}, \
                          {ALU_EvGv_M<uint16_t, OP>, ALU_EvGv_M<uint32_t, OP>, ALU_EvGv_M<uint64_t, OP>});       \
  t.one[base + 2] = opd_m(D_MODRM | D_BYTE, {ALU_GvEv<uint8_t, OP, false>}, {ALU_GvEv<uint8_t, OP, true>});     \
  t.one[base + 3] = opd_m(D_MODRM, {ALU_GvEv<uint16_t, OP, false>, ALU_GvEv<uint32_t, OP, false>, ALU_GvEv<uint64_t, OP, false>}, \
                          {ALU_GvEv<uint16_t, OP, true>, ALU_GvEv<uint32_t, OP, true>, ALU_GvEv<uint64_t, OP, true>}); \
  t.one[base + 4] = opd(D_IMM8, {ALU_rAXIv<uint8_t, OP>});                                                     \
  t.one[base + 5] = opd(D_IMMV, {ALU_rAXIv<uint16_t, OP>, ALU_rAXIv<uint32_t, OP>, ALU_rAXIv<uint64_t, OP>});  \
  t.grp[G1_80][OP] = opd_m(D_IMM8 | D_LOCKOK, {ALU_EvIv_R<uint8_t, OP>}, {ALU_EvIv_M<uint8_t, OP>});          \
  t.grp[G1_81][OP] = opd_m(D_IMMV | D_LOCKOK, {ALU_EvIv_R<uint16_t, OP>, ALU_EvIv_R<uint32_t, OP>, ALU_EvIv_R<uint64_t, OP>}, \
                           {ALU_EvIv_M<uint16_t, OP>, ALU_EvIv_M<uint32_t, OP>, ALU_EvIv_M<uint64_t, OP>});      \
  t.grp[G1_83][OP] = opd_m(D_IMM8 | D_LOCKOK, {ALU_EvIv_R<uint16_t, OP>, ALU_EvIv_R<uint32_t, OP>, ALU_EvIv_R<uint64_t, OP>}, \
                           {ALU_EvIv_M<uint16_t, OP>, ALU_EvIv_M<uint32_t, OP>, ALU_EvIv_M<uint64_t, OP>});

void register_alu(OpTables& t) {
  ALU_SET(0x00, A_ADD)
  ALU_SET(0x08, A_OR)
  ALU_SET(0x10, A_ADC)
  ALU_SET(0x18, A_SBB)
  ALU_SET(0x20, A_AND)
  ALU_SET(0x28, A_SUB)
  ALU_SET(0x30, A_XOR)
  ALU_SET(0x38, A_CMP)
  // CMP never writes: LOCK is #UD
  t.one[0x38].attr &= ~D_LOCKOK;
  t.one[0x39].attr &= ~D_LOCKOK;
  t.grp[G1_80][7].attr &= ~D_LOCKOK;
  t.grp[G1_81][7].attr &= ~D_LOCKOK;
  t.grp[G1_83][7].attr &= ~D_LOCKOK;
  t.one[0x80].attr = grp_attr(G1_80) | D_BYTE | D_VALID;
  t.one[0x81].attr = grp_attr(G1_81) | D_VALID;
  t.one[0x83].attr = grp_attr(G1_83) | D_VALID;
  t.one[0x82].attr = grp_attr(G1_80) | D_BYTE | D_VALID | D_INV64;

  for (int r = 0; r < 8; r++) {
    t.one[0x40 + r] = opd(D_OPREG | D_INV64, {INC_Zv<uint16_t>, INC_Zv<uint32_t>, INC_Zv<uint32_t>});
    t.one[0x48 + r] = opd(D_OPREG | D_INV64, {DEC_Zv<uint16_t>, DEC_Zv<uint32_t>, DEC_Zv<uint32_t>});
  }
  t.grp[G4_FE][0] = opd_m(D_LOCKOK, TSV_H8_RM(INC_Ev));
  t.grp[G4_FE][1] = opd_m(D_LOCKOK, TSV_H8_RM(DEC_Ev));
  t.one[0xfe].attr = grp_attr(G4_FE) | D_BYTE | D_VALID;
  t.grp[G5_FF][0] = opd_m(D_LOCKOK, TSV_HV_RM(INC_Ev));
  t.grp[G5_FF][1] = opd_m(D_LOCKOK, TSV_HV_RM(DEC_Ev));

  t.one[0x84] = opd_m(D_MODRM | D_BYTE, TSV_H8_RM(TEST_EvGv));
  t.one[0x85] = opd_m(D_MODRM, TSV_HV_RM(TEST_EvGv));
  t.one[0xa8] = opd(D_IMM8, {TEST_rAXIv<uint8_t>});
  t.one[0xa9] = opd(D_IMMV, TSV_HV(TEST_rAXIv));

  t.one[0xf6].attr = grp_attr(G3_F6) | D_BYTE | D_GRP3IMM | D_VALID;
  t.one[0xf7].attr = grp_attr(G3_F7) | D_GRP3IMM | D_VALID;
  t.grp[G3_F6][0] = t.grp[G3_F6][1] = opd_m(0, TSV_H8_RM(TEST_EvIv));
  t.grp[G3_F6][2] = opd(D_LOCKOK, {NOT_Ev<uint8_t>});
  t.grp[G3_F6][3] = opd(D_LOCKOK, {NEG_Ev<uint8_t>});
  t.grp[G3_F6][4] = opd(0, {MUL_Ev<uint8_t>});
  t.grp[G3_F6][5] = opd(0, {IMUL_Ev<uint8_t>});
  t.grp[G3_F6][6] = opd(0, {DIV_Ev<uint8_t>});
  t.grp[G3_F6][7] = opd(0, {IDIV_Ev<uint8_t>});
  t.grp[G3_F7][0] = t.grp[G3_F7][1] = opd_m(0, TSV_HV_RM(TEST_EvIv));
  t.grp[G3_F7][2] = opd(D_LOCKOK, TSV_HV(NOT_Ev));
  t.grp[G3_F7][3] = opd(D_LOCKOK, TSV_HV(NEG_Ev));
  t.grp[G3_F7][4] = opd(0, TSV_HV(MUL_Ev));
  t.grp[G3_F7][5] = opd(0, TSV_HV(IMUL_Ev));
  t.grp[G3_F7][6] = opd(0, TSV_HV(DIV_Ev));
  t.grp[G3_F7][7] = opd(0, TSV_HV(IDIV_Ev));

  t.two[0xaf] = opd_m(D_MODRM, TSV_HV_RM(IMUL_GvEv));
  t.one[0x69] = opd(D_MODRM | D_IMMV, TSV_HV(IMUL_GvEvIv));
  t.one[0x6b] = opd(D_MODRM | D_IMM8, TSV_HV(IMUL_GvEvIv));

  t.two[0xb0] = opd(D_MODRM | D_BYTE | D_LOCKOK, {CMPXCHG_EvGv<uint8_t>});
  t.two[0xb1] = opd(D_MODRM | D_LOCKOK, TSV_HV(CMPXCHG_EvGv));
  t.two[0xc0] = opd(D_MODRM | D_BYTE | D_LOCKOK, {XADD_EvGv<uint8_t>});
  t.two[0xc1] = opd(D_MODRM | D_LOCKOK, TSV_HV(XADD_EvGv));
  t.two[0xc7].attr = grp_attr(G9_0FC7) | D_VALID;
  t.grp[G9_0FC7][1] = opd(D_MEMONLY | D_LOCKOK, TSV_HV(CMPXCHG8B_Mq));
}

}  // namespace tsv
