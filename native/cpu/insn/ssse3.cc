// SSSE3 (0F 38 00-0B, 1C-1E; 0F 3A 0F): byte shuffle, horizontal add/subtract,
// multiply-add of unsigned by signed bytes, rounded high multiply, sign and
// absolute value, byte alignment. Each operation is written once for N bytes
// of operand (ssse3_ops.h) and registered in its mm form (no prefix) and xmm
// form (66) through the MMX/SSE2 integer handler templates (simd_int.h), which
// apply the MMX rules (#MF, MMX mode) and the legacy SSE alignment rule.
#include "cpu/insn/ssse3_ops.h"
#include "cpu/simd_int.h"

namespace tsv {
namespace {

// A width-generic operation of ssse3_ops.h as a simd_int.h `Op`.
template <void (*F8)(Xmm&, const Xmm&), void (*F16)(Xmm&, const Xmm&)> struct Ssse3Op {
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, const Vec<N>& s) {
    Xmm a{}, b{};
    std::memcpy(a.b, d.b, N);
    std::memcpy(b.b, s.b, N);
    if constexpr (N == 8) F8(a, b);
    else F16(a, b);
    std::memcpy(d.b, a.b, N);
  }
};
struct Palignr {
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, const Vec<N>& s, uint8_t imm) {
    Xmm a{}, b{};
    std::memcpy(a.b, d.b, N);
    std::memcpy(b.b, s.b, N);
    ssse3::palignr<N>(a, b, imm);
    std::memcpy(d.b, a.b, N);
  }
};

#define SSSE3_OP(fn) Ssse3Op<ssse3::fn<8>, ssse3::fn<16>>
#define SSSE3_OPT(fn, T) Ssse3Op<ssse3::fn<T, 8>, ssse3::fn<T, 16>>

template <class Op> void both(OpTables& t, uint8_t op) {
  sse_op(t, MAP_0F38, op, PFX_NONE, 0, VEC_GE<8, Op>);
  sse_op(t, MAP_0F38, op, PFX_66, 0, VEC_GE<16, Op>);
}

}  // namespace

void register_ssse3(OpTables& t) {
  both<SSSE3_OP(pshufb)>(t, 0x00);
  both<SSSE3_OP(phaddw)>(t, 0x01);
  both<SSSE3_OP(phaddd)>(t, 0x02);
  both<SSSE3_OP(phaddsw)>(t, 0x03);
  both<SSSE3_OP(pmaddubsw)>(t, 0x04);
  both<SSSE3_OP(phsubw)>(t, 0x05);
  both<SSSE3_OP(phsubd)>(t, 0x06);
  both<SSSE3_OP(phsubsw)>(t, 0x07);
  both<SSSE3_OPT(psign, int8_t)>(t, 0x08);
  both<SSSE3_OPT(psign, int16_t)>(t, 0x09);
  both<SSSE3_OPT(psign, int32_t)>(t, 0x0a);
  both<SSSE3_OP(pmulhrsw)>(t, 0x0b);
  both<SSSE3_OPT(pabs, int8_t)>(t, 0x1c);
  both<SSSE3_OPT(pabs, int16_t)>(t, 0x1d);
  both<SSSE3_OPT(pabs, int32_t)>(t, 0x1e);
  sse_op(t, MAP_0F3A, 0x0f, PFX_NONE, 0, VEC_GEIb<8, Palignr>);
  sse_op(t, MAP_0F3A, 0x0f, PFX_66, 0, VEC_GEIb<16, Palignr>);
}

}  // namespace tsv
