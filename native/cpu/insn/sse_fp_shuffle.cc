// SSE/SSE2 floating-point shuffles: UNPCKLPS/UNPCKHPS/UNPCKLPD/UNPCKHPD
// (interleave the low / high halves of both operands) and SHUFPS/SHUFPD
// (imm8 selects the low results from the destination, the high ones from the
// source). Memory operands are 16 bytes, aligned. No floating-point exceptions.
#include "cpu/insn/sse_fp_ops.h"

namespace tsv {
namespace {

template <int HALF> const Insn* UNPCKPS(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  Xmm& d = c.xmm[i->reg];
  Xmm r;
  r.d[0] = d.d[2 * HALF];
  r.d[1] = b.d[2 * HALF];
  r.d[2] = d.d[2 * HALF + 1];
  r.d[3] = b.d[2 * HALF + 1];
  d = r;
  return next(c, i);
}
template <int HALF> const Insn* UNPCKPD(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  Xmm& d = c.xmm[i->reg];
  d.q[0] = d.q[HALF];
  d.q[1] = b.q[HALF];
  return next(c, i);
}
const Insn* SHUFPS(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  Xmm& d = c.xmm[i->reg];
  const unsigned imm = (unsigned)i->imm;
  Xmm r;
  r.d[0] = d.d[imm & 3];
  r.d[1] = d.d[(imm >> 2) & 3];
  r.d[2] = b.d[(imm >> 4) & 3];
  r.d[3] = b.d[(imm >> 6) & 3];
  d = r;
  return next(c, i);
}
const Insn* SHUFPD(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  Xmm& d = c.xmm[i->reg];
  const unsigned imm = (unsigned)i->imm;
  Xmm r;
  r.q[0] = d.q[imm & 1];
  r.q[1] = b.q[(imm >> 1) & 1];
  d = r;
  return next(c, i);
}

}  // namespace

void register_sse_fp_shuffle(OpTables& t) {
  sse_op(t, MAP_0F, 0x14, PFX_NONE, 0, UNPCKPS<0>);
  sse_op(t, MAP_0F, 0x15, PFX_NONE, 0, UNPCKPS<1>);
  sse_op(t, MAP_0F, 0x14, PFX_66, 0, UNPCKPD<0>);
  sse_op(t, MAP_0F, 0x15, PFX_66, 0, UNPCKPD<1>);
  sse_op(t, MAP_0F, 0xc6, PFX_NONE, D_IMM8U, SHUFPS);
  sse_op(t, MAP_0F, 0xc6, PFX_66, D_IMM8U, SHUFPD);
}

}  // namespace tsv
