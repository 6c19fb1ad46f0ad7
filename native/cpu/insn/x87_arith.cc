// x87 arithmetic and comparison: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR in their
// memory (m32fp, m64fp, m16int, m32int), register and popping forms, FCOM/
// FUCOM/FICOM/FTST/FCOMI/FUCOMI and the popping variants, FXAM, FCMOVcc, and
// the one-operand operations FCHS FABS FSQRT FRNDINT FSCALE FXTRACT FPREM FPREM1.
#include "cpu/insn/x87.h"
#include "cpu/insn/x87_mem.h"

namespace tsv {
namespace x87 {
namespace {

using namespace fp80;

// ModRM.reg of D8/DA/DC/DE memory forms and D8 register forms: dest = dest op src
enum ArOp : unsigned { OP_ADD = 0, OP_MUL = 1, OP_COM = 2, OP_COMP = 3, OP_SUB = 4, OP_SUBR = 5, OP_DIV = 6, OP_DIVR = 7 };

template <unsigned OP> TSV_INLINE Fp80 arith(Env& env, const Num& d, const Num& s) {
  if constexpr (OP == OP_ADD) return add(env, d, s, false);
  else if constexpr (OP == OP_MUL) return mul(env, d, s);
  else if constexpr (OP == OP_SUB) return add(env, d, s, true);
  else if constexpr (OP == OP_SUBR) return add(env, s, d, true);
  else if constexpr (OP == OP_DIV) return div(env, d, s);
  else return div(env, s, d);
}

// ST(0) = ST(0) op m
template <unsigned OP, unsigned MK> const Insn* ARITH_M(Cpu& c, const Insn* i) {
  uint64_t off = begin_mem(c, i);
  Num m = read_num<MK>(c, i, off);
  if (empty(c, 0)) {
    if (stack_fault(c, SW_UNDERFLOW)) set_st(c, 0, INDEFINITE);
    return next(c, i);
  }
  Env env = env_of(c);
  Fp80 r = arith<OP>(env, unpack(st(c, 0)), m);
  if (!blocked(env)) set_st(c, 0, r);
  commit(c, env.flags);
  return next(c, i);
}

// dest = dest op src with dest/src = ST(0)/ST(i) (TO_STI: dest is ST(i)); POP afterwards
template <unsigned OP, bool TO_STI, bool POP> const Insn* ARITH_R(Cpu& c, const Insn* i) {
  begin(c, i);
  const unsigned k = sti(i), d = TO_STI ? k : 0, s = TO_STI ? 0 : k;
  if (empty(c, 0) || empty(c, k)) {
    if (stack_fault(c, SW_UNDERFLOW)) {
      set_st(c, d, INDEFINITE);
      if (POP) pop(c);
    }
    return next(c, i);
  }
  Env env = env_of(c);
  Fp80 r = arith<OP>(env, unpack(st(c, d)), unpack(st(c, s)));
  commit(c, env.flags);
  if (!blocked(env)) {
    set_st(c, d, r);
    if (POP) pop(c);
  }
  return next(c, i);
}

// ---------------------------------------------------------------- compares
// compare result (fp80::compare) → C3 C2 C0
constexpr uint16_t kCmpCc[4] = {FSW_C0, FSW_C3, 0, FSW_C3 | FSW_C2 | FSW_C0};
constexpr uint16_t CC3 = FSW_C0 | FSW_C2 | FSW_C3;

// Shared tail of FCOM-style compares: a (ST(0)) against b; pops on completion.
TSV_INLINE void compare_cc(Cpu& c, const Num& a, const Num& b, bool quiet, unsigned pops) {
  Env env = env_of(c);
  int r = compare(env, a, b, quiet);
  // the condition codes are set even when IE/DE are unmasked; only the pops are skipped
  commit_cc(c, env.flags, CC3, kCmpCc[r]);
  if (env.unmasked(X_IE | X_DE)) return;
  for (unsigned n = 0; n < pops; n++) pop(c);
}
// Stack underflow: C3 C2 C0 = 111 even with IE unmasked (host CPU); pops only when masked.
TSV_INLINE void compare_underflow(Cpu& c, unsigned pops) {
  bool masked = stack_fault(c, SW_UNDERFLOW);
  c.x87.fsw |= CC3;
  if (masked)
    for (unsigned n = 0; n < pops; n++) pop(c);
}

template <bool QUIET, unsigned POPS> const Insn* FCOM_R(Cpu& c, const Insn* i) {
  begin(c, i);
  const unsigned k = sti(i);
  if (empty(c, 0) || empty(c, k)) {
    compare_underflow(c, POPS);
    return next(c, i);
  }
  compare_cc(c, unpack(st(c, 0)), unpack(st(c, k)), QUIET, POPS);
  return next(c, i);
}
template <unsigned MK, unsigned POPS> const Insn* FCOM_M(Cpu& c, const Insn* i) {
  uint64_t off = begin_mem(c, i);
  Num m = read_num<MK>(c, i, off);
  if (empty(c, 0)) {
    compare_underflow(c, POPS);
    return next(c, i);
  }
  compare_cc(c, unpack(st(c, 0)), m, false, POPS);
  return next(c, i);
}
const Insn* FTST(Cpu& c, const Insn* i) {
  begin(c, i);
  if (empty(c, 0)) {
    compare_underflow(c, 0);
    return next(c, i);
  }
  Num z{};
  z.cls = C_ZERO;
  compare_cc(c, unpack(st(c, 0)), z, false, 0);
  return next(c, i);
}

// FCOMI/FUCOMI: ZF PF CF like an unsigned compare (111 unordered); OF SF AF cleared
constexpr uint32_t kCmpEflags[4] = {F_CF, F_ZF, 0, F_ZF | F_PF | F_CF};
template <bool QUIET, bool POP> const Insn* FCOMI_R(Cpu& c, const Insn* i) {
  begin(c, i);
  const unsigned k = sti(i);
  if (empty(c, 0) || empty(c, k)) {  // ZF PF CF = 111 even with IE unmasked (host CPU)
    bool masked = stack_fault(c, SW_UNDERFLOW);
    set_arith_flags(c, kCmpEflags[3]);
    if (masked && POP) pop(c);
    return next(c, i);
  }
  Env env = env_of(c);
  int r = compare(env, unpack(st(c, 0)), unpack(st(c, k)), QUIET);
  commit(c, (uint16_t)(env.flags | (c.x87.fsw & FSW_C1)));  // C1 stays (the host CPU keeps it)
  set_arith_flags(c, kCmpEflags[r]);  // set even when IE/DE are unmasked (as the host CPU does)
  if (env.unmasked(X_IE | X_DE)) return next(c, i);
  if (POP) pop(c);
  return next(c, i);
}

// FXAM: class of ST(0) in C3 C2 C0, its sign in C1 (empty registers too)
const Insn* FXAM(Cpu& c, const Insn* i) {
  begin(c, i);
  const Fp80 v = st(c, 0);
  uint16_t cc = (v.se & 0x8000) ? FSW_C1 : 0;
  if (empty(c, 0)) {
    cc |= FSW_C3 | FSW_C0;
  } else {
    Num n = unpack(v);
    switch (n.cls) {
      case C_INVALID: break;
      case C_QNAN: case C_SNAN: cc |= FSW_C0; break;
      case C_INF: cc |= FSW_C2 | FSW_C0; break;
      case C_ZERO: cc |= FSW_C3; break;
      default: cc |= n.denormal ? (FSW_C3 | FSW_C2) : FSW_C2; break;
    }
  }
  c.x87.fsw = (uint16_t)((c.x87.fsw & ~SW_CC) | cc);
  return next(c, i);
}

// ---------------------------------------------------------------- FCMOVcc
template <unsigned CC> const Insn* FCMOV(Cpu& c, const Insn* i) {
  begin(c, i);
  const unsigned k = sti(i);
  if (empty(c, 0) || empty(c, k)) {
    if (stack_fault(c, SW_UNDERFLOW)) set_st(c, 0, INDEFINITE);
    return next(c, i);
  }
  // C1 stays as it was (host CPU)
  if (cond(c, CC)) set_st(c, 0, st(c, k));
  return next(c, i);
}

// ---------------------------------------------------------------- one-operand operations
// FCHS / FABS change the sign bit of whatever ST(0) holds (no NaN checks)
template <bool ABS> const Insn* SIGN_OP(Cpu& c, const Insn* i) {
  begin(c, i);
  if (empty(c, 0)) {
    if (stack_fault(c, SW_UNDERFLOW)) set_st(c, 0, INDEFINITE);
    return next(c, i);
  }
  Fp80 v = st(c, 0);
  v.se = ABS ? (uint16_t)(v.se & 0x7fff) : (uint16_t)(v.se ^ 0x8000);
  set_st(c, 0, v);
  commit(c, 0);
  return next(c, i);
}

// ST(0) = f(ST(0))
template <Fp80 (*F)(Env&, const Num&)> const Insn* UNARY(Cpu& c, const Insn* i) {
  begin(c, i);
  if (empty(c, 0)) {
    if (stack_fault(c, SW_UNDERFLOW)) set_st(c, 0, INDEFINITE);
    return next(c, i);
  }
  Env env = env_of(c);
  Fp80 r = F(env, unpack(st(c, 0)));
  commit(c, env.flags);
  if (!blocked(env)) set_st(c, 0, r);
  return next(c, i);
}

const Insn* FSCALE(Cpu& c, const Insn* i) {
  begin(c, i);
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, SW_UNDERFLOW)) set_st(c, 0, INDEFINITE);
    return next(c, i);
  }
  Env env = env_of(c);
  Fp80 r = scale(env, unpack(st(c, 0)), unpack(st(c, 1)));
  commit(c, env.flags);
  if (!blocked(env)) set_st(c, 0, r);
  return next(c, i);
}

