// x87 transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPATAN (two-operand,
// popping), FSIN, FCOS, FSINCOS, FPTAN (argument |x| < 2^63, else C2 = 1 and
// the operand stays). The functions themselves are in fp80/trans.cc.
#include "cpu/insn/x87.h"
#include "cpu/fp80/trans.h"

namespace tsv {
namespace x87 {
namespace {

using namespace fp80;

const Insn* F2XM1(Cpu& c, const Insn* i) {
  begin(c, i);
  if (empty(c, 0)) {
    if (stack_fault(c, SW_UNDERFLOW)) set_st(c, 0, INDEFINITE);
    return next(c, i);
  }
  Env env = env_of(c);
  env.prec = 64;  // precision control does not apply to transcendentals
  Fp80 r = f2xm1(env, unpack(st(c, 0)));
  commit(c, env.flags);
  if (!blocked(env)) set_st(c, 0, r);
  return next(c, i);
}

// ST(1) = f(ST(0), ST(1)), then pop
template <Fp80 (*F)(Env&, const Num&, const Num&)> const Insn* BINARY_POP(Cpu& c, const Insn* i) {
  begin(c, i);
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, SW_UNDERFLOW)) {
      set_st(c, 1, INDEFINITE);
      pop(c);
    }
    return next(c, i);
  }
  Env env = env_of(c);
  env.prec = 64;
  Fp80 r = F(env, unpack(st(c, 0)), unpack(st(c, 1)));
  commit(c, env.flags);
  if (!blocked(env)) {
    set_st(c, 1, r);
    pop(c);
  }
  return next(c, i);
}

enum TrigOp { T_SIN, T_COS, T_SINCOS, T_TAN };

template <TrigOp OP> const Insn* TRIG(Cpu& c, const Insn* i) {
  begin(c, i);
  constexpr bool PUSHES = OP == T_SINCOS || OP == T_TAN;
  if (empty(c, 0) || (PUSHES && !empty(c, 7))) {
    if (stack_fault(c, empty(c, 0) ? SW_UNDERFLOW : SW_OVERFLOW)) {
      set_st(c, 0, INDEFINITE);
      if (PUSHES) push(c, INDEFINITE);
    }
    c.x87.fsw &= (uint16_t)~FSW_C2;
    return next(c, i);
  }
  Env env = env_of(c);
  TrigResult t = trig(env, unpack(st(c, 0)));
  if (t.out_of_range) {  // |x| >= 2^63: nothing happens but C2
    commit_cc(c, 0, FSW_C2, FSW_C2);
    return next(c, i);
  }
  uint16_t flags = env.flags;
  if (!blocked(env) && !t.blocked) {
    if (OP == T_SIN) flags |= t.sin_flags;
    if (OP == T_COS) flags |= t.cos_flags;
    if (OP == T_SINCOS) flags |= t.sin_flags | t.cos_flags;
    if (OP == T_TAN) flags |= t.tan_flags;
  }
  commit_cc(c, flags, FSW_C2, 0);
  if (blocked(env) || t.blocked) return next(c, i);
  switch (OP) {
    case T_SIN: set_st(c, 0, t.sin); break;
    case T_COS: set_st(c, 0, t.cos); break;
    case T_SINCOS: set_st(c, 0, t.sin); push(c, t.cos); break;
    case T_TAN:
      set_st(c, 0, t.tan);
      // a NaN or masked-invalid result is pushed as well; otherwise 1.0
      if (unpack(t.tan).cls == C_QNAN) push(c, t.tan);
      else push(c, make(false, BIAS, 1ull << 63));
      break;
  }
  return next(c, i);
}

}  // namespace

void register_x87_trans(OpTables& t) {
  reg_op(t, 0xd9, 0xf0, F2XM1);
  reg_op(t, 0xd9, 0xf1, BINARY_POP<fyl2x>);
  reg_op(t, 0xd9, 0xf3, BINARY_POP<fpatan>);
  reg_op(t, 0xd9, 0xf9, BINARY_POP<fyl2xp1>);
  reg_op(t, 0xd9, 0xfe, TRIG<T_SIN>);
  reg_op(t, 0xd9, 0xff, TRIG<T_COS>);
  reg_op(t, 0xd9, 0xfb, TRIG<T_SINCOS>);
  reg_op(t, 0xd9, 0xf2, TRIG<T_TAN>);
}

}  // namespace x87
}  // namespace tsv
