// What the SSE3/SSSE3/SSE4.1/SSE4.2/AES/PCLMULQDQ files share: handler
// templates that fetch operands, run a lane operation on whole registers and
// write the destination, saturation helpers, and the per-file registration
// functions (all called from register_sse4 in sse4_register.cc).
//
// A lane operation is a plain function on Xmm values. MMX forms (SSSE3 with
// mm operands) run the same operation with N = 8 bytes on an Xmm whose upper
// half is ignored, so one definition serves both register files.
#pragma once
#include "cpu/sse.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

using XmmOp = void (*)(Xmm& d, const Xmm& s);
using XmmOpIb = void (*)(Xmm& d, const Xmm& s, uint8_t imm);

// ---------------------------------------------------------------- saturation
TSV_INLINE int16_t sat16(int32_t v) { return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v); }
TSV_INLINE uint16_t satu16(int32_t v) { return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v); }

// ---------------------------------------------------------------- handlers
// xmm1, xmm2/m128 (legacy SSE: a memory operand must be 16-byte aligned)
template <XmmOp F> const Insn* SSE_VxWx(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s = xmm_src<true>(c, i);
  F(c.xmm[i->reg], s);
  return next(c, i);
}
// xmm1, xmm2/m128, imm8
template <XmmOpIb F> const Insn* SSE_VxWxIb(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s = xmm_src<true>(c, i);
  F(c.xmm[i->reg], s, (uint8_t)i->imm);
  return next(c, i);
}
// xmm1, xmm2/mN where the memory operand is N < 16 bytes (no alignment rule):
// the register form reads the whole source, the memory form the low N bytes.
template <unsigned N, XmmOp F> const Insn* SSE_VxWxLo(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm s;
  if (!(i->flags & INSN_MEM)) {
    s = c.xmm[i->rm];
  } else {
    s.q[0] = s.q[1] = 0;
    uint64_t off = ea(c, i);
    if constexpr (N == 8) s.q[0] = rd<uint64_t>(c, i->seg, off);
    else if constexpr (N == 4) s.d[0] = rd<uint32_t>(c, i->seg, off);
    else s.w[0] = rd<uint16_t>(c, i->seg, off);
  }
  F(c.xmm[i->reg], s);
  return next(c, i);
}

// ---------------------------------------------------------------- registration
void register_sse3_moves(OpTables& t);
void register_sse3_fp(OpTables& t);
void register_sse41_fp(OpTables& t);
void register_ssse3(OpTables& t);
void register_sse41(OpTables& t);
void register_sse41_insert_extract(OpTables& t);
void register_sse42(OpTables& t);
void register_sse42_string(OpTables& t);
void register_aes(OpTables& t);
void register_pclmul(OpTables& t);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
