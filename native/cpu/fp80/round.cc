// Unpacking, classification and rounding of extended-precision values (and of
// float32/float64 for FLD/FST): the one place that decides how a result becomes
// an encoding — precision control, rounding control, overflow/underflow
// responses and the exception flags they raise.
#include "cpu/fp80/fp80.h"
#include "cpu/fp80/wide.h"
#include "cpu/bits.h"

namespace tsv {
namespace fp80 {

Num unpack(Fp80 v) {
  Num n{};
  n.sign = (v.se >> 15) != 0;
  unsigned e = v.se & 0x7fff;
  uint64_t m = v.mant;
  n.sig = m;
  if (e == 0x7fff) {
    if (!(m >> 63)) n.cls = C_INVALID;  // pseudo-infinity / pseudo-NaN
    else if ((m << 1) == 0) n.cls = C_INF;
    else n.cls = (m >> 62) & 1 ? C_QNAN : C_SNAN;
    return n;
  }
  if (e == 0) {
    if (m == 0) {
      n.cls = C_ZERO;
      return n;
    }
    // denormal or pseudo-denormal (J set): both have the exponent of the smallest normal
    n.cls = C_NORMAL;
    n.denormal = true;
    unsigned s = clz64(m);
    n.sig = m << s;
    n.exp = 1 - (int32_t)BIAS - (int32_t)s;
    return n;
  }
  if (!(m >> 63)) {  // unnormal: an unsupported format
    n.cls = C_INVALID;
    return n;
  }
  n.cls = C_NORMAL;
  n.exp = (int32_t)e - BIAS;
  return n;
}

// float32/float64 share the decoding: frac_bits of fraction below the exponent field.
static Num unpack_ieee(uint64_t v, unsigned frac_bits, unsigned exp_bits) {
  Num n{};
  const unsigned total = frac_bits + exp_bits;
  n.sign = (v >> total) & 1;
  const uint64_t emask = (1ull << exp_bits) - 1;
  uint64_t e = (v >> frac_bits) & emask;
  uint64_t f = v & ((1ull << frac_bits) - 1);
  const int32_t bias = (int32_t)(emask >> 1);
  if (e == emask) {
    n.sig = (1ull << 63) | (f << (63 - frac_bits));
    n.cls = f == 0 ? C_INF : ((f >> (frac_bits - 1)) & 1) ? C_QNAN : C_SNAN;
    return n;
  }
  if (e == 0) {
    if (f == 0) {
      n.cls = C_ZERO;
      return n;
    }
    n.cls = C_NORMAL;
    n.denormal = true;
    unsigned s = clz64(f);
    n.sig = f << s;
    n.exp = 1 - bias - (int32_t)(s - (63 - frac_bits));
    return n;
  }
  n.cls = C_NORMAL;
  n.sig = (1ull << 63) | (f << (63 - frac_bits));
  n.exp = (int32_t)e - bias;
  return n;
}
Num unpack_f32(uint32_t v) { return unpack_ieee(v, 23, 8); }
Num unpack_f64(uint64_t v) { return unpack_ieee(v, 52, 11); }

Num from_int(int64_t v) {
  Num n{};
  if (v == 0) {
    n.cls = C_ZERO;
    return n;
  }
  n.cls = C_NORMAL;
  n.sign = v < 0;
  uint64_t m = n.sign ? 0 - (uint64_t)v : (uint64_t)v;
  unsigned s = clz64(m);
  n.sig = m << s;
  n.exp = 63 - (int32_t)s;
  return n;
}

Fp80 pack_exact(const Num& n) {
  switch (n.cls) {
    case C_ZERO: return zero(n.sign);
    case C_INF: return inf(n.sign);
    case C_QNAN: case C_SNAN: return make(n.sign, 0x7fff, n.sig);
    case C_INVALID: return INDEFINITE;
    default: break;
  }
  int32_t e = n.exp + BIAS;
  if (e >= 1) return make(n.sign, (uint16_t)e, n.sig);
  return make(n.sign, 0, e > -64 ? n.sig >> (1 - e) : 0);
}

Fp80 invalid(Env& env) {
  env.flags |= X_IE;
  return INDEFINITE;
}

// ---------------------------------------------------------------- rounding

namespace {

struct Rounded {
  bool sign;
  bool overflow_inf;  // masked overflow to infinity
  int32_t e;          // biased exponent of the destination format (0: denormal/zero)
  uint64_t sig;       // integer bit at 63 (clear for denormals)
};

// Rounds sig:rest to prec bits at a fixed position (bit 64-prec of sig is the
// last kept one). Returns true when the significand carried out of bit 63.
bool round_at(uint64_t& sig, uint64_t rest, unsigned prec, unsigned rc, bool sign, bool& inexact, bool& up) {
  const unsigned k = 64 - prec;
  uint64_t g;     // discarded bits, left-aligned
  bool sticky;
  if (k == 0) {
    g = rest;
    sticky = false;
  } else {
    g = (sig << (64 - k)) | (rest >> k);
    sticky = (rest & ((1ull << k) - 1)) != 0;
    sig &= ~((1ull << k) - 1);
  }
  inexact = g != 0 || sticky;
  up = false;
  if (!inexact) return false;
  const bool lsb = (sig >> k) & 1;
  switch (rc) {
    case RC_NEAR: up = (g >> 63) && ((g << 1) != 0 || sticky || lsb); break;
    case RC_DOWN: up = sign; break;
    case RC_UP: up = !sign; break;
    default: up = false; break;
  }
  if (!up) return false;
  uint64_t before = sig;
  sig += 1ull << k;
  if (sig < before) {  // carried out: 1.000... with the exponent one higher
    sig = 1ull << 63;
    return true;
  }
  return false;
}

// bias: 16383 (register), 1023 (float64), 127 (float32). reg: the destination is a
// register (unmasked OE/UE wrap the exponent; for memory the caller stores nothing).
Rounded round_fmt(Env& env, bool sign, int32_t exp, uint64_t sig, uint64_t rest, unsigned prec, int32_t bias,
                  bool reg) {
  const int32_t emax_b = 2 * bias;
  const int32_t wrap = bias == 16383 ? 24576 : bias == 1023 ? 1536 : 192;
  int32_t e = exp + bias;
  bool inexact, up;
  if (e < 1) {  // tiny (the x87 detects tininess before rounding)
    if (!(env.masks & X_UE)) {
      env.flags |= X_UE;
      if (!reg) return Rounded{sign, false, 0, 0};  // memory: nothing stored, UE alone
      e += wrap;
      if (round_at(sig, rest, prec, env.rc, sign, inexact, up)) e++;
      if (inexact) env.flags |= X_PE | (up ? X_C1 : 0);
      if (e < 1) e = 1;  // beyond the wrapped range (cannot happen for x87 operations)
      return Rounded{sign, false, e, sig};
    }
    shr_sticky(sig, rest, (unsigned)(1 - e > 200 ? 200 : 1 - e));
    // bit 63 is clear after the shift, so rounding cannot carry out; it may reach
    // bit 63 (the smallest normal)
    round_at(sig, rest, prec, env.rc, sign, inexact, up);
    if (inexact) env.flags |= X_UE | X_PE | (up ? X_C1 : 0);
    return Rounded{sign, false, (sig >> 63) ? 1 : 0, sig};
  }
  if (round_at(sig, rest, prec, env.rc, sign, inexact, up)) e++;
  if (inexact) env.flags |= X_PE | (up ? X_C1 : 0);
  if (e > emax_b) {
    env.flags |= X_OE;
    if (!(env.masks & X_OE) && !reg) {  // memory: nothing stored, OE alone
      env.flags &= (uint16_t)~(X_PE | X_C1);
      return Rounded{sign, false, 0, 0};
    }
    if (!(env.masks & X_OE)) {
      env.flags &= (uint16_t)~X_C1;
      if (inexact) env.flags |= X_PE | (up ? X_C1 : 0);
      return Rounded{sign, false, reg ? e - wrap : e, sig};
    }
    env.flags |= X_PE;
    bool to_inf = env.rc == RC_NEAR || (env.rc == RC_UP && !sign) || (env.rc == RC_DOWN && sign);
    env.flags &= (uint16_t)~X_C1;
    if (to_inf) {
      env.flags |= X_C1;
      return Rounded{sign, true, emax_b + 1, 1ull << 63};
    }
    uint64_t max = prec == 64 ? ~0ull : ~((1ull << (64 - prec)) - 1);
    return Rounded{sign, false, emax_b, max};
  }
  return Rounded{sign, false, e, sig};
}

}  // namespace

Fp80 round_pack_prec(Env& env, bool sign, int32_t exp, uint64_t sig, uint64_t rest, unsigned prec) {
  if (sig == 0 && rest == 0) return zero(sign);
  if (!(sig >> 63)) {  // normalize (callers may hand over a short significand)
    if (sig == 0) {
      sig = rest;
      rest = 0;
      exp -= 64;
    }
    unsigned s = clz64(sig);
    if (s) {
      sig = (sig << s) | (rest >> (64 - s));
      rest <<= s;
      exp -= (int32_t)s;
    }
  }
  Rounded r = round_fmt(env, sign, exp, sig, rest, prec, BIAS, true);
  if (r.overflow_inf) return inf(sign);
  return make(sign, (uint16_t)r.e, r.sig);
}
Fp80 round_pack(Env& env, bool sign, int32_t exp, uint64_t sig, uint64_t rest) {
  return round_pack_prec(env, sign, exp, sig, rest, env.prec);
}

Fp80 to_reg(Env& env, const Num& n) {
  if (n.cls != C_NORMAL) return pack_exact(n);
  return round_pack(env, n.sign, n.exp, n.sig, 0);
}

// ---------------------------------------------------------------- NaN screening

static Fp80 quiet(const Num& n) { return make(n.sign, 0x7fff, n.sig | (1ull << 62)); }
static bool is_nan(const Num& n) { return n.cls == C_QNAN || n.cls == C_SNAN; }

bool nan_result1(Env& env, const Num& a, Fp80& out) {
  if (a.cls == C_INVALID) {
    out = invalid(env);
    return true;
  }
  if (!is_nan(a)) return false;
  if (a.cls == C_SNAN) env.flags |= X_IE;
  out = quiet(a);
  return true;
}

bool nan_result(Env& env, const Num& a, const Num& b, Fp80& out) {
  if (a.cls == C_INVALID || b.cls == C_INVALID) {
    out = invalid(env);
    return true;
  }
  bool an = is_nan(a), bn = is_nan(b);
  if (!an && !bn) return false;
  if (a.cls == C_SNAN || b.cls == C_SNAN) env.flags |= X_IE;
  if (an && bn) {
    // SDM table 4-7 (x87): a QNaN beats an SNaN; otherwise the larger significand,
    // and between equal significands the positive one.
    if (a.cls != b.cls) {
      out = quiet(a.cls == C_QNAN ? a : b);
    } else {
      uint64_t ma = a.sig & ~(1ull << 62), mb = b.sig & ~(1ull << 62);
      if (ma != mb) out = quiet(ma > mb ? a : b);
      else out = quiet(!a.sign ? a : b);
    }
    return true;
  }
  out = quiet(an ? a : b);
  return true;
}

bool denormal_check(Env& env, const Num& a) {
  if (a.denormal) env.flags |= X_DE;
  return env.unmasked(X_DE);
}
bool denormal_check(Env& env, const Num& a, const Num& b) {
  if (a.denormal || b.denormal) env.flags |= X_DE;
  return env.unmasked(X_DE);
}

// ---------------------------------------------------------------- stores

template <unsigned FRAC, unsigned EXPB>
static uint64_t to_ieee(Env& env, const Num& n) {
  const uint64_t sign = (uint64_t)n.sign << (FRAC + EXPB);
  const uint64_t emask = (1ull << EXPB) - 1;
  const uint64_t frac_mask = (1ull << FRAC) - 1;
  switch (n.cls) {
    case C_ZERO: return sign;
    case C_INF: return sign | (emask << FRAC);
    case C_INVALID: env.flags |= X_IE; return (1ull << (FRAC + EXPB)) | (emask << FRAC) | (1ull << (FRAC - 1));
    case C_QNAN: case C_SNAN:
      if (n.cls == C_SNAN) env.flags |= X_IE;
      return sign | (emask << FRAC) | (1ull << (FRAC - 1)) | ((n.sig >> (63 - FRAC)) & frac_mask);
    default: break;
  }
  const int32_t bias = (int32_t)(emask >> 1);
  Rounded r = round_fmt(env, n.sign, n.exp, n.sig, 0, FRAC + 1, bias, false);
  if (r.overflow_inf) return sign | (emask << FRAC);
  if (r.e > (int32_t)(emask - 1) || r.e < 0) return sign | (emask << FRAC);  // unmasked OE/UE: not stored
  return sign | ((uint64_t)r.e << FRAC) | ((r.sig >> (63 - FRAC)) & frac_mask);
}
uint32_t to_f32(Env& env, const Num& n) { return (uint32_t)to_ieee<23, 8>(env, n); }
uint64_t to_f64(Env& env, const Num& n) { return to_ieee<52, 11>(env, n); }

}  // namespace fp80
}  // namespace tsv
