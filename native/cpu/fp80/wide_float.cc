// 128-bit-significand arithmetic for the transcendental functions (wide_float.h).
#include "cpu/fp80/wide_float.h"
#include "cpu/fp80/wide.h"
#include "cpu/bits.h"
#include <utility>

namespace tsv {
namespace fp80 {

namespace {
Wf normalize(bool sign, int32_t exp, uint64_t hi, uint64_t lo) {
  if (hi == 0 && lo == 0) return Wf{sign, 0, 0, 0};
  if (hi == 0) {
    hi = lo;
    lo = 0;
    exp -= 64;
  }
  unsigned s = clz64(hi);
  if (s) shl128(hi, lo, s);
  return Wf{sign, exp - (int32_t)s, hi, lo};
}
}  // namespace

Wf wf_from_num(const Num& n) {
  if (n.cls != C_NORMAL) return Wf{n.sign, 0, 0, 0};
  return Wf{n.sign, n.exp, n.sig, 0};
}
Wf wf_from_int(int64_t v) {
  bool s = v < 0;
  uint64_t m = s ? 0 - (uint64_t)v : (uint64_t)v;
  return normalize(s, 63, m, 0);
}
Wf wf_const(int32_t exp, uint64_t hi, uint64_t lo) { return Wf{false, exp, hi, lo}; }
Wf wf_neg(Wf a) {
  a.sign = !a.sign;
  return a;
}
Wf wf_ldexp(Wf a, int32_t k) {
  if (!a.zero()) a.exp += k;
  return a;
}

int wf_cmp_abs(const Wf& a, const Wf& b) {
  if (a.zero() || b.zero()) return a.zero() ? (b.zero() ? 0 : -1) : 1;
  if (a.exp != b.exp) return a.exp < b.exp ? -1 : 1;
  if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
  return 0;
}

Wf wf_add(const Wf& a, const Wf& b) {
  if (a.zero()) return b;
  if (b.zero()) return a;
  const Wf* x = &a;
  const Wf* y = &b;
  if (wf_cmp_abs(a, b) < 0) std::swap(x, y);
  // one guard bit at the top so a carry fits; y aligned (bits below 2^-128 truncated)
  uint64_t xh = x->hi, xl = x->lo, yh = y->hi, yl = y->lo;
  shr_sticky(xh, xl, 1);
  unsigned d = (unsigned)(x->exp - y->exp) + 1;
  if (d >= 128) return *x;
  shr_sticky(yh, yl, d);
  if (x->sign == y->sign) add128(xh, xl, yh, yl);
  else sub128(xh, xl, yh, yl);
  return normalize(x->sign, x->exp + 1, xh, xl);
}
Wf wf_sub(const Wf& a, const Wf& b) { return wf_add(a, wf_neg(b)); }

Wf wf_mul(const Wf& a, const Wf& b) {
  bool s = a.sign != b.sign;
  if (a.zero() || b.zero()) return Wf{s, 0, 0, 0};
  // top 128 bits of the 256-bit product (the lo*lo part only feeds bits below)
  U128 hh = mul_u64(a.hi, b.hi), hl = mul_u64(a.hi, b.lo), lh = mul_u64(a.lo, b.hi);
  uint64_t r2 = hh.lo, r3 = hh.hi, r1 = 0;
  auto acc = [&](U128 p) {
    uint64_t t = r1 + p.lo;
    uint64_t c = t < r1;
    r1 = t;
    t = r2 + p.hi + c;
    c = (t < r2) || (c && t == r2);
    r2 = t;
    r3 += c;
  };
  acc(hl);
  acc(lh);
  (void)r1;
  // product in [2^254, 2^256): exponent a.exp + b.exp (+1 when bit 255 is set)
  return normalize(s, a.exp + b.exp + 1, r3, r2);
}

Wf wf_div_small(const Wf& a, uint32_t d) {
  if (a.zero()) return a;
  uint64_t qh = 0, r = 0, ql = 0;
  div_u128(U128{a.hi, 0}, d, qh, r);
  div_u128(U128{a.lo, r}, d, ql, r);
  // (a.hi:a.lo) / d: quotient bits hi:lo with the binary point unchanged
  return normalize(a.sign, a.exp, qh, ql);
}

Wf wf_div(const Wf& a, const Wf& b) {
  bool s = a.sign != b.sign;
  if (a.zero()) return Wf{s, 0, 0, 0};
  // restoring division: quotient bit k has weight 2^-k (bit 0 is the integer part,
  // 0 or 1); the remainder stays below 2b, so 128 bits plus `top` hold it
  uint64_t rh = a.hi, rl = a.lo, qh = 0, ql = 0;
  bool top = false;
  for (int k = 0; k < 128; k++) {
    shl128(qh, ql, 1);
    if (top || !lt128(rh, rl, b.hi, b.lo)) {
      sub128(rh, rl, b.hi, b.lo);
      ql |= 1;
    }
    top = (rh >> 63) != 0;
    shl128(rh, rl, 1);
  }
  return normalize(s, a.exp - b.exp, qh, ql);
}

Fp80 wf_round(Env& env, const Wf& a) {
  if (a.zero()) return zero(a.sign);
  return round_pack(env, a.sign, a.exp, a.hi, a.lo | 1);
}

}  // namespace fp80
}  // namespace tsv
