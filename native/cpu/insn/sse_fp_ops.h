// What the SSE/SSE2 floating-point instruction files share: the MXCSR commit
// that turns the core's exception flags (sse_fp.h) into MXCSR flags or #XM,
// and the packed/scalar element loops. An instruction computes every element
// into a temporary, commits, and only then writes its destination, so an
// unmasked exception leaves the destination unchanged.
#pragma once
#include "cpu/sse.h"
#include "cpu/sse_fp.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

// the families (insn/sse_fp_*.cc); register_sse_fp (decoder.h) calls them all
void register_sse_fp_arith(OpTables& t);
void register_sse_fp_moves(OpTables& t);
void register_sse_fp_shuffle(OpTables& t);
void register_sse_fp_compare(OpTables& t);
void register_sse_fp_convert(OpTables& t);
void register_sse_fp_convert_mmx(OpTables& t);

// Sets the reported flags in MXCSR; #XM (or #UD without CR4.OSXMMEXCPT) for an unmasked one.
TSV_INLINE void sse_fp_commit(Cpu& c, const sfp::Env& e) {
  if (TSV_LIKELY(e.flags == 0)) return;
  sfp::Outcome o = sfp::outcome(e);
  c.mxcsr |= o.flags;
  if (TSV_UNLIKELY(o.fault)) raise_simd_fp(c);
}

// Packed binary32 / binary64: d[k] = OP(d[k], s[k]) for all elements.
template <uint32_t (*OP)(sfp::Env&, uint32_t, uint32_t)> TSV_INLINE Xmm packed_f32(Cpu& c, const Xmm& a, const Xmm& b) {
  sfp::Env e(c.mxcsr);
  Xmm r;
  for (int k = 0; k < 4; k++) r.d[k] = OP(e, a.d[k], b.d[k]);
  sse_fp_commit(c, e);
  return r;
}
template <uint64_t (*OP)(sfp::Env&, uint64_t, uint64_t)> TSV_INLINE Xmm packed_f64(Cpu& c, const Xmm& a, const Xmm& b) {
  sfp::Env e(c.mxcsr);
  Xmm r;
  for (int k = 0; k < 2; k++) r.q[k] = OP(e, a.q[k], b.q[k]);
  sse_fp_commit(c, e);
  return r;
}

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
