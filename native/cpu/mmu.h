// Page-table walk and TLB fill (mmu.cc).
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

struct WalkResult {
  uint64_t phys;
  bool global, large, writable, user;
};

// Walks the page tables for one access; false with a #PF error code on failure.
bool walk(Cpu& c, uint64_t lin, int acc, bool user, bool set_ad, WalkResult& out, uint32_t& err);
// Translates (raising #PF / #GP for non-canonical addresses) and fills the TLB for RAM pages.
uint64_t translate(Cpu& c, uint64_t lin, int acc, bool user, int seg = -1);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
