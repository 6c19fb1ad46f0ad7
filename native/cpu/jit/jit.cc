// The JIT's life cycle: settings, the per-VM code arena, counting block entries,
// installing a block's translated runs in place of their first instructions'
// handlers, and taking them all back when the arena is full.
//
// Safety of replacing code: translated code never calls anything, it only
// tail-jumps into interpreter handlers, so no host frame ever returns into it and
// no C++ exception unwinds through it. A block's entry handler is only called by
// the run loop (chaining returns to it), so when the counting handler runs, no
// translated code is executing and the arena can be flushed.
#include "cpu/jit/jit.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>
#include "cpu/cpu.h"
#include "cpu/vm.h"
#if TSV_JIT_X64
#include <sys/mman.h>
#include "cpu/jit/translate.h"
#endif

// Internal to the addon, like the rest of the backend.
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace jit {

// Code memory of a VM: translations are appended; a full arena is emptied whole.
constexpr uint64_t kArenaBytes = 16u << 20;

Config config_from_env() {
  Config cfg{true, kDefaultThreshold, kArenaBytes};
  const char* v = std::getenv("TSVISOR_JIT");
  if (v && *v && std::strcmp(v, "on") && std::strcmp(v, "1")) {
    if (!std::strcmp(v, "always")) cfg.threshold = 0;
    else cfg.enabled = false;  // "off" or "0" (lib/hypervisor/vm.ts refuses anything else before a VM is made)
  }
  const char* a = std::getenv("TSVISOR_JIT_ARENA_KB");
  if (a && *a) {
    const unsigned long kb = std::strtoul(a, nullptr, 10);
    if (kb >= 64 && kb <= (1ul << 20)) cfg.arena_bytes = (uint64_t)kb << 10;  // 64 KiB .. 1 GiB, checked in vm.ts
  }
  return cfg;
}

#if !TSV_JIT_X64
// Hosts other than x86-64: the settings are kept (and reported), nothing is translated.
struct State {
  Config cfg;
};
State* create_state() { return new State{config_from_env()}; }

void destroy_state(State* s) { delete s; }
Stats stats(const State* s) { return Stats{false, s ? s->cfg.threshold : 0, 0, 0, 0, 0}; }
#else

bool translate_block_code(const Block* b, Handler orig0, bool long_mode, std::vector<uint8_t>& out,
                          std::vector<std::pair<unsigned, size_t>>& runs, size_t& size);

// The translations of one block: which instructions' handlers were replaced, and by what.
struct BlockCode {
  Block* block;  // nullptr once the block is freed
  std::vector<std::pair<unsigned, Handler>> replaced;  // (instruction, original handler)
};

struct State {
  Config cfg;
  uint8_t* arena = nullptr;
  size_t cap = 0, used = 0;
  bool arena_failed = false;
  std::vector<std::unique_ptr<BlockCode>> blocks;  // translations living in the arena
  std::vector<uint8_t> scratch;
  std::vector<std::pair<unsigned, size_t>> runs;
  // totals over the VM's life, printed to stderr when it is destroyed if TSVISOR_JIT_STATS is set
  uint64_t blocks_translated = 0, runs_installed = 0, code_bytes = 0, flushes = 0;
};

// Largest translation of one block (48 instructions of the longest forms plus exit stubs).
constexpr size_t kMaxBlockCode = 64u << 10;

State* create_state() {
  State* s = new State();
  s->cfg = config_from_env();
  return s;
}

static void forget_all(State& s);

void destroy_state(State* s) {
  if (!s) return;
  if (std::getenv("TSVISOR_JIT_STATS"))
    std::fprintf(stderr, "jit: %llu blocks translated, %llu runs, %llu code bytes, %llu arena flushes\n",
                 (unsigned long long)s->blocks_translated, (unsigned long long)s->runs_installed,
                 (unsigned long long)s->code_bytes, (unsigned long long)s->flushes);
  if (s->arena) munmap(s->arena, s->cap);
  delete s;
}

Stats stats(const State* s) {
  if (!s) return Stats{false, 0, 0, 0, 0, 0};
  return Stats{s->cfg.enabled && !s->arena_failed, s->cfg.threshold, s->blocks_translated, s->runs_installed,
               s->code_bytes, s->flushes};
}

static bool ensure_arena(State& s) {
  if (s.arena) return true;
  if (s.arena_failed) return false;
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#if defined(__APPLE__) && defined(MAP_JIT)
  flags |= MAP_JIT;
#endif
  void* p = mmap(nullptr, s.cfg.arena_bytes, PROT_READ | PROT_WRITE | PROT_EXEC, flags, -1, 0);
  if (p == MAP_FAILED) {
    s.arena_failed = true;  // the host forbids writable+executable memory: interpret only
    return false;
  }
  s.arena = static_cast<uint8_t*>(p);
  s.cap = s.cfg.arena_bytes;
  s.used = 0;
  return true;
}

}  // namespace jit

