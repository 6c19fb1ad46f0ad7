// SSE/SSE2 floating-point comparisons: CMPPS/CMPPD/CMPSS/CMPSD (imm8 bits 2:0
// pick EQ, LT, LE, UNORD, NEQ, NLT, NLE, ORD; the element becomes all ones or
// zeros) and COMISS/COMISD/UCOMISS/UCOMISD, which set ZF/PF/CF (unordered 111,
// greater 000, less 001, equal 100) and clear OF/SF/AF. COMIS* signal IE for a
// QNaN operand too, UCOMIS* only for an SNaN.
#include "cpu/insn/sse_fp_ops.h"

namespace tsv {
namespace {

using sfp::Env;

const Insn* CMPPS(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  Xmm& d = c.xmm[i->reg];
  Env e(c.mxcsr);
  Xmm r;
  for (int k = 0; k < 4; k++) r.d[k] = sfp::f32_cmp_pred(e, d.d[k], b.d[k], (unsigned)i->imm) ? ~0u : 0;
  sse_fp_commit(c, e);
  d = r;
  return next(c, i);
}
const Insn* CMPPD(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  Xmm& d = c.xmm[i->reg];
  Env e(c.mxcsr);
  Xmm r;
  for (int k = 0; k < 2; k++) r.q[k] = sfp::f64_cmp_pred(e, d.q[k], b.q[k], (unsigned)i->imm) ? ~0ull : 0;
  sse_fp_commit(c, e);
  d = r;
  return next(c, i);
}
const Insn* CMPSS(Cpu& c, const Insn* i) {
  sse_check(c);
  uint32_t b = xmm_src_lo<uint32_t>(c, i);
  Env e(c.mxcsr);
  bool t = sfp::f32_cmp_pred(e, c.xmm[i->reg].d[0], b, (unsigned)i->imm);
  sse_fp_commit(c, e);
  c.xmm[i->reg].d[0] = t ? ~0u : 0;
  return next(c, i);
}
const Insn* CMPSD(Cpu& c, const Insn* i) {
  sse_check(c);
  uint64_t b = xmm_src_lo<uint64_t>(c, i);
  Env e(c.mxcsr);
  bool t = sfp::f64_cmp_pred(e, c.xmm[i->reg].q[0], b, (unsigned)i->imm);
  sse_fp_commit(c, e);
  c.xmm[i->reg].q[0] = t ? ~0ull : 0;
  return next(c, i);
}

void set_comi_flags(Cpu& c, sfp::Relation r) {
  static const uint32_t flags[4] = {F_CF, F_ZF, 0, F_ZF | F_PF | F_CF};  // LESS, EQUAL, GREATER, UNORDERED
  set_arith_flags(c, flags[r]);
}
template <bool SIGNAL_QNAN> const Insn* COMISS(Cpu& c, const Insn* i) {
  sse_check(c);
  uint32_t b = xmm_src_lo<uint32_t>(c, i);
  Env e(c.mxcsr);
  sfp::Relation r = sfp::f32_compare(e, c.xmm[i->reg].d[0], b, SIGNAL_QNAN);
  sse_fp_commit(c, e);
  set_comi_flags(c, r);
  return next(c, i);
}
template <bool SIGNAL_QNAN> const Insn* COMISD(Cpu& c, const Insn* i) {
  sse_check(c);
  uint64_t b = xmm_src_lo<uint64_t>(c, i);
  Env e(c.mxcsr);
  sfp::Relation r = sfp::f64_compare(e, c.xmm[i->reg].q[0], b, SIGNAL_QNAN);
  sse_fp_commit(c, e);
  set_comi_flags(c, r);
  return next(c, i);
}

}  // namespace

void register_sse_fp_compare(OpTables& t) {
  sse_op(t, MAP_0F, 0xc2, PFX_NONE, D_IMM8U, CMPPS);
  sse_op(t, MAP_0F, 0xc2, PFX_66, D_IMM8U, CMPPD);
  sse_op(t, MAP_0F, 0xc2, PFX_F3, D_IMM8U, CMPSS);
  sse_op(t, MAP_0F, 0xc2, PFX_F2, D_IMM8U, CMPSD);
  sse_op(t, MAP_0F, 0x2e, PFX_NONE, 0, COMISS<false>);  // UCOMISS
  sse_op(t, MAP_0F, 0x2f, PFX_NONE, 0, COMISS<true>);   // COMISS
  sse_op(t, MAP_0F, 0x2e, PFX_66, 0, COMISD<false>);    // UCOMISD
  sse_op(t, MAP_0F, 0x2f, PFX_66, 0, COMISD<true>);     // COMISD
}

}  // namespace tsv