template <bool NEAREST> const Insn* FPREM_OP(Cpu& c, const Insn* i) {
  begin(c, i);
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, SW_UNDERFLOW)) set_st(c, 0, INDEFINITE);
    c.x87.fsw &= (uint16_t)~FSW_C2;
    return next(c, i);
  }
  Env env = env_of(c);
  RemResult r = remainder(env, unpack(st(c, 0)), unpack(st(c, 1)), NEAREST);
  uint16_t cc = 0;
  if (r.incomplete) {
    cc = FSW_C2;
  } else {
    if (r.q & 4) cc |= FSW_C0;
    if (r.q & 2) cc |= FSW_C3;
    if (r.q & 1) cc |= FSW_C1;
  }
  if (!r.done) {  // unmasked exception: no result; C1 and C2 clear, C0 and C3 stay (host CPU)
    commit_cc(c, env.flags & (uint16_t)~X_C1, FSW_C1 | FSW_C2, 0);
    return next(c, i);
  }
  // a NaN result (NaN operand, masked invalid) has no quotient: C0 and C3 stay, C1 and C2 clear
  uint16_t cc_mask = unpack(r.value).cls == C_QNAN ? (uint16_t)(FSW_C1 | FSW_C2) : SW_CC;
  if (cc_mask != SW_CC) cc = 0;
  commit_cc(c, env.flags & (uint16_t)~X_C1, cc_mask, cc);  // C1 is a quotient bit here
  set_st(c, 0, r.value);
  return next(c, i);
}

