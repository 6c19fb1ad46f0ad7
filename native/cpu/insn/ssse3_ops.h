// SSSE3 lane operations, each written once for N operand bytes (16: xmm,
// 8: mm). Used by ssse3.cc (xmm forms) and ssse3_mmx.cc (mm forms).
#pragma once
#include "cpu/insn/sse4_lanes.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace ssse3 {

// PSHUFB: each destination byte takes the byte the control byte selects, or 0 when its bit 7 is set.
template <unsigned N> void pshufb(Xmm& d, const Xmm& s) {
  Xmm a = d;
  for (unsigned k = 0; k < N; k++) d.b[k] = (s.b[k] & 0x80) ? 0 : a.b[s.b[k] & (N - 1)];
}

// Horizontal operations: pairs of the destination fill the low half of the result, pairs of
// the source the high half (SUB: even element minus odd element).
template <unsigned N> void phaddw(Xmm& d, const Xmm& s) {
  constexpr unsigned H = N / 4;  // word pairs per operand
  Xmm r;
  for (unsigned k = 0; k < H; k++) {
    r.w[k] = (uint16_t)(d.w[2 * k] + d.w[2 * k + 1]);
    r.w[H + k] = (uint16_t)(s.w[2 * k] + s.w[2 * k + 1]);
  }
  std::memcpy(d.b, r.b, N);
}
template <unsigned N> void phsubw(Xmm& d, const Xmm& s) {
  constexpr unsigned H = N / 4;
  Xmm r;
  for (unsigned k = 0; k < H; k++) {
    r.w[k] = (uint16_t)(d.w[2 * k] - d.w[2 * k + 1]);
    r.w[H + k] = (uint16_t)(s.w[2 * k] - s.w[2 * k + 1]);
  }
  std::memcpy(d.b, r.b, N);
}
template <unsigned N> void phaddsw(Xmm& d, const Xmm& s) {
  constexpr unsigned H = N / 4;
  Xmm r;
  for (unsigned k = 0; k < H; k++) {
    r.sw[k] = sat16((int32_t)d.sw[2 * k] + d.sw[2 * k + 1]);
    r.sw[H + k] = sat16((int32_t)s.sw[2 * k] + s.sw[2 * k + 1]);
  }
  std::memcpy(d.b, r.b, N);
}
template <unsigned N> void phsubsw(Xmm& d, const Xmm& s) {
  constexpr unsigned H = N / 4;
  Xmm r;
  for (unsigned k = 0; k < H; k++) {
    r.sw[k] = sat16((int32_t)d.sw[2 * k] - d.sw[2 * k + 1]);
    r.sw[H + k] = sat16((int32_t)s.sw[2 * k] - s.sw[2 * k + 1]);
  }
  std::memcpy(d.b, r.b, N);
}
template <unsigned N> void phaddd(Xmm& d, const Xmm& s) {
  constexpr unsigned H = N / 8;  // dword pairs per operand
  Xmm r;
  for (unsigned k = 0; k < H; k++) {
    r.d[k] = d.d[2 * k] + d.d[2 * k + 1];
    r.d[H + k] = s.d[2 * k] + s.d[2 * k + 1];
  }
  std::memcpy(d.b, r.b, N);
}
template <unsigned N> void phsubd(Xmm& d, const Xmm& s) {
  constexpr unsigned H = N / 8;
  Xmm r;
  for (unsigned k = 0; k < H; k++) {
    r.d[k] = d.d[2 * k] - d.d[2 * k + 1];
    r.d[H + k] = s.d[2 * k] - s.d[2 * k + 1];
  }
  std::memcpy(d.b, r.b, N);
}

// PMADDUBSW: unsigned destination bytes times signed source bytes, adjacent products
// added with signed saturation into words.
template <unsigned N> void pmaddubsw(Xmm& d, const Xmm& s) {
  for (unsigned k = 0; k < N / 2; k++) {
    int32_t p = (int32_t)d.b[2 * k] * s.sb[2 * k] + (int32_t)d.b[2 * k + 1] * s.sb[2 * k + 1];
    d.sw[k] = sat16(p);
  }
}
// PMULHRSW: bits 16..1 of the 32-bit product rounded at bit 14: ((a * b >> 14) + 1) >> 1.
template <unsigned N> void pmulhrsw(Xmm& d, const Xmm& s) {
  for (unsigned k = 0; k < N / 2; k++) {
    int32_t p = (int32_t)d.sw[k] * s.sw[k];
    d.w[k] = (uint16_t)(((p >> 14) + 1) >> 1);
  }
}

// Lane access by signed element type
template <class T> TSV_INLINE T lane(const Xmm& x, unsigned k) {
  T v;
  std::memcpy(&v, x.b + k * sizeof(T), sizeof(T));
  return v;
}
template <class T> TSV_INLINE void set_lane(Xmm& x, unsigned k, T v) { std::memcpy(x.b + k * sizeof(T), &v, sizeof(T)); }

// PSIGNB/W/D: negate, keep or zero each destination element by the sign of the source's.
template <class T, unsigned N> void psign(Xmm& d, const Xmm& s) {
  using U = std::make_unsigned_t<T>;
  for (unsigned k = 0; k < N / sizeof(T); k++) {
    T sv = lane<T>(s, k);
    U dv = (U)lane<T>(d, k);
    set_lane<T>(d, k, (T)(sv < 0 ? (U)(0u - dv) : sv == 0 ? (U)0 : dv));
  }
}
// PABSB/W/D: absolute value of the source (the most negative value stays as it is, read unsigned).
template <class T, unsigned N> void pabs(Xmm& d, const Xmm& s) {
  using U = std::make_unsigned_t<T>;
  for (unsigned k = 0; k < N / sizeof(T); k++) {
    T sv = lane<T>(s, k);
    set_lane<T>(d, k, (T)(sv < 0 ? (U)(0u - (U)sv) : (U)sv));
  }
}

// PALIGNR: the destination:source concatenation (destination high) shifted right by imm8 bytes.
template <unsigned N> void palignr(Xmm& d, const Xmm& s, uint8_t imm) {
  uint8_t cat[2 * N];
  std::memcpy(cat, s.b, N);
  std::memcpy(cat + N, d.b, N);
  for (unsigned k = 0; k < N; k++) {
    unsigned at = imm + k;
    d.b[k] = at < 2 * N ? cat[at] : 0;
  }
}

}  // namespace ssse3
}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
