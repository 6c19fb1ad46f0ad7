// Transcendental functions of the x87 (F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN,
// FCOS, FSINCOS, FPTAN), computed in 128-bit-significand arithmetic
// (wide_float.h) from series after argument reduction, then rounded once by RC
// at 64 bits (precision control does not apply to these instructions).
// Special operands follow the SDM's tables for each instruction.
#include "cpu/fp80/trans.h"
#include "cpu/fp80/wide_float.h"
#include "cpu/fp80/wide.h"
#include "cpu/bits.h"
#include <utility>

namespace tsv {
namespace fp80 {

namespace {

const Wf kPi = wf_const(1, 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull);
const Wf kLn2 = wf_const(-1, 0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull);
const Wf kLog2e = wf_const(0, 0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e88ull);
const Wf kOne = wf_const(0, 1ull << 63, 0);
const Wf kTwo = wf_const(1, 1ull << 63, 0);

// atan(k/16), k = 1..16
const Wf kAtanTab[16] = {
    wf_const(-5, 0xffaaddb967ef4e36ull, 0xcb2792dc0e2e0d51ull), wf_const(-4, 0xfeadd4d5617b6e32ull, 0xc897989f3e888ef7ull),
    wf_const(-3, 0xbdcbda5e72d81134ull, 0x7b0b4f881c9c7487ull), wf_const(-3, 0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e5ull),
    wf_const(-2, 0x9b13b9b83f5e5e69ull, 0xc5abb498d27af328ull), wf_const(-2, 0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull),
    wf_const(-2, 0xd327761e611fe5b6ull, 0x427c95e9001e7136ull), wf_const(-2, 0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull),
    wf_const(-1, 0x832bf4a6d9867e2aull, 0x4b6a09cb61a515c0ull), wf_const(-1, 0x8f005d5ef7f59f9bull, 0x5c835e1665c43747ull),
    wf_const(-1, 0x9a2f80e671bdda20ull, 0x4226f8e2204ff3bcull), wf_const(-1, 0xa4bc7d1934f70924ull, 0x19a87f2a457dac9eull),
    wf_const(-1, 0xaeac4c38b4d8c080ull, 0x14725e2f3e52070aull), wf_const(-1, 0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull),
    wf_const(-1, 0xc0ce85b8ac526640ull, 0x89dd62c46e92fa24ull), wf_const(-1, 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull),
};

// A series term is negligible once it is 2^-130 below the sum.
bool negligible(const Wf& term, const Wf& sum) { return term.zero() || (!sum.zero() && term.exp < sum.exp - 130); }

// e^y - 1 for moderate y: series on y / 2^k, then k doublings e' = e * (e + 2)
Wf expm1_w(Wf y) {
  int32_t k = y.exp + 12;
  if (k < 0) k = 0;
  Wf z = wf_ldexp(y, -k);
  Wf sum = z, term = z;
  for (uint32_t n = 2; n < 40; n++) {
    term = wf_div_small(wf_mul(term, z), n);
    sum = wf_add(sum, term);
    if (negligible(term, sum)) break;
  }
  for (int32_t j = 0; j < k; j++) sum = wf_mul(sum, wf_add(sum, kTwo));
  return sum;
}

// 2 * atanh(s) = ln((1+s)/(1-s)) for small |s|
Wf atanh2_w(const Wf& s) {
  Wf s2 = wf_mul(s, s), term = s, sum = s;
  for (uint32_t n = 3; n < 200; n += 2) {
    term = wf_mul(term, s2);
    Wf t = wf_div_small(term, n);
    sum = wf_add(sum, t);
    if (negligible(t, sum)) break;
  }
  return wf_ldexp(sum, 1);
}

// log2 of a positive finite value
Wf log2_wf(const Wf& v) {
  int32_t e = v.exp;
  Wf m = Wf{false, 0, v.hi, v.lo};  // [1, 2)
  if (v.hi > 0xb504f333f9de6484ull) {  // above sqrt(2): use m/2 so |s| stays small
    m.exp = -1;
    e += 1;
  }
  Wf s = wf_div(wf_sub(m, kOne), wf_add(m, kOne));
  Wf l = wf_mul(atanh2_w(s), kLog2e);
  return wf_add(wf_from_int(e), l);
}
Wf log2_w(const Num& x) { return log2_wf(Wf{false, x.exp, x.sig, 0}); }

// atan(t) for 0 <= t <= 1: atan(c) + atan((t - c) / (1 + t c)) with c = k/16
Wf atan01_w(const Wf& t) {
  Wf t16 = wf_ldexp(t, 4);
  int k = 0;
  if (!t16.zero() && t16.exp >= -1) {  // round t*16 to the nearest integer
    Wf half = wf_add(t16, wf_const(-1, 1ull << 63, 0));
    k = half.exp >= 0 ? (int)(half.hi >> (63 - half.exp)) : 0;
  }
  Wf u = t;
  Wf base{false, 0, 0, 0};
  if (k > 0) {
    Wf c = wf_div_small(wf_from_int(k), 16);
    u = wf_div(wf_sub(t, c), wf_add(kOne, wf_mul(t, c)));
    base = kAtanTab[k - 1];
  }
  Wf u2 = wf_mul(u, u), term = u, sum = u;
  for (uint32_t n = 3; n < 200; n += 2) {
    term = wf_neg(wf_mul(term, u2));
    Wf t2 = wf_div_small(term, n);
    sum = wf_add(sum, t2);
    if (negligible(t2, sum)) break;
  }
  return wf_add(base, sum);
}

// sin and cos of |r| <= pi/4
void sincos_w(const Wf& r, Wf& s, Wf& c) {
  Wf r2 = wf_mul(r, r);
  Wf term = r;
  s = r;
  for (uint32_t n = 2; n < 80; n += 2) {
    term = wf_neg(wf_div_small(wf_mul(term, r2), n * (n + 1)));
    s = wf_add(s, term);
    if (negligible(term, s)) break;
  }
  term = kOne;
  c = kOne;
  for (uint32_t n = 1; n < 80; n += 2) {
    term = wf_neg(wf_div_small(wf_mul(term, r2), n * (n + 1)));
    c = wf_add(c, term);
    if (negligible(term, c)) break;
  }
}

Fp80 round_const(Env& env, Wf v, bool neg) {
  v.sign = neg;
  return wf_round(env, v);
}

}  // namespace

Fp80 f2xm1(Env& env, const Num& x) {
  Fp80 out;
  if (nan_result1(env, x, out)) return out;
  if (x.cls == C_ZERO) return zero(x.sign);
  if (x.cls == C_INF) return x.sign ? make(true, BIAS, 1ull << 63) : inf(false);
  if (denormal_check(env, x)) return out;
  // the ends of the domain: exact values, with PE (and C1 at +1) as the host CPU reports
  if (x.exp == 0 && x.sig == (1ull << 63)) {
    env.flags |= X_PE | (x.sign ? 0 : X_C1);
    return x.sign ? make(true, BIAS - 1, 1ull << 63) : make(false, BIAS, 1ull << 63);
  }
  // outside -1..+1 the SDM leaves the result undefined; the host CPU leaves the operand
  if (x.exp >= 0) {
    env.flags |= X_PE;
    return pack_exact(x);
  }
  return wf_round(env, expm1_w(wf_mul(wf_from_num(x), kLn2)));
}

// result = y * L where L = log2(x) (or log2(1 + x)) described by its class
static Fp80 times_log(Env& env, const Num& y, uint8_t lcls, bool lneg, const Wf* lval, const Num* exact_int) {
  Fp80 out;
  bool s = y.sign != lneg;
  if (lcls == C_INF) {
    if (y.cls == C_ZERO) return invalid(env);
    return inf(s);
  }
  if (lcls == C_ZERO) {
    if (y.cls == C_INF) return invalid(env);
    return zero(s);
  }
  if (y.cls == C_INF) return inf(s);
  if (y.cls == C_ZERO) return zero(s);
  if (exact_int) {
    Env e64 = env;
    e64.prec = 64;
    out = mul(e64, y, *exact_int);
    env.flags |= e64.flags;
    return out;
  }
  Env e64 = env;
  e64.prec = 64;
  out = wf_round(e64, wf_mul(wf_from_num(y), *lval));
  env.flags |= e64.flags;
  return out;
}

Fp80 fyl2x(Env& env, const Num& x, const Num& y) {
  Fp80 out;
  if (nan_result(env, x, y, out)) return out;
  if (x.sign && x.cls != C_ZERO) return invalid(env);
  if (denormal_check(env, x, y)) return out;
  if (x.cls == C_ZERO) {
    if (y.cls == C_ZERO) return invalid(env);
    if (y.cls != C_INF) env.flags |= X_ZE;
    return inf(!y.sign);
  }
  if (x.cls == C_INF) return times_log(env, y, C_INF, false, nullptr, nullptr);
  if (x.sig == (1ull << 63)) {  // a power of two: log2 is the exponent, exactly
    if (x.exp == 0) return times_log(env, y, C_ZERO, false, nullptr, nullptr);
    Num k = from_int(x.exp);
    return times_log(env, y, C_NORMAL, k.sign, nullptr, &k);
  }
  Wf l = log2_w(x);
  return times_log(env, y, C_NORMAL, l.sign, &l, nullptr);
}

Fp80 fyl2xp1(Env& env, const Num& x, const Num& y) {
  Fp80 out;
  if (nan_result(env, x, y, out)) return out;
  if (denormal_check(env, x, y)) return out;
  if (x.cls == C_ZERO) return times_log(env, y, C_ZERO, x.sign, nullptr, nullptr);
  if (x.cls == C_INF) {
    if (x.sign) return invalid(env);
    return times_log(env, y, C_INF, false, nullptr, nullptr);
  }
  Wf wx = wf_from_num(x);
  Wf onepx = wf_add(kOne, wx);
  if (onepx.zero() || onepx.sign) {  // x <= -1: no logarithm; the host CPU delivers x (PE)
    env.flags |= X_PE;
    return pack_exact(x);
  }
  // small |x|: ln(1 + x) = 2 atanh(x / (2 + x)) keeps the precision of x; else log2(1 + x)
  Wf l = x.exp < -2 ? wf_mul(atanh2_w(wf_div(wx, wf_add(kTwo, wx))), kLog2e) : log2_wf(onepx);
  return times_log(env, y, C_NORMAL, l.sign, &l, nullptr);
}

Fp80 fpatan(Env& env, const Num& x, const Num& y) {
  Fp80 out;
  if (nan_result(env, x, y, out)) return out;
  if (denormal_check(env, x, y)) return out;
  const bool s = y.sign;
  Env e64 = env;
  e64.prec = 64;
  Fp80 r;
  if (y.cls == C_ZERO) {
    r = x.sign ? round_const(e64, kPi, s) : zero(s);
  } else if (y.cls == C_INF) {
    if (x.cls == C_INF) r = round_const(e64, x.sign ? wf_mul(kPi, wf_const(-1, 0xc000000000000000ull, 0)) : wf_ldexp(kPi, -2), s);
    else r = round_const(e64, wf_ldexp(kPi, -1), s);
  } else if (x.cls == C_ZERO) {
    r = round_const(e64, wf_ldexp(kPi, -1), s);
  } else if (x.cls == C_INF) {
    r = x.sign ? round_const(e64, kPi, s) : zero(s);
  } else {
    Wf a = wf_from_num(y), b = wf_from_num(x);
    a.sign = b.sign = false;
    Wf v;
    if (wf_cmp_abs(a, b) <= 0) v = atan01_w(wf_div(a, b));
    else v = wf_sub(wf_ldexp(kPi, -1), atan01_w(wf_div(b, a)));
    if (x.sign) v = wf_sub(kPi, v);
    v.sign = s;
    r = wf_round(e64, v);
  }
  env.flags |= e64.flags;
  return r;
}

TrigResult trig(Env& env, const Num& x) {
  TrigResult t{};
  if (nan_result1(env, x, t.sin)) {
    t.cos = t.tan = t.sin;
    return t;
  }
  if (x.cls == C_INF) {
    t.sin = t.cos = t.tan = invalid(env);
    return t;
  }
  if (x.cls == C_ZERO) {
    t.sin = t.tan = zero(x.sign);
    t.cos = make(false, BIAS, 1ull << 63);
    return t;
  }
  if (x.exp >= 63) {
    t.out_of_range = true;
    return t;
  }
  if (denormal_check(env, x)) {
    t.blocked = true;
    return t;
  }
  // Reduce by pi/2 as the x87 does it: with the 66-bit approximation of pi
  // (C90FDAA22168C234C rounded to 66 bits), exactly. q = nearest integer to
  // x / (pi/2); r = x - q * P/2 computed in 192-bit integers.
  Wf wx = wf_from_num(x);
  Wf r = wx;
  r.sign = false;
  uint64_t q = 0;
  if (x.exp >= -2) {
    Wf qf = wf_div(r, wf_ldexp(kPi, -1));
    Wf h = wf_add(qf, wf_const(-1, 1ull << 63, 0));
    if (h.exp >= 0) q = h.hi >> (63 - h.exp);
    // P/2 = M * 2^-65 with M = 0x3_243F6A88_85A308D3 (66 bits); x = sig * 2^(exp-63)
    const uint64_t m_lo = 0x243f6a8885a308d3ull, m_hi = 3;  // M = m_hi:m_lo
    // A = sig << (exp + 2) as three words
    unsigned sh = (unsigned)(x.exp + 2);
    uint64_t a0 = 0, a1 = 0, a2 = 0;
    if (sh == 0) a0 = x.sig;
    else if (sh < 64) a0 = x.sig << sh, a1 = x.sig >> (64 - sh);
    else a1 = x.sig;  // sh == 64 (exp 62)
    // B = q * M
    U128 p0 = mul_u64(q, m_lo);
    U128 p1 = mul_u64(q, m_hi);
    uint64_t b0 = p0.lo, b1 = p0.hi + p1.lo, b2 = p1.hi + (b1 < p0.hi ? 1 : 0);
    // R = A - B (signed)
    bool neg = (a2 < b2) || (a2 == b2 && (a1 < b1 || (a1 == b1 && a0 < b0)));
    if (neg) {
      std::swap(a0, b0);
      std::swap(a1, b1);
      std::swap(a2, b2);
    }
    uint64_t r0 = a0 - b0, bw = a0 < b0;
    uint64_t r1 = a1 - b1 - bw;
    // R fits in 128 bits (|R| <= M)
    r = Wf{neg, 62, r1, r0};
    if (r1 == 0 && r0 == 0) r = Wf{neg, 0, 0, 0};
    if ((r.hi | r.lo) && !(r.hi >> 63)) {  // normalize
      unsigned z = r.hi ? clz64(r.hi) : 64 + clz64(r.lo);
      shl128(r.hi, r.lo, z);
      r.exp -= (int32_t)z;
    }
  }
  Wf s, c;
  sincos_w(r, s, c);
  Wf sn, cs;
  switch (q & 3) {
    case 0: sn = s; cs = c; break;
    case 1: sn = c; cs = wf_neg(s); break;
    case 2: sn = wf_neg(s); cs = wf_neg(c); break;
    default: sn = wf_neg(c); cs = s; break;
  }
  if (x.sign) sn = wf_neg(sn);  // sin is odd, cos even
  Env e64 = env;
  e64.prec = 64;
  Env es = e64, ec = e64, et = e64;
  t.sin = wf_round(es, sn);
  t.cos = wf_round(ec, cs);
  t.tan = wf_round(et, wf_div(sn, cs));
  t.sin_flags = es.flags;
  t.cos_flags = ec.flags;
  t.tan_flags = et.flags;
  return t;
}

}  // namespace fp80
}  // namespace tsv
