// The x87 opcode space: D8-DF dispatch through OpTables::x87 by ModRM (the
// decoder picks the handler; D_X87), and 9B (FWAIT). Encodings no family
// registers are reserved: #NM when CR0.EM/TS say so, else #UD.
#include "cpu/insn/x87.h"

namespace tsv {
namespace x87 {
namespace {

const Insn* X87_RESERVED(Cpu& c, const Insn*) {
  x87_check(c);
  raise_ud(c);
}

}  // namespace
}  // namespace x87

void register_x87(OpTables& t) {
  for (int op = 0xd8; op <= 0xdf; op++) {
    t.one[op] = opd(D_MODRM | D_X87, {x87::X87_RESERVED});
    for (auto& d : t.x87[op - 0xd8]) d = opd(D_MODRM, {x87::X87_RESERVED});
  }
  t.one[0x9b] = opd(0, {x87::FWAIT});
  x87::register_x87_arith(t);
  x87::register_x87_move(t);
  x87::register_x87_control(t);
  x87::register_x87_trans(t);
}

}  // namespace tsv
