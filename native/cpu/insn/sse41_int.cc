// SSE4.1 integer and data-movement instructions (66 0F 38 xx, 66 0F 3A xx):
// multiplies, min/max, PCMPEQQ, PACKUSDW, sign/zero extensions, PTEST, blends
// (immediate and XMM0-controlled, including the PS/PD forms: they move bits
// and never round), PHMINPOSUW, MPSADBW, MOVNTDQA.
// Insert/extract forms are in sse41_insert_extract.cc.
#include "cpu/insn/ssse3_ops.h"

namespace tsv {
namespace {
using ssse3::lane;
using ssse3::set_lane;

// ---------------------------------------------------------------- multiplies
void pmulld(Xmm& d, const Xmm& s) {
  for (unsigned k = 0; k < 4; k++) d.d[k] = d.d[k] * s.d[k];
}
void pmuldq(Xmm& d, const Xmm& s) {
  int64_t lo = (int64_t)d.sd[0] * s.sd[0], hi = (int64_t)d.sd[2] * s.sd[2];
  d.sq[0] = lo;
  d.sq[1] = hi;
}

// ---------------------------------------------------------------- min / max, compare
template <class T, bool MAX> void pminmax(Xmm& d, const Xmm& s) {
  for (unsigned k = 0; k < 16 / sizeof(T); k++) {
    T a = lane<T>(d, k), b = lane<T>(s, k);
    set_lane<T>(d, k, MAX ? (a > b ? a : b) : (a < b ? a : b));
  }
}
void pcmpeqq(Xmm& d, const Xmm& s) {
  for (unsigned k = 0; k < 2; k++) d.q[k] = d.q[k] == s.q[k] ? ~0ull : 0;
}

// PACKUSDW: signed dwords of the destination, then of the source, to unsigned words with saturation.
void packusdw(Xmm& d, const Xmm& s) {
  Xmm r;
  for (unsigned k = 0; k < 4; k++) {
    r.w[k] = satu16(d.sd[k]);
    r.w[4 + k] = satu16(s.sd[k]);
  }
  d = r;
}

// ---------------------------------------------------------------- PMOVSX / PMOVZX
// From (signed or unsigned) narrow elements in the low part of the source to wide ones.
template <class From, class To> void pmovx(Xmm& d, const Xmm& s) {
  Xmm r;
  for (unsigned k = 0; k < 16 / sizeof(To); k++) set_lane<To>(r, k, (To)lane<From>(s, k));
  d = r;
}

// ---------------------------------------------------------------- PTEST
// ZF: (dest AND src) == 0; CF: (NOT dest AND src) == 0; AF, OF, PF, SF cleared.
const Insn* PTEST(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s = xmm_src<true>(c, i);
  const Xmm& d = c.xmm[i->reg];
  bool zf = ((d.q[0] & s.q[0]) | (d.q[1] & s.q[1])) == 0;
  bool cf = ((~d.q[0] & s.q[0]) | (~d.q[1] & s.q[1])) == 0;
  set_arith_flags(c, (zf ? F_ZF : 0) | (cf ? F_CF : 0));
  return next(c, i);
}

// ---------------------------------------------------------------- blends
// Immediate blends: bit k of imm8 takes element k from the source.
template <class T> void blend_imm(Xmm& d, const Xmm& s, uint8_t imm) {
  for (unsigned k = 0; k < 16 / sizeof(T); k++)
    if ((imm >> k) & 1) set_lane<T>(d, k, lane<T>(s, k));
}
// Variable blends: the top bit of each XMM0 element picks the source.
template <class T> const Insn* BLENDV(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s = xmm_src<true>(c, i);
  Xmm mask = c.xmm[0];
  Xmm& d = c.xmm[i->reg];
  using S = std::make_signed_t<T>;
  for (unsigned k = 0; k < 16 / sizeof(T); k++)
    if (lane<S>(mask, k) < 0) set_lane<T>(d, k, lane<T>(s, k));
  return next(c, i);
}

// ---------------------------------------------------------------- PHMINPOSUW, MPSADBW
// The smallest unsigned word (lowest index on ties) in bits 15:0, its index in 18:16, zeros above.
void phminposuw(Xmm& d, const Xmm& s) {
  unsigned at = 0;
  for (unsigned k = 1; k < 8; k++)
    if (s.w[k] < s.w[at]) at = k;
  uint16_t m = s.w[at];
  d.q[0] = d.q[1] = 0;
  d.w[0] = m;
  d.w[1] = (uint16_t)at;
}
// Eight sums of absolute differences between a 4-byte block of the source (imm8[1:0]) and
// sliding 4-byte windows of the destination starting at byte 0 or 4 (imm8[2]).
void mpsadbw(Xmm& d, const Xmm& s, uint8_t imm) {
  const unsigned so = (imm & 3) * 4, dofs = (imm & 4) ? 4 : 0;
  Xmm r;
  for (unsigned k = 0; k < 8; k++) {
    unsigned sum = 0;
    for (unsigned j = 0; j < 4; j++) {
      int diff = (int)d.b[dofs + k + j] - (int)s.b[so + j];
      sum += (unsigned)(diff < 0 ? -diff : diff);
    }
    r.w[k] = (uint16_t)sum;
  }
  d = r;
}

// ---------------------------------------------------------------- MOVNTDQA
// A non-temporal hint only; the load itself is an aligned 16-byte read.
const Insn* MOVNTDQA(Cpu& c, const Insn* i) {
  sse_check(c);
  c.xmm[i->reg] = rd_m128<true>(c, i);
  return next(c, i);
}

}  // namespace

void register_sse41(OpTables& t) {
  auto x = [&](uint8_t op, Handler h) { sse_op(t, MAP_0F38, op, PFX_66, 0, h); };
  auto xi = [&](uint8_t op, Handler h) { sse_op(t, MAP_0F3A, op, PFX_66, 0, h); };
  x(0x10, BLENDV<uint8_t>);   // PBLENDVB
  x(0x14, BLENDV<uint32_t>);  // BLENDVPS
  x(0x15, BLENDV<uint64_t>);  // BLENDVPD
  x(0x17, PTEST);
  x(0x20, SSE_VxWxLo<8, pmovx<int8_t, int16_t>>);   // PMOVSXBW
  x(0x21, SSE_VxWxLo<4, pmovx<int8_t, int32_t>>);   // PMOVSXBD
  x(0x22, SSE_VxWxLo<2, pmovx<int8_t, int64_t>>);   // PMOVSXBQ
  x(0x23, SSE_VxWxLo<8, pmovx<int16_t, int32_t>>);  // PMOVSXWD
  x(0x24, SSE_VxWxLo<4, pmovx<int16_t, int64_t>>);  // PMOVSXWQ
  x(0x25, SSE_VxWxLo<8, pmovx<int32_t, int64_t>>);  // PMOVSXDQ
  x(0x28, SSE_VxWx<pmuldq>);
  x(0x29, SSE_VxWx<pcmpeqq>);
  sse_op(t, MAP_0F38, 0x2a, PFX_66, D_MEMONLY, MOVNTDQA);
  x(0x2b, SSE_VxWx<packusdw>);
  x(0x30, SSE_VxWxLo<8, pmovx<uint8_t, uint16_t>>);   // PMOVZXBW
  x(0x31, SSE_VxWxLo<4, pmovx<uint8_t, uint32_t>>);   // PMOVZXBD
  x(0x32, SSE_VxWxLo<2, pmovx<uint8_t, uint64_t>>);   // PMOVZXBQ
  x(0x33, SSE_VxWxLo<8, pmovx<uint16_t, uint32_t>>);  // PMOVZXWD
  x(0x34, SSE_VxWxLo<4, pmovx<uint16_t, uint64_t>>);  // PMOVZXWQ
  x(0x35, SSE_VxWxLo<8, pmovx<uint32_t, uint64_t>>);  // PMOVZXDQ
  x(0x38, SSE_VxWx<pminmax<int8_t, false>>);    // PMINSB
  x(0x39, SSE_VxWx<pminmax<int32_t, false>>);   // PMINSD
  x(0x3a, SSE_VxWx<pminmax<uint16_t, false>>);  // PMINUW
  x(0x3b, SSE_VxWx<pminmax<uint32_t, false>>);  // PMINUD
  x(0x3c, SSE_VxWx<pminmax<int8_t, true>>);     // PMAXSB
  x(0x3d, SSE_VxWx<pminmax<int32_t, true>>);    // PMAXSD
  x(0x3e, SSE_VxWx<pminmax<uint16_t, true>>);   // PMAXUW
  x(0x3f, SSE_VxWx<pminmax<uint32_t, true>>);   // PMAXUD
  x(0x40, SSE_VxWx<pmulld>);
  x(0x41, SSE_VxWx<phminposuw>);
  xi(0x0c, SSE_VxWxIb<blend_imm<uint32_t>>);  // BLENDPS
  xi(0x0d, SSE_VxWxIb<blend_imm<uint64_t>>);  // BLENDPD
  xi(0x0e, SSE_VxWxIb<blend_imm<uint16_t>>);  // PBLENDW
  xi(0x42, SSE_VxWxIb<mpsadbw>);
}

}  // namespace tsv
