// BMI1 and BMI2 (VEX-encoded general-purpose instructions: ANDN, BEXTR, BLSI,
// BLSMSK, BLSR, BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX), TZCNT (F3 0F BC)
// and ADX (ADCX, ADOX). Operands follow the SDM's notation: Gy = ModRM.reg,
// By = VEX.vvvv, Ey = ModRM.r/m, y = 32 or 64 bits (VEX.W / REX.W in 64-bit mode).
#include "cpu/decoder.h"
#include "cpu/bits.h"

namespace tsv {
namespace {

template <class T> constexpr unsigned kBits = sizeof(T) * 8;

// SF/ZF/PF of a result; the caller adds CF (and OF stays 0 for every BMI instruction)
template <class T> uint32_t szp(T r) {
  return (r == 0 ? F_ZF : 0) | ((r >> (kBits<T> - 1)) & 1 ? F_SF : 0) | parity_flag((uint8_t)r);
}

template <class T> const Insn* ANDN_GyByEy(Cpu& c, const Insn* i) {
  T r = (T)(~getr<T>(c, i->vreg) & rd_rm<T>(c, i));
  setr<T>(c, i->reg, r);
  set_arith_flags(c, szp<T>(r));
  return next(c, i);
}
// BEXTR: bits [start, start+len) of Ey, start = By[7:0], len = By[15:8]
template <class T> const Insn* BEXTR_GyEyBy(Cpu& c, const Insn* i) {
  T src = rd_rm<T>(c, i);
  T ctl = getr<T>(c, i->vreg);
  unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
  T r = 0;
  if (start < kBits<T>) {
    r = (T)(src >> start);
    if (len < kBits<T>) r &= (T)(((T)1 << len) - 1);
  }
  setr<T>(c, i->reg, r);
  set_arith_flags(c, r == 0 ? F_ZF : 0);
  return next(c, i);
}
// group 17 (VEX 0F 38 F3): /1 BLSR, /2 BLSMSK, /3 BLSI; the destination is By
template <class T> const Insn* BLSR_ByEy(Cpu& c, const Insn* i) {
  T s = rd_rm<T>(c, i);
  T r = (T)(s & (s - 1));
  setr<T>(c, i->vreg, r);
  set_arith_flags(c, szp<T>(r) | (s == 0 ? F_CF : 0));
  return next(c, i);
}
template <class T> const Insn* BLSMSK_ByEy(Cpu& c, const Insn* i) {
  T s = rd_rm<T>(c, i);
  T r = (T)(s ^ (s - 1));
  setr<T>(c, i->vreg, r);
  set_arith_flags(c, (szp<T>(r) & ~F_ZF) | (s == 0 ? F_CF : 0));
  return next(c, i);
}
template <class T> const Insn* BLSI_ByEy(Cpu& c, const Insn* i) {
  T s = rd_rm<T>(c, i);
  T r = (T)(s & (T)(0 - s));
  setr<T>(c, i->vreg, r);
  set_arith_flags(c, szp<T>(r) | (s != 0 ? F_CF : 0));
  return next(c, i);
}
template <class T> const Insn* GRP17(Cpu& c, const Insn* i) {
  switch (i->ext) {
    case 1: return BLSR_ByEy<T>(c, i);
    case 2: return BLSMSK_ByEy<T>(c, i);
    case 3: return BLSI_ByEy<T>(c, i);
    default: raise_ud(c);
  }
}
// BZHI: Ey with the bits from index By[7:0] up cleared; CF when the index is past the operand
template <class T> const Insn* BZHI_GyEyBy(Cpu& c, const Insn* i) {
  T src = rd_rm<T>(c, i);
  unsigned n = getr<T>(c, i->vreg) & 0xff;
  T r = n < kBits<T> ? (T)(src & (((T)1 << n) - 1)) : src;
  setr<T>(c, i->reg, r);
  set_arith_flags(c, szp<T>(r) | (n > kBits<T> - 1 ? F_CF : 0));
  return next(c, i);
}
// MULX: unsigned rDX * Ey, high half to Gy, low half to By (high wins when they are the same register)
template <class T> const Insn* MULX_GyByEy(Cpu& c, const Insn* i) {
  T b = rd_rm<T>(c, i);
  T a = getr<T>(c, 2);
  T lo, hi;
  if constexpr (sizeof(T) == 4) {
    uint64_t p = (uint64_t)a * b;
    lo = (T)p;
    hi = (T)(p >> 32);
  } else {
    U128 p = mul_u64(a, b);
    lo = p.lo;
    hi = p.hi;
  }
  setr<T>(c, i->vreg, lo);
  setr<T>(c, i->reg, hi);
  return next(c, i);
}
// PDEP: scatter the low bits of By to the set bit positions of the mask Ey
template <class T> const Insn* PDEP_GyByEy(Cpu& c, const Insn* i) {
  T mask = rd_rm<T>(c, i), src = getr<T>(c, i->vreg), r = 0;
  for (T m = mask, k = 1; m; m &= (T)(m - 1), k = (T)(k << 1))
    if (src & k) r |= (T)(m & (T)(0 - m));
  setr<T>(c, i->reg, r);
  return next(c, i);
}
// PEXT: gather the bits of By at the set positions of the mask Ey into the low bits
template <class T> const Insn* PEXT_GyByEy(Cpu& c, const Insn* i) {
  T mask = rd_rm<T>(c, i), src = getr<T>(c, i->vreg), r = 0;
  for (T m = mask, k = 1; m; m &= (T)(m - 1), k = (T)(k << 1))
    if (src & m & (T)(0 - m)) r |= k;
  setr<T>(c, i->reg, r);
  return next(c, i);
}
template <class T> const Insn* RORX_GyEyIb(Cpu& c, const Insn* i) {
  T v = rd_rm<T>(c, i);
  unsigned n = (unsigned)i->imm & (kBits<T> - 1);
  setr<T>(c, i->reg, n ? (T)((v >> n) | (v << (kBits<T> - n))) : v);
  return next(c, i);
}
enum { SX_SAR, SX_SHL, SX_SHR };
template <class T, int OP> const Insn* SHIFTX_GyEyBy(Cpu& c, const Insn* i) {
  T v = rd_rm<T>(c, i);
  unsigned n = getr<T>(c, i->vreg) & (kBits<T> - 1);
  T r;
  if (OP == SX_SHL) r = (T)(v << n);
  else if (OP == SX_SHR) r = (T)(v >> n);
  else r = (T)((std::make_signed_t<T>)v >> n);
  setr<T>(c, i->reg, r);
  return next(c, i);
}
// BEXTR (no prefix), SHLX (66), SARX (F3), SHRX (F2) share VEX 0F 38 F7
template <class T> const Insn* VEX_F7(Cpu& c, const Insn* i) {
  switch (i->pfx) {
    case 0: return BEXTR_GyEyBy<T>(c, i);
    case 1: return SHIFTX_GyEyBy<T, SX_SHL>(c, i);
    case 2: return SHIFTX_GyEyBy<T, SX_SAR>(c, i);
    default: return SHIFTX_GyEyBy<T, SX_SHR>(c, i);
  }
}

// ADCX (66 0F 38 F6): add with carry through CF only; ADOX (F3): through OF only
template <class T, bool OVERFLOW_FLAG> const Insn* ADXX_GyEy(Cpu& c, const Insn* i) {
  uint32_t f = c.arith_flags();
  const uint32_t flag = OVERFLOW_FLAG ? F_OF : F_CF;
  T a = getr<T>(c, i->reg), b = rd_rm<T>(c, i);
  unsigned in = (f & flag) ? 1 : 0;
  T r = (T)(a + b + in);
  bool out = in ? r <= a : r < a;
  setr<T>(c, i->reg, r);
  set_arith_flags(c, (f & ~flag) | (out ? flag : 0));
  return next(c, i);
}

}  // namespace

void register_bmi(OpTables& t) {
  auto gy = [](Handler h32, Handler h64) {
    OpDesc d{};
    d.attr = D_MODRM | D_VALID;
    d.h[0] = d.h[1] = h32;  // VEX ignores 66; 16-bit code still uses 32-bit operands
    d.h[2] = h64;
    return d;
  };
#define TSV_GY(fn) gy(fn<uint32_t>, fn<uint64_t>)
  t.vex[1][0xf2][0] = TSV_GY(ANDN_GyByEy);
  t.vex[1][0xf3][0] = TSV_GY(GRP17);
  t.vex[1][0xf5][0] = TSV_GY(BZHI_GyEyBy);
  t.vex[1][0xf5][2] = TSV_GY(PEXT_GyByEy);
  t.vex[1][0xf5][3] = TSV_GY(PDEP_GyByEy);
  t.vex[1][0xf6][3] = TSV_GY(MULX_GyByEy);
  for (int p = 0; p < 4; p++) t.vex[1][0xf7][p] = TSV_GY(VEX_F7);
  t.vex[2][0xf0][3] = TSV_GY(RORX_GyEyIb);
  OpDesc adcx = gy(ADXX_GyEy<uint32_t, false>, ADXX_GyEy<uint64_t, false>);
  OpDesc adox = gy(ADXX_GyEy<uint32_t, true>, ADXX_GyEy<uint64_t, true>);
  t.sse[1][0xf6][1] = adcx;
  t.sse[1][0xf6][2] = adox;
#undef TSV_GY
}

}  // namespace tsv
