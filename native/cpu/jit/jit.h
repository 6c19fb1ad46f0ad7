// The block JIT (x86-64 hosts): hot decoded blocks get straight-line host code
// for their common integer instructions. The translation of a run of
// instructions replaces the first one's handler (same Handler signature), runs
// natively, and tail-jumps into the interpreter handler of the first
// instruction it does not translate, so chaining, counting from Cpu::cur,
// exceptions and MMIO replay stay the interpreter's. See docs/jit.md.
#pragma once
#include <cstdint>

#if defined(__x86_64__) && (defined(__linux__) || defined(__APPLE__)) && defined(__GNUC__)
#define TSV_JIT_X64 1
#else
#define TSV_JIT_X64 0
#endif

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

struct Cpu;
struct Block;
class Vm;

namespace jit {

// A block is translated once it has been entered this many times (threaded dispatch only).
constexpr uint32_t kDefaultThreshold = 64;

// The JIT's settings for a VM, from the TSVISOR_JIT environment variable when the VM is
// created: unset, "on" or "1" enable it (the default), "always" also translates every block
// at its first execution (tests use it so every guest runs translated code), "off", "0" or
// anything else disable it.
// TSVISOR_JIT_ARENA_KB sets the code arena's size (tests make it small to exercise flushes).
struct Config {
  bool enabled;
  uint32_t threshold;
  uint64_t arena_bytes;
};
Config config_from_env();

struct State;  // per VM: settings and the code arena

// Settings and totals over a VM's life (enabled is false when this host cannot translate).
struct Stats {
  bool enabled;
  uint32_t threshold;
  uint64_t blocks, runs, code_bytes, flushes;
};
Stats stats(const State* s);
State* create_state();
void destroy_state(State* s);

}  // namespace jit

// A block was just decoded: prepares it for counting (and translation) when the JIT is on.
void jit_attach(Vm& vm, Block* b);
// A block is being freed: forgets its translation's bookkeeping.
void jit_forget(Block* b);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
