// SSE3 data movement: MOVSLDUP (F3 0F 12), MOVSHDUP (F3 0F 16), MOVDDUP
// (F2 0F 12, an 8-byte memory operand) and LDDQU (F2 0F F0, an unaligned
// 16-byte load). The SSE3 arithmetic (ADDSUB, HADD, HSUB) is in sse3_fp.cc.
#include "cpu/insn/sse4_lanes.h"

namespace tsv {
namespace {

void movsldup(Xmm& d, const Xmm& s) {
  Xmm r;
  r.d[0] = r.d[1] = s.d[0];
  r.d[2] = r.d[3] = s.d[2];
  d = r;
}
void movshdup(Xmm& d, const Xmm& s) {
  Xmm r;
  r.d[0] = r.d[1] = s.d[1];
  r.d[2] = r.d[3] = s.d[3];
  d = r;
}
void movddup(Xmm& d, const Xmm& s) { d.q[1] = d.q[0] = s.q[0]; }

const Insn* LDDQU(Cpu& c, const Insn* i) {
  sse_check(c);
  c.xmm[i->reg] = rd_m128<false>(c, i);
  return next(c, i);
}

}  // namespace

void register_sse3_moves(OpTables& t) {
  sse_op(t, MAP_0F, 0x12, PFX_F3, 0, SSE_VxWx<movsldup>);
  sse_op(t, MAP_0F, 0x16, PFX_F3, 0, SSE_VxWx<movshdup>);
  sse_op(t, MAP_0F, 0x12, PFX_F2, 0, SSE_VxWxLo<8, movddup>);
  sse_op(t, MAP_0F, 0xf0, PFX_F2, D_MEMONLY, LDDQU);
}

}  // namespace tsv
