// The basic operations on extended-precision values: add/subtract, multiply,
// divide, square root, compare, integer rounding and conversion, partial
// remainder and FSCALE. Each computes an exact (or exactly sticky) wide result
// and leaves rounding to round_pack, after the operand screening the SDM orders:
// invalid operands and NaNs (IE), denormal operands (DE), then the operation.
#include "cpu/fp80/fp80.h"
#include "cpu/fp80/wide.h"
#include "cpu/bits.h"
#include <utility>
#include <climits>

namespace tsv {
namespace fp80 {

namespace {
// A zero result of an exact cancellation is +0, or -0 when rounding down.
Fp80 cancel_zero(const Env& env) { return zero(env.rc == RC_DOWN); }
}  // namespace

Fp80 add(Env& env, const Num& a, const Num& b0, bool subtract) {
  Fp80 out;
  if (nan_result(env, a, b0, out)) return out;
  Num b = b0;
  if (subtract) b.sign = !b.sign;
  if (a.cls == C_INF && b.cls == C_INF && a.sign != b.sign) return invalid(env);
  if (denormal_check(env, a, b)) return out;  // also with an infinite other operand
  if (a.cls == C_INF || b.cls == C_INF) return inf(a.cls == C_INF ? a.sign : b.sign);
  if (a.cls == C_ZERO && b.cls == C_ZERO) return a.sign == b.sign ? zero(a.sign) : cancel_zero(env);
  if (a.cls == C_ZERO) return to_reg(env, b);
  if (b.cls == C_ZERO) return to_reg(env, a);
  // |x| >= |y|
  const Num* x = &a;
  const Num* y = &b;
  if (a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig)) std::swap(x, y);
  uint64_t xh = x->sig, xl = 0, yh = y->sig, yl = 0;
  unsigned d = (unsigned)(x->exp - y->exp);
  // one guard bit below the significands keeps a 1-bit left normalization exact
  shr_sticky(xh, xl, 1);
  shr_sticky(yh, yl, d + 1 > 200 ? 200 : d + 1);
  int32_t e = x->exp + 1;
  if (x->sign == y->sign) {
    add128(xh, xl, yh, yl);
  } else {
    sub128(xh, xl, yh, yl);
    if (xh == 0 && xl == 0) return cancel_zero(env);
  }
  return round_pack(env, x->sign, e, xh, xl);
}

Fp80 mul(Env& env, const Num& a, const Num& b) {
  Fp80 out;
  if (nan_result(env, a, b, out)) return out;
  bool s = a.sign != b.sign;
  if (a.cls == C_INF || b.cls == C_INF) {
    if (a.cls == C_ZERO || b.cls == C_ZERO) return invalid(env);
    if (denormal_check(env, a, b)) return out;
    return inf(s);
  }
  if (denormal_check(env, a, b)) return out;
  if (a.cls == C_ZERO || b.cls == C_ZERO) return zero(s);
  U128 p = mul_u64(a.sig, b.sig);  // in [2^126, 2^128)
  return round_pack(env, s, a.exp + b.exp + 1, p.hi, p.lo);
}

Fp80 div(Env& env, const Num& a, const Num& b) {
  Fp80 out;
  if (nan_result(env, a, b, out)) return out;
  bool s = a.sign != b.sign;
  if (a.cls == C_INF) {
    if (b.cls == C_INF) return invalid(env);
    if (denormal_check(env, b)) return out;
    return inf(s);
  }
  if (b.cls == C_INF) {
    if (denormal_check(env, a)) return out;
    return zero(s);
  }
  if (a.cls == C_ZERO && b.cls == C_ZERO) return invalid(env);
  if (b.cls == C_ZERO) {  // division by zero takes precedence over a denormal dividend (host CPU)
    env.flags |= X_ZE;
    return inf(s);
  }
  if (denormal_check(env, a, b)) return out;
  if (a.cls == C_ZERO) return zero(s);
  // quotient of the significands: 64 bits, then 64 more for rounding; remainder → sticky
  uint64_t nh = a.sig, nl = 0;
  int32_t e = a.exp - b.exp;
  if (nh >= b.sig) shr_sticky(nh, nl, 1), e += 1;  // exact: a.sig's low bit moves into nl
  uint64_t q1 = 0, r = 0, q2 = 0;
  div_u128(U128{nl, nh}, b.sig, q1, r);
  div_u128(U128{0, r}, b.sig, q2, r);
  return round_pack(env, s, e - 1, q1, q2 | (r != 0 ? 1 : 0));
}

Fp80 sqrt(Env& env, const Num& a) {
  Fp80 out;
  if (nan_result1(env, a, out)) return out;
  if (a.cls == C_ZERO) return zero(a.sign);
  if (a.sign) return invalid(env);  // including -infinity and negative denormals
  if (a.cls == C_INF) return inf(false);
  if (denormal_check(env, a)) return out;
  // N = sig * 2^(64 or 63) so the exponent left over is even; root r = floor(sqrt(N)) has 64 bits
  uint64_t nh = a.sig, nl = 0;
  int32_t e = a.exp;
  if (e & 1) {
    e -= 1;  // value = (sig * 2^-62) * 2^e' with e' even: N = sig << 64
  } else {
    shr_sticky(nh, nl, 1);  // N = sig << 63 (exact)
  }
  // digit-by-digit square root over the 128-bit N, two bits at a time
  uint64_t root = 0, rem_hi = 0, rem_lo = 0;
  for (int k = 63; k >= 0; k--) {
    unsigned two = (unsigned)(k >= 32 ? (nh >> (2 * (k - 32))) & 3 : (nl >> (2 * k)) & 3);
    shl128(rem_hi, rem_lo, 2);
    rem_lo |= two;
    // trial = 4*root + 1 (up to 66 bits)
    uint64_t th = root >> 62, tl = (root << 2) | 1;
    if (!lt128(rem_hi, rem_lo, th, tl)) {
      sub128(rem_hi, rem_lo, th, tl);
      root = (root << 1) | 1;
    } else {
      root <<= 1;
    }
  }
  // rem = N - root^2; above the half-way point when rem > root (N is an integer, (r+1/2)^2 is not)
  bool nonzero = rem_hi || rem_lo;
  bool above_half = rem_hi || rem_lo > root;
  uint64_t rest = (above_half ? 1ull << 63 : 0) | (nonzero ? 1 : 0);
  return round_pack(env, false, e / 2, root, rest);
}

int compare(Env& env, const Num& a, const Num& b, bool quiet) {
  if (a.cls == C_INVALID || b.cls == C_INVALID) {
    env.flags |= X_IE;
    return 3;
  }
  bool an = a.cls == C_QNAN || a.cls == C_SNAN, bn = b.cls == C_QNAN || b.cls == C_SNAN;
  if (an || bn) {
    if (!quiet || a.cls == C_SNAN || b.cls == C_SNAN) env.flags |= X_IE;
    return 3;
  }
  if (a.denormal || b.denormal) env.flags |= X_DE;
  auto key = [](const Num& n, int32_t& e, uint64_t& m) {  // magnitude order
    if (n.cls == C_ZERO) e = INT32_MIN, m = 0;
    else if (n.cls == C_INF) e = INT32_MAX, m = 0;
    else e = n.exp, m = n.sig;
  };
  if (a.cls == C_ZERO && b.cls == C_ZERO) return 1;
  int32_t ea, eb;
  uint64_t ma, mb;
  key(a, ea, ma);
  key(b, eb, mb);
  int mag = ea != eb ? (ea < eb ? -1 : 1) : ma != mb ? (ma < mb ? -1 : 1) : 0;
  if (a.sign != b.sign) return a.sign ? 0 : 2;
  if (mag == 0) return 1;
  bool less = a.sign ? mag > 0 : mag < 0;
  return less ? 0 : 2;
}

namespace {
// Splits |n| into an integer part (which must fit in 64 bits: exp <= 63) and
// rounds it by rc; returns the magnitude and whether the value was inexact.
uint64_t round_magnitude(Env& env, const Num& n, unsigned rc, bool& inexact, bool& up, bool& overflow) {
  overflow = false;
  inexact = up = false;
  if (n.exp >= 64) {
    overflow = true;
    return 0;
  }
  uint64_t ip = n.sig, fr = 0;
  if (n.exp < 63) shr_sticky(ip, fr, (unsigned)(63 - n.exp > 200 ? 200 : 63 - n.exp));
  if (fr == 0) return ip;
  inexact = true;
  switch (rc) {
    case RC_NEAR: up = (fr >> 63) && ((fr << 1) != 0 || (ip & 1)); break;
    case RC_DOWN: up = n.sign; break;
    case RC_UP: up = !n.sign; break;
    default: break;
  }
  (void)env;
  if (up) {
    ip++;
    if (ip == 0) overflow = true;
  }
  return ip;
}
}  // namespace

int64_t to_int(Env& env, const Num& n, unsigned bits, bool truncate) {
  const uint64_t indefinite = 1ull << (bits - 1);
  auto sext = [bits](uint64_t v) { return bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits); };
  if (n.cls == C_ZERO) return 0;
  if (n.cls != C_NORMAL) {
    env.flags |= X_IE;
    return sext(indefinite);
  }
  // (no DE for a denormal source: the host CPU converts it like any other value)
  bool inexact, up, overflow;
  uint64_t m = round_magnitude(env, n, truncate ? (unsigned)RC_ZERO : (unsigned)env.rc, inexact, up, overflow);
  if (overflow || (n.sign ? m > indefinite : m >= indefinite)) {
    env.flags |= X_IE;
    return sext(indefinite);
  }
  if (inexact) env.flags |= X_PE | (up ? X_C1 : 0);
  return n.sign ? (int64_t)(0 - m) : (int64_t)m;
}

