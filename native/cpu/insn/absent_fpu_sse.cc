// The x87 and SSE opcode space while this backend has no FPU: #NM when
// CR0.EM/TS say so, else #UD. Also group 15 (0F AE), whose CLFLUSH and fences
// work without an FPU.
#include "cpu/decoder.h"

namespace tsv {
namespace {

// ---- x87 / SSE: no FPU in this backend
const Insn* FPU_ESC(Cpu& c, const Insn*) {
  if (c.cr0 & (CR0_EM | CR0_TS)) raise_exc(c, EXC_NM);
  raise_ud(c);
}
const Insn* FWAIT(Cpu& c, const Insn* i) {
  if ((c.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) raise_exc(c, EXC_NM);
  return next(c, i);
}
const Insn* SSE_OP(Cpu& c, const Insn*) {
  if (c.cr0 & CR0_TS) raise_exc(c, EXC_NM);
  raise_ud(c);
}
// 0F AE: CLFLUSH m8 (no cache to flush) and the fences (ordering is trivially kept)
const Insn* GRP15(Cpu& c, const Insn* i) {
  if (i->flags & INSN_MEM) {
    if (i->ext == 7) {
      (void)rd<uint8_t>(c, i->seg, ea(c, i));  // faults like a byte load
      return next(c, i);
    }
    return SSE_OP(c, i);  // FXSAVE/FXRSTOR/LDMXCSR/STMXCSR/XSAVE...
  }
  if (i->ext >= 5) return next(c, i);  // LFENCE / MFENCE / SFENCE
  raise_ud(c);
}


}  // namespace

void register_absent_fpu_sse(OpTables& t) {
  for (int op = 0xd8; op <= 0xdf; op++) t.one[op] = opd(D_MODRM | D_ENDS, {FPU_ESC});
  t.one[0x9b] = opd(0, {FWAIT});
  t.two[0xae] = opd(D_MODRM, {GRP15});
  for (int op : {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f})
    t.two[op] = opd(D_MODRM | D_ENDS, {SSE_OP});
  for (int op = 0x50; op <= 0x7f; op++) t.two[op] = opd(D_MODRM | D_ENDS, {SSE_OP});
  for (int op = 0xc2; op <= 0xc6; op++) t.two[op] = opd(D_MODRM | D_ENDS, {SSE_OP});
  for (int op = 0xd0; op <= 0xfe; op++) t.two[op] = opd(D_MODRM | D_ENDS, {SSE_OP});
  t.two[0x77] = opd(D_ENDS, {SSE_OP});
}

}  // namespace tsv
