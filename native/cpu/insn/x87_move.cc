// x87 data movement: FLD/FILD/FBLD and the constants (pushes), FST/FSTP/FIST/
// FISTP/FISTTP/FBSTP (stores with their conversions), FXCH, FFREE(P),
// FINCSTP/FDECSTP, FNOP.
#include "cpu/insn/x87.h"
#include "cpu/insn/x87_mem.h"

namespace tsv {
namespace x87 {
namespace {

using namespace fp80;

// A push needs ST(7) empty; on overflow the masked response pushes the indefinite.
TSV_INLINE bool push_ok(Cpu& c) {
  if (TSV_LIKELY(empty(c, 7))) return true;
  if (stack_fault(c, SW_OVERFLOW)) push(c, INDEFINITE);
  return false;
}

// ---------------------------------------------------------------- loads
template <unsigned MK> const Insn* FLD_M(Cpu& c, const Insn* i) {
  uint64_t off = begin_mem(c, i);
  Num n = read_num<MK>(c, i, off);
  if (!push_ok(c)) return next(c, i);
  Env env = env_of(c);
  Fp80 v;
  if constexpr (MK == MK_F32 || MK == MK_F64) {
    if (!nan_result1(env, n, v)) {  // SNaN sources are quieted with IE
      denormal_check(env, n);      // and denormal ones raise DE; the conversion is exact
      v = pack_exact(n);
    }
  } else {
    v = pack_exact(n);
  }
  commit(c, env.flags);
  // an unmasked DE still loads the value (the host CPU does); an unmasked IE does not
  if (!env.unmasked(X_IE)) push(c, v);
  return next(c, i);
}
const Insn* FLD_M80(Cpu& c, const Insn* i) {
  uint64_t off = begin_mem(c, i);
  Fp80 v = rd_m80(c, i->seg, off);
  if (!push_ok(c)) return next(c, i);
  commit(c, 0);
  push(c, v);
  return next(c, i);
}
const Insn* FLD_R(Cpu& c, const Insn* i) {
  begin(c, i);
  const unsigned k = sti(i);
  if (empty(c, k)) {
    if (stack_fault(c, SW_UNDERFLOW)) push(c, INDEFINITE);
    return next(c, i);
  }
  Fp80 v = st(c, k);
  if (!push_ok(c)) return next(c, i);
  commit(c, 0);
  push(c, v);
  return next(c, i);
}

// Constants: the true value to 128 bits, rounded by RC to 64 (precision control
// does not apply, and no precision exception is raised).
struct Const {
  int32_t exp;
  uint64_t hi, lo;
};
constexpr Const kL2T{1, 0xd49a784bcd1b8afeull, 0x492bf6ff4dafdb4cull};
constexpr Const kL2E{0, 0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e88ull};
constexpr Const kPI{1, 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull};
constexpr Const kLG2{-2, 0x9a209a84fbcff798ull, 0x8f8959ac0b7c9178ull};
constexpr Const kLN2{-1, 0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull};
constexpr Const kONE{0, 1ull << 63, 0};

template <const Const& K> const Insn* FLD_CONST(Cpu& c, const Insn* i) {
  begin(c, i);
  if (!push_ok(c)) return next(c, i);
  Env env = env_of(c);
  env.prec = 64;
  env.masks = 0x3f;
  Fp80 v = round_pack(env, false, K.exp, K.hi, K.lo);
  commit(c, 0);
  push(c, v);
  return next(c, i);
}
const Insn* FLDZ(Cpu& c, const Insn* i) {
  begin(c, i);
  if (!push_ok(c)) return next(c, i);
  commit(c, 0);
  push(c, zero(false));
  return next(c, i);
}

// BCD: 18 digits in bytes 0..8 (two per byte, low digit in the low nibble), sign in byte 9 bit 7
const Insn* FBLD(Cpu& c, const Insn* i) {
  uint64_t off = begin_mem(c, i);
  Fp80 raw = rd_m80(c, i->seg, off);
  if (!push_ok(c)) return next(c, i);
  uint64_t v = 0;
  for (int k = 8; k >= 0; k--) {
    unsigned b = (k == 8) ? (unsigned)(raw.se & 0xff) : (unsigned)((raw.mant >> (8 * k)) & 0xff);
    v = v * 100 + (b >> 4) * 10 + (b & 15);
  }
  Num n = from_int((int64_t)v);
  n.sign = (raw.se >> 15) != 0;
  commit(c, 0);
  push(c, n.cls == C_ZERO ? zero(n.sign) : pack_exact(n));
  return next(c, i);
}

// ---------------------------------------------------------------- stores
// Stores ST(0) converted by CONV; with POP the register is popped once stored.
template <unsigned MK, bool POP, bool TRUNC = false> const Insn* FST_M(Cpu& c, const Insn* i) {
  uint64_t off = begin_mem(c, i);
  Env env = env_of(c);
  Num n;
  if (empty(c, 0)) {
    if (!stack_fault(c, SW_UNDERFLOW)) return next(c, i);
    n = unpack(INDEFINITE);
    env.masks = 0x3f;
  } else {
    n = unpack(st(c, 0));
  }
  bool underflowed = empty(c, 0);
  if constexpr (MK == MK_F32) {
    uint32_t v = to_f32(env, n);
    if (env.unmasked(X_IE | X_OE | X_UE)) return commit(c, env.flags), next(c, i);
    wr<uint32_t>(c, i->seg, off, v);
  } else if constexpr (MK == MK_F64) {
    uint64_t v = to_f64(env, n);
    if (env.unmasked(X_IE | X_OE | X_UE)) return commit(c, env.flags), next(c, i);
    wr<uint64_t>(c, i->seg, off, v);
  } else if constexpr (MK == MK_I16) {
    int64_t v = to_int(env, n, 16, TRUNC);
    if (env.unmasked(X_IE)) return commit(c, env.flags), next(c, i);
    wr<uint16_t>(c, i->seg, off, (uint16_t)v);
  } else if constexpr (MK == MK_I32) {
    int64_t v = to_int(env, n, 32, TRUNC);
    if (env.unmasked(X_IE)) return commit(c, env.flags), next(c, i);
    wr<uint32_t>(c, i->seg, off, (uint32_t)v);
  } else {
    int64_t v = to_int(env, n, 64, TRUNC);
    if (env.unmasked(X_IE)) return commit(c, env.flags), next(c, i);
    wr<uint64_t>(c, i->seg, off, (uint64_t)v);
  }
  if (underflowed) env.flags &= (uint16_t)~(X_IE | X_C1);  // the fault was reported already
  else commit(c, env.flags);
  if (POP) pop(c);
  return next(c, i);
}
const Insn* FSTP_M80(Cpu& c, const Insn* i) {
  uint64_t off = begin_mem(c, i);
  if (empty(c, 0)) {
    if (!stack_fault(c, SW_UNDERFLOW)) return next(c, i);
    wr_m80(c, i->seg, off, INDEFINITE);
  } else {
    wr_m80(c, i->seg, off, st(c, 0));
    commit(c, 0);
  }
  pop(c);
  return next(c, i);
}
// FBSTP: ST(0) rounded by RC to an integer of at most 18 decimal digits
const Insn* FBSTP(Cpu& c, const Insn* i) {
  uint64_t off = begin_mem(c, i);
  constexpr Fp80 kBcdIndefinite{0xc000000000000000ull, 0xffff};
  Env env = env_of(c);
  Fp80 out = kBcdIndefinite;
  if (empty(c, 0)) {
    if (!stack_fault(c, SW_UNDERFLOW)) return next(c, i);
  } else {
    Num n = unpack(st(c, 0));
    int64_t v = to_int(env, n, 64, false);
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (!(env.flags & X_IE) && m > 999999999999999999ull) {
      env.flags = (uint16_t)((env.flags & ~(X_PE | X_C1)) | X_IE);
    }
    if (env.unmasked(X_IE)) return commit(c, env.flags), next(c, i);
    if (!(env.flags & X_IE)) {
      out.mant = 0;
      for (int k = 0; k < 16; k++, m /= 10) out.mant |= (m % 10) << (4 * k);
      out.se = (uint16_t)((m % 10) | ((m / 10) % 10) << 4 | (n.sign ? 0x8000 : 0));
    }
    commit(c, env.flags);
  }
  wr_m80(c, i->seg, off, out);
  pop(c);
  return next(c, i);
}
// FST/FSTP ST(i): a copy of the register, no conversion
template <bool POP> const Insn* FST_R(Cpu& c, const Insn* i) {
  begin(c, i);
  const unsigned k = sti(i);
  if (empty(c, 0)) {
    if (!stack_fault(c, SW_UNDERFLOW)) return next(c, i);
    set_st(c, k, INDEFINITE);
  } else {
    set_st(c, k, st(c, 0));
    commit(c, 0);
  }
  if (POP) pop(c);
  return next(c, i);
}

// ---------------------------------------------------------------- stack management
const Insn* FXCH(Cpu& c, const Insn* i) {
  begin(c, i);
  const unsigned k = sti(i);
  if (empty(c, 0) || empty(c, k)) {
    if (!stack_fault(c, SW_UNDERFLOW)) return next(c, i);
    if (empty(c, 0)) set_st(c, 0, INDEFINITE);  // masked: empty registers take the indefinite
    if (empty(c, k)) set_st(c, k, INDEFINITE);
  } else {
    commit(c, 0);
  }
  unsigned a = phys(c, 0), b = phys(c, k);
  std::swap(c.x87.r[a], c.x87.r[b]);
  unsigned ta = c.x87.tag(a), tb = c.x87.tag(b);
  c.x87.set_tag(a, tb);
  c.x87.set_tag(b, ta);
  return next(c, i);
}
template <bool POP> const Insn* FFREE(Cpu& c, const Insn* i) {
  begin(c, i);
  c.x87.set_tag(phys(c, sti(i)), FTAG_EMPTY);
  c.x87.fsw &= (uint16_t)~FSW_C1;  // as the host CPU does (the SDM leaves C0-C3 undefined)
  if (POP) pop(c);
  return next(c, i);
}
template <int D> const Insn* FSTP_MOVE(Cpu& c, const Insn* i) {  // FINCSTP (+1) / FDECSTP (-1)
  begin(c, i);
  c.x87.top = (uint8_t)((c.x87.top + D) & 7);
  c.x87.fsw &= (uint16_t)~FSW_C1;
  return next(c, i);
}
const Insn* FNOP(Cpu& c, const Insn* i) {
  begin(c, i);
  return next(c, i);
}

}  // namespace

void register_x87_move(OpTables& t) {
  mem_op(t, 0xd9, 0, FLD_M<MK_F32>);
  mem_op(t, 0xdd, 0, FLD_M<MK_F64>);
  mem_op(t, 0xdb, 5, FLD_M80);
  mem_op(t, 0xdf, 0, FLD_M<MK_I16>);
  mem_op(t, 0xdb, 0, FLD_M<MK_I32>);
  mem_op(t, 0xdf, 5, FLD_M<MK_I64>);
  mem_op(t, 0xdf, 4, FBLD);
  reg_op8(t, 0xd9, 0xc0, FLD_R);
  reg_op(t, 0xd9, 0xe8, FLD_CONST<kONE>);
  reg_op(t, 0xd9, 0xe9, FLD_CONST<kL2T>);
  reg_op(t, 0xd9, 0xea, FLD_CONST<kL2E>);
  reg_op(t, 0xd9, 0xeb, FLD_CONST<kPI>);
  reg_op(t, 0xd9, 0xec, FLD_CONST<kLG2>);
  reg_op(t, 0xd9, 0xed, FLD_CONST<kLN2>);
  reg_op(t, 0xd9, 0xee, FLDZ);

  mem_op(t, 0xd9, 2, FST_M<MK_F32, false>);
  mem_op(t, 0xd9, 3, FST_M<MK_F32, true>);
  mem_op(t, 0xdd, 2, FST_M<MK_F64, false>);
  mem_op(t, 0xdd, 3, FST_M<MK_F64, true>);
  mem_op(t, 0xdb, 7, FSTP_M80);
  mem_op(t, 0xdf, 2, FST_M<MK_I16, false>);
  mem_op(t, 0xdf, 3, FST_M<MK_I16, true>);
  mem_op(t, 0xdb, 2, FST_M<MK_I32, false>);
  mem_op(t, 0xdb, 3, FST_M<MK_I32, true>);
  mem_op(t, 0xdf, 7, FST_M<MK_I64, true>);
  mem_op(t, 0xdf, 1, FST_M<MK_I16, true, true>);  // FISTTP
  mem_op(t, 0xdb, 1, FST_M<MK_I32, true, true>);
  mem_op(t, 0xdd, 1, FST_M<MK_I64, true, true>);
  mem_op(t, 0xdf, 6, FBSTP);
  reg_op8(t, 0xdd, 0xd0, FST_R<false>);
  reg_op8(t, 0xdd, 0xd8, FST_R<true>);
  reg_op8(t, 0xd9, 0xd8, FST_R<true>);  // undocumented aliases of FSTP ST(i)
  reg_op8(t, 0xdf, 0xd0, FST_R<true>);
  reg_op8(t, 0xdf, 0xd8, FST_R<true>);

  reg_op8(t, 0xd9, 0xc8, FXCH);
  reg_op8(t, 0xdd, 0xc8, FXCH);  // aliases
  reg_op8(t, 0xdf, 0xc8, FXCH);
  reg_op8(t, 0xdd, 0xc0, FFREE<false>);
  reg_op8(t, 0xdf, 0xc0, FFREE<true>);  // FFREEP
  reg_op(t, 0xd9, 0xf7, FSTP_MOVE<1>);
  reg_op(t, 0xd9, 0xf6, FSTP_MOVE<-1>);
  reg_op(t, 0xd9, 0xd0, FNOP);
}

}  // namespace x87
}  // namespace tsv
