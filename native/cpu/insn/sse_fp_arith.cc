// SSE/SSE2 floating-point arithmetic: ADD/SUB/MUL/DIV/MIN/MAX/SQRT in their
// packed (PS/PD) and scalar (SS/SD) forms, the bitwise ANDPS/ANDNPS/ORPS/XORPS
// (+PD), and the RCPPS/RSQRTPS approximations. Packed forms with a memory
// operand need 16-byte alignment (#GP(0)); scalar forms read 4 or 8 bytes,
// unaligned, and leave the rest of the destination register unchanged.
#include "cpu/insn/sse_fp_ops.h"
#include "cpu/insn/sse_fp_approx.h"

namespace tsv {
namespace {

using sfp::Env;
using Op32 = uint32_t (*)(Env&, uint32_t, uint32_t);
using Op64 = uint64_t (*)(Env&, uint64_t, uint64_t);

// SQRT with the binary shape (the first operand is not a source)
uint32_t sqrt32(Env& e, uint32_t, uint32_t b) { return sfp::f32_sqrt(e, b); }
uint64_t sqrt64(Env& e, uint64_t, uint64_t b) { return sfp::f64_sqrt(e, b); }

template <Op32 OP> const Insn* PS(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  c.xmm[i->reg] = packed_f32<OP>(c, c.xmm[i->reg], b);
  return next(c, i);
}
template <Op64 OP> const Insn* PD(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  c.xmm[i->reg] = packed_f64<OP>(c, c.xmm[i->reg], b);
  return next(c, i);
}
template <Op32 OP> const Insn* SS(Cpu& c, const Insn* i) {
  sse_check(c);
  uint32_t b = xmm_src_lo<uint32_t>(c, i);
  Env e(c.mxcsr);
  uint32_t r = OP(e, c.xmm[i->reg].d[0], b);
  sse_fp_commit(c, e);
  c.xmm[i->reg].d[0] = r;
  return next(c, i);
}
template <Op64 OP> const Insn* SD(Cpu& c, const Insn* i) {
  sse_check(c);
  uint64_t b = xmm_src_lo<uint64_t>(c, i);
  Env e(c.mxcsr);
  uint64_t r = OP(e, c.xmm[i->reg].q[0], b);
  sse_fp_commit(c, e);
  c.xmm[i->reg].q[0] = r;
  return next(c, i);
}

// ---------------------------------------------------------------- bitwise (no FP exceptions)
enum Logic { L_AND, L_ANDN, L_OR, L_XOR };
template <Logic L> const Insn* LOGIC(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  Xmm& d = c.xmm[i->reg];
  for (int k = 0; k < 2; k++) {
    if constexpr (L == L_AND) d.q[k] &= b.q[k];
    else if constexpr (L == L_ANDN) d.q[k] = ~d.q[k] & b.q[k];
    else if constexpr (L == L_OR) d.q[k] |= b.q[k];
    else d.q[k] ^= b.q[k];
  }
  return next(c, i);
}

// ---------------------------------------------------------------- approximations (MXCSR not involved)
template <uint32_t (*F)(uint32_t)> const Insn* APPROX_PS(Cpu& c, const Insn* i) {
  sse_check(c);
  Xmm b = xmm_src<true>(c, i);
  Xmm& d = c.xmm[i->reg];
  for (int k = 0; k < 4; k++) d.d[k] = F(b.d[k]);
  return next(c, i);
}
template <uint32_t (*F)(uint32_t)> const Insn* APPROX_SS(Cpu& c, const Insn* i) {
  sse_check(c);
  c.xmm[i->reg].d[0] = F(xmm_src_lo<uint32_t>(c, i));
  return next(c, i);
}

template <Op32 O32, Op64 O64> void reg4(OpTables& t, uint8_t op) {
  sse_op(t, MAP_0F, op, PFX_NONE, 0, PS<O32>);
  sse_op(t, MAP_0F, op, PFX_66, 0, PD<O64>);
  sse_op(t, MAP_0F, op, PFX_F3, 0, SS<O32>);
  sse_op(t, MAP_0F, op, PFX_F2, 0, SD<O64>);
}

}  // namespace

void register_sse_fp_arith(OpTables& t) {
  reg4<sfp::f32_add, sfp::f64_add>(t, 0x58);
  reg4<sfp::f32_mul, sfp::f64_mul>(t, 0x59);
  reg4<sfp::f32_sub, sfp::f64_sub>(t, 0x5c);
  reg4<sfp::f32_min, sfp::f64_min>(t, 0x5d);
  reg4<sfp::f32_div, sfp::f64_div>(t, 0x5e);
  reg4<sfp::f32_max, sfp::f64_max>(t, 0x5f);
  reg4<sqrt32, sqrt64>(t, 0x51);
  const Handler logic[4] = {LOGIC<L_AND>, LOGIC<L_ANDN>, LOGIC<L_OR>, LOGIC<L_XOR>};
  for (int k = 0; k < 4; k++) {  // 54..57: the PS and PD forms are the same operation on bits
    sse_op(t, MAP_0F, (uint8_t)(0x54 + k), PFX_NONE, 0, logic[k]);
    sse_op(t, MAP_0F, (uint8_t)(0x54 + k), PFX_66, 0, logic[k]);
  }
  sse_op(t, MAP_0F, 0x52, PFX_NONE, 0, APPROX_PS<rsqrt_approx>);
  sse_op(t, MAP_0F, 0x52, PFX_F3, 0, APPROX_SS<rsqrt_approx>);
  sse_op(t, MAP_0F, 0x53, PFX_NONE, 0, APPROX_PS<rcp_approx>);
  sse_op(t, MAP_0F, 0x53, PFX_F3, 0, APPROX_SS<rcp_approx>);
}

void register_sse_fp(OpTables& t) {
  register_sse_fp_arith(t);
  register_sse_fp_moves(t);
  register_sse_fp_shuffle(t);
  register_sse_fp_compare(t);
  register_sse_fp_convert(t);
  register_sse_fp_convert_mmx(t);
}

}  // namespace tsv
