// A 128-bit-significand binary float for the transcendental functions: enough
// precision (each operation truncates at 2^-127 relative) that a result carried
// through a few dozen operations still rounds correctly to the 64-bit x87
// significand except in rare hard cases (then it is within one unit).
#pragma once
#include <cstdint>
#include "cpu/fp80/fp80.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace fp80 {

// value = (hi:lo) * 2^(exp-127), hi bit 63 set; zero when hi == 0
struct Wf {
  bool sign;
  int32_t exp;
  uint64_t hi, lo;
  bool zero() const { return hi == 0; }
};

Wf wf_from_num(const Num& n);      // C_NORMAL or C_ZERO
Wf wf_from_int(int64_t v);
Wf wf_const(int32_t exp, uint64_t hi, uint64_t lo);
Wf wf_neg(Wf a);
Wf wf_add(const Wf& a, const Wf& b);
Wf wf_sub(const Wf& a, const Wf& b);
Wf wf_mul(const Wf& a, const Wf& b);
Wf wf_div(const Wf& a, const Wf& b);
Wf wf_div_small(const Wf& a, uint32_t d);
Wf wf_ldexp(Wf a, int32_t k);
int wf_cmp_abs(const Wf& a, const Wf& b);  // -1, 0, 1 on magnitudes
// rounds into the register format (an inexact result: PE, C1 when rounded up)
Fp80 wf_round(Env& env, const Wf& a);

}  // namespace fp80
}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
