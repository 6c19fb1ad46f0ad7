// IEEE 754 binary32/binary64 arithmetic as the SSE unit performs it: MXCSR
// rounding control, DAZ (denormal inputs read as zero, no DE), FTZ (tiny
// results flushed to zero with UE+PE when underflow is masked), tininess
// detected after rounding, the six exception flags, x86 NaN rules (a NaN result
// is the first source's NaN, else the second's, quieted; invalid operations give
// the default NaN, sign set) and the "integer indefinite" for failed integer
// conversions.
//
// Values travel as raw bit patterns (uint32_t / uint64_t) so nothing depends on
// the host's floating-point environment. The exact path is integer arithmetic;
// a fast path uses host float/double only where IEEE guarantees the same bits
// (round to nearest, normal inputs and result, PE already set and masked).
//
// Operations accumulate exception flags into Env::flags; the caller decides
// (after all elements of an instruction) whether an unmasked one raises #XM.
// This header does not depend on the Cpu, so SSE3/SSE4 files and stand-alone
// checkers can use it as is.
#pragma once
#include <cstdint>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace sfp {

// MXCSR bits
enum : uint32_t {
  X_IE = 1u << 0, X_DE = 1u << 1, X_ZE = 1u << 2, X_OE = 1u << 3, X_UE = 1u << 4, X_PE = 1u << 5,
  X_ALL = 0x3f,
  MX_DAZ = 1u << 6,
  MX_MASK_SHIFT = 7,   // exception masks: bits 7..12, same order as the flags
  MX_RC_SHIFT = 13,    // rounding control: bits 13..14
  MX_FTZ = 1u << 15,
};
enum Rounding : unsigned { RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3 };

struct Env {
  uint32_t mxcsr;      // control: RC, DAZ, FTZ, masks (read only)
  uint32_t flags = 0;  // X_* raised by the operations so far
  explicit Env(uint32_t m) : mxcsr(m) {}
  unsigned rc() const { return (mxcsr >> MX_RC_SHIFT) & 3; }
  bool daz() const { return mxcsr & MX_DAZ; }
  bool masked(uint32_t x) const { return (mxcsr >> MX_MASK_SHIFT) & x; }
  // exceptions raised here that the guest has unmasked (-> #XM, destination unchanged)
  uint32_t unmasked() const { return flags & ~(mxcsr >> MX_MASK_SHIFT) & X_ALL; }
};

// What an instruction reports once all its elements are computed: when an
// unmasked pre-computation exception (IE, DE, ZE) occurred in any element, only
// the pre-computation flags are set; otherwise every flag raised. `fault`: #XM
// (the destination is left unchanged).
struct Outcome {
  uint32_t flags;
  bool fault;
};
inline Outcome outcome(const Env& e) {
  constexpr uint32_t kPre = X_IE | X_DE | X_ZE;
  uint32_t unmasked = e.unmasked();
  if (unmasked & kPre) return Outcome{e.flags & kPre, true};
  return Outcome{e.flags, unmasked != 0};
}

constexpr uint32_t F32_DEFAULT_NAN = 0xffc00000u;
constexpr uint64_t F64_DEFAULT_NAN = 0xfff8000000000000ull;
constexpr int32_t INT32_INDEFINITE = INT32_MIN;
constexpr int64_t INT64_INDEFINITE = INT64_MIN;

// Comparison outcome (COMISS/UCOMISS, CMPPS)
enum Relation : unsigned { REL_LESS, REL_EQUAL, REL_GREATER, REL_UNORDERED };

// ---------------------------------------------------------------- binary32
uint32_t f32_add(Env& e, uint32_t a, uint32_t b);
uint32_t f32_sub(Env& e, uint32_t a, uint32_t b);
uint32_t f32_mul(Env& e, uint32_t a, uint32_t b);
uint32_t f32_div(Env& e, uint32_t a, uint32_t b);
uint32_t f32_sqrt(Env& e, uint32_t a);
// MINPS/MAXPS: a < b ? a : b (a > b ? a : b); the second operand when either is a NaN
// (IE even for a QNaN) or both are zero.
uint32_t f32_min(Env& e, uint32_t a, uint32_t b);
uint32_t f32_max(Env& e, uint32_t a, uint32_t b);
// signal_qnan: COMISS and the signalling CMPPS predicates raise IE for a QNaN too
Relation f32_compare(Env& e, uint32_t a, uint32_t b, bool signal_qnan);
// CMPPS/CMPSS predicate 0..7 (EQ, LT, LE, UNORD, NEQ, NLT, NLE, ORD): the result mask bit
bool f32_cmp_pred(Env& e, uint32_t a, uint32_t b, unsigned pred);

// ---------------------------------------------------------------- binary64
uint64_t f64_add(Env& e, uint64_t a, uint64_t b);
uint64_t f64_sub(Env& e, uint64_t a, uint64_t b);
uint64_t f64_mul(Env& e, uint64_t a, uint64_t b);
uint64_t f64_div(Env& e, uint64_t a, uint64_t b);
uint64_t f64_sqrt(Env& e, uint64_t a);
uint64_t f64_min(Env& e, uint64_t a, uint64_t b);
uint64_t f64_max(Env& e, uint64_t a, uint64_t b);
Relation f64_compare(Env& e, uint64_t a, uint64_t b, bool signal_qnan);
bool f64_cmp_pred(Env& e, uint64_t a, uint64_t b, unsigned pred);

// ---------------------------------------------------------------- conversions
uint64_t f32_to_f64(Env& e, uint32_t a);
uint32_t f64_to_f32(Env& e, uint64_t a);
uint32_t i32_to_f32(Env& e, int32_t v);
uint32_t i64_to_f32(Env& e, int64_t v);
uint64_t i32_to_f64(Env& e, int32_t v);  // exact
uint64_t i64_to_f64(Env& e, int64_t v);
// truncate: round toward zero (CVTT*) instead of MXCSR.RC; NaN / out of range: indefinite + IE
int32_t f32_to_i32(Env& e, uint32_t a, bool truncate);
int64_t f32_to_i64(Env& e, uint32_t a, bool truncate);
int32_t f64_to_i32(Env& e, uint64_t a, bool truncate);
int64_t f64_to_i64(Env& e, uint64_t a, bool truncate);
// Round to an integral value in the same format (ROUNDPS/ROUNDSD): rc is the rounding
// mode to use; no_pe suppresses the precision exception (imm8 bit 3).
uint32_t f32_round_int(Env& e, uint32_t a, unsigned rc, bool no_pe);
uint64_t f64_round_int(Env& e, uint64_t a, unsigned rc, bool no_pe);

}  // namespace sfp
}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
