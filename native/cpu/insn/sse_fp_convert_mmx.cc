// SSE/SSE2 conversions with an MMX operand: CVTPI2PS/CVTPI2PD (mm/m64 source),
// CVT(T)PS2PI (xmm low quadword / m64 source) and CVT(T)PD2PI (xmm / aligned
// m128 source) into an MMX register. An MMX register operand reports a
// pending x87 exception first (#MF) and makes the FPU enter MMX mode (TOP = 0,
// all tags valid) once the source is read: the host CPU shows the transition
// when the instruction ends in #XM, not when the memory operand faults. A
// memory source with an XMM destination does neither.
#include "cpu/insn/sse_fp_ops.h"

namespace tsv {
namespace {

using sfp::Env;

// SSE availability, then a pending unmasked x87 exception, for an instruction touching an MMX register
TSV_INLINE void mmx_operand_check(Cpu& c) {
  sse_check(c);
  if (TSV_UNLIKELY(c.x87.fsw & FSW_ES)) x87_pending_check(c);
}

template <bool DOUBLE> const Insn* CVTPI2P(Cpu& c, const Insn* i) {
  const bool mm = !(i->flags & INSN_MEM);
  if (mm) {
    mmx_operand_check(c);
    mmx_enter(c);
  } else {
    sse_check(c);
  }
  uint64_t a = mm_src(c, i);
  Env e(c.mxcsr);
  Xmm& d = c.xmm[i->reg];
  if constexpr (DOUBLE) {  // exact
    d.q[0] = sfp::i32_to_f64(e, (int32_t)(uint32_t)a);
    d.q[1] = sfp::i32_to_f64(e, (int32_t)(uint32_t)(a >> 32));
  } else {  // the high quadword of the destination is kept
    uint32_t lo = sfp::i32_to_f32(e, (int32_t)(uint32_t)a), hi = sfp::i32_to_f32(e, (int32_t)(uint32_t)(a >> 32));
    sse_fp_commit(c, e);
    d.d[0] = lo;
    d.d[1] = hi;
  }
  return next(c, i);
}
template <bool TRUNC> const Insn* CVTPS2PI(Cpu& c, const Insn* i) {
  mmx_operand_check(c);
  uint64_t a = xmm_src_lo<uint64_t>(c, i);
  mmx_enter(c);
  Env e(c.mxcsr);
  uint32_t lo = (uint32_t)sfp::f32_to_i32(e, (uint32_t)a, TRUNC), hi = (uint32_t)sfp::f32_to_i32(e, (uint32_t)(a >> 32), TRUNC);
  sse_fp_commit(c, e);
  mm_write(c, i->reg, lo | (uint64_t)hi << 32);
  return next(c, i);
}
template <bool TRUNC> const Insn* CVTPD2PI(Cpu& c, const Insn* i) {
  mmx_operand_check(c);
  Xmm a = xmm_src<true>(c, i);
  mmx_enter(c);
  Env e(c.mxcsr);
  uint32_t lo = (uint32_t)sfp::f64_to_i32(e, a.q[0], TRUNC), hi = (uint32_t)sfp::f64_to_i32(e, a.q[1], TRUNC);
  sse_fp_commit(c, e);
  mm_write(c, i->reg, lo | (uint64_t)hi << 32);
  return next(c, i);
}

}  // namespace

void register_sse_fp_convert_mmx(OpTables& t) {
  sse_op(t, MAP_0F, 0x2a, PFX_NONE, 0, CVTPI2P<false>);
  sse_op(t, MAP_0F, 0x2a, PFX_66, 0, CVTPI2P<true>);
  sse_op(t, MAP_0F, 0x2c, PFX_NONE, 0, CVTPS2PI<true>);
  sse_op(t, MAP_0F, 0x2d, PFX_NONE, 0, CVTPS2PI<false>);
  sse_op(t, MAP_0F, 0x2c, PFX_66, 0, CVTPD2PI<true>);
  sse_op(t, MAP_0F, 0x2d, PFX_66, 0, CVTPD2PI<false>);
}

}  // namespace tsv
