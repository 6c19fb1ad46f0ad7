// The x87 opcode space (D8-DF, 9B) until the x87 files take it over: #NM when
// CR0.EM/TS say so, else #UD. SSE opcodes that no family has registered are
// #UD through the decoder (no handler in OpTables::sse).
#include "cpu/decoder.h"

namespace tsv {
namespace {

const Insn* FPU_ESC(Cpu& c, const Insn*) {
  if (c.cr0 & (CR0_EM | CR0_TS)) raise_exc(c, EXC_NM);
  raise_ud(c);
}
const Insn* FWAIT(Cpu& c, const Insn* i) {
  if ((c.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) raise_exc(c, EXC_NM);
  return next(c, i);
}

}  // namespace

void register_absent_fpu_sse(OpTables& t) {
  for (int op = 0xd8; op <= 0xdf; op++) t.one[op] = opd(D_MODRM | D_ENDS, {FPU_ESC});
  t.one[0x9b] = opd(0, {FWAIT});
}

}  // namespace tsv