// FXTRACT: ST(0) = exponent, then push the significand (with the exponent of 1.0)
const Insn* FXTRACT(Cpu& c, const Insn* i) {
  begin(c, i);
  if (empty(c, 0) || !empty(c, 7)) {
    if (stack_fault(c, empty(c, 0) ? SW_UNDERFLOW : SW_OVERFLOW)) {
      set_st(c, 0, INDEFINITE);
      push(c, INDEFINITE);
    }
    return next(c, i);
  }
  Env env = env_of(c);
  Num n = unpack(st(c, 0));
  Fp80 e, s;
  if (nan_result1(env, n, s)) {
    e = s;
  } else if (n.cls == C_ZERO) {
    env.flags |= X_ZE;
    e = fp80::inf(true);
    s = zero(n.sign);
  } else if (n.cls == C_INF) {
    e = fp80::inf(false);
    s = fp80::inf(n.sign);
  } else {
    if (denormal_check(env, n)) {
      commit(c, env.flags);
      return next(c, i);
    }
    e = pack_exact(from_int(n.exp));
    s = make(n.sign, BIAS, n.sig);
  }
  commit(c, env.flags);
  if (blocked(env)) return next(c, i);
  set_st(c, 0, e);
  push(c, s);
  return next(c, i);
}

}  // namespace

