// MMX / SSE2 integer arithmetic: PADD*/PSUB* (wrapping, signed and unsigned
// saturating), PMULLW/PMULHW/PMULHUW/PMULUDQ, PMADDWD, PAVGB/PAVGW,
// PMINUB/PMAXUB/PMINSW/PMAXSW and PSADBW. Each one exists as mm, mm/m64
// (no prefix) and xmm, xmm/m128 (66 prefix) from the same operation.
#include <type_traits>
#include "cpu/simd_int.h"

namespace tsv {
namespace {

struct Add { template <class T> static T f(T a, T b) { return (T)(a + b); } };
struct Sub { template <class T> static T f(T a, T b) { return (T)(a - b); } };
// saturating (T signed: PADDSB/W, PSUBSB/W; T unsigned: PADDUSB/W, PSUBUSB/W)
struct AddSat { template <class T> static T f(T a, T b) { return saturate<T>((int64_t)a + (int64_t)b); } };
struct SubSat { template <class T> static T f(T a, T b) { return saturate<T>((int64_t)a - (int64_t)b); } };
struct MulLow { template <class T> static T f(T a, T b) { return (T)((uint32_t)a * (uint32_t)b); } };
// high 16 bits of the 32-bit product (T = int16_t: PMULHW, uint16_t: PMULHUW). The product
// is formed in a 32-bit type of T's signedness: GCC 12 vectorizes the int64_t form of the
// signed case into an unsigned high multiply.
struct MulHigh {
  template <class T> static T f(T a, T b) {
    using W = std::conditional_t<std::is_signed<T>::value, int32_t, uint32_t>;
    return (T)(((W)a * (W)b) >> 16);
  }
};
// PMULUDQ: low dwords of each quadword, 64-bit product
struct MulUdq { template <class T> static T f(T a, T b) { return (a & 0xffffffffu) * (b & 0xffffffffu); } };
// PMADDWD: each dword gets the sum of its two signed word products (0x8000*0x8000*2 wraps to 0x80000000)
struct MaddWd {
  template <class T> static T f(T a, T b) {
    int32_t lo = (int32_t)(int16_t)a * (int16_t)b, hi = (int32_t)(int16_t)(a >> 16) * (int16_t)(b >> 16);
    return (T)((uint32_t)lo + (uint32_t)hi);
  }
};
struct Avg { template <class T> static T f(T a, T b) { return (T)(((uint32_t)a + b + 1) >> 1); } };
struct Min { template <class T> static T f(T a, T b) { return a < b ? a : b; } };
struct Max { template <class T> static T f(T a, T b) { return a > b ? a : b; } };
// PSADBW: per quadword, the sum of the 8 absolute byte differences in the low word
struct SadBw {
  template <class T> static T f(T a, T b) {
    uint64_t sum = 0;
    for (unsigned k = 0; k < 8; k++) {
      int d = (int)((a >> (8 * k)) & 0xff) - (int)((b >> (8 * k)) & 0xff);
      sum += (uint64_t)(d < 0 ? -d : d);
    }
    return sum;
  }
};

}  // namespace

void register_simd_int_arith(OpTables& t) {
  simd_int_pair<Lanes<uint8_t, Add>>(t, 0xfc);    // PADDB
  simd_int_pair<Lanes<uint16_t, Add>>(t, 0xfd);   // PADDW
  simd_int_pair<Lanes<uint32_t, Add>>(t, 0xfe);   // PADDD
  simd_int_pair<Lanes<uint64_t, Add>>(t, 0xd4);   // PADDQ
  simd_int_pair<Lanes<uint8_t, Sub>>(t, 0xf8);    // PSUBB
  simd_int_pair<Lanes<uint16_t, Sub>>(t, 0xf9);   // PSUBW
  simd_int_pair<Lanes<uint32_t, Sub>>(t, 0xfa);   // PSUBD
  simd_int_pair<Lanes<uint64_t, Sub>>(t, 0xfb);   // PSUBQ
  simd_int_pair<Lanes<int8_t, AddSat>>(t, 0xec);  // PADDSB
  simd_int_pair<Lanes<int16_t, AddSat>>(t, 0xed); // PADDSW
  simd_int_pair<Lanes<uint8_t, AddSat>>(t, 0xdc); // PADDUSB
  simd_int_pair<Lanes<uint16_t, AddSat>>(t, 0xdd);// PADDUSW
  simd_int_pair<Lanes<int8_t, SubSat>>(t, 0xe8);  // PSUBSB
  simd_int_pair<Lanes<int16_t, SubSat>>(t, 0xe9); // PSUBSW
  simd_int_pair<Lanes<uint8_t, SubSat>>(t, 0xd8); // PSUBUSB
  simd_int_pair<Lanes<uint16_t, SubSat>>(t, 0xd9);// PSUBUSW
  simd_int_pair<Lanes<uint16_t, MulLow>>(t, 0xd5);  // PMULLW
  simd_int_pair<Lanes<int16_t, MulHigh>>(t, 0xe5);  // PMULHW
  simd_int_pair<Lanes<uint16_t, MulHigh>>(t, 0xe4); // PMULHUW
  simd_int_pair<Lanes<uint64_t, MulUdq>>(t, 0xf4);  // PMULUDQ
  simd_int_pair<Lanes<uint32_t, MaddWd>>(t, 0xf5);  // PMADDWD
  simd_int_pair<Lanes<uint8_t, Avg>>(t, 0xe0);      // PAVGB
  simd_int_pair<Lanes<uint16_t, Avg>>(t, 0xe3);     // PAVGW
  simd_int_pair<Lanes<uint8_t, Min>>(t, 0xda);      // PMINUB
  simd_int_pair<Lanes<uint8_t, Max>>(t, 0xde);      // PMAXUB
  simd_int_pair<Lanes<int16_t, Min>>(t, 0xea);      // PMINSW
  simd_int_pair<Lanes<int16_t, Max>>(t, 0xee);      // PMAXSW
  simd_int_pair<Lanes<uint64_t, SadBw>>(t, 0xf6);   // PSADBW
}

}  // namespace tsv
