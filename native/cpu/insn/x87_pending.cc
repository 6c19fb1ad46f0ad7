// A pending unmasked x87 exception (FSW.ES) reported by the next waiting
// x87/MMX instruction as #MF. With CR0.NE clear a PC reports it through FERR#
// as an external interrupt (IRQ 13); this machine has no FERR# line into its
// interrupt controller, so #MF is raised in both cases (docs/x87.md) rather
// than letting the error go unreported.
#include "cpu/sse.h"

namespace tsv {

void x87_pending_check(Cpu& c) {
  if (c.x87.fsw & FSW_ES) raise_exc(c, EXC_MF);
}

}  // namespace tsv