Fp80 round_int(Env& env, const Num& n) {
  Fp80 out;
  if (nan_result1(env, n, out)) return out;
  if (n.cls != C_NORMAL) return pack_exact(n);
  if (denormal_check(env, n)) return out;
  if (n.exp >= 63) return pack_exact(n);
  bool inexact, up, overflow;
  uint64_t m = round_magnitude(env, n, env.rc, inexact, up, overflow);
  if (inexact) env.flags |= X_PE | (up ? X_C1 : 0);
  if (overflow) return make(n.sign, (uint16_t)(BIAS + 64), 1ull << 63);  // 2^64 (from 2^64 - fraction)
  if (m == 0) return zero(n.sign);
  Num r = from_int((int64_t)m);  // m <= 2^63: as unsigned magnitude
  if (m >> 63) r.sig = m, r.exp = 63;
  r.sign = n.sign;
  return pack_exact(r);
}

RemResult remainder(Env& env, const Num& a, const Num& b, bool nearest) {
  RemResult res{};
  res.done = true;
  if (nan_result(env, a, b, res.value)) {
    res.done = !env.unmasked(X_IE);
    return res;
  }
  if (a.cls == C_INF || b.cls == C_ZERO) {
    res.value = invalid(env);
    res.done = !env.unmasked(X_IE);
    return res;
  }
  if (denormal_check(env, a, b)) {
    res.done = false;
    return res;
  }
  if (a.cls == C_ZERO || b.cls == C_INF) {  // the dividend is the remainder
    res.value = pack_exact(a);
    return res;
  }
  int32_t d = a.exp - b.exp;
  int32_t e_rem = b.exp;  // exponent of the divisor's significand in the remainder
  if (d >= 64) {
    // partial reduction: the exponent difference drops to a multiple of 32 (this is how
    // the host CPU reduces; the SDM leaves the amount between 32 and 63 implementation-defined)
    int32_t n_bits = 32 + (d % 32);
    e_rem = a.exp - n_bits;
    d = n_bits;
    res.incomplete = true;
  }
  uint64_t rem = 0, q = 0;
  bool sign = a.sign;
  if (d < 0) {
    rem = a.sig;
    e_rem = a.exp;
    if (nearest && d == -1 && a.sig > b.sig) {
      // |a| > |b|/2: one divisor away, on the other side of zero
      rem = 2 * (b.sig - (a.sig >> 1)) - (a.sig & 1);  // 2*b.sig - a.sig without overflow
      q = 1;
      sign = !sign;
    }
  } else {
    uint64_t nh = 0, nl = a.sig;
    shl128(nh, nl, (unsigned)d);
    div_u128(U128{nl, nh}, b.sig, q, rem);
    if (nearest && !res.incomplete) {
      // round the quotient to nearest-even: compare 2*rem with the divisor
      bool gt = (rem >> 63) || (rem << 1) > b.sig;
      bool eq = !(rem >> 63) && (rem << 1) == b.sig;
      if (gt || (eq && (q & 1))) {
        rem = b.sig - rem;
        q++;
        sign = !sign;
      }
    }
  }
  res.q = q;
  if (rem == 0) {
    res.value = zero(a.sign);
  } else {
    unsigned s = clz64(rem);
    Num r{};
    r.cls = C_NORMAL;
    r.sign = sign;
    r.sig = rem << s;
    r.exp = e_rem - (int32_t)s;
    // exact; below the normal range the x87 delivers a denormal (UE only if unmasked)
    if (r.exp + (int32_t)BIAS < 1) {
      Env exact = env;
      exact.prec = 64;
      res.value = round_pack(exact, r.sign, r.exp, r.sig, 0);
      env.flags |= exact.flags & X_UE;
    } else {
      res.value = pack_exact(r);
    }
  }
  return res;
}

