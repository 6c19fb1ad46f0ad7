// The SSE floating-point core (sse_fp.h). Every operation unpacks its operands
// to (sign, class, exponent, 63-bit significand), computes an exact or
// sticky-jammed result in integers and rounds it once in round_pack(), which
// owns rounding control, overflow, tininess after rounding, FTZ and the
// UE/OE/PE flags. One template serves binary32 and binary64.
#include "cpu/sse_fp.h"

#include <cmath>
#include <cstring>

#include "cpu/bits.h"

namespace tsv {
namespace sfp {
namespace {

struct F32 {
  using U = uint32_t;
  using Host = float;
  static constexpr int M = 23, EMAX = 0xff, BIAS = 127, W = 32;
};
struct F64 {
  using U = uint64_t;
  using Host = double;
  static constexpr int M = 52, EMAX = 0x7ff, BIAS = 1023, W = 64;
};

template <class F> constexpr uint64_t kSign = 1ull << (F::W - 1);
template <class F> constexpr uint64_t kFrac = (1ull << F::M) - 1;
template <class F> constexpr uint64_t kQuiet = 1ull << (F::M - 1);
template <class F> constexpr uint64_t kInf = (uint64_t)F::EMAX << F::M;
template <class F> constexpr uint64_t kMaxFinite = kInf<F> - 1;
template <class F> constexpr uint64_t kDefaultNaN = kSign<F> | kInf<F> | kQuiet<F>;

template <class F> inline unsigned exp_field(uint64_t v) { return (unsigned)(v >> F::M) & F::EMAX; }
template <class F> inline bool is_nan(uint64_t v) { return exp_field<F>(v) == F::EMAX && (v & kFrac<F>); }
template <class F> inline bool is_snan(uint64_t v) { return is_nan<F>(v) && !(v & kQuiet<F>); }
template <class F> inline bool is_denormal(uint64_t v) { return exp_field<F>(v) == 0 && (v & kFrac<F>); }
template <class F> inline bool is_normal(uint64_t v) {
  unsigned e = exp_field<F>(v);
  return e != 0 && e != F::EMAX;
}
template <class F> inline bool sign_of(uint64_t v) { return (v >> (F::W - 1)) & 1; }

enum Class { C_ZERO, C_FINITE, C_INF, C_NAN };
// value = sig * 2^(exp - 62); a finite value has sig bit 62 set
struct Unpacked {
  bool sign;
  Class cls;
  int exp;
  uint64_t sig;
};

// A denormal input reads as a signed zero under DAZ; otherwise `den` reports it (for DE).
template <class F> Unpacked unpack(const Env& e, uint64_t v, bool& den) {
  Unpacked u{sign_of<F>(v), C_FINITE, 0, 0};
  unsigned ex = exp_field<F>(v);
  uint64_t f = v & kFrac<F>;
  if (ex == (unsigned)F::EMAX) {
    u.cls = f ? C_NAN : C_INF;
  } else if (ex == 0) {
    if (!f || e.daz()) {
      u.cls = C_ZERO;
    } else {
      den = true;
      int sh = (int)clz64(f) - 1;
      u.sig = f << sh;
      u.exp = 1 - F::BIAS - F::M - sh + 62;
    }
  } else {
    u.sig = (f | (1ull << F::M)) << (62 - F::M);
    u.exp = (int)ex - F::BIAS;
  }
  return u;
}

// Shift right, ORing the bits shifted out into bit 0 (sticky).
inline uint64_t shr_jam(uint64_t v, unsigned n) {
  if (n == 0) return v;
  if (n >= 64) return v != 0;
  return (v >> n) | ((v & ((1ull << n) - 1)) != 0);
}
// Bring the leading bit of a nonzero significand to bit 62.
inline void normalize(uint64_t& sig, int& exp) {
  if (sig >> 63) {
    sig = shr_jam(sig, 1);
    exp += 1;
    return;
  }
  int sh = (int)clz64(sig) - 1;
  sig <<= sh;
  exp -= sh;
}

// Drop the low n bits of sig under rounding control rc; `inexact` if any were nonzero.
inline uint64_t round_bits(uint64_t sig, unsigned n, bool sign, unsigned rc, bool& inexact) {
  uint64_t q, rem, half;
  if (n == 0) {
    inexact = false;
    return sig;
  }
  if (n >= 64) {
    q = 0;
    rem = sig;
    half = ~0ull;  // larger than any sig (< 2^63): never rounds to nearest upward
  } else {
    q = sig >> n;
    rem = sig & ((1ull << n) - 1);
    half = 1ull << (n - 1);
  }
  inexact = rem != 0;
  if (!inexact) return q;
  switch (rc) {
    case RC_NEAREST:
      if (rem > half || (rem == half && (q & 1))) q++;
      break;
    case RC_DOWN:
      if (sign) q++;
      break;
    case RC_UP:
      if (!sign) q++;
      break;
    default:
      break;
  }
  return q;
}

// Round sig * 2^(exp - 62) (sig bit 62 set, bit 0 sticky) to format F.
template <class F> uint64_t round_pack(Env& e, bool sign, int exp, uint64_t sig) {
  const uint64_t s = sign ? kSign<F> : 0;
  const unsigned rc = e.rc();
  constexpr unsigned kExtra = 62 - F::M;  // bits below a normal result's last place
  int be = exp + F::BIAS;                 // biased exponent of the leading bit
  bool inexact;
  if (be >= 1) {
    uint64_t q = round_bits(sig, kExtra, sign, rc, inexact);
    if (q >> (F::M + 1)) {  // rounded up into the next binade (q == 2^(M+1) exactly)
      q >>= 1;
      be++;
    }
    if (be >= F::EMAX) {
      if (!e.masked(X_OE)) {  // #XM follows: OE, and PE when the (unbounded) rounding was inexact
        e.flags |= X_OE | (inexact ? (uint32_t)X_PE : 0u);
        return s | kInf<F>;
      }
      e.flags |= X_OE | X_PE;
      bool to_inf = rc == RC_NEAREST || (rc == RC_UP && !sign) || (rc == RC_DOWN && sign);
      return s | (to_inf ? kInf<F> : kMaxFinite<F>);
    }
    if (inexact) e.flags |= X_PE;
    return s | ((uint64_t)be << F::M) | (q & kFrac<F>);
  }
  // Below the normal range: tiny unless rounding with an unbounded exponent reaches 2^emin.
  bool unbounded_inexact;
  uint64_t unbounded = round_bits(sig, kExtra, sign, rc, unbounded_inexact);
  bool tiny = be < 0 || !(unbounded >> (F::M + 1));
  if (tiny && !e.masked(X_UE)) {  // #XM follows: UE, and PE when the (unbounded) rounding was inexact
    e.flags |= X_UE | (unbounded_inexact ? (uint32_t)X_PE : 0u);
    return s;
  }
  if (tiny && (e.mxcsr & MX_FTZ)) {
    e.flags |= X_UE | X_PE;
    return s;
  }
  uint64_t q = round_bits(sig, kExtra + (unsigned)(1 - be), sign, rc, inexact);
  // q may have reached 2^M: that encodes the smallest normal number, as it should
  if (tiny && inexact) e.flags |= X_UE;
  if (inexact) e.flags |= X_PE;
  return s | q;
}

template <class F> uint64_t pack_exact_zero(bool sign) { return sign ? kSign<F> : 0; }
template <class F> uint64_t pack_inf(bool sign) { return (sign ? kSign<F> : 0) | kInf<F>; }
template <class F> uint64_t quiet(uint64_t v) { return v | kQuiet<F>; }

// NaN result of a two-operand operation: the first source's NaN, else the second's, quieted.
template <class F> uint64_t propagate_nan(Env& e, uint64_t a, uint64_t b) {
  if (is_snan<F>(a) || is_snan<F>(b)) e.flags |= X_IE;
  return is_nan<F>(a) ? quiet<F>(a) : quiet<F>(b);
}
template <class F> uint64_t invalid(Env& e) {
  e.flags |= X_IE;
  return kDefaultNaN<F>;
}

// ---------------------------------------------------------------- arithmetic
template <class F> uint64_t add_core(Env& e, uint64_t a, uint64_t b, bool subtract) {
  if (is_nan<F>(a) || is_nan<F>(b)) return propagate_nan<F>(e, a, b);
  bool den = false;
  Unpacked x = unpack<F>(e, a, den), y = unpack<F>(e, b, den);
  if (subtract) y.sign = !y.sign;
  if (x.cls == C_INF || y.cls == C_INF) {
    if (x.cls == C_INF && y.cls == C_INF && x.sign != y.sign) return invalid<F>(e);
    if (den) e.flags |= X_DE;
    return pack_inf<F>(x.cls == C_INF ? x.sign : y.sign);
  }
  if (den) e.flags |= X_DE;
  if (x.cls == C_ZERO && y.cls == C_ZERO)
    return pack_exact_zero<F>(x.sign == y.sign ? x.sign : e.rc() == RC_DOWN);
  if (x.cls == C_ZERO) return round_pack<F>(e, y.sign, y.exp, y.sig);
  if (y.cls == C_ZERO) return round_pack<F>(e, x.sign, x.exp, x.sig);
  if (y.exp > x.exp || (y.exp == x.exp && y.sig > x.sig)) {
    Unpacked t = x;
    x = y;
    y = t;
  }
  uint64_t ys = shr_jam(y.sig, (unsigned)(x.exp - y.exp) > 64 ? 64 : (unsigned)(x.exp - y.exp));
  uint64_t sum;
  int exp = x.exp;
  if (x.sign == y.sign) {
    sum = x.sig + ys;
  } else {
    sum = x.sig - ys;
    if (sum == 0) return pack_exact_zero<F>(e.rc() == RC_DOWN);
  }
  normalize(sum, exp);
  return round_pack<F>(e, x.sign, exp, sum);
}

template <class F> uint64_t mul_core(Env& e, uint64_t a, uint64_t b) {
  if (is_nan<F>(a) || is_nan<F>(b)) return propagate_nan<F>(e, a, b);
  bool den = false;
  Unpacked x = unpack<F>(e, a, den), y = unpack<F>(e, b, den);
  bool sign = x.sign != y.sign;
  if (x.cls == C_INF || y.cls == C_INF) {
    if (x.cls == C_ZERO || y.cls == C_ZERO) return invalid<F>(e);
    if (den) e.flags |= X_DE;
    return pack_inf<F>(sign);
  }
  if (den) e.flags |= X_DE;
  if (x.cls == C_ZERO || y.cls == C_ZERO) return pack_exact_zero<F>(sign);
  U128 p = mul_u64(x.sig, y.sig);  // in [2^124, 2^126)
  int exp = x.exp + y.exp;
  uint64_t sig;
  if (p.hi >> 61) {
    sig = (p.hi << 1) | (p.lo >> 63) | ((p.lo << 1) != 0);
    exp += 1;
  } else {
    sig = (p.hi << 2) | (p.lo >> 62) | ((p.lo << 2) != 0);
  }
  return round_pack<F>(e, sign, exp, sig);
}

template <class F> uint64_t div_core(Env& e, uint64_t a, uint64_t b) {
  if (is_nan<F>(a) || is_nan<F>(b)) return propagate_nan<F>(e, a, b);
  bool den = false;
  Unpacked x = unpack<F>(e, a, den), y = unpack<F>(e, b, den);
  bool sign = x.sign != y.sign;
  if (x.cls == C_INF) {
    if (y.cls == C_INF) return invalid<F>(e);
    if (den) e.flags |= X_DE;
    return pack_inf<F>(sign);
  }
  if (y.cls == C_ZERO) {
    if (x.cls == C_ZERO) return invalid<F>(e);
    e.flags |= X_ZE;
    return pack_inf<F>(sign);
  }
  if (den) e.flags |= X_DE;
  if (y.cls == C_INF || x.cls == C_ZERO) return pack_exact_zero<F>(sign);
  uint64_t n = x.sig;
  int exp = x.exp - y.exp;
  if (n < y.sig) {
    n <<= 1;
    exp -= 1;
  }
  uint64_t q = 0, r = 0;
  div_u128(U128{n << 62, n >> 2}, y.sig, q, r);  // (n * 2^62) / y.sig, in [2^62, 2^63)
  return round_pack<F>(e, sign, exp, q | (r != 0));
}

// floor(sqrt(n)) for n < 2^126
uint64_t isqrt128(U128 n) {
  double est = std::sqrt((double)n.hi * 18446744073709551616.0 + (double)n.lo);
  uint64_t r = est >= 9223372036854775808.0 ? (1ull << 63) - 1 : (uint64_t)est;
  if (r == 0) r = 1;
  // one Newton step from a 50-bit-good estimate, then exact correction
  uint64_t q, rem;
  if (div_u128(n, r, q, rem)) r = (r >> 1) + (q >> 1) + (r & q & 1);
  auto sq_gt = [&](uint64_t v) {  // v*v > n
    U128 p = mul_u64(v, v);
    return p.hi > n.hi || (p.hi == n.hi && p.lo > n.lo);
  };
  while (sq_gt(r)) r--;
  while (!sq_gt(r + 1)) r++;
  return r;
}

template <class F> uint64_t sqrt_core(Env& e, uint64_t a) {
  if (is_nan<F>(a)) {
    if (is_snan<F>(a)) e.flags |= X_IE;
    return quiet<F>(a);
  }
  bool den = false;
  Unpacked x = unpack<F>(e, a, den);
  if (x.cls == C_ZERO) return pack_exact_zero<F>(x.sign);
  if (x.sign) return invalid<F>(e);
  if (x.cls == C_INF) return a;
  if (den) e.flags |= X_DE;
  // sqrt(sig * 2^(exp-62)) = sqrt(sig * 2^(62 + odd)) * 2^((exp - odd)/2 - 62)
  unsigned odd = (unsigned)x.exp & 1;
  U128 n = odd ? U128{x.sig << 63, x.sig >> 1} : U128{x.sig << 62, x.sig >> 2};
  uint64_t r = isqrt128(n);  // in [2^62, 2^63)
  U128 sq = mul_u64(r, r);
  bool exact = sq.hi == n.hi && sq.lo == n.lo;
  int exp = (x.exp - (int)odd) / 2;
  return round_pack<F>(e, false, exp, r | (exact ? 0 : 1));
}

// ---------------------------------------------------------------- comparisons
// Order key of a non-NaN value after DAZ: zeros of both signs are equal.
template <class F> int64_t order_key(const Env& e, uint64_t v, bool& den) {
  if (is_denormal<F>(v)) {
    if (e.daz()) return 0;
    den = true;
  }
  int64_t mag = (int64_t)(v & ~kSign<F>);
  return sign_of<F>(v) ? -mag : mag;
}

template <class F> Relation compare_core(Env& e, uint64_t a, uint64_t b, bool signal_qnan) {
  if (is_nan<F>(a) || is_nan<F>(b)) {
    if (signal_qnan || is_snan<F>(a) || is_snan<F>(b)) e.flags |= X_IE;
    return REL_UNORDERED;
  }
  bool den = false;
  int64_t ka = order_key<F>(e, a, den), kb = order_key<F>(e, b, den);
  if (den) e.flags |= X_DE;
  return ka < kb ? REL_LESS : ka > kb ? REL_GREATER : REL_EQUAL;
}

template <class F> bool cmp_pred_core(Env& e, uint64_t a, uint64_t b, unsigned pred) {
  pred &= 7;
  bool signalling = pred == 1 || pred == 2 || pred == 5 || pred == 6;  // LT LE NLT NLE
  Relation r = compare_core<F>(e, a, b, signalling);
  switch (pred) {
    case 0: return r == REL_EQUAL;
    case 1: return r == REL_LESS;
    case 2: return r == REL_LESS || r == REL_EQUAL;
    case 3: return r == REL_UNORDERED;
    case 4: return r != REL_EQUAL;
    case 5: return r != REL_LESS;
    case 6: return r != REL_LESS && r != REL_EQUAL;
    default: return r != REL_UNORDERED;
  }
}

// MIN/MAX return one of the operands unchanged (no quieting): the second one
// when either is a NaN (IE for any NaN) or both are zero. Under DAZ a denormal
// operand is returned as the signed zero it was read as.
template <class F> uint64_t minmax_core(Env& e, uint64_t a, uint64_t b, bool want_max) {
  if (e.daz()) {
    if (is_denormal<F>(a)) a &= kSign<F>;
    if (is_denormal<F>(b)) b &= kSign<F>;
  }
  if (is_nan<F>(a) || is_nan<F>(b)) {
    e.flags |= X_IE;
    return b;
  }
  bool den = false;
  int64_t ka = order_key<F>(e, a, den), kb = order_key<F>(e, b, den);
  if (den) e.flags |= X_DE;
  bool take_a = want_max ? ka > kb : ka < kb;
  return take_a ? a : b;
}

// ---------------------------------------------------------------- conversions
// Format change; the value is exact in the unpacked form, round_pack does the rest.
template <class From, class To> uint64_t convert_fp(Env& e, uint64_t a) {
  if (is_nan<From>(a)) {
    if (is_snan<From>(a)) e.flags |= X_IE;
    uint64_t frac = a & kFrac<From>;
    frac = From::M > To::M ? frac >> (From::M - To::M) : frac << (To::M - From::M);
    return (sign_of<From>(a) ? kSign<To> : 0) | kInf<To> | kQuiet<To> | frac;
  }
  bool den = false;
  Unpacked x = unpack<From>(e, a, den);
  if (x.cls == C_INF) return pack_inf<To>(x.sign);
  if (x.cls == C_ZERO) return pack_exact_zero<To>(x.sign);
  if (den) e.flags |= X_DE;
  return round_pack<To>(e, x.sign, x.exp, x.sig);
}

template <class F> uint64_t from_int(Env& e, int64_t v) {
  if (v == 0) return 0;
  bool sign = v < 0;
  uint64_t mag = sign ? 0 - (uint64_t)v : (uint64_t)v;
  int exp = 62;
  normalize(mag, exp);
  return round_pack<F>(e, sign, exp, mag);
}

// To a signed integer of `bits` bits; indefinite (and IE) for NaN, infinity or out of range.
template <class F> int64_t to_int(Env& e, uint64_t a, unsigned bits, bool truncate) {
  const int64_t indefinite = bits == 32 ? (int64_t)INT32_MIN : INT64_MIN;
  if (is_nan<F>(a)) {
    e.flags |= X_IE;
    return indefinite;
  }
  bool den = false;
  Unpacked x = unpack<F>(e, a, den);
  if (x.cls == C_INF) {
    e.flags |= X_IE;
    return indefinite;
  }
  if (x.cls == C_ZERO) return 0;
  if (x.exp >= (int)bits) {  // |value| >= 2^bits, or 2^(bits-1) <= |value|: checked below
    e.flags |= X_IE;
    return indefinite;
  }
  bool inexact = false;
  uint64_t q = x.exp > 62 ? x.sig << (x.exp - 62)
                          : round_bits(x.sig, (unsigned)(62 - x.exp) > 64 ? 64 : (unsigned)(62 - x.exp), x.sign,
                                       truncate ? (unsigned)RC_ZERO : e.rc(), inexact);
  const uint64_t limit = 1ull << (bits - 1);  // |result| <= limit - 1, or == limit when negative
  if (q > limit || (q == limit && !x.sign)) {
    e.flags |= X_IE;
    return indefinite;
  }
  if (inexact) e.flags |= X_PE;
  return x.sign ? (int64_t)(0 - q) : (int64_t)q;
}

template <class F> uint64_t round_int_core(Env& e, uint64_t a, unsigned rc, bool no_pe) {
  if (is_nan<F>(a)) {
    if (is_snan<F>(a)) e.flags |= X_IE;
    return quiet<F>(a);
  }
  bool den = false;
  Unpacked x = unpack<F>(e, a, den);
  if (x.cls == C_ZERO) return pack_exact_zero<F>(x.sign);
  if (x.cls == C_INF || x.exp >= F::M) return a;  // already integral
  bool inexact;
  uint64_t q = round_bits(x.sig, (unsigned)(62 - x.exp) > 64 ? 64 : (unsigned)(62 - x.exp), x.sign, rc, inexact);
  if (inexact && !no_pe) e.flags |= X_PE;
  if (q == 0) return pack_exact_zero<F>(x.sign);
  int exp = 62;
  normalize(q, exp);
  Env exact(e.mxcsr);  // q is an integer below 2^(M+1): packing it is exact
  return round_pack<F>(exact, x.sign, exp, q);
}

// ---------------------------------------------------------------- host fast path
// Host IEEE arithmetic gives the same bits when rounding to nearest with normal
// inputs and a normal result; PE already set (and masked) means the inexact
// flag needs no computing. DAZ/FTZ cannot matter then.
inline bool fast_env(const Env& e) {
  constexpr uint32_t kMask = (3u << MX_RC_SHIFT) | X_PE | (X_PE << MX_MASK_SHIFT);
  return (e.mxcsr & kMask) == (X_PE | (X_PE << MX_MASK_SHIFT));
}
template <class F> inline typename F::Host to_host(uint64_t v) {
  typename F::U u = (typename F::U)v;
  typename F::Host h;
  std::memcpy(&h, &u, sizeof h);
  return h;
}
template <class F> inline uint64_t from_host(typename F::Host h) {
  typename F::U u;
  std::memcpy(&u, &h, sizeof u);
  return u;
}
enum HostOp { H_ADD, H_SUB, H_MUL, H_DIV };
template <class F, HostOp OP> inline bool fast(const Env& e, uint64_t a, uint64_t b, uint64_t& out) {
  if (!fast_env(e) || !is_normal<F>(a) || !is_normal<F>(b)) return false;
  typename F::Host x = to_host<F>(a), y = to_host<F>(b), r;
  if constexpr (OP == H_ADD) r = x + y;
  else if constexpr (OP == H_SUB) r = x - y;
  else if constexpr (OP == H_MUL) r = x * y;
  else r = x / y;
  out = from_host<F>(r);
  return is_normal<F>(out);
}

}  // namespace

// ---------------------------------------------------------------- binary32
uint32_t f32_add(Env& e, uint32_t a, uint32_t b) {
  uint64_t r;
  return (uint32_t)(fast<F32, H_ADD>(e, a, b, r) ? r : add_core<F32>(e, a, b, false));
}
uint32_t f32_sub(Env& e, uint32_t a, uint32_t b) {
  uint64_t r;
  return (uint32_t)(fast<F32, H_SUB>(e, a, b, r) ? r : add_core<F32>(e, a, b, true));
}
uint32_t f32_mul(Env& e, uint32_t a, uint32_t b) {
  uint64_t r;
  return (uint32_t)(fast<F32, H_MUL>(e, a, b, r) ? r : mul_core<F32>(e, a, b));
}
uint32_t f32_div(Env& e, uint32_t a, uint32_t b) {
  uint64_t r;
  return (uint32_t)(fast<F32, H_DIV>(e, a, b, r) ? r : div_core<F32>(e, a, b));
}
uint32_t f32_sqrt(Env& e, uint32_t a) {
  if (fast_env(e) && is_normal<F32>(a) && !sign_of<F32>(a)) return (uint32_t)from_host<F32>(std::sqrt(to_host<F32>(a)));
  return (uint32_t)sqrt_core<F32>(e, a);
}
uint32_t f32_min(Env& e, uint32_t a, uint32_t b) { return (uint32_t)minmax_core<F32>(e, a, b, false); }
uint32_t f32_max(Env& e, uint32_t a, uint32_t b) { return (uint32_t)minmax_core<F32>(e, a, b, true); }
Relation f32_compare(Env& e, uint32_t a, uint32_t b, bool signal_qnan) { return compare_core<F32>(e, a, b, signal_qnan); }
bool f32_cmp_pred(Env& e, uint32_t a, uint32_t b, unsigned pred) { return cmp_pred_core<F32>(e, a, b, pred); }

// ---------------------------------------------------------------- binary64
uint64_t f64_add(Env& e, uint64_t a, uint64_t b) {
  uint64_t r;
  return fast<F64, H_ADD>(e, a, b, r) ? r : add_core<F64>(e, a, b, false);
}
uint64_t f64_sub(Env& e, uint64_t a, uint64_t b) {
  uint64_t r;
  return fast<F64, H_SUB>(e, a, b, r) ? r : add_core<F64>(e, a, b, true);
}
uint64_t f64_mul(Env& e, uint64_t a, uint64_t b) {
  uint64_t r;
  return fast<F64, H_MUL>(e, a, b, r) ? r : mul_core<F64>(e, a, b);
}
uint64_t f64_div(Env& e, uint64_t a, uint64_t b) {
  uint64_t r;
  return fast<F64, H_DIV>(e, a, b, r) ? r : div_core<F64>(e, a, b);
}
uint64_t f64_sqrt(Env& e, uint64_t a) {
  if (fast_env(e) && is_normal<F64>(a) && !sign_of<F64>(a)) return from_host<F64>(std::sqrt(to_host<F64>(a)));
  return sqrt_core<F64>(e, a);
}
uint64_t f64_min(Env& e, uint64_t a, uint64_t b) { return minmax_core<F64>(e, a, b, false); }
uint64_t f64_max(Env& e, uint64_t a, uint64_t b) { return minmax_core<F64>(e, a, b, true); }
Relation f64_compare(Env& e, uint64_t a, uint64_t b, bool signal_qnan) { return compare_core<F64>(e, a, b, signal_qnan); }
bool f64_cmp_pred(Env& e, uint64_t a, uint64_t b, unsigned pred) { return cmp_pred_core<F64>(e, a, b, pred); }

// ---------------------------------------------------------------- conversions
uint64_t f32_to_f64(Env& e, uint32_t a) { return convert_fp<F32, F64>(e, a); }
uint32_t f64_to_f32(Env& e, uint64_t a) { return (uint32_t)convert_fp<F64, F32>(e, a); }
uint32_t i32_to_f32(Env& e, int32_t v) { return (uint32_t)from_int<F32>(e, v); }
uint32_t i64_to_f32(Env& e, int64_t v) { return (uint32_t)from_int<F32>(e, v); }
uint64_t i32_to_f64(Env& e, int32_t v) { return from_int<F64>(e, v); }
uint64_t i64_to_f64(Env& e, int64_t v) { return from_int<F64>(e, v); }
int32_t f32_to_i32(Env& e, uint32_t a, bool truncate) { return (int32_t)to_int<F32>(e, a, 32, truncate); }
int64_t f32_to_i64(Env& e, uint32_t a, bool truncate) { return to_int<F32>(e, a, 64, truncate); }
int32_t f64_to_i32(Env& e, uint64_t a, bool truncate) { return (int32_t)to_int<F64>(e, a, 32, truncate); }
int64_t f64_to_i64(Env& e, uint64_t a, bool truncate) { return to_int<F64>(e, a, 64, truncate); }
uint32_t f32_round_int(Env& e, uint32_t a, unsigned rc, bool no_pe) { return (uint32_t)round_int_core<F32>(e, a, rc & 3, no_pe); }
uint64_t f64_round_int(Env& e, uint64_t a, unsigned rc, bool no_pe) { return round_int_core<F64>(e, a, rc & 3, no_pe); }

}  // namespace sfp
}  // namespace tsv
