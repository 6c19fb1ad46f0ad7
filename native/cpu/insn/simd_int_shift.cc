// MMX / SSE2 integer shifts: PSLLW/D/Q, PSRLW/D/Q, PSRAW/D by the low quadword
// of a register or memory operand, and by imm8 through groups 12/13/14
// (0F 71/72/73 /2 /4 /6, register operand only), plus the SSE2-only byte
// shifts PSRLDQ (66 0F 73 /3) and PSLLDQ (/7).
#include "cpu/simd_int.h"

namespace tsv {
namespace {

enum ShiftKind { SLL, SRL, SRA };

// Counts above the lane width clear the lane (logical) or fill it with the sign (arithmetic).
template <class T, ShiftKind K> struct Shift {
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, uint64_t count) {
    constexpr unsigned W = 8 * sizeof(T);
    using S = std::make_signed_t<T>;
    for (unsigned k = 0; k < Vec<N>::template lanes<T>(); k++) {
      T v = d.template get<T>(k);
      if constexpr (K == SRA) v = (T)((S)v >> (count > W - 1 ? W - 1 : count));
      else if (count > W - 1) v = 0;
      else v = K == SLL ? (T)(v << count) : (T)(v >> count);
      d.template set<T>(k, v);
    }
  }
  // by register / memory: the count is the source's whole low quadword
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, const Vec<N>& s) { run(d, s.template get<uint64_t>(0)); }
};
// PSRLDQ / PSLLDQ: the whole register by bytes; counts above 15 clear it
template <ShiftKind K> struct ByteShift {
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, uint64_t count) {
    Vec<N> r{};
    for (unsigned k = 0; k < N; k++) {
      uint64_t from = K == SLL ? k - count : k + count;  // wraps to a huge value below 0
      if (count < N && from < N) r.b[k] = d.b[from];
    }
    d = r;
  }
};

// OP reg, imm8 (the register is ModRM.rm)
template <unsigned N, class Op> const Insn* VEC_UIb(Cpu& c, const Insn* i) {
  using R = VecRegs<N>;
  R::check(c);
  Vec<N> d = R::get(c, i->rm);
  Op::run(d, (uint8_t)i->imm);
  R::enter(c);
  R::put(c, i->rm, d);
  return next(c, i);
}
// Groups 12/13/14 under a mandatory prefix: ModRM.reg picks the shift; the others are #UD.
template <unsigned N, class T> const Insn* SHIFT_GROUP_WD(Cpu& c, const Insn* i) {  // 0F 71 (words), 0F 72 (dwords)
  static constexpr Handler h[8] = {UD, UD, VEC_UIb<N, Shift<T, SRL>>, UD, VEC_UIb<N, Shift<T, SRA>>, UD, VEC_UIb<N, Shift<T, SLL>>, UD};
  return h[i->ext](c, i);
}
template <unsigned N> const Insn* SHIFT_GROUP_Q(Cpu& c, const Insn* i) {  // 0F 73: no PSRAQ; byte shifts on xmm only
  static constexpr Handler byte_r = N == 16 ? VEC_UIb<N, ByteShift<SRL>> : UD;
  static constexpr Handler byte_l = N == 16 ? VEC_UIb<N, ByteShift<SLL>> : UD;
  static constexpr Handler h[8] = {UD, UD, VEC_UIb<N, Shift<uint64_t, SRL>>, byte_r, UD, UD, VEC_UIb<N, Shift<uint64_t, SLL>>, byte_l};
  return h[i->ext](c, i);
}

template <unsigned N> void register_groups(OpTables& t, SsePrefix p) {
  sse_op(t, MAP_0F, 0x71, p, D_REGONLY | D_IMM8U, SHIFT_GROUP_WD<N, uint16_t>);
  sse_op(t, MAP_0F, 0x72, p, D_REGONLY | D_IMM8U, SHIFT_GROUP_WD<N, uint32_t>);
  sse_op(t, MAP_0F, 0x73, p, D_REGONLY | D_IMM8U, SHIFT_GROUP_Q<N>);
}

}  // namespace

void register_simd_int_shift(OpTables& t) {
  simd_int_pair<Shift<uint16_t, SRL>>(t, 0xd1);  // PSRLW
  simd_int_pair<Shift<uint32_t, SRL>>(t, 0xd2);  // PSRLD
  simd_int_pair<Shift<uint64_t, SRL>>(t, 0xd3);  // PSRLQ
  simd_int_pair<Shift<uint16_t, SRA>>(t, 0xe1);  // PSRAW
  simd_int_pair<Shift<uint32_t, SRA>>(t, 0xe2);  // PSRAD
  simd_int_pair<Shift<uint16_t, SLL>>(t, 0xf1);  // PSLLW
  simd_int_pair<Shift<uint32_t, SLL>>(t, 0xf2);  // PSLLD
  simd_int_pair<Shift<uint64_t, SLL>>(t, 0xf3);  // PSLLQ
  register_groups<8>(t, PFX_NONE);
  register_groups<16>(t, PFX_66);
}

}  // namespace tsv
