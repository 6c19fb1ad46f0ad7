// What the x87, MMX and SSE instruction files share: availability checks
// (#UD/#NM/#MF in the SDM's order), operand access for XMM/MMX registers and
// 16/8/4-byte memory operands, and registration into the mandatory-prefix
// opcode maps.
//
// Operands: i->reg / i->rm are full register numbers (REX.R / REX.B applied);
// MMX instructions use the low 3 bits only (REX does not extend MMX registers).
// Mandatory prefix: none, 66, F3 or F2 selects the handler (decoder.cc); with
// 66 as the mandatory prefix the operand size is 32 unless REX.W, so handlers
// registered with sse_op() get the 32-bit handler for "16-bit" operand size.
#pragma once
#include "cpu/decoder.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

// ---------------------------------------------------------------- availability
// SSE/SSE2+ (legacy encoding): #UD when CR0.EM or !CR4.OSFXSR, then #NM when CR0.TS.
TSV_INLINE void sse_check(Cpu& c) {
  if (TSV_UNLIKELY((c.cr0 & (CR0_EM | CR0_TS)) || !(c.cr4 & CR4_OSFXSR))) {
    if ((c.cr0 & CR0_EM) || !(c.cr4 & CR4_OSFXSR)) raise_ud(c);
    raise_exc(c, EXC_NM);
  }
}
// x87 and MMX share the FPU: #UD for MMX when CR0.EM (x87 gives #NM), #NM when CR0.TS.
// A pending unmasked x87 exception is reported first (#MF) by the caller (x87_pending_check).
TSV_INLINE void x87_check(Cpu& c) {
  if (TSV_UNLIKELY(c.cr0 & (CR0_EM | CR0_TS))) raise_exc(c, EXC_NM);
}
void x87_pending_check(Cpu& c);  // #MF (CR0.NE) for a pending unmasked exception (x87 files)
TSV_INLINE void mmx_check(Cpu& c) {
  if (TSV_UNLIKELY(c.cr0 & (CR0_EM | CR0_TS))) {
    if (c.cr0 & CR0_EM) raise_ud(c);
    raise_exc(c, EXC_NM);
  }
  if (TSV_UNLIKELY(c.x87.fsw & FSW_ES)) x87_pending_check(c);
}
// Every MMX instruction except EMMS puts the FPU in MMX mode: TOP = 0, all tags valid.
TSV_INLINE void mmx_enter(Cpu& c) {
  c.x87.top = 0;
  c.x87.ftw = 0;
}

// ---------------------------------------------------------------- registers
TSV_INLINE Xmm& xreg(Cpu& c, unsigned n) { return c.xmm[n]; }
TSV_INLINE uint64_t& mmreg(Cpu& c, unsigned n) { return c.x87.r[n & 7].mant; }
// An MMX register write also sets the aliased x87 exponent/sign field to all ones.
TSV_INLINE void mm_write(Cpu& c, unsigned n, uint64_t v) {
  c.x87.r[n & 7].mant = v;
  c.x87.r[n & 7].se = 0xffff;
}

// ---------------------------------------------------------------- memory operands
// 16-byte accesses. ALIGN: legacy SSE #GP(0) on a misaligned operand (MOVAPS, arithmetic);
// unaligned forms (MOVUPS, MOVDQU, LDDQU...) pass false. A store that crosses a page is
// probed first so a fault on the second page leaves memory untouched.
template <bool ALIGN> TSV_INLINE void check_align16(Cpu& c, uint64_t off, int s) {
  if constexpr (ALIGN) {
    if (TSV_UNLIKELY(((c.seg[s].ebase + off) & 15) != 0)) raise_gp(c, 0);
  }
}
template <bool ALIGN> inline Xmm rd_m128(Cpu& c, const Insn* i) {
  uint64_t off = ea(c, i);
  check_align16<ALIGN>(c, off, i->seg);
  Xmm v;
  uint64_t lin = lin_read(c, i->seg, off, 16);
  v.q[0] = read_lin<uint64_t>(c, lin, i->seg);
  v.q[1] = read_lin<uint64_t>(c, (lin + 8) & c.lin_mask, i->seg);
  return v;
}
template <bool ALIGN> inline void wr_m128(Cpu& c, const Insn* i, const Xmm& v) {
  uint64_t off = ea(c, i);
  check_align16<ALIGN>(c, off, i->seg);
  uint64_t lin = lin_write(c, i->seg, off, 16);
  if (TSV_UNLIKELY((lin & 0xfff) > 0xff0)) probe_write(c, i->seg, off, 16);
  write_lin<uint64_t>(c, lin, v.q[0], i->seg);
  write_lin<uint64_t>(c, (lin + 8) & c.lin_mask, v.q[1], i->seg);
}
// The second source of an xmm instruction: register, or 16 bytes of memory.
template <bool ALIGN> TSV_INLINE Xmm xmm_src(Cpu& c, const Insn* i) {
  if (!(i->flags & INSN_MEM)) return c.xmm[i->rm];
  return rd_m128<ALIGN>(c, i);
}
// Scalar/partial sources: register low part, or a T-sized memory operand.
template <class T> TSV_INLINE T xmm_src_lo(Cpu& c, const Insn* i) {
  if (!(i->flags & INSN_MEM)) {
    T v;
    std::memcpy(&v, c.xmm[i->rm].b, sizeof(T));
    return v;
  }
  return rd<T>(c, i->seg, ea(c, i));
}
// MMX source: mm register or 8 bytes of memory.
TSV_INLINE uint64_t mm_src(Cpu& c, const Insn* i) {
  if (!(i->flags & INSN_MEM)) return c.x87.r[i->rm & 7].mant;
  return rd<uint64_t>(c, i->seg, ea(c, i));
}

// ---------------------------------------------------------------- registration
// Mandatory-prefix classes (OpTables::sse's last index)
enum SsePrefix : uint8_t { PFX_NONE = 0, PFX_66 = 1, PFX_F3 = 2, PFX_F2 = 3 };
enum SseMap : uint8_t { MAP_0F = 0, MAP_0F38 = 1, MAP_0F3A = 2 };

// One handler for every operand size (most SSE instructions).
inline void sse_op(OpTables& t, SseMap map, uint8_t op, SsePrefix p, uint32_t attr, Handler h) {
  t.sse[map][op][p] = opd(attr | D_MODRM, {h});
  if (map == MAP_0F) t.two[op].attr = D_SSE | D_VALID;
}
// Separate register and memory handlers.
inline void sse_op_rm(OpTables& t, SseMap map, uint8_t op, SsePrefix p, uint32_t attr, Handler reg, Handler mem) {
  t.sse[map][op][p] = opd_m(attr | D_MODRM, {reg}, {mem});
  if (map == MAP_0F) t.two[op].attr = D_SSE | D_VALID;
}
// A GPR operand of 32 or 64 bits (REX.W): MOVD/MOVQ, CVTSI2SS, PEXTRW, CRC32 r64...
inline void sse_op_w(OpTables& t, SseMap map, uint8_t op, SsePrefix p, uint32_t attr, Handler h32, Handler h64) {
  OpDesc d = opd(attr | D_MODRM, {h32, h32, h64});
  t.sse[map][op][p] = d;
  if (map == MAP_0F) t.two[op].attr = D_SSE | D_VALID;
}

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
