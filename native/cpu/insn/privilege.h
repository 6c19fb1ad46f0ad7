// Privilege and mode checks shared by the system-instruction families.
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

inline void need_cpl0(Cpu& c) {
  if (c.cpl != 0) raise_gp(c, 0);
}
// instructions that do not exist in real and virtual-8086 mode
inline void need_prot(Cpu& c) {
  if (c.mode == MODE_REAL || c.mode == MODE_V86) raise_ud(c);
}

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