namespace {

Block* block_of(const Insn* first) {
  return reinterpret_cast<Block*>(reinterpret_cast<char*>(const_cast<Insn*>(first)) - offsetof(Block, insns));
}

// Installed as a block's first handler while the block is not translated yet.
const Insn* jit_count(Cpu& c, const Insn* i);

void translate(Cpu& c, jit::State& s, Block* b) {
  b->insns[0].fn = b->jit_orig0;  // from now on the block is either translated or left alone
  if (!jit::ensure_arena(s)) return;
  if (s.scratch.size() < jit::kMaxBlockCode) s.scratch.resize(jit::kMaxBlockCode);
  const bool long_mode = (b->key >> 56) == 8;
  size_t size = 0;
  if (!jit::translate_block_code(b, b->jit_orig0, long_mode, s.scratch, s.runs, size) || s.runs.empty()) return;
  if (s.used + size > s.cap) {
    jit::forget_all(s);
    if (size > s.cap) return;
  }
  uint8_t* dst = s.arena + s.used;
  std::memcpy(dst, s.scratch.data(), size);
  s.used += (size + 15) & ~(size_t)15;
  auto code = std::make_unique<jit::BlockCode>();
  code->block = b;
  for (auto& r : s.runs) {
    const unsigned k = r.first;
    code->replaced.push_back({k, k == 0 ? b->jit_orig0 : b->insns[k].fn});
    b->insns[k].fn = reinterpret_cast<Handler>(dst + r.second);
  }
  b->jit = code.get();
  s.blocks.push_back(std::move(code));
  s.blocks_translated++;
  s.runs_installed += s.runs.size();
  s.code_bytes += size;
  (void)c;
}

const Insn* jit_count(Cpu& c, const Insn* i) {
  Block* b = block_of(i);
  jit::State* s = c.vm->jit_state();
  if (++b->heat > s->cfg.threshold) {
    translate(c, *s, b);
    return i->fn(c, i);
  }
  return b->jit_orig0(c, i);
}

}  // namespace

namespace jit {

// Takes every translation back: the replaced handlers are restored and the blocks count again.
static void forget_all(State& s) {
  for (auto& code : s.blocks) {
    Block* b = code->block;
    if (!b) continue;
    b->jit = nullptr;
    if (!b->valid) continue;  // invalidated: every handler already ends the block
    for (auto& r : code->replaced) b->insns[r.first].fn = r.second;
    b->heat = 0;
    b->insns[0].fn = jit_count;
  }
  s.blocks.clear();
  s.used = 0;
  s.flushes++;
}

}  // namespace jit

#endif  // TSV_JIT_X64

void jit_attach(Vm& vm, Block* b) {
  b->heat = 0;
  b->jit = nullptr;
  b->jit_orig0 = b->insns[0].fn;
#if TSV_JIT_X64
  jit::State* s = vm.jit_state();
  if (!s || !s->cfg.enabled || s->arena_failed || b->no_chain_in) return;
  b->insns[0].fn = jit_count;
#else
  (void)vm;
#endif
}

void jit_forget(Block* b) {
#if TSV_JIT_X64
  if (b->jit) static_cast<jit::BlockCode*>(b->jit)->block = nullptr;
#endif
  b->jit = nullptr;
}

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
