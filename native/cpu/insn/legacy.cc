// Legacy one-byte instructions that 64-bit mode dropped: the BCD adjustments
// (DAA/DAS/AAA/AAS/AAM/AAD) and BOUND.
#include "cpu/decoder.h"

namespace tsv {
namespace {

const Insn* DAA_DAS(Cpu& c, const Insn* i) {
  bool das = i->op == 0x2f;
  uint32_t f = c.arith_flags();
  uint8_t al = (uint8_t)c.gpr[0], old = al;
  bool cf = f & F_CF, af = f & F_AF;
  bool ncf = false;
  if ((al & 0xf) > 9 || af) {
    al = das ? al - 6 : al + 6;
    ncf = cf || (das ? old < 6 : old > 0xf9);
    af = true;
  } else {
    af = false;
  }
  if (old > 0x99 || cf) {
    al = das ? al - 0x60 : al + 0x60;
    ncf = true;
  }
  setr<uint8_t>(c, 0, al);
  uint32_t nf = parity_flag(al) | (al == 0 ? F_ZF : 0) | ((al & 0x80) ? F_SF : 0) | (ncf ? F_CF : 0) | (af ? F_AF : 0);
  set_arith_flags(c, nf);
  return next(c, i);
}
const Insn* AAA_AAS(Cpu& c, const Insn* i) {
  bool aas = i->op == 0x3f;
  uint32_t f = c.arith_flags();
  uint16_t ax = (uint16_t)c.gpr[0];
  bool adj = ((ax & 0xf) > 9) || (f & F_AF);
  if (adj) {
    if (aas) {
      ax = (uint16_t)(ax - 6);
      ax = (uint16_t)((((ax >> 8) - 1) << 8) | (ax & 0xff));
    } else {
      ax = (uint16_t)(ax + 0x106);
    }
  }
  ax &= 0xff0f;
  setr<uint16_t>(c, 0, ax);
  set_arith_flags(c, (f & ~(F_CF | F_AF)) | (adj ? (F_CF | F_AF) : 0));
  return next(c, i);
}
const Insn* AAM(Cpu& c, const Insn* i) {
  uint8_t base = (uint8_t)i->imm;
  if (base == 0) raise_exc(c, EXC_DE);
  uint8_t al = (uint8_t)c.gpr[0];
  uint8_t r = al % base;
  setr<uint16_t>(c, 0, (uint16_t)(((al / base) << 8) | r));
  set_arith_flags(c, parity_flag(r) | (r == 0 ? F_ZF : 0) | ((r & 0x80) ? F_SF : 0));
  return next(c, i);
}
const Insn* AAD(Cpu& c, const Insn* i) {
  uint16_t ax = (uint16_t)c.gpr[0];
  uint8_t r = (uint8_t)((ax & 0xff) + (ax >> 8) * (uint8_t)i->imm);
  setr<uint16_t>(c, 0, r);
  set_arith_flags(c, parity_flag(r) | (r == 0 ? F_ZF : 0) | ((r & 0x80) ? F_SF : 0));
  return next(c, i);
}
template <class T> const Insn* BOUND_GvMa(Cpu& c, const Insn* i) {
  using S = std::make_signed_t<T>;
  uint64_t off = ea(c, i);
  S lo = (S)rd<T>(c, i->seg, off), hi = (S)rd<T>(c, i->seg, off + sizeof(T));
  S v = (S)getr<T>(c, i->reg);
  if (v < lo || v > hi) raise_exc(c, EXC_BR);
  return next(c, i);
}

}  // namespace

void register_legacy(OpTables& t) {
  t.one[0x27] = opd(D_INV64, {DAA_DAS});
  t.one[0x2f] = opd(D_INV64, {DAA_DAS});
  t.one[0x37] = opd(D_INV64, {AAA_AAS});
  t.one[0x3f] = opd(D_INV64, {AAA_AAS});
  t.one[0xd4] = opd(D_INV64 | D_IMM8U, {AAM});
  t.one[0xd5] = opd(D_INV64 | D_IMM8U, {AAD});
  t.one[0x62] = opd(D_MODRM | D_MEMONLY | D_INV64, {BOUND_GvMa<uint16_t>, BOUND_GvMa<uint32_t>, nullptr});
}

}  // namespace tsv
