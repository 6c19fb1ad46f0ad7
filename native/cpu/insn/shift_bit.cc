// Shifts and rotates (group 2), SHLD/SHRD, bit tests (BT/BTS/BTR/BTC), BSF/BSR.
// Flags here are computed eagerly: they depend on the count in ways lazy
// evaluation would have to record anyway.
#include "cpu/bits.h"
#include "cpu/decoder.h"

namespace tsv {
namespace {

enum { S_ROL, S_ROR, S_RCL, S_RCR, S_SHL, S_SHR, S_SAL, S_SAR };
enum { CNT_1, CNT_CL, CNT_IMM };

template <class T> inline uint32_t szp(T r) {
  uint32_t f = parity_flag((uint8_t)r);
  if (r == 0) f |= F_ZF;
  if ((r >> (sizeof(T) * 8 - 1)) & 1) f |= F_SF;
  return f;
}

// Every count (already masked) of every shift and rotate, flags computed eagerly.
// Kept out of line so the lazy-flag fast path below needs no stack frame.
template <class T, int OP> TSV_NOINLINE T shift_full(Cpu& c, T a, unsigned cnt) {
  constexpr unsigned W = sizeof(T) * 8;
  if (cnt == 0) return a;
  uint32_t old = c.arith_flags();
  uint32_t f = 0;
  T r;
  auto msb = [](T v) { return (uint32_t)((v >> (W - 1)) & 1); };
  switch (OP) {
    case S_ROL: {
      unsigned k = cnt % W;
      r = k ? (T)((a << k) | (a >> (W - k))) : a;
      uint32_t cf = r & 1;
      f = (old & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | ((msb(r) ^ cf) ? F_OF : 0);
      break;
    }
    case S_ROR: {
      unsigned k = cnt % W;
      r = k ? (T)((a >> k) | (a << (W - k))) : a;
      uint32_t cf = msb(r);
      f = (old & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | ((msb(r) ^ ((r >> (W - 2)) & 1)) ? F_OF : 0);
      break;
    }
    case S_RCL: {  // rotate the (W+1)-bit value CF:a, one bit per step
      unsigned k = W < 32 ? cnt % (W + 1) : cnt;
      uint32_t cf = (old & F_CF) ? 1 : 0;
      r = a;
      for (unsigned n = 0; n < k; n++) {
        uint32_t out = msb(r);
        r = (T)((r << 1) | cf);
        cf = out;
      }
      f = (old & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | ((msb(r) ^ cf) ? F_OF : 0);
      break;
    }
    case S_RCR: {
      unsigned k = W < 32 ? cnt % (W + 1) : cnt;
      uint32_t cf = (old & F_CF) ? 1 : 0;
      r = a;
      for (unsigned n = 0; n < k; n++) {
        uint32_t out = r & 1;
        r = (T)((r >> 1) | ((T)cf << (W - 1)));
        cf = out;
      }
      f = (old & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | ((msb(r) ^ ((r >> (W - 2)) & 1)) ? F_OF : 0);
      break;
    }
    case S_SHL: case S_SAL: {
      r = cnt < W ? (T)(a << cnt) : 0;
      uint32_t cf = cnt <= W ? (uint32_t)(((uint64_t)a >> (W - cnt)) & 1) : 0;  // cnt >= 1 here
      f = szp<T>(r) | (cf ? F_CF : 0) | ((msb(r) ^ cf) ? F_OF : 0);
      break;
    }
    case S_SHR: {
      r = cnt < W ? (T)(a >> cnt) : 0;
      uint32_t cf = cnt <= W ? (uint32_t)((a >> (cnt - 1)) & 1) : 0;
      f = szp<T>(r) | (cf ? F_CF : 0) | (msb(a) ? F_OF : 0);
      break;
    }
    default: {  // SAR
      using S = std::make_signed_t<T>;
      unsigned k = cnt < W ? cnt : W - 1;
      r = (T)((S)a >> k);
      uint32_t cf = cnt < W ? (uint32_t)(((S)a >> (cnt - 1)) & 1) : msb(a);
      f = szp<T>(r) | (cf ? F_CF : 0);
      break;
    }
  }
  set_arith_flags(c, f);
  return r;
}

template <class T, int OP> constexpr bool kLazyShift = OP == S_SHL || OP == S_SAL || OP == S_SHR || OP == S_SAR;
// common case (count 1..W-1 of SHL/SHR/SAR): lazy flags (CF/OF derived from the operand and the count when read)
template <class T, int OP> TSV_INLINE T shift_lazy(Cpu& c, T a, unsigned cnt) {
  using S = std::make_signed_t<T>;
  T r = (OP == S_SHR) ? (T)(a >> cnt) : (OP == S_SAR) ? (T)((S)a >> cnt) : (T)(a << cnt);
  lf_set<T>(c, OP == S_SHR ? LF_SHR : OP == S_SAR ? LF_SAR : LF_SHL, r, a, (T)cnt);
  return r;
}
template <class T> TSV_INLINE unsigned mask_count(unsigned cnt) { return cnt & (sizeof(T) == 8 ? 0x3f : 0x1f); }
template <class T, int OP> TSV_INLINE T shift(Cpu& c, T a, unsigned cnt) {
  constexpr unsigned W = sizeof(T) * 8;
  cnt = mask_count<T>(cnt);
  if (kLazyShift<T, OP> && TSV_LIKELY(cnt - 1 < W - 1)) return shift_lazy<T, OP>(c, a, cnt);
  return shift_full<T, OP>(c, a, cnt);
}
template <int CNT> TSV_INLINE unsigned shift_count(const Cpu& c, const Insn* i) {
  return CNT == CNT_1 ? 1 : CNT == CNT_CL ? (unsigned)(c.gpr[1] & 0xff) : (unsigned)(i->imm & 0xff);
}
// register form, every count: out of line, so the inline fast path below needs no stack frame
template <class T, int OP, int CNT> TSV_NOINLINE const Insn* shift_reg_full(Cpu& c, const Insn* i) {
  setr<T>(c, i->rm, shift_full<T, OP>(c, getr<T>(c, i->rm), mask_count<T>(shift_count<CNT>(c, i))));
  return next(c, i);
}

// register and memory forms are separate handlers (M), so the register form stays small
template <class T, int OP, int CNT, bool M> const Insn* SHIFT_Ev(Cpu& c, const Insn* i) {
  unsigned cnt = shift_count<CNT>(c, i);
  if constexpr (!M) {
    constexpr unsigned W = sizeof(T) * 8;
    cnt = mask_count<T>(cnt);
    if (!kLazyShift<T, OP> || TSV_UNLIKELY(cnt - 1 >= W - 1)) return shift_reg_full<T, OP, CNT>(c, i);
    setr<T>(c, i->rm, shift_lazy<T, OP>(c, getr<T>(c, i->rm), cnt));
  } else {
    uint64_t off = ea(c, i);
    T a = rd_rmw<T>(c, i->seg, off);
    T r = shift<T, OP>(c, a, cnt);
    wr<T>(c, i->seg, off, r);
  }
  return next(c, i);
}

template <class T, bool RIGHT, int CNT> const Insn* SHxD_EvGv(Cpu& c, const Insn* i) {
  constexpr unsigned W = sizeof(T) * 8;
  unsigned cnt = (CNT == CNT_CL ? (unsigned)c.gpr[1] : (unsigned)i->imm) & (W == 64 ? 0x3f : 0x1f);
  T a = rd_rm<T>(c, i);
  if (cnt == 0) {
    // flags untouched; a 32-bit register destination is still written (upper half cleared)
    if (sizeof(T) == 4 && !(i->flags & INSN_MEM)) setr<T>(c, i->rm, a);
    return next(c, i);
  }
  T b = getr<T>(c, i->reg);
  T r;
  uint32_t cf;
  if (W == 16 && cnt > 16) {
    // undefined result for 16-bit counts above 16; behave like a 32-bit shift of b:a
    uint32_t v = RIGHT ? (((uint32_t)a << 16 | b) >> (cnt - 16)) : (((uint32_t)b << 16 | a) << (cnt - 16)) >> 16;
    r = (T)v;
    cf = 0;
  } else if (RIGHT) {
    // 1 <= cnt <= W (cnt == W only for 16-bit operands: the destination becomes the source)
    r = (T)((cnt == W ? 0 : (T)(a >> cnt)) | (T)(b << (W - cnt)));
    cf = (a >> (cnt - 1)) & 1;
  } else {
    r = (T)((cnt == W ? 0 : (T)(a << cnt)) | (T)(b >> (W - cnt)));
    cf = (uint32_t)(((uint64_t)a >> (W - cnt)) & 1);  // 1 <= cnt < W
  }
  wr_rm<T>(c, i, r);
  uint32_t f = szp<T>(r) | (cf ? F_CF : 0) | ((((r ^ a) >> (W - 1)) & 1) ? F_OF : 0);
  set_arith_flags(c, f);
  return next(c, i);
}

enum { B_BT, B_BTS, B_BTR, B_BTC };
template <class T, int OP> inline T bit_op(Cpu& c, T v, unsigned bit) {
  T m = (T)1 << bit;
  uint32_t f = c.arith_flags() & ~F_CF;
  if (v & m) f |= F_CF;
  set_arith_flags(c, f);
  if (OP == B_BTS) return v | m;
  if (OP == B_BTR) return v & ~m;
  if (OP == B_BTC) return v ^ m;
  return v;
}
// BT Ev,Gv: with a memory operand the bit offset addresses beyond the operand (signed)
template <class T, int OP> const Insn* BT_EvGv(Cpu& c, const Insn* i) {
  constexpr unsigned W = sizeof(T) * 8;
  if (!(i->flags & INSN_MEM)) {
    T v = getr<T>(c, i->rm);
    T r = bit_op<T, OP>(c, v, getr<T>(c, i->reg) & (W - 1));
    if (OP != B_BT) setr<T>(c, i->rm, r);
  } else {
    using S = std::make_signed_t<T>;
    int64_t bo = (int64_t)(S)getr<T>(c, i->reg);
    uint64_t off = ea(c, i) + (uint64_t)((bo >> (W == 64 ? 6 : W == 32 ? 5 : 4)) * (int64_t)sizeof(T));
    if (i->asize == 4) off = (uint32_t)off;
    else if (i->asize == 2) off = (uint16_t)off;
    T v = OP == B_BT ? rd<T>(c, i->seg, off) : rd_rmw<T>(c, i->seg, off);
    T r = bit_op<T, OP>(c, v, (unsigned)bo & (W - 1));
    if (OP != B_BT) wr<T>(c, i->seg, off, r);
  }
  return next(c, i);
}
template <class T, int OP> const Insn* BT_EvIb(Cpu& c, const Insn* i) {
  constexpr unsigned W = sizeof(T) * 8;
  T v = OP == B_BT || !(i->flags & INSN_MEM) ? rd_rm<T>(c, i) : rd_rmw<T>(c, i->seg, ea(c, i));
  T r = bit_op<T, OP>(c, v, (unsigned)i->imm & (W - 1));
  if (OP != B_BT) wr_rm<T>(c, i, r);
  return next(c, i);
}

// F3 0F BC: TZCNT (BMI1); CF = source was zero, ZF = result is zero
template <class T> const Insn* TZCNT_GvEv(Cpu& c, const Insn* i) {
  constexpr unsigned W = sizeof(T) * 8;
  T v = rd_rm<T>(c, i);
  unsigned n = v == 0 ? W : ctz64(v);
  setr<T>(c, i->reg, (T)n);
  set_arith_flags(c, (v == 0 ? F_CF : 0) | (n == 0 ? F_ZF : 0));
  return next(c, i);
}
template <class T> const Insn* BSF_GvEv(Cpu& c, const Insn* i) {
  if (i->flags & INSN_REP) return TZCNT_GvEv<T>(c, i);
  T v = rd_rm<T>(c, i);
  uint32_t f = c.arith_flags() & ~F_ZF;
  if (v == 0) f |= F_ZF;
  else setr<T>(c, i->reg, (T)ctz64(v));
  set_arith_flags(c, f);
  return next(c, i);
}
// F3 0F B8: POPCNT (ZF = source was zero, the other flags cleared); without F3 the opcode is undefined
template <class T> const Insn* POPCNT_GvEv(Cpu& c, const Insn* i) {
  if (!(i->flags & INSN_REP)) raise_ud(c);
  T v = rd_rm<T>(c, i);
  setr<T>(c, i->reg, (T)popcount64(v));
  set_arith_flags(c, v == 0 ? F_ZF : 0);
  return next(c, i);
}
// F3 0F BD: LZCNT (ABM); CF = source was zero, ZF = result is zero
template <class T> const Insn* LZCNT_GvEv(Cpu& c, const Insn* i) {
  constexpr unsigned W = sizeof(T) * 8;
  T v = rd_rm<T>(c, i);
  unsigned n = v == 0 ? W : clz64(v) - (64 - W);
  setr<T>(c, i->reg, (T)n);
  set_arith_flags(c, (v == 0 ? F_CF : 0) | (n == 0 ? F_ZF : 0));
  return next(c, i);
}
template <class T> const Insn* BSR_GvEv(Cpu& c, const Insn* i) {
  if (i->flags & INSN_REP) return LZCNT_GvEv<T>(c, i);
  T v = rd_rm<T>(c, i);
  uint32_t f = c.arith_flags() & ~F_ZF;
  if (v == 0) f |= F_ZF;
  else setr<T>(c, i->reg, (T)(63 - clz64(v)));
  set_arith_flags(c, f);
  return next(c, i);
}

}  // namespace

#define SHIFT_RM(T, OP, CNT) {SHIFT_Ev<T, OP, CNT, false>}, {SHIFT_Ev<T, OP, CNT, true>}
#define SHIFT_GRP(g, T, CNT)                                                   \
  t.grp[g][0] = opd_m(0, SHIFT_RM(T, S_ROL, CNT));                            \
  t.grp[g][1] = opd_m(0, SHIFT_RM(T, S_ROR, CNT));                            \
  t.grp[g][2] = opd_m(0, SHIFT_RM(T, S_RCL, CNT));                            \
  t.grp[g][3] = opd_m(0, SHIFT_RM(T, S_RCR, CNT));                            \
  t.grp[g][4] = opd_m(0, SHIFT_RM(T, S_SHL, CNT));                            \
  t.grp[g][5] = opd_m(0, SHIFT_RM(T, S_SHR, CNT));                            \
  t.grp[g][6] = opd_m(0, SHIFT_RM(T, S_SAL, CNT));                            \
  t.grp[g][7] = opd_m(0, SHIFT_RM(T, S_SAR, CNT));
#define SHIFT_V(OP, CNT, M) {SHIFT_Ev<uint16_t, OP, CNT, M>, SHIFT_Ev<uint32_t, OP, CNT, M>, SHIFT_Ev<uint64_t, OP, CNT, M>}
#define SHIFT_GRPV(g, CNT)                                                                                          \
  {                                                                                                                 \
    t.grp[g][0] = opd_m(0, SHIFT_V(S_ROL, CNT, false), SHIFT_V(S_ROL, CNT, true));                                  \
    t.grp[g][1] = opd_m(0, SHIFT_V(S_ROR, CNT, false), SHIFT_V(S_ROR, CNT, true));                                  \
    t.grp[g][2] = opd_m(0, SHIFT_V(S_RCL, CNT, false), SHIFT_V(S_RCL, CNT, true));                                  \
    t.grp[g][3] = opd_m(0, SHIFT_V(S_RCR, CNT, false), SHIFT_V(S_RCR, CNT, true));                                  \
    t.grp[g][4] = opd_m(0, SHIFT_V(S_SHL, CNT, false), SHIFT_V(S_SHL, CNT, true));                                  \
    t.grp[g][5] = opd_m(0, SHIFT_V(S_SHR, CNT, false), SHIFT_V(S_SHR, CNT, true));                                  \
    t.grp[g][6] = opd_m(0, SHIFT_V(S_SAL, CNT, false), SHIFT_V(S_SAL, CNT, true));                                  \
    t.grp[g][7] = opd_m(0, SHIFT_V(S_SAR, CNT, false), SHIFT_V(S_SAR, CNT, true));                                  \
  }

void register_shift_bit(OpTables& t) {
  t.one[0xc0].attr = grp_attr(G2_C0) | D_BYTE | D_IMM8U | D_VALID;
  t.one[0xc1].attr = grp_attr(G2_C1) | D_IMM8U | D_VALID;
  t.one[0xd0].attr = grp_attr(G2_D0) | D_BYTE | D_VALID;
  t.one[0xd1].attr = grp_attr(G2_D1) | D_VALID;
  t.one[0xd2].attr = grp_attr(G2_D2) | D_BYTE | D_VALID;
  t.one[0xd3].attr = grp_attr(G2_D3) | D_VALID;
  SHIFT_GRP(G2_C0, uint8_t, CNT_IMM)
  SHIFT_GRP(G2_D0, uint8_t, CNT_1)
  SHIFT_GRP(G2_D2, uint8_t, CNT_CL)
  SHIFT_GRPV(G2_C1, CNT_IMM)
  SHIFT_GRPV(G2_D1, CNT_1)
  SHIFT_GRPV(G2_D3, CNT_CL)
  for (int g : {G2_C0, G2_C1}) for (int k = 0; k < 8; k++) t.grp[g][k].attr |= D_IMM8U;

  t.two[0xa4] = opd(D_MODRM | D_IMM8U, {SHxD_EvGv<uint16_t, false, CNT_IMM>, SHxD_EvGv<uint32_t, false, CNT_IMM>, SHxD_EvGv<uint64_t, false, CNT_IMM>});
  t.two[0xa5] = opd(D_MODRM, {SHxD_EvGv<uint16_t, false, CNT_CL>, SHxD_EvGv<uint32_t, false, CNT_CL>, SHxD_EvGv<uint64_t, false, CNT_CL>});
  t.two[0xac] = opd(D_MODRM | D_IMM8U, {SHxD_EvGv<uint16_t, true, CNT_IMM>, SHxD_EvGv<uint32_t, true, CNT_IMM>, SHxD_EvGv<uint64_t, true, CNT_IMM>});
  t.two[0xad] = opd(D_MODRM, {SHxD_EvGv<uint16_t, true, CNT_CL>, SHxD_EvGv<uint32_t, true, CNT_CL>, SHxD_EvGv<uint64_t, true, CNT_CL>});

  t.two[0xa3] = opd(D_MODRM, {BT_EvGv<uint16_t, B_BT>, BT_EvGv<uint32_t, B_BT>, BT_EvGv<uint64_t, B_BT>});
  t.two[0xab] = opd(D_MODRM | D_LOCKOK, {BT_EvGv<uint16_t, B_BTS>, BT_EvGv<uint32_t, B_BTS>, BT_EvGv<uint64_t, B_BTS>});
  t.two[0xb3] = opd(D_MODRM | D_LOCKOK, {BT_EvGv<uint16_t, B_BTR>, BT_EvGv<uint32_t, B_BTR>, BT_EvGv<uint64_t, B_BTR>});
  t.two[0xbb] = opd(D_MODRM | D_LOCKOK, {BT_EvGv<uint16_t, B_BTC>, BT_EvGv<uint32_t, B_BTC>, BT_EvGv<uint64_t, B_BTC>});
  t.two[0xba].attr = grp_attr(G8_0FBA) | D_IMM8U | D_VALID;
  t.grp[G8_0FBA][4] = opd(D_IMM8U, {BT_EvIb<uint16_t, B_BT>, BT_EvIb<uint32_t, B_BT>, BT_EvIb<uint64_t, B_BT>});
  t.grp[G8_0FBA][5] = opd(D_IMM8U | D_LOCKOK, {BT_EvIb<uint16_t, B_BTS>, BT_EvIb<uint32_t, B_BTS>, BT_EvIb<uint64_t, B_BTS>});
  t.grp[G8_0FBA][6] = opd(D_IMM8U | D_LOCKOK, {BT_EvIb<uint16_t, B_BTR>, BT_EvIb<uint32_t, B_BTR>, BT_EvIb<uint64_t, B_BTR>});
  t.grp[G8_0FBA][7] = opd(D_IMM8U | D_LOCKOK, {BT_EvIb<uint16_t, B_BTC>, BT_EvIb<uint32_t, B_BTC>, BT_EvIb<uint64_t, B_BTC>});
  t.two[0xbc] = opd(D_MODRM, TSV_HV(BSF_GvEv));
  t.two[0xbd] = opd(D_MODRM, TSV_HV(BSR_GvEv));  // with F3: LZCNT
  t.two[0xb8] = opd(D_MODRM, TSV_HV(POPCNT_GvEv));
  // F3 0F BC stays BSF: TZCNT belongs to BMI1, which is not implemented (CPUs without BMI1 do the same)
}

}  // namespace tsv