void register_x87_arith(OpTables& t) {
  // D8: m32fp and ST(0),ST(i); DC: m64fp and ST(i),ST(0); DA/DE: m32int/m16int
#define TSV_X87_AR(REG, OP)                                                        \
  mem_op(t, 0xd8, REG, ARITH_M<OP, MK_F32>);                                            \
  mem_op(t, 0xdc, REG, ARITH_M<OP, MK_F64>);                                            \
  mem_op(t, 0xda, REG, ARITH_M<OP, MK_I32>);                                            \
  mem_op(t, 0xde, REG, ARITH_M<OP, MK_I16>);                                            \
  reg_op8(t, 0xd8, (uint8_t)(0xc0 + 8 * REG), ARITH_R<OP, false, false>);
  TSV_X87_AR(0, OP_ADD)
  TSV_X87_AR(1, OP_MUL)
  TSV_X87_AR(4, OP_SUB)
  TSV_X87_AR(5, OP_SUBR)
  TSV_X87_AR(6, OP_DIV)
  TSV_X87_AR(7, OP_DIVR)
#undef TSV_X87_AR
  // DC / DE register forms: ST(i) = ST(i) op ST(0); the SUB/DIV encodings are the reverse of D8's
  reg_op8(t, 0xdc, 0xc0, ARITH_R<OP_ADD, true, false>);
  reg_op8(t, 0xdc, 0xc8, ARITH_R<OP_MUL, true, false>);
  reg_op8(t, 0xdc, 0xe0, ARITH_R<OP_SUBR, true, false>);
  reg_op8(t, 0xdc, 0xe8, ARITH_R<OP_SUB, true, false>);
  reg_op8(t, 0xdc, 0xf0, ARITH_R<OP_DIVR, true, false>);
  reg_op8(t, 0xdc, 0xf8, ARITH_R<OP_DIV, true, false>);
  reg_op8(t, 0xde, 0xc0, ARITH_R<OP_ADD, true, true>);
  reg_op8(t, 0xde, 0xc8, ARITH_R<OP_MUL, true, true>);
  reg_op8(t, 0xde, 0xe0, ARITH_R<OP_SUBR, true, true>);
  reg_op8(t, 0xde, 0xe8, ARITH_R<OP_SUB, true, true>);
  reg_op8(t, 0xde, 0xf0, ARITH_R<OP_DIVR, true, true>);
  reg_op8(t, 0xde, 0xf8, ARITH_R<OP_DIV, true, true>);

  // compares
  mem_op(t, 0xd8, 2, FCOM_M<MK_F32, 0>);
  mem_op(t, 0xd8, 3, FCOM_M<MK_F32, 1>);
  mem_op(t, 0xdc, 2, FCOM_M<MK_F64, 0>);
  mem_op(t, 0xdc, 3, FCOM_M<MK_F64, 1>);
  mem_op(t, 0xda, 2, FCOM_M<MK_I32, 0>);
  mem_op(t, 0xda, 3, FCOM_M<MK_I32, 1>);
  mem_op(t, 0xde, 2, FCOM_M<MK_I16, 0>);
  mem_op(t, 0xde, 3, FCOM_M<MK_I16, 1>);
  reg_op8(t, 0xd8, 0xd0, FCOM_R<false, 0>);
  reg_op8(t, 0xd8, 0xd8, FCOM_R<false, 1>);
  reg_op8(t, 0xdc, 0xd0, FCOM_R<false, 0>);  // undocumented aliases of D8 D0/D8
  reg_op8(t, 0xdc, 0xd8, FCOM_R<false, 1>);
  reg_op8(t, 0xde, 0xd0, FCOM_R<false, 1>);
  reg_op(t, 0xde, 0xd9, FCOM_R<false, 2>);  // FCOMPP
  reg_op8(t, 0xdd, 0xe0, FCOM_R<true, 0>);  // FUCOM
  reg_op8(t, 0xdd, 0xe8, FCOM_R<true, 1>);  // FUCOMP
  reg_op(t, 0xda, 0xe9, FCOM_R<true, 2>);   // FUCOMPP
  reg_op8(t, 0xdb, 0xe8, FCOMI_R<true, false>);
  reg_op8(t, 0xdb, 0xf0, FCOMI_R<false, false>);
  reg_op8(t, 0xdf, 0xe8, FCOMI_R<true, true>);
  reg_op8(t, 0xdf, 0xf0, FCOMI_R<false, true>);
  reg_op(t, 0xd9, 0xe4, FTST);
  reg_op(t, 0xd9, 0xe5, FXAM);

  // FCMOVcc: condition codes B E BE U and their negations
  reg_op8(t, 0xda, 0xc0, FCMOV<2>);
  reg_op8(t, 0xda, 0xc8, FCMOV<4>);
  reg_op8(t, 0xda, 0xd0, FCMOV<6>);
  reg_op8(t, 0xda, 0xd8, FCMOV<10>);
  reg_op8(t, 0xdb, 0xc0, FCMOV<3>);
  reg_op8(t, 0xdb, 0xc8, FCMOV<5>);
  reg_op8(t, 0xdb, 0xd0, FCMOV<7>);
  reg_op8(t, 0xdb, 0xd8, FCMOV<11>);

  reg_op(t, 0xd9, 0xe0, SIGN_OP<false>);
  reg_op(t, 0xd9, 0xe1, SIGN_OP<true>);
  reg_op(t, 0xd9, 0xfa, UNARY<fp80::sqrt>);
  reg_op(t, 0xd9, 0xfc, UNARY<round_int>);
  reg_op(t, 0xd9, 0xfd, FSCALE);
  reg_op(t, 0xd9, 0xf8, FPREM_OP<false>);
  reg_op(t, 0xd9, 0xf5, FPREM_OP<true>);
  reg_op(t, 0xd9, 0xf4, FXTRACT);
}

}  // namespace x87
}  // namespace tsv
