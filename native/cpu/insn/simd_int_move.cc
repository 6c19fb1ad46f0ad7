// MMX / SSE2 integer data movement: MOVD/MOVQ between general registers or
// memory and mm/xmm registers, MOVQ mm/xmm forms, MOVDQA/MOVDQU, MOVQ2DQ/MOVDQ2Q,
// the non-temporal stores MOVNTQ/MOVNTDQ/MOVNTI, MASKMOVQ/MASKMOVDQU, and EMMS.
// Non-temporal hints change nothing here: there is no cache to bypass.
#include "cpu/simd_int.h"

namespace tsv {
namespace {

// ---------------------------------------------------------------- MOVD / MOVQ with a general register
// 0F 6E: MOVD mm, r/m32 (MOVQ mm, r/m64 with REX.W), zero-extended
template <class T> const Insn* MOVD_PqEy(Cpu& c, const Insn* i) {
  mmx_check(c);
  T v = rd_rm<T>(c, i);
  mmx_enter(c);
  mm_write(c, i->reg, v);
  return next(c, i);
}
// 66 0F 6E: MOVD xmm, r/m32 (MOVQ xmm, r/m64), zero-extended to 128 bits
template <class T> const Insn* MOVD_VxEy(Cpu& c, const Insn* i) {
  sse_check(c);
  T v = rd_rm<T>(c, i);
  c.xmm[i->reg].q[0] = v;
  c.xmm[i->reg].q[1] = 0;
  return next(c, i);
}
// 0F 7E: MOVD r/m32, mm (MOVQ r/m64, mm); a 32-bit register destination is zero-extended
template <class T> const Insn* MOVD_EyPq(Cpu& c, const Insn* i) {
  mmx_check(c);
  wr_rm<T>(c, i, (T)mmreg(c, i->reg));
  mmx_enter(c);
  return next(c, i);
}
// 66 0F 7E: MOVD r/m32, xmm (MOVQ r/m64, xmm)
template <class T> const Insn* MOVD_EyVx(Cpu& c, const Insn* i) {
  sse_check(c);
  wr_rm<T>(c, i, (T)c.xmm[i->reg].q[0]);
  return next(c, i);
}

// ---------------------------------------------------------------- whole-register moves
// 0F 6F: MOVQ mm, mm/m64
const Insn* MOVQ_PqQq(Cpu& c, const Insn* i) {
  mmx_check(c);
  uint64_t v = mm_src(c, i);
  mmx_enter(c);
  mm_write(c, i->reg, v);
  return next(c, i);
}
// 0F 7F: MOVQ mm/m64, mm
const Insn* MOVQ_QqPq(Cpu& c, const Insn* i) {
  mmx_check(c);
  uint64_t v = mmreg(c, i->reg);
  if (i->flags & INSN_MEM) wr<uint64_t>(c, i->seg, ea(c, i), v);
  else mm_write(c, i->rm, v);
  mmx_enter(c);
  return next(c, i);
}
// 66 0F 6F MOVDQA (ALIGN) / F3 0F 6F MOVDQU: xmm, xmm/m128
template <bool ALIGN> const Insn* MOVDQ_VxWx(Cpu& c, const Insn* i) {
  sse_check(c);
  c.xmm[i->reg] = xmm_src<ALIGN>(c, i);
  return next(c, i);
}
// 66 0F 7F MOVDQA (ALIGN) / F3 0F 7F MOVDQU: xmm/m128, xmm
template <bool ALIGN> const Insn* MOVDQ_WxVx(Cpu& c, const Insn* i) {
  sse_check(c);
  if (i->flags & INSN_MEM) wr_m128<ALIGN>(c, i, c.xmm[i->reg]);
  else c.xmm[i->rm] = c.xmm[i->reg];
  return next(c, i);
}
// F3 0F 7E: MOVQ xmm, xmm/m64 (upper quadword cleared)
const Insn* MOVQ_VxWq(Cpu& c, const Insn* i) {
  sse_check(c);
  uint64_t v = xmm_src_lo<uint64_t>(c, i);
  c.xmm[i->reg].q[0] = v;
  c.xmm[i->reg].q[1] = 0;
  return next(c, i);
}
// 66 0F D6: MOVQ xmm/m64, xmm (a register destination gets its upper quadword cleared)
const Insn* MOVQ_WqVx(Cpu& c, const Insn* i) {
  sse_check(c);
  uint64_t v = c.xmm[i->reg].q[0];
  if (i->flags & INSN_MEM) {
    wr<uint64_t>(c, i->seg, ea(c, i), v);
  } else {
    c.xmm[i->rm].q[0] = v;
    c.xmm[i->rm].q[1] = 0;
  }
  return next(c, i);
}
// MOVQ2DQ / MOVDQ2Q touch both files: the SSE checks, then a pending x87 exception (#MF)
void sse_mmx_check(Cpu& c) {
  sse_check(c);
  if (TSV_UNLIKELY(c.x87.fsw & FSW_ES)) x87_pending_check(c);
}
// F3 0F D6: MOVQ2DQ xmm, mm
const Insn* MOVQ2DQ_VxNq(Cpu& c, const Insn* i) {
  sse_mmx_check(c);
  c.xmm[i->reg].q[0] = mmreg(c, i->rm);
  c.xmm[i->reg].q[1] = 0;
  mmx_enter(c);
  return next(c, i);
}
// F2 0F D6: MOVDQ2Q mm, xmm
const Insn* MOVDQ2Q_PqUq(Cpu& c, const Insn* i) {
  sse_mmx_check(c);
  mmx_enter(c);
  mm_write(c, i->reg, c.xmm[i->rm].q[0]);
  return next(c, i);
}

// ---------------------------------------------------------------- non-temporal and masked stores
// 0F E7: MOVNTQ m64, mm
const Insn* MOVNTQ_MqPq(Cpu& c, const Insn* i) {
  mmx_check(c);
  wr<uint64_t>(c, i->seg, ea(c, i), mmreg(c, i->reg));
  mmx_enter(c);
  return next(c, i);
}
// 66 0F E7: MOVNTDQ m128, xmm (aligned)
const Insn* MOVNTDQ_MxVx(Cpu& c, const Insn* i) {
  sse_check(c);
  wr_m128<true>(c, i, c.xmm[i->reg]);
  return next(c, i);
}
// 0F C3: MOVNTI m32/m64, r32/r64 (a general-register store: no FPU/SSE checks)
template <class T> const Insn* MOVNTI_MyGy(Cpu& c, const Insn* i) {
  wr<T>(c, i->seg, ea(c, i), getr<T>(c, i->reg));
  return next(c, i);
}
// 0F F7 MASKMOVQ mm, mm / 66 0F F7 MASKMOVDQU xmm, xmm: the bytes of the first
// operand whose mask byte (second operand) has bit 7 set go to DS:rDI (segment
// override allowed, address-size rDI). The SDM leaves faults for masked-out bytes
// to the implementation; like the host CPU this checks the whole destination as
// a write (segment, canonical form, pages) whatever the mask, even all zero, and
// MASKMOVQ enters MMX mode before that check can fault. Nothing is written
// unless the whole destination is writable.
template <unsigned N> const Insn* MASKMOV(Cpu& c, const Insn* i) {
  using R = VecRegs<N>;
  R::check(c);
  Vec<N> data = R::get(c, i->reg), mask = R::get(c, i->rm);
  R::enter(c);
  const uint64_t amask = i->asize == 8 ? ~0ull : i->asize == 4 ? 0xffffffffull : 0xffffull;
  const uint64_t off = c.gpr[7] & amask;
  probe_write(c, i->seg, off, N);
  for (unsigned k = 0; k < N; k++)
    if (mask.b[k] & 0x80) wr<uint8_t>(c, i->seg, (off + k) & amask, data.b[k]);
  return next(c, i);
}

// ---------------------------------------------------------------- EMMS
// 0F 77: leave MMX mode: every x87 tag empty; like every MMX instruction it sets TOP to 0
const Insn* EMMS(Cpu& c, const Insn* i) {
  mmx_check(c);
  c.x87.top = 0;
  c.x87.ftw = 0xffff;
  return next(c, i);
}

}  // namespace

void register_simd_int_move(OpTables& t) {
  sse_op_w(t, MAP_0F, 0x6e, PFX_NONE, 0, MOVD_PqEy<uint32_t>, MOVD_PqEy<uint64_t>);
  sse_op_w(t, MAP_0F, 0x6e, PFX_66, 0, MOVD_VxEy<uint32_t>, MOVD_VxEy<uint64_t>);
  sse_op_w(t, MAP_0F, 0x7e, PFX_NONE, 0, MOVD_EyPq<uint32_t>, MOVD_EyPq<uint64_t>);
  sse_op_w(t, MAP_0F, 0x7e, PFX_66, 0, MOVD_EyVx<uint32_t>, MOVD_EyVx<uint64_t>);
  sse_op(t, MAP_0F, 0x7e, PFX_F3, 0, MOVQ_VxWq);
  sse_op(t, MAP_0F, 0x6f, PFX_NONE, 0, MOVQ_PqQq);
  sse_op(t, MAP_0F, 0x6f, PFX_66, 0, MOVDQ_VxWx<true>);   // MOVDQA
  sse_op(t, MAP_0F, 0x6f, PFX_F3, 0, MOVDQ_VxWx<false>);  // MOVDQU
  sse_op(t, MAP_0F, 0x7f, PFX_NONE, 0, MOVQ_QqPq);
  sse_op(t, MAP_0F, 0x7f, PFX_66, 0, MOVDQ_WxVx<true>);
  sse_op(t, MAP_0F, 0x7f, PFX_F3, 0, MOVDQ_WxVx<false>);
  sse_op(t, MAP_0F, 0xd6, PFX_66, 0, MOVQ_WqVx);
  sse_op(t, MAP_0F, 0xd6, PFX_F3, D_REGONLY, MOVQ2DQ_VxNq);
  sse_op(t, MAP_0F, 0xd6, PFX_F2, D_REGONLY, MOVDQ2Q_PqUq);
  sse_op(t, MAP_0F, 0xe7, PFX_NONE, D_MEMONLY, MOVNTQ_MqPq);
  sse_op(t, MAP_0F, 0xe7, PFX_66, D_MEMONLY, MOVNTDQ_MxVx);
  sse_op_w(t, MAP_0F, 0xc3, PFX_NONE, D_MEMONLY, MOVNTI_MyGy<uint32_t>, MOVNTI_MyGy<uint64_t>);
  sse_op(t, MAP_0F, 0xf7, PFX_NONE, D_REGONLY, MASKMOV<8>);   // MASKMOVQ
  sse_op(t, MAP_0F, 0xf7, PFX_66, D_REGONLY, MASKMOV<16>);    // MASKMOVDQU
  // EMMS has no ModRM byte (sse_op would read one)
  t.sse[MAP_0F][0x77][PFX_NONE] = opd(0, {EMMS});
  t.two[0x77].attr = D_SSE | D_VALID;
}

}  // namespace tsv
