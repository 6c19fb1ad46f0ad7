// Address-size-dependent access to RSI/RDI/RCX for string and I/O-string instructions.
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

inline uint64_t areg(const Cpu& c, unsigned r, unsigned as) {
  return as == 8 ? c.gpr[r] : as == 4 ? (uint32_t)c.gpr[r] : (uint16_t)c.gpr[r];
}
inline void aset(Cpu& c, unsigned r, unsigned as, uint64_t v) {
  if (as == 8) c.gpr[r] = v;
  else if (as == 4) c.gpr[r] = (uint32_t)v;
  else setr<uint16_t>(c, r, (uint16_t)v);
}

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
