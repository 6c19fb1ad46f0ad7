// SSE4.2 packed string comparisons (66 0F 3A 60-63): PCMPESTRM, PCMPESTRI,
// PCMPISTRM, PCMPISTRI. The first operand (xmm1, "a") and the second
// (xmm2/m128, "b") hold 16 bytes or 8 words; explicit-length forms take the
// lengths from EAX/EDX (RAX/RDX with REX.W, absolute value, saturated to the
// element count), implicit-length forms stop at the first zero element.
//
// imm8: [1:0] element format (unsigned/signed bytes/words), [3:2] aggregation
// (equal any, ranges, equal each, equal ordered), [5:4] polarity, [6] least/
// most significant index (I forms) or bit/element mask (M forms). The result
// IntRes2 has one bit per element of b; flags: CF = IntRes2 != 0, ZF = b is
// shorter than the element count, SF = a is, OF = IntRes2 bit 0, AF = PF = 0.
// The memory operand has no alignment requirement.
#include "cpu/bits.h"
#include "cpu/insn/sse4_lanes.h"

namespace tsv {
namespace {

struct StrOperands {
  int32_t a[16], b[16];  // elements, sign- or zero-extended per imm8[1]
  unsigned n;            // element count: 16 or 8
  unsigned la, lb;       // valid lengths
};

void unpack(const Xmm& x, uint8_t imm, int32_t* out, unsigned n) {
  const bool is_signed = imm & 2;
  for (unsigned k = 0; k < n; k++) {
    if (n == 16) out[k] = is_signed ? (int32_t)x.sb[k] : (int32_t)x.b[k];
    else out[k] = is_signed ? (int32_t)x.sw[k] : (int32_t)x.w[k];
  }
}
unsigned implicit_length(const int32_t* e, unsigned n) {
  for (unsigned k = 0; k < n; k++)
    if (e[k] == 0) return k;
  return n;
}
// |v| saturated to n; v is the 32-bit register, or 64-bit with REX.W
unsigned explicit_length(int64_t v, unsigned n) {
  uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  return m > n ? n : (unsigned)m;
}

// IntRes2: one bit per element of b
unsigned compare(const StrOperands& o, uint8_t imm) {
  const unsigned n = o.n, la = o.la, lb = o.lb;
  unsigned res1 = 0;
  switch ((imm >> 2) & 3) {
    case 0:  // equal any: b[j] is one of a's valid elements
      for (unsigned j = 0; j < lb; j++)
        for (unsigned i = 0; i < la; i++)
          if (o.b[j] == o.a[i]) {
            res1 |= 1u << j;
            break;
          }
      break;
    case 1:  // ranges: a holds [low, high] pairs; an incomplete pair never matches
      for (unsigned j = 0; j < lb; j++)
        for (unsigned i = 0; i + 1 < la; i += 2)
          if (o.a[i] <= o.b[j] && o.b[j] <= o.a[i + 1]) {
            res1 |= 1u << j;
            break;
          }
      break;
    case 2:  // equal each: element-wise; two invalid elements match, one invalid does not
      for (unsigned j = 0; j < n; j++) {
        bool va = j < la, vb = j < lb;
        bool m = (va && vb) ? o.a[j] == o.b[j] : (!va && !vb);
        if (m) res1 |= 1u << j;
      }
      break;
    case 3:  // equal ordered: a (the needle) occurs in b at j; invalid needle elements match
      for (unsigned j = 0; j < n; j++) {
        bool m = true;
        for (unsigned k = 0; j + k < n && m; k++) {
          if (k >= la) break;
          if (j + k >= lb || o.b[j + k] != o.a[k]) m = false;
        }
        if (m) res1 |= 1u << j;
      }
      break;
  }
  const unsigned all = (1u << n) - 1;
  switch ((imm >> 4) & 3) {
    case 1: return ~res1 & all;                      // negative
    case 3: return (res1 ^ ((1u << lb) - 1)) & all;  // masked negative: only b's valid elements
    default: return res1;                            // positive, masked positive
  }
}

void set_string_flags(Cpu& c, const StrOperands& o, unsigned res2) {
  uint32_t f = 0;
  if (res2) f |= F_CF;
  if (o.lb < o.n) f |= F_ZF;
  if (o.la < o.n) f |= F_SF;
  if (res2 & 1) f |= F_OF;
  set_arith_flags(c, f);
}

template <bool EXPLICIT> unsigned run(Cpu& c, const Insn* i, StrOperands& o) {
  sse_check(c);
  const uint8_t imm = (uint8_t)i->imm;
  Xmm b = xmm_src<false>(c, i);
  o.n = (imm & 1) ? 8 : 16;
  unpack(c.xmm[i->reg], imm, o.a, o.n);
  unpack(b, imm, o.b, o.n);
  if constexpr (EXPLICIT) {
    const bool w = i->flags & INSN_REXW;
    o.la = explicit_length(w ? (int64_t)c.gpr[0] : (int64_t)(int32_t)c.gpr[0], o.n);
    o.lb = explicit_length(w ? (int64_t)c.gpr[2] : (int64_t)(int32_t)c.gpr[2], o.n);
  } else {
    o.la = implicit_length(o.a, o.n);
    o.lb = implicit_length(o.b, o.n);
  }
  unsigned res2 = compare(o, imm);
  set_string_flags(c, o, res2);
  return res2;
}

// Index forms: ECX = least (imm8[6] = 0) or most significant set bit of IntRes2, or the
// element count when none is set.
template <bool EXPLICIT> const Insn* PCMPSTRI(Cpu& c, const Insn* i) {
  StrOperands o;
  unsigned res2 = run<EXPLICIT>(c, i, o);
  unsigned idx = o.n;
  if (res2) idx = (i->imm & 0x40) ? 63 - clz64(res2) : ctz64(res2);
  c.gpr[1] = idx;
  return next(c, i);
}
// Mask forms: XMM0 = IntRes2 as bits (imm8[6] = 0) or expanded to whole elements.
template <bool EXPLICIT> const Insn* PCMPSTRM(Cpu& c, const Insn* i) {
  StrOperands o;
  unsigned res2 = run<EXPLICIT>(c, i, o);
  Xmm m;
  m.q[0] = m.q[1] = 0;
  if (i->imm & 0x40) {
    for (unsigned k = 0; k < o.n; k++) {
      if (!((res2 >> k) & 1)) continue;
      if (o.n == 16) m.b[k] = 0xff;
      else m.w[k] = 0xffff;
    }
  } else {
    m.w[0] = (uint16_t)res2;
  }
  c.xmm[0] = m;
  return next(c, i);
}

}  // namespace

void register_sse42_string(OpTables& t) {
  sse_op(t, MAP_0F3A, 0x60, PFX_66, 0, PCMPSTRM<true>);
  sse_op(t, MAP_0F3A, 0x61, PFX_66, 0, PCMPSTRI<true>);
  sse_op(t, MAP_0F3A, 0x62, PFX_66, 0, PCMPSTRM<false>);
  sse_op(t, MAP_0F3A, 0x63, PFX_66, 0, PCMPSTRI<false>);
}

}  // namespace tsv
