// Portable bit and wide-arithmetic helpers. GCC/Clang builtins and __int128
// are used where the compiler has them; the plain C++ fallbacks keep the
// backend building with compilers that lack them (MSVC).
#pragma once
#include <cstdint>

#if defined(__SIZEOF_INT128__) && !defined(TSV_NO_INT128)
#define TSV_HAVE_INT128 1
#endif
#if defined(__GNUC__) && !defined(TSV_NO_BUILTINS)
#define TSV_HAVE_BUILTINS 1
#endif

namespace tsv {

inline unsigned popcount64(uint64_t v) {
#ifdef TSV_HAVE_BUILTINS
  return (unsigned)__builtin_popcountll(v);
#else
  v = v - ((v >> 1) & 0x5555555555555555ull);
  v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (unsigned)((v * 0x0101010101010101ull) >> 56);
#endif
}
// v != 0
inline unsigned ctz64(uint64_t v) {
#ifdef TSV_HAVE_BUILTINS
  return (unsigned)__builtin_ctzll(v);
#else
  unsigned n = 0;
  while (!(v & 1)) { v >>= 1; n++; }
  return n;
#endif
}
// v != 0
inline unsigned clz64(uint64_t v) {
#ifdef TSV_HAVE_BUILTINS
  return (unsigned)__builtin_clzll(v);
#else
  unsigned n = 0;
  while (!(v >> 63)) { v <<= 1; n++; }
  return n;
#endif
}
inline uint16_t bswap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }
inline uint32_t bswap32(uint32_t v) {
#ifdef TSV_HAVE_BUILTINS
  return __builtin_bswap32(v);
#else
  return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
#endif
}
inline uint64_t bswap64(uint64_t v) {
#ifdef TSV_HAVE_BUILTINS
  return __builtin_bswap64(v);
#else
  return ((uint64_t)bswap32((uint32_t)v) << 32) | bswap32((uint32_t)(v >> 32));
#endif
}

// 128-bit values as two halves
struct U128 {
  uint64_t lo, hi;
};

inline U128 mul_u64(uint64_t a, uint64_t b) {
#ifdef TSV_HAVE_INT128
  unsigned __int128 r = (unsigned __int128)a * b;
  return U128{(uint64_t)r, (uint64_t)(r >> 64)};
#else
  uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
  uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
  return U128{(mid << 32) | (uint32_t)ll, hh + (lh >> 32) + (hl >> 32) + (mid >> 32)};
#endif
}
// signed 64x64 -> 128 (two's complement halves)
inline U128 mul_s64(int64_t a, int64_t b) {
  U128 r = mul_u64((uint64_t)a, (uint64_t)b);
  if (a < 0) r.hi -= (uint64_t)b;
  if (b < 0) r.hi -= (uint64_t)a;
  return r;
}
// Unsigned (hi:lo) / d; false when d == 0 or the quotient does not fit in 64 bits.
inline bool div_u128(U128 n, uint64_t d, uint64_t& q, uint64_t& r) {
  if (d == 0 || n.hi >= d) return false;
#ifdef TSV_HAVE_INT128
  unsigned __int128 v = ((unsigned __int128)n.hi << 64) | n.lo;
  q = (uint64_t)(v / d);
  r = (uint64_t)(v % d);
#else
  // restoring long division, one quotient bit per step (only 64-bit DIV needs this path)
  uint64_t rem = n.hi, quo = 0;
  for (int k = 63; k >= 0; k--) {
    bool carry = rem >> 63;
    rem = (rem << 1) | ((n.lo >> k) & 1);
    quo <<= 1;
    if (carry || rem >= d) {
      rem -= d;
      quo |= 1;
    }
  }
  q = quo;
  r = rem;
#endif
  return true;
}
// Signed (hi:lo) / d with x86 IDIV rules (quotient truncates toward zero, remainder has the dividend's sign);
// false when d == 0 or the quotient does not fit in int64.
inline bool div_s128(U128 n, int64_t d, int64_t& q, int64_t& r) {
  if (d == 0) return false;
  bool neg_n = (int64_t)n.hi < 0, neg_d = d < 0;
  U128 un = n;
  if (neg_n) {  // negate the 128-bit dividend
    un.lo = ~n.lo + 1;
    un.hi = ~n.hi + (un.lo == 0 ? 1 : 0);
  }
  uint64_t ud = neg_d ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
  uint64_t uq, ur;
  if (!div_u128(un, ud, uq, ur)) return false;
  bool neg_q = neg_n != neg_d;
  if (neg_q ? uq > (1ull << 63) : uq > (uint64_t)INT64_MAX) return false;
  q = neg_q ? (int64_t)(0 - uq) : (int64_t)uq;
  r = neg_n ? (int64_t)(0 - ur) : (int64_t)ur;
  return true;
}
// (a * b) / c truncated to 64 bits, for clock scaling (c != 0)
inline uint64_t muldiv_u64(uint64_t a, uint64_t b, uint64_t c) {
  U128 p = mul_u64(a, b);
  uint64_t q, r;
  div_u128(U128{p.lo, p.hi % c}, c, q, r);  // low half of the 128-bit quotient
  return q;
}

}  // namespace tsv
