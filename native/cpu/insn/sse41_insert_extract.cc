// SSE4.1 element insert/extract between XMM registers and general registers
// or memory (66 0F 3A 14-17, 20-22): PEXTRB/PEXTRW/PEXTRD/PEXTRQ, EXTRACTPS,
// PINSRB/PINSRD/PINSRQ, INSERTPS. A general-register destination gets the
// element zero-extended to 64 bits; a memory destination only the element.
// ModRM.reg is the XMM register; r/m the general register or memory.
#include "cpu/insn/sse4_lanes.h"

namespace tsv {
namespace {

// Extract element (imm8 mod element count) of type T to r/m (T-sized memory, or a whole GPR).
template <class T> const Insn* PEXTR(Cpu& c, const Insn* i) {
  sse_check(c);
  constexpr unsigned kCount = 16 / sizeof(T);
  T v;
  std::memcpy(&v, c.xmm[i->reg].b + (i->imm % kCount) * sizeof(T), sizeof(T));
  if (i->flags & INSN_MEM) wr<T>(c, i->seg, ea(c, i), v);
  else c.gpr[i->rm] = (uint64_t)v;
  return next(c, i);
}

// Insert a T-sized element from r/m (low bits of a GPR, or memory) at imm8 mod element count.
template <class T> const Insn* PINSR(Cpu& c, const Insn* i) {
  sse_check(c);
  constexpr unsigned kCount = 16 / sizeof(T);
  T v = (i->flags & INSN_MEM) ? rd<T>(c, i->seg, ea(c, i)) : (T)c.gpr[i->rm];
  std::memcpy(c.xmm[i->reg].b + (i->imm % kCount) * sizeof(T), &v, sizeof(T));
  return next(c, i);
}

// INSERTPS: a dword (register: the one imm8[7:6] selects; memory: 32 bits) goes to element
// imm8[5:4], then the elements set in imm8[3:0] are zeroed.
const Insn* INSERTPS(Cpu& c, const Insn* i) {
  sse_check(c);
  const uint8_t imm = (uint8_t)i->imm;
  uint32_t v = (i->flags & INSN_MEM) ? rd<uint32_t>(c, i->seg, ea(c, i)) : c.xmm[i->rm].d[imm >> 6];
  Xmm& d = c.xmm[i->reg];
  d.d[(imm >> 4) & 3] = v;
  for (unsigned k = 0; k < 4; k++)
    if ((imm >> k) & 1) d.d[k] = 0;
  return next(c, i);
}

}  // namespace

void register_sse41_insert_extract(OpTables& t) {
  sse_op(t, MAP_0F3A, 0x14, PFX_66, 0, PEXTR<uint8_t>);                  // PEXTRB r32/r64/m8
  sse_op(t, MAP_0F3A, 0x15, PFX_66, 0, PEXTR<uint16_t>);                 // PEXTRW r32/r64/m16
  sse_op_w(t, MAP_0F3A, 0x16, PFX_66, 0, PEXTR<uint32_t>, PEXTR<uint64_t>);  // PEXTRD / PEXTRQ (REX.W)
  sse_op(t, MAP_0F3A, 0x17, PFX_66, 0, PEXTR<uint32_t>);                 // EXTRACTPS r32/r64/m32
  sse_op(t, MAP_0F3A, 0x20, PFX_66, 0, PINSR<uint8_t>);                  // PINSRB xmm, r32/m8
  sse_op(t, MAP_0F3A, 0x21, PFX_66, 0, INSERTPS);
  sse_op_w(t, MAP_0F3A, 0x22, PFX_66, 0, PINSR<uint32_t>, PINSR<uint64_t>);  // PINSRD / PINSRQ (REX.W)
}

}  // namespace tsv
