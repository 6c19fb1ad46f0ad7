// SSE/SSE2 conversions between XMM registers, general registers and memory:
// CVTSI2SS/CVTSI2SD (32-bit source, 64-bit with REX.W), CVT(T)SS2SI and
// CVT(T)SD2SI (32/64-bit destination), CVTPS2PD/CVTPD2PS/CVTSS2SD/CVTSD2SS,
// CVTDQ2PS/CVT(T)PS2DQ, CVTDQ2PD/CVT(T)PD2DQ. The "T" forms truncate, the
// others round by MXCSR.RC; NaN or out-of-range sources give the integer
// indefinite (sign bit only) with IE. Full 16-byte memory sources are aligned
// (#GP(0)); 4/8-byte sources are not. The MMX-operand conversions are in
// sse_fp_convert_mmx.cc.
#include "cpu/insn/sse_fp_ops.h"

namespace tsv {
namespace {

using sfp::Env;

// ---------------------------------------------------------------- integer <-> scalar
template <class I> const Insn* CVTSI2SS(Cpu& c, const Insn* i) {
  sse_check(c);
  I v = rd_rm<I>(c, i);
  Env e(c.mxcsr);
  uint32_t r = sizeof(I) == 8 ? sfp::i64_to_f32(e, (int64_t)v) : sfp::i32_to_f32(e, (int32_t)v);
  sse_fp_commit(c, e);
  c.xmm[i->reg].d[0] = r;
  return next(c, i);
}
template <class I> const Insn* CVTSI2SD(Cpu& c, const Insn* i) {
  sse_check(c);
  I v = rd_rm<I>(c, i);
  Env e(c.mxcsr);
  uint64_t r = sizeof(I) == 8 ? sfp::i64_to_f64(e, (int64_t)v) : sfp::i32_to_f64(e, (int32_t)v);
  sse_fp_commit(c, e);
  c.xmm[i->reg].q[0] = r;
  return next(c, i);
}
template <class I, bool TRUNC> const Insn* CVTSS2SI(Cpu& c, const Insn* i) {
  sse_check(c);
  uint32_t a = xmm_src_lo<uint32_t>(c, i);
  Env e(c.mxcsr);
  I r = sizeof(I) == 8 ? (I)sfp::f32_to_i64(e, a, TRUNC) : (I)(uint32_t)sfp::f32_to_i32(e, a, TRUNC);
  sse_fp_commit(c, e);
  setr<I>(c, i->reg, r);
  return next(c, i);
}
template <class I, bool TRUNC> const Insn* CVTSD2SI(Cpu& c, const Insn* i) {
  sse_check(c);
  uint64_t a = xmm_src_lo<uint64_t>(c, i);
  Env e(c.mxcsr);
  I r = sizeof(I) == 8 ? (I)sfp::f64_to_i64(e, a, TRUNC) : (I)(uint32_t)sfp::f64_to_i32(e, a, TRUNC);
  sse_fp_commit(c, e);
  setr<I>(c, i->reg, r);
  return next(c, i);
}

// ---------------------------------------------------------------- single <-> double
const Insn* CVTPS2PD(Cpu& c, const Insn* i) {  // two singles from the low quadword / m64
  sse_check(c);
  uint64_t a = xmm_src_lo<uint64_t>(c, i);
  Env e(c.mxcsr);
  Xmm r;
  r.q[0] = sfp::f32_to_f64(e, (uint32_t)a);
  r.q[1] = sfp::f32_to_f64(e, (uint32_t)(a >> 32));
  sse_fp_commit(c, e);
  c.xmm[i->reg] = r;
  return next(c, i);
}
const Insn* CVTPD2PS(Cpu& c, const Insn* i) {  // the high quadword of the result is zeroed
  sse_check(c);
  Xmm a = xmm_src<true>(c, i);
  Env e(c.mxcsr);
  Xmm r{};
  r.d[0] = sfp::f64_to_f32(e, a.q[0]);
  r.d[1] = sfp::f64_to_f32(e, a.q[1]);
  sse_fp_commit(c, e);
  c.xmm[i->reg] = r;
  return next(c, i);
}
const Insn* CVTSS2SD(Cpu& c, const Insn* i) {
  sse_check(c);
  uint32_t a = xmm_src_lo<uint32_t>(c, i);
  Env e(c.mxcsr);
  uint64_t r = sfp::f32_to_f64(e, a);
  sse_fp_commit(c, e);
  c.xmm[i->reg].q[0] = r;
  return next(c, i);
}
const Insn* CVTSD2SS(Cpu& c, const Insn* i) {
  sse_check(c);
  uint64_t a = xmm_src_lo<uint64_t>(c, i);
  Env e(c.mxcsr);
  uint32_t r = sfp::f64_to_f32(e, a);
  sse_fp_commit(c, e);
  c.xmm[i->reg].d[0] = r;
  return next(c, i);
}

// ---------------------------------------------------------------- packed integers <-> packed floats
const Insn* CVTDQ2PS(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm a = xmm_src<true>(c, i);
  Env e(c.mxcsr);
  Xmm r;
  for (int k = 0; k < 4; k++) r.d[k] = sfp::i32_to_f32(e, a.sd[k]);
  sse_fp_commit(c, e);
  c.xmm[i->reg] = r;
  return next(c, i);
}
template <bool TRUNC> const Insn* CVTPS2DQ(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm a = xmm_src<true>(c, i);
  Env e(c.mxcsr);
  Xmm r;
  for (int k = 0; k < 4; k++) r.sd[k] = sfp::f32_to_i32(e, a.d[k], TRUNC);
  sse_fp_commit(c, e);
  c.xmm[i->reg] = r;
  return next(c, i);
}
const Insn* CVTDQ2PD(Cpu& c, const Insn* i) {  // two dwords from the low quadword / m64 (exact)
  sse_check(c);
  uint64_t a = xmm_src_lo<uint64_t>(c, i);
  Env e(c.mxcsr);
  Xmm r;
  r.q[0] = sfp::i32_to_f64(e, (int32_t)(uint32_t)a);
  r.q[1] = sfp::i32_to_f64(e, (int32_t)(uint32_t)(a >> 32));
  c.xmm[i->reg] = r;
  return next(c, i);
}
template <bool TRUNC> const Insn* CVTPD2DQ(Cpu& c, const Insn* i) {  // high quadword zeroed
  sse_check(c);
  Xmm a = xmm_src<true>(c, i);
  Env e(c.mxcsr);
  Xmm r{};
  r.sd[0] = sfp::f64_to_i32(e, a.q[0], TRUNC);
  r.sd[1] = sfp::f64_to_i32(e, a.q[1], TRUNC);
  sse_fp_commit(c, e);
  c.xmm[i->reg] = r;
  return next(c, i);
}

}  // namespace

void register_sse_fp_convert(OpTables& t) {
  sse_op_w(t, MAP_0F, 0x2a, PFX_F3, 0, CVTSI2SS<uint32_t>, CVTSI2SS<uint64_t>);
  sse_op_w(t, MAP_0F, 0x2a, PFX_F2, 0, CVTSI2SD<uint32_t>, CVTSI2SD<uint64_t>);
  sse_op_w(t, MAP_0F, 0x2c, PFX_F3, 0, CVTSS2SI<uint32_t, true>, CVTSS2SI<uint64_t, true>);
  sse_op_w(t, MAP_0F, 0x2d, PFX_F3, 0, CVTSS2SI<uint32_t, false>, CVTSS2SI<uint64_t, false>);
  sse_op_w(t, MAP_0F, 0x2c, PFX_F2, 0, CVTSD2SI<uint32_t, true>, CVTSD2SI<uint64_t, true>);
  sse_op_w(t, MAP_0F, 0x2d, PFX_F2, 0, CVTSD2SI<uint32_t, false>, CVTSD2SI<uint64_t, false>);
  sse_op(t, MAP_0F, 0x5a, PFX_NONE, 0, CVTPS2PD);
  sse_op(t, MAP_0F, 0x5a, PFX_66, 0, CVTPD2PS);
  sse_op(t, MAP_0F, 0x5a, PFX_F3, 0, CVTSS2SD);
  sse_op(t, MAP_0F, 0x5a, PFX_F2, 0, CVTSD2SS);
  sse_op(t, MAP_0F, 0x5b, PFX_NONE, 0, CVTDQ2PS);
  sse_op(t, MAP_0F, 0x5b, PFX_66, 0, CVTPS2DQ<false>);
  sse_op(t, MAP_0F, 0x5b, PFX_F3, 0, CVTPS2DQ<true>);
  sse_op(t, MAP_0F, 0xe6, PFX_F3, 0, CVTDQ2PD);
  sse_op(t, MAP_0F, 0xe6, PFX_F2, 0, CVTPD2DQ<false>);
  sse_op(t, MAP_0F, 0xe6, PFX_66, 0, CVTPD2DQ<true>);
}

}  // namespace tsv
