// Software 80-bit extended-precision arithmetic as the x87 FPU does it: IEEE
// rounding with the x87 precision control (24/53/64-bit significands over the
// full 15-bit exponent range), the x87 exception flags (IE DE ZE OE UE PE and
// C1 = "rounded up"), the masked responses (QNaN indefinite, infinities,
// denormals) and the unmasked ones (no result for IE/DE/ZE, exponent wrapped
// by 24576 for OE/UE). Portable C++17; no host floating point.
//
// Values are Fp80 (fpu_state.h). Inside, operands are unpacked into Num:
// sign, class, an unbiased exponent and a 64-bit significand normalized so that
// bit 63 is the integer bit (value = sig * 2^(exp-63)).
#pragma once
#include <cstdint>
#include "cpu/fpu_state.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace fp80 {

// Exception flags use the status-word bit positions; C1 records "rounded up".
constexpr uint16_t X_IE = FSW_IE, X_DE = FSW_DE, X_ZE = FSW_ZE, X_OE = FSW_OE, X_UE = FSW_UE, X_PE = FSW_PE,
                   X_C1 = FSW_C1;
constexpr uint16_t X_ALL = X_IE | X_DE | X_ZE | X_OE | X_UE | X_PE;

enum Rounding : uint8_t { RC_NEAR = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3 };

// What an operation needs from the control word and where it reports.
struct Env {
  uint8_t rc;        // Rounding
  uint8_t prec;      // significand bits of results: 24, 53 or 64 (precision control)
  uint16_t masks;    // exception masks (FCW bits 0..5)
  uint16_t flags;    // raised X_* (accumulated)
  static Env from_fcw(uint16_t fcw) {
    static const uint8_t pc[4] = {24, 64, 53, 64};  // PC=01 is reserved; it behaves as 64 here
    return Env{(uint8_t)((fcw >> 10) & 3), pc[(fcw >> 8) & 3], (uint16_t)(fcw & 0x3f), 0};
  }
  bool unmasked(uint16_t x) const { return (flags & x & ~masks) != 0; }
};

enum Class : uint8_t { C_ZERO, C_NORMAL, C_INF, C_QNAN, C_SNAN, C_INVALID };

struct Num {
  uint8_t cls;
  bool sign;
  bool denormal;  // the encoding was a denormal (or pseudo-denormal): DE when used
  int32_t exp;    // unbiased, for C_NORMAL
  uint64_t sig;   // C_NORMAL: bit 63 set; NaNs: the encoding's significand
};

constexpr uint16_t BIAS = 16383;
constexpr Fp80 INDEFINITE{0xc000000000000000ull, 0xffff};  // QNaN indefinite

Num unpack(Fp80 v);
Num unpack_f32(uint32_t v);
Num unpack_f64(uint64_t v);
Num from_int(int64_t v);
inline Fp80 make(bool sign, uint16_t e, uint64_t m) { return Fp80{m, (uint16_t)((sign ? 0x8000 : 0) | e)}; }
inline Fp80 zero(bool sign) { return make(sign, 0, 0); }
inline Fp80 inf(bool sign) { return make(sign, 0x7fff, 1ull << 63); }
Fp80 pack_exact(const Num& n);  // a Num known to be representable (no rounding)

// Rounds sign * (sig:rest) * 2^(exp-63) (sig normalized, rest = bits below it,
// any sticky bit ORed into its bit 0) into the register format with the Env's
// precision; handles overflow, underflow and the masked/unmasked responses.
Fp80 round_pack(Env& env, bool sign, int32_t exp, uint64_t sig, uint64_t rest);
// Same with an explicit significand precision (stores to float32/float64 use their own).
Fp80 round_pack_prec(Env& env, bool sign, int32_t exp, uint64_t sig, uint64_t rest, unsigned prec);

// Invalid-operation/NaN screening of arithmetic operands. Returns true when the
// result is decided (NaN or indefinite, written to out) — with IE raised as the SDM says.
bool nan_result(Env& env, const Num& a, const Num& b, Fp80& out);
bool nan_result1(Env& env, const Num& a, Fp80& out);
// DE for denormal operands; true when DE is unmasked (the operation must not complete).
bool denormal_check(Env& env, const Num& a);
bool denormal_check(Env& env, const Num& a, const Num& b);
Fp80 invalid(Env& env);  // IE with the masked response (indefinite)

Fp80 add(Env& env, const Num& a, const Num& b, bool subtract);
Fp80 mul(Env& env, const Num& a, const Num& b);
Fp80 div(Env& env, const Num& a, const Num& b);
Fp80 sqrt(Env& env, const Num& a);

// Results for the register stack: rounding of an already-exact Fp80 to the
// precision control (FLD from memory does not round; arithmetic does).
Fp80 to_reg(Env& env, const Num& n);  // a Num of any magnitude rounded to the register format

// Stores to memory. Raise IE/OE/UE/PE/DE as FST does; the result is what
// memory gets when the caller stores (callers skip the store when an unmasked
// IE/OE/UE/DE is raised).
uint32_t to_f32(Env& env, const Num& n);
uint64_t to_f64(Env& env, const Num& n);
// Integer conversion with rc (truncate = FISTTP). IE and the integer indefinite
// (most negative value) when out of range or NaN/infinity.
int64_t to_int(Env& env, const Num& n, unsigned bits, bool truncate);
Fp80 round_int(Env& env, const Num& n);  // FRNDINT

// Compare: 0 less, 1 equal, 2 greater, 3 unordered. quiet: QNaN operands do not raise IE.
int compare(Env& env, const Num& a, const Num& b, bool quiet);

// Partial remainder (FPREM / FPREM1). Writes the result and the low quotient
// bits (q) and reports an incomplete reduction (C2).
struct RemResult {
  Fp80 value;
  uint64_t q;
  bool incomplete;
  bool done;  // false when the operation raised an unmasked exception (no result)
};
RemResult remainder(Env& env, const Num& a, const Num& b, bool nearest);
Fp80 scale(Env& env, const Num& a, const Num& b);  // FSCALE: a * 2^trunc(b)

}  // namespace fp80
}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
