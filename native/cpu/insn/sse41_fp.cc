// SSE4.1 floating point on the SSE IEEE core (sse_fp.h): ROUNDPS/PD/SS/SD
// (66 0F 3A 08-0B) and the dot products DPPS/DPPD (66 0F 3A 40/41).
// MXCSR is committed (flags, or #XM for an unmasked exception) before the
// destination is written.
#include "cpu/insn/sse4_lanes.h"
#include "cpu/insn/sse_fp_ops.h"

namespace tsv {
namespace {
using namespace sfp;

// imm8[1:0] rounding mode, imm8[2] use MXCSR.RC instead, imm8[3] no precision exception
unsigned round_mode(const Cpu& c, uint8_t imm) { return (imm & 4) ? (c.mxcsr >> 13) & 3 : imm & 3; }

template <bool PD> const Insn* ROUNDP(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s = xmm_src<true>(c, i);
  const uint8_t imm = (uint8_t)i->imm;
  const unsigned rc = round_mode(c, imm);
  Env e(c.mxcsr);
  Xmm r;
  if constexpr (PD)
    for (int k = 0; k < 2; k++) r.q[k] = f64_round_int(e, s.q[k], rc, imm & 8);
  else
    for (int k = 0; k < 4; k++) r.d[k] = f32_round_int(e, s.d[k], rc, imm & 8);
  sse_fp_commit(c, e);
  c.xmm[i->reg] = r;
  return next(c, i);
}
// Scalar: the low element of xmm2/m32/m64 rounded into the destination's low element.
template <bool SD> const Insn* ROUNDS(Cpu& c, const Insn* i) {
  sse_check(c);
  const uint8_t imm = (uint8_t)i->imm;
  Env e(c.mxcsr);
  if constexpr (SD) {
    uint64_t v = xmm_src_lo<uint64_t>(c, i);
    const unsigned rc = round_mode(c, imm);
    uint64_t r = f64_round_int(e, v, rc, imm & 8);
    sse_fp_commit(c, e);
    c.xmm[i->reg].q[0] = r;
  } else {
    uint32_t v = xmm_src_lo<uint32_t>(c, i);
    const unsigned rc = round_mode(c, imm);
    uint32_t r = f32_round_int(e, v, rc, imm & 8);
    sse_fp_commit(c, e);
    c.xmm[i->reg].d[0] = r;
  }
  return next(c, i);
}

// The dot products run in stages (products, partial sums, final sum), each with its own
// exception state: an unmasked exception in one stage is reported (#XM) and the later
// stages do not run; the flags of the stages already completed stay set beside it (the
// reference CPU reports OE/UE/PE of the products with a DE from the sums).
struct DotStages {
  Cpu& c;
  uint32_t done = 0;  // flags of the completed stages
  void end(const Env& e) {
    if (TSV_LIKELY(e.flags == 0)) return;
    Outcome o = outcome(e);
    if (TSV_UNLIKELY(o.fault)) {
      c.mxcsr |= done | o.flags;
      raise_simd_fp(c);
    }
    done |= o.flags;
  }
  void commit() { c.mxcsr |= done; }
};

// DPPS: products of the elements imm8[7:4] selects (+0.0 for the others), summed as
// (p0 + p1) + (p2 + p3), written to the elements imm8[3:0] selects (+0.0 elsewhere).
const Insn* DPPS(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s = xmm_src<true>(c, i);
  const Xmm& d = c.xmm[i->reg];
  const uint8_t imm = (uint8_t)i->imm;
  DotStages st{c};
  uint32_t p[4];
  Env e1(c.mxcsr);
  for (int k = 0; k < 4; k++) p[k] = ((imm >> (4 + k)) & 1) ? f32_mul(e1, d.d[k], s.d[k]) : 0;
  st.end(e1);
  Env e2(c.mxcsr);
  uint32_t lo = f32_add(e2, p[0], p[1]), hi = f32_add(e2, p[2], p[3]);
  st.end(e2);
  Env e3(c.mxcsr);
  uint32_t sum = f32_add(e3, lo, hi);
  st.end(e3);
  st.commit();
  Xmm r;
  for (int k = 0; k < 4; k++) r.d[k] = ((imm >> k) & 1) ? sum : 0;
  c.xmm[i->reg] = r;
  return next(c, i);
}
const Insn* DPPD(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s = xmm_src<true>(c, i);
  const Xmm& d = c.xmm[i->reg];
  const uint8_t imm = (uint8_t)i->imm;
  DotStages st{c};
  uint64_t p[2];
  Env e1(c.mxcsr);
  for (int k = 0; k < 2; k++) p[k] = ((imm >> (4 + k)) & 1) ? f64_mul(e1, d.q[k], s.q[k]) : 0;
  st.end(e1);
  Env e2(c.mxcsr);
  uint64_t sum = f64_add(e2, p[0], p[1]);
  st.end(e2);
  st.commit();
  Xmm r;
  for (int k = 0; k < 2; k++) r.q[k] = ((imm >> k) & 1) ? sum : 0;
  c.xmm[i->reg] = r;
  return next(c, i);
}

}  // namespace

void register_sse41_fp(OpTables& t) {
  sse_op(t, MAP_0F3A, 0x08, PFX_66, 0, ROUNDP<false>);
  sse_op(t, MAP_0F3A, 0x09, PFX_66, 0, ROUNDP<true>);
  sse_op(t, MAP_0F3A, 0x0a, PFX_66, 0, ROUNDS<false>);
  sse_op(t, MAP_0F3A, 0x0b, PFX_66, 0, ROUNDS<true>);
  sse_op(t, MAP_0F3A, 0x40, PFX_66, 0, DPPS);
  sse_op(t, MAP_0F3A, 0x41, PFX_66, 0, DPPD);
}

}  // namespace tsv
