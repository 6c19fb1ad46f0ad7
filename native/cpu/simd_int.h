// What the MMX and SSE2 integer instruction files share (insn/simd_int_*.cc).
//
// Every operation is written once, as an `Op` struct whose run() is a template
// over the vector width N (8 bytes: an mm register, 16 bytes: an xmm register),
// and is instantiated for both by the handler templates below. So PADDB mm,mm/m64
// (no prefix) and PADDB xmm,xmm/m128 (66 prefix) are the same code.
//
// Exceptions: MMX forms check mmx_check (CR0.EM #UD, CR0.TS #NM, pending x87
// exception #MF) and put the FPU in MMX mode (mmx_enter) once the operands have
// been read, so an instruction that faults changes nothing. XMM forms check
// sse_check and want 16-byte-aligned m128 operands (#GP(0)), the legacy SSE rule.
#pragma once
#include <limits>
#include "cpu/sse.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

// An N-byte integer vector (little-endian lanes, as in the registers).
template <unsigned N> struct Vec {
  alignas(16) uint8_t b[N];
  template <class T> static constexpr unsigned lanes() { return N / sizeof(T); }
  template <class T> TSV_INLINE T get(unsigned k) const {
    T v;
    std::memcpy(&v, b + k * sizeof(T), sizeof(T));
    return v;
  }
  template <class T> TSV_INLINE void set(unsigned k, T v) { std::memcpy(b + k * sizeof(T), &v, sizeof(T)); }
};
using Vmm = Vec<8>;
using Vxmm = Vec<16>;

// ---------------------------------------------------------------- lane helpers
// d[k] = f(d[k], s[k]) for every lane of type T.
template <class T, unsigned N, class F> TSV_INLINE void each(Vec<N>& d, const Vec<N>& s, F f) {
  for (unsigned k = 0; k < Vec<N>::template lanes<T>(); k++) d.template set<T>(k, f(d.template get<T>(k), s.template get<T>(k)));
}
// An operation applying the lane function L::f<T> to each pair of T lanes.
template <class T, class L> struct Lanes {
  template <unsigned N> static TSV_INLINE void run(Vec<N>& d, const Vec<N>& s) { each<T>(d, s, L::template f<T>); }
};
// Saturating narrowing of a wider integer into T.
template <class T> TSV_INLINE T saturate(int64_t v) {
  if (v < (int64_t)std::numeric_limits<T>::min()) return std::numeric_limits<T>::min();
  if (v > (int64_t)std::numeric_limits<T>::max()) return std::numeric_limits<T>::max();
  return (T)v;
}

// ---------------------------------------------------------------- register and memory operands
TSV_INLINE Vmm mm_get(Cpu& c, unsigned n) {
  Vmm v;
  std::memcpy(v.b, &c.x87.r[n & 7].mant, 8);
  return v;
}
TSV_INLINE void mm_put(Cpu& c, unsigned n, const Vmm& v) {
  uint64_t q;
  std::memcpy(&q, v.b, 8);
  mm_write(c, n, q);
}
TSV_INLINE Vmm vmm_of(uint64_t q) {
  Vmm v;
  std::memcpy(v.b, &q, 8);
  return v;
}
TSV_INLINE uint64_t q_of(const Vmm& v) {
  uint64_t q;
  std::memcpy(&q, v.b, 8);
  return q;
}
TSV_INLINE Vxmm xmm_get(Cpu& c, unsigned n) {
  Vxmm v;
  std::memcpy(v.b, c.xmm[n].b, 16);
  return v;
}
TSV_INLINE void xmm_put(Cpu& c, unsigned n, const Vxmm& v) { std::memcpy(c.xmm[n].b, v.b, 16); }
TSV_INLINE Vxmm vxmm_of(const Xmm& x) {
  Vxmm v;
  std::memcpy(v.b, x.b, 16);
  return v;
}

// The width-generic view of "the vector register file of width N": mm registers
// for N = 8, xmm registers for N = 16. Handlers below are written once against it.
template <unsigned N> struct VecRegs;
template <> struct VecRegs<8> {
  static TSV_INLINE void check(Cpu& c) { mmx_check(c); }
  static TSV_INLINE void enter(Cpu& c) { mmx_enter(c); }
  static TSV_INLINE Vmm get(Cpu& c, unsigned n) { return mm_get(c, n); }
  static TSV_INLINE void put(Cpu& c, unsigned n, const Vmm& v) { mm_put(c, n, v); }
  // ModRM r/m source: mm register or m64 (no alignment rule for MMX)
  static TSV_INLINE Vmm src(Cpu& c, const Insn* i) { return vmm_of(mm_src(c, i)); }
};
template <> struct VecRegs<16> {
  static TSV_INLINE void check(Cpu& c) { sse_check(c); }
  static TSV_INLINE void enter(Cpu&) {}
  static TSV_INLINE Vxmm get(Cpu& c, unsigned n) { return xmm_get(c, n); }
  static TSV_INLINE void put(Cpu& c, unsigned n, const Vxmm& v) { xmm_put(c, n, v); }
  // ModRM r/m source: xmm register or 16-byte-aligned m128
  static TSV_INLINE Vxmm src(Cpu& c, const Insn* i) { return vxmm_of(xmm_src<true>(c, i)); }
};

// ---------------------------------------------------------------- handler templates
// OP reg, reg/mem: Op::run(dest, source)   (PADDB, PCMPEQW, PUNPCKHBW, PACKSSWB...)
template <unsigned N, class Op> const Insn* VEC_GE(Cpu& c, const Insn* i) {
  using R = VecRegs<N>;
  R::check(c);
  Vec<N> s = R::src(c, i);
  Vec<N> d = R::get(c, i->reg);
  Op::run(d, s);
  R::enter(c);
  R::put(c, i->reg, d);
  return next(c, i);
}
// OP reg, reg/mem, imm8: Op::run(dest, source, imm)   (PSHUFW/PSHUFD/PSHUFLW/PSHUFHW)
template <unsigned N, class Op> const Insn* VEC_GEIb(Cpu& c, const Insn* i) {
  using R = VecRegs<N>;
  R::check(c);
  Vec<N> s = R::src(c, i);
  Vec<N> d = R::get(c, i->reg);
  Op::run(d, s, (uint8_t)i->imm);
  R::enter(c);
  R::put(c, i->reg, d);
  return next(c, i);
}

// The MMX (no prefix) and XMM (66) forms of one 0F-map opcode.
template <class Op> inline void simd_int_pair(OpTables& t, uint8_t op, uint32_t attr = 0) {
  sse_op(t, MAP_0F, op, PFX_NONE, attr, VEC_GE<8, Op>);
  sse_op(t, MAP_0F, op, PFX_66, attr, VEC_GE<16, Op>);
}

void register_simd_int_move(OpTables& t);
void register_simd_int_arith(OpTables& t);
void register_simd_int_logic(OpTables& t);
void register_simd_int_shift(OpTables& t);
void register_simd_int_shuffle(OpTables& t);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
