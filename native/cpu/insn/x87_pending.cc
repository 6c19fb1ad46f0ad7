// A pending unmasked x87 exception (FSW.ES) reported by the next waiting
// x87/MMX instruction: #MF when CR0.NE selects native error reporting. With
// CR0.NE clear the PC reports it through FERR# as an external interrupt (IRQ 13);
// this machine has no FERR# line, so the instruction proceeds.
#include "cpu/sse.h"

namespace tsv {

void x87_pending_check(Cpu& c) {
  if ((c.x87.fsw & FSW_ES) && (c.cr0 & CR0_NE)) raise_exc(c, EXC_MF);
}

}  // namespace tsv
