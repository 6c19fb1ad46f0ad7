// The interp run loop (exec.cc) and helpers the instruction files share with it.
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

// Runs the vCPU until an exit; returns the TSV_EXIT_* reason (also in the buffer).
int run(Cpu& c);
uint64_t host_monotonic_ns();
// REP INS: copies the data TypeScript supplied into guest memory (insn/io.cc).
void complete_ins(Cpu& c);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
