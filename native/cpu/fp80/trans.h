// Transcendental functions of the x87 on extended-precision operands (trans.cc).
#pragma once
#include "cpu/fp80/fp80.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace fp80 {

Fp80 f2xm1(Env& env, const Num& x);                 // 2^x - 1
Fp80 fyl2x(Env& env, const Num& x, const Num& y);   // y * log2(x)
Fp80 fyl2xp1(Env& env, const Num& x, const Num& y); // y * log2(x + 1)
Fp80 fpatan(Env& env, const Num& x, const Num& y);  // atan(y / x) in the quadrant of (x, y)

// sin, cos and tan of one argument. out_of_range: |x| >= 2^63 (C2 = 1, operand
// unchanged); blocked: an unmasked DE. Flags of each result separately (env
// receives the operand-screening flags).
struct TrigResult {
  Fp80 sin, cos, tan;
  uint16_t sin_flags, cos_flags, tan_flags;
  bool out_of_range, blocked;
};
TrigResult trig(Env& env, const Num& x);

}  // namespace fp80
}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
