// SSE3 arithmetic on the SSE IEEE core (sse_fp.h): ADDSUBPS (F2 0F D0),
// ADDSUBPD (66 0F D0), HADDPS/HADDPD (F2/66 0F 7C), HSUBPS/HSUBPD (F2/66 0F 7D).
// Every element is computed into a temporary and MXCSR is committed (flags,
// or #XM for an unmasked exception) before the destination is written.
#include "cpu/insn/sse4_lanes.h"
#include "cpu/insn/sse_fp_ops.h"

namespace tsv {
namespace {
using namespace sfp;

// ADDSUB: even elements subtract, odd elements add.
Xmm addsubps(Env& e, const Xmm& a, const Xmm& b) {
  Xmm r;
  for (int k = 0; k < 4; k++) r.d[k] = (k & 1) ? f32_add(e, a.d[k], b.d[k]) : f32_sub(e, a.d[k], b.d[k]);
  return r;
}
Xmm addsubpd(Env& e, const Xmm& a, const Xmm& b) {
  Xmm r;
  r.q[0] = f64_sub(e, a.q[0], b.q[0]);
  r.q[1] = f64_add(e, a.q[1], b.q[1]);
  return r;
}
// Horizontal: adjacent pairs of the destination, then of the source (SUB: lower minus upper).
template <bool SUB> Xmm hps(Env& e, const Xmm& a, const Xmm& b) {
  auto op = SUB ? f32_sub : f32_add;
  Xmm r;
  r.d[0] = op(e, a.d[0], a.d[1]);
  r.d[1] = op(e, a.d[2], a.d[3]);
  r.d[2] = op(e, b.d[0], b.d[1]);
  r.d[3] = op(e, b.d[2], b.d[3]);
  return r;
}
template <bool SUB> Xmm hpd(Env& e, const Xmm& a, const Xmm& b) {
  auto op = SUB ? f64_sub : f64_add;
  Xmm r;
  r.q[0] = op(e, a.q[0], a.q[1]);
  r.q[1] = op(e, b.q[0], b.q[1]);
  return r;
}

template <Xmm (*F)(Env&, const Xmm&, const Xmm&)> const Insn* SSE3_FP(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s = xmm_src<true>(c, i);
  Env e(c.mxcsr);
  Xmm r = F(e, c.xmm[i->reg], s);
  sse_fp_commit(c, e);
  c.xmm[i->reg] = r;
  return next(c, i);
}

}  // namespace

void register_sse3_fp(OpTables& t) {
  sse_op(t, MAP_0F, 0xd0, PFX_F2, 0, SSE3_FP<addsubps>);
  sse_op(t, MAP_0F, 0xd0, PFX_66, 0, SSE3_FP<addsubpd>);
  sse_op(t, MAP_0F, 0x7c, PFX_F2, 0, SSE3_FP<hps<false>>);
  sse_op(t, MAP_0F, 0x7c, PFX_66, 0, SSE3_FP<hpd<false>>);
  sse_op(t, MAP_0F, 0x7d, PFX_F2, 0, SSE3_FP<hps<true>>);
  sse_op(t, MAP_0F, 0x7d, PFX_66, 0, SSE3_FP<hpd<true>>);
}

}  // namespace tsv
