// 128-bit significand helpers for the extended-precision core: shifts that
// keep a sticky bit, add/subtract/compare on (hi, lo) pairs.
#pragma once
#include <cstdint>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace fp80 {

// (hi:lo) >>= s; every bit shifted out is ORed into bit 0 of lo (sticky).
inline void shr_sticky(uint64_t& hi, uint64_t& lo, unsigned s) {
  if (s == 0) return;
  if (s >= 128) {
    lo = (hi | lo) != 0;
    hi = 0;
    return;
  }
  if (s >= 64) {
    bool st = lo != 0 || (s > 64 && (hi << (128 - s)) != 0);
    lo = (s == 64 ? hi : hi >> (s - 64)) | (st ? 1 : 0);
    hi = 0;
    return;
  }
  bool st = (lo << (64 - s)) != 0;
  lo = (lo >> s) | (hi << (64 - s)) | (st ? 1 : 0);
  hi >>= s;
}
inline void shl128(uint64_t& hi, uint64_t& lo, unsigned s) {
  if (s == 0) return;
  if (s >= 128) {
    hi = lo = 0;
  } else if (s >= 64) {
    hi = lo << (s - 64);
    lo = 0;
  } else {
    hi = (hi << s) | (lo >> (64 - s));
    lo <<= s;
  }
}
inline void add128(uint64_t& hi, uint64_t& lo, uint64_t bhi, uint64_t blo) {
  uint64_t l = lo + blo;
  hi += bhi + (l < lo ? 1 : 0);
  lo = l;
}
inline void sub128(uint64_t& hi, uint64_t& lo, uint64_t bhi, uint64_t blo) {
  uint64_t l = lo - blo;
  hi -= bhi + (lo < blo ? 1 : 0);
  lo = l;
}
inline bool lt128(uint64_t ahi, uint64_t alo, uint64_t bhi, uint64_t blo) {
  return ahi < bhi || (ahi == bhi && alo < blo);
}

}  // namespace fp80
}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