Fp80 scale(Env& env, const Num& a, const Num& b) {
  Fp80 out;
  if (nan_result(env, a, b, out)) return out;
  if (b.cls == C_INF) {
    if (a.cls == C_ZERO && !b.sign) return invalid(env);  // 0 * 2^+inf
    if (a.cls == C_INF && b.sign) return invalid(env);    // inf * 2^-inf
    if (denormal_check(env, a)) return out;
    if (a.cls == C_ZERO || a.cls == C_INF) return pack_exact(a);
    return b.sign ? zero(a.sign) : inf(a.sign);
  }
  if (denormal_check(env, a, b)) return out;
  if (a.cls != C_NORMAL) return pack_exact(a);
  int64_t k = 0;  // trunc(b), saturated well beyond the exponent range
  if (b.cls == C_NORMAL && b.exp >= 0) {
    k = b.exp >= 30 ? (1 << 30) : (int64_t)(b.sig >> (63 - b.exp));
    if (b.sign) k = -k;
  }
  // Beyond the range an unmasked response can wrap into, the host CPU delivers an
  // infinity (OE PE C1) or a zero (UE PE) whatever the rounding control.
  const int64_t e = a.exp + k + BIAS;
  if (e > 0x7ffe + 24576 && !(env.masks & X_OE)) {
    env.flags |= X_OE | X_PE | X_C1;
    return inf(a.sign);
  }
  if (e < 1 - 24576 && !(env.masks & X_UE)) {
    env.flags |= X_UE | X_PE;
    return zero(a.sign);
  }
  // precision control does not apply: the significand is kept (only the range can round)
  return round_pack_prec(env, a.sign, (int32_t)(a.exp + k), a.sig, 0, 64);
}

}  // namespace fp80
}  // namespace tsv
