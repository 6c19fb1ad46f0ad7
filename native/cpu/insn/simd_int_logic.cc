// MMX / SSE2 integer compares and bitwise logic: PCMPEQB/W/D, PCMPGTB/W/D
// (signed), PAND, PANDN, POR, PXOR; mm, mm/m64 (no prefix) and xmm, xmm/m128 (66).
#include "cpu/simd_int.h"

namespace tsv {
namespace {

struct Eq { template <class T> static T f(T a, T b) { return a == b ? (T)~(T)0 : (T)0; } };
struct Gt { template <class T> static T f(T a, T b) { return a > b ? (T)~(T)0 : (T)0; } };  // T signed
struct And { template <class T> static T f(T a, T b) { return a & b; } };
struct AndNot { template <class T> static T f(T a, T b) { return ~a & b; } };  // dest = NOT dest AND src
struct Or { template <class T> static T f(T a, T b) { return a | b; } };
struct Xor { template <class T> static T f(T a, T b) { return a ^ b; } };

}  // namespace

void register_simd_int_logic(OpTables& t) {
  simd_int_pair<Lanes<uint8_t, Eq>>(t, 0x74);   // PCMPEQB
  simd_int_pair<Lanes<uint16_t, Eq>>(t, 0x75);  // PCMPEQW
  simd_int_pair<Lanes<uint32_t, Eq>>(t, 0x76);  // PCMPEQD
  simd_int_pair<Lanes<int8_t, Gt>>(t, 0x64);    // PCMPGTB
  simd_int_pair<Lanes<int16_t, Gt>>(t, 0x65);   // PCMPGTW
  simd_int_pair<Lanes<int32_t, Gt>>(t, 0x66);   // PCMPGTD
  simd_int_pair<Lanes<uint64_t, And>>(t, 0xdb);     // PAND
  simd_int_pair<Lanes<uint64_t, AndNot>>(t, 0xdf);  // PANDN
  simd_int_pair<Lanes<uint64_t, Or>>(t, 0xeb);      // POR
  simd_int_pair<Lanes<uint64_t, Xor>>(t, 0xef);     // PXOR
}

}  // namespace tsv
