// SSE/SSE2 floating-point data movement: MOVUPS/MOVUPD, MOVAPS/MOVAPD (16-byte
// aligned memory operand or #GP(0)), MOVSS/MOVSD (register to register moves
// the low element only; a load zeroes the rest of the register), MOVLPS/MOVLPD,
// MOVHPS/MOVHPD and their register forms MOVHLPS/MOVLHPS, MOVNTPS/MOVNTPD
// (non-temporal hint: an ordinary aligned store here) and MOVMSKPS/MOVMSKPD.
// No floating-point exceptions: values move as bits.
#include "cpu/insn/sse_fp_ops.h"

namespace tsv {
namespace {

// ---------------------------------------------------------------- whole registers
template <bool ALIGN> const Insn* MOV_VxWx(Cpu& c, const Insn* i) {
  sse_check(c);
  c.xmm[i->reg] = xmm_src<ALIGN>(c, i);
  return next(c, i);
}
template <bool ALIGN> const Insn* MOV_WxVx(Cpu& c, const Insn* i) {
  sse_check(c);
  if (i->flags & INSN_MEM) wr_m128<ALIGN>(c, i, c.xmm[i->reg]);
  else c.xmm[i->rm] = c.xmm[i->reg];
  return next(c, i);
}

// ---------------------------------------------------------------- scalar: MOVSS (T = uint32_t), MOVSD (uint64_t)
template <class T> const Insn* MOVS_VxWx_reg(Cpu& c, const Insn* i) {
  sse_check(c);
  std::memcpy(c.xmm[i->reg].b, c.xmm[i->rm].b, sizeof(T));
  return next(c, i);
}
template <class T> const Insn* MOVS_VxWx_mem(Cpu& c, const Insn* i) {
  sse_check(c);
  T v = rd<T>(c, i->seg, ea(c, i));
  Xmm r{};
  std::memcpy(r.b, &v, sizeof(T));
  c.xmm[i->reg] = r;
  return next(c, i);
}
template <class T> const Insn* MOVS_WxVx_reg(Cpu& c, const Insn* i) {
  sse_check(c);
  std::memcpy(c.xmm[i->rm].b, c.xmm[i->reg].b, sizeof(T));
  return next(c, i);
}
template <class T> const Insn* MOVS_WxVx_mem(Cpu& c, const Insn* i) {
  sse_check(c);
  T v;
  std::memcpy(&v, c.xmm[i->reg].b, sizeof(T));
  wr<T>(c, i->seg, ea(c, i), v);
  return next(c, i);
}

// ---------------------------------------------------------------- low / high quadword
// load m64 into quadword H of the register (MOVLPS/MOVLPD H=0, MOVHPS/MOVHPD H=1)
template <int H> const Insn* MOVxP_VqMq(Cpu& c, const Insn* i) {
  sse_check(c);
  c.xmm[i->reg].q[H] = rd<uint64_t>(c, i->seg, ea(c, i));
  return next(c, i);
}
template <int H> const Insn* MOVxP_MqVq(Cpu& c, const Insn* i) {
  sse_check(c);
  wr<uint64_t>(c, i->seg, ea(c, i), c.xmm[i->reg].q[H]);
  return next(c, i);
}
const Insn* MOVHLPS(Cpu& c, const Insn* i) {  // low quadword <- source's high quadword
  sse_check(c);
  c.xmm[i->reg].q[0] = c.xmm[i->rm].q[1];
  return next(c, i);
}
const Insn* MOVLHPS(Cpu& c, const Insn* i) {  // high quadword <- source's low quadword
  sse_check(c);
  c.xmm[i->reg].q[1] = c.xmm[i->rm].q[0];
  return next(c, i);
}

// ---------------------------------------------------------------- sign masks into a GPR (zero-extended)
const Insn* MOVMSKPS(Cpu& c, const Insn* i) {
  sse_check(c);
  const Xmm& s = c.xmm[i->rm];
  uint32_t m = 0;
  for (int k = 0; k < 4; k++) m |= (s.d[k] >> 31) << k;
  setr<uint64_t>(c, i->reg, m);
  return next(c, i);
}
const Insn* MOVMSKPD(Cpu& c, const Insn* i) {
  sse_check(c);
  const Xmm& s = c.xmm[i->rm];
  setr<uint64_t>(c, i->reg, (s.q[0] >> 63) | ((s.q[1] >> 63) << 1));
  return next(c, i);
}

}  // namespace

void register_sse_fp_moves(OpTables& t) {
  for (SsePrefix p : {PFX_NONE, PFX_66}) {
    sse_op(t, MAP_0F, 0x10, p, 0, MOV_VxWx<false>);  // MOVUPS / MOVUPD
    sse_op(t, MAP_0F, 0x11, p, 0, MOV_WxVx<false>);
    sse_op(t, MAP_0F, 0x28, p, 0, MOV_VxWx<true>);   // MOVAPS / MOVAPD
    sse_op(t, MAP_0F, 0x29, p, 0, MOV_WxVx<true>);
    sse_op(t, MAP_0F, 0x2b, p, D_MEMONLY, MOV_WxVx<true>);  // MOVNTPS / MOVNTPD
    sse_op(t, MAP_0F, 0x13, p, D_MEMONLY, MOVxP_MqVq<0>);   // MOVLPS / MOVLPD store
    sse_op(t, MAP_0F, 0x17, p, D_MEMONLY, MOVxP_MqVq<1>);   // MOVHPS / MOVHPD store
  }
  sse_op_rm(t, MAP_0F, 0x10, PFX_F3, 0, MOVS_VxWx_reg<uint32_t>, MOVS_VxWx_mem<uint32_t>);  // MOVSS
  sse_op_rm(t, MAP_0F, 0x11, PFX_F3, 0, MOVS_WxVx_reg<uint32_t>, MOVS_WxVx_mem<uint32_t>);
  sse_op_rm(t, MAP_0F, 0x10, PFX_F2, 0, MOVS_VxWx_reg<uint64_t>, MOVS_VxWx_mem<uint64_t>);  // MOVSD
  sse_op_rm(t, MAP_0F, 0x11, PFX_F2, 0, MOVS_WxVx_reg<uint64_t>, MOVS_WxVx_mem<uint64_t>);
  sse_op_rm(t, MAP_0F, 0x12, PFX_NONE, 0, MOVHLPS, MOVxP_VqMq<0>);  // MOVHLPS / MOVLPS load
  sse_op(t, MAP_0F, 0x12, PFX_66, D_MEMONLY, MOVxP_VqMq<0>);        // MOVLPD
  sse_op_rm(t, MAP_0F, 0x16, PFX_NONE, 0, MOVLHPS, MOVxP_VqMq<1>);  // MOVLHPS / MOVHPS load
  sse_op(t, MAP_0F, 0x16, PFX_66, D_MEMONLY, MOVxP_VqMq<1>);        // MOVHPD
  sse_op(t, MAP_0F, 0x50, PFX_NONE, D_REGONLY, MOVMSKPS);
  sse_op(t, MAP_0F, 0x50, PFX_66, D_REGONLY, MOVMSKPD);
}

}  // namespace tsv
