// MMX / SSE2 integer pack, unpack and shuffle: PUNPCKL*/PUNPCKH* (BW, WD, DQ,
// and QDQ on xmm only), PACKSSWB/PACKSSDW/PACKUSWB, PSHUFW (0F 70) with its
// SSE2 forms PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2), PEXTRW, PINSRW, PMOVMSKB.
#include "cpu/simd_int.h"

namespace tsv {
namespace {

// Interleave the low (or high) halves of dest and source: dest lane first.
template <class T, bool HIGH> struct Unpack {
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, const Vec<N>& s) {
    constexpr unsigned L = Vec<N>::template lanes<T>(), from = HIGH ? L / 2 : 0;
    Vec<N> r;
    for (unsigned k = 0; k < L / 2; k++) {
      r.template set<T>(2 * k, d.template get<T>(from + k));
      r.template set<T>(2 * k + 1, s.template get<T>(from + k));
    }
    d = r;
  }
};
// Narrow with saturation: dest's lanes fill the low half, the source's the high half.
template <class From, class To> struct Pack {
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, const Vec<N>& s) {
    constexpr unsigned L = Vec<N>::template lanes<From>();
    Vec<N> r;
    for (unsigned k = 0; k < L; k++) {
      r.template set<To>(k, saturate<To>(d.template get<From>(k)));
      r.template set<To>(L + k, saturate<To>(s.template get<From>(k)));
    }
    d = r;
  }
};
// Four T lanes from BASE on are picked from the source's four by 2-bit fields of
// imm8; the other lanes are copied from the source.
template <class T, unsigned BASE> struct Shuffle4 {
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, const Vec<N>& s, uint8_t imm) {
    d = s;
    for (unsigned k = 0; k < 4; k++) d.template set<T>(BASE + k, s.template get<T>(BASE + ((imm >> (2 * k)) & 3)));
  }
};

// The MMX forms of PUNPCKL* read only 32 bits from memory (mm, mm/m32).
template <class Op> const Insn* MMX_UNPACKL(Cpu& c, const Insn* i) {
  mmx_check(c);
  uint64_t sv = (i->flags & INSN_MEM) ? rd<uint32_t>(c, i->seg, ea(c, i)) : mmreg(c, i->rm);
  Vmm s = vmm_of(sv), d = mm_get(c, i->reg);
  Op::run(d, s);
  mmx_enter(c);
  mm_put(c, i->reg, d);
  return next(c, i);
}
template <class Op> void unpack_low_pair(OpTables& t, uint8_t op) {
  sse_op(t, MAP_0F, op, PFX_NONE, 0, MMX_UNPACKL<Op>);
  sse_op(t, MAP_0F, op, PFX_66, 0, VEC_GE<16, Op>);
}

// 0F C5: PEXTRW r32, mm/xmm, imm8 (register source only): the word, zero-extended
template <unsigned N> const Insn* PEXTRW_GdUIb(Cpu& c, const Insn* i) {
  using R = VecRegs<N>;
  R::check(c);
  Vec<N> s = R::get(c, i->rm);
  R::enter(c);
  c.gpr[i->reg] = s.template get<uint16_t>((unsigned)i->imm & (Vec<N>::template lanes<uint16_t>() - 1));
  return next(c, i);
}
// 0F C4: PINSRW mm/xmm, r32/m16, imm8
template <unsigned N> const Insn* PINSRW_VEwIb(Cpu& c, const Insn* i) {
  using R = VecRegs<N>;
  R::check(c);
  uint16_t w = (i->flags & INSN_MEM) ? rd<uint16_t>(c, i->seg, ea(c, i)) : (uint16_t)c.gpr[i->rm];
  Vec<N> d = R::get(c, i->reg);
  d.template set<uint16_t>((unsigned)i->imm & (Vec<N>::template lanes<uint16_t>() - 1), w);
  R::enter(c);
  R::put(c, i->reg, d);
  return next(c, i);
}
// 0F D7: PMOVMSKB r32, mm/xmm (register source only): the byte sign bits, zero-extended
template <unsigned N> const Insn* PMOVMSKB_GdU(Cpu& c, const Insn* i) {
  using R = VecRegs<N>;
  R::check(c);
  Vec<N> s = R::get(c, i->rm);
  uint32_t m = 0;
  for (unsigned k = 0; k < N; k++) m |= (uint32_t)(s.b[k] >> 7) << k;
  R::enter(c);
  c.gpr[i->reg] = m;
  return next(c, i);
}

}  // namespace

void register_simd_int_shuffle(OpTables& t) {
  unpack_low_pair<Unpack<uint8_t, false>>(t, 0x60);   // PUNPCKLBW
  unpack_low_pair<Unpack<uint16_t, false>>(t, 0x61);  // PUNPCKLWD
  unpack_low_pair<Unpack<uint32_t, false>>(t, 0x62);  // PUNPCKLDQ
  sse_op(t, MAP_0F, 0x6c, PFX_66, 0, VEC_GE<16, Unpack<uint64_t, false>>);  // PUNPCKLQDQ
  simd_int_pair<Unpack<uint8_t, true>>(t, 0x68);      // PUNPCKHBW
  simd_int_pair<Unpack<uint16_t, true>>(t, 0x69);     // PUNPCKHWD
  simd_int_pair<Unpack<uint32_t, true>>(t, 0x6a);     // PUNPCKHDQ
  sse_op(t, MAP_0F, 0x6d, PFX_66, 0, VEC_GE<16, Unpack<uint64_t, true>>);   // PUNPCKHQDQ
  simd_int_pair<Pack<int16_t, int8_t>>(t, 0x63);      // PACKSSWB
  simd_int_pair<Pack<int32_t, int16_t>>(t, 0x6b);     // PACKSSDW
  simd_int_pair<Pack<int16_t, uint8_t>>(t, 0x67);     // PACKUSWB
  sse_op(t, MAP_0F, 0x70, PFX_NONE, D_IMM8U, VEC_GEIb<8, Shuffle4<uint16_t, 0>>);   // PSHUFW
  sse_op(t, MAP_0F, 0x70, PFX_66, D_IMM8U, VEC_GEIb<16, Shuffle4<uint32_t, 0>>);    // PSHUFD
  sse_op(t, MAP_0F, 0x70, PFX_F3, D_IMM8U, VEC_GEIb<16, Shuffle4<uint16_t, 4>>);    // PSHUFHW
  sse_op(t, MAP_0F, 0x70, PFX_F2, D_IMM8U, VEC_GEIb<16, Shuffle4<uint16_t, 0>>);    // PSHUFLW
  sse_op(t, MAP_0F, 0xc5, PFX_NONE, D_IMM8U | D_REGONLY, PEXTRW_GdUIb<8>);
  sse_op(t, MAP_0F, 0xc5, PFX_66, D_IMM8U | D_REGONLY, PEXTRW_GdUIb<16>);
  sse_op(t, MAP_0F, 0xc4, PFX_NONE, D_IMM8U, PINSRW_VEwIb<8>);
  sse_op(t, MAP_0F, 0xc4, PFX_66, D_IMM8U, PINSRW_VEwIb<16>);
  sse_op(t, MAP_0F, 0xd7, PFX_NONE, D_REGONLY, PMOVMSKB_GdU<8>);
  sse_op(t, MAP_0F, 0xd7, PFX_66, D_REGONLY, PMOVMSKB_GdU<16>);
}

}  // namespace tsv
