// PCLMULQDQ (66 0F 3A 44): carry-less (GF(2)[x]) product of one quadword of
// xmm1 (imm8 bit 0 selects which) and one of xmm2/m128 (imm8 bit 4), a
// 128-bit result in xmm1.
#include "cpu/insn/sse4_lanes.h"

namespace tsv {
namespace {

void pclmulqdq(Xmm& d, const Xmm& s, uint8_t imm) {
  const uint64_t a = d.q[imm & 1], b = s.q[(imm >> 4) & 1];
  uint64_t lo = 0, hi = 0;
  for (unsigned k = 0; k < 64; k++) {
    if (!((b >> k) & 1)) continue;
    lo ^= a << k;
    if (k) hi ^= a >> (64 - k);
  }
  d.q[0] = lo;
  d.q[1] = hi;
}

}  // namespace

void register_pclmul(OpTables& t) { sse_op(t, MAP_0F3A, 0x44, PFX_66, 0, SSE_VxWxIb<pclmulqdq>); }

}  // namespace tsv
