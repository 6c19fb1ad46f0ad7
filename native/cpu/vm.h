// The interp backend's VM: guest-physical memory map, CPUID table, MSR exit
// ranges, the decoded-block cache shared by all vCPUs (keyed by guest-physical
// address, so self-modifying-code invalidation is per physical page).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>
#include "cpu/cpu.h"
#include "cpu/features.h"
#include "cpu/jit/jit.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

struct MemRegion {
  uint32_t slot;
  uint64_t gpa, size;
  uint8_t* host;
  uint32_t flags;
};

struct CpuidEntry {
  uint32_t function, index, flags, eax, ebx, ecx, edx;
};

class Vm {
 public:
  explicit Vm(uint8_t* vm_state);
  ~Vm();

  // memory map; throws std::invalid_argument / std::range_error on bad input
  void set_region(uint32_t slot, uint64_t gpa, uint64_t size, uint8_t* host, uint32_t flags);
  // host pointer of a guest-physical byte, or nullptr (MMIO); writable=false for read-only regions
  uint8_t* phys_ptr(uint64_t gpa, bool& writable) const {
    for (const MemRegion& r : regions_) {
      if (gpa - r.gpa < r.size) {
        writable = !(r.flags & TSV_MEM_READONLY);
        return r.host + (gpa - r.gpa);
      }
    }
    return nullptr;
  }

  void clear_regions() {
    std::vector<uint32_t> slots;
    for (const MemRegion& r : regions_) slots.push_back(r.slot);
    for (uint32_t s : slots) set_region(s, 0, 0, nullptr, 0);
  }
  void set_cpuid(const uint32_t* words, size_t count);
  void cpuid(uint32_t fn, uint32_t idx, uint32_t out[4]) const;
  bool cpuid_leaf1_eax(uint32_t& eax) const;
  // the advertised features (decoded by set_cpuid)
  const CpuFeatures& features() const { return features_; }
  void set_msr_exit_ranges(const uint32_t* pairs, size_t count);
  bool msr_exits(uint32_t idx) const {
    for (size_t k = 0; k + 1 < msr_ranges_.size(); k += 2)
      if (idx >= msr_ranges_[k] && idx <= msr_ranges_[k + 1]) return true;
    return false;
  }

  // decoded-code cache
  Block* find_block(uint64_t key) const {
    auto it = blocks_.find(key);
    return it == blocks_.end() ? nullptr : it->second;
  }
  void add_block(Block* b, uint64_t page1);
  bool is_code_page(uint64_t page) const { return code_pages_.count(page) != 0; }
  // Drops every block touching this physical page. The blocks die where they are (valid = false,
  // every handler ends the block): jcache hits and indirect chaining check valid, a link into a
  // dead block leads back to the run loop, which relinks the branch. They are freed once every
  // vCPU has renewed its generations (retire_dead()), so no link or jcache entry can reach them.
  void invalidate_page(uint64_t page);
  // A write of n bytes at page+off: drops the page's blocks if it touches decoded bytes
  // (code and data sharing a page do not force re-decoding on every data write).
  void note_code_write(uint64_t page, unsigned off, unsigned n);
  void invalidate_range(uint64_t gpa, uint64_t len);
  void collect_garbage();  // frees retired blocks (they may have been executing)
  // Renews every vCPU's generations and hands the dead blocks to collect_garbage().
  void retire_dead();
  uint64_t code_gen() const { return code_gen_; }

  jit::State* jit_state() const { return jit_; }

  void attach(Cpu* c) { cpus_.push_back(c); }
  void detach(Cpu* c);

  uint8_t* state() const { return state_; }
  std::vector<MemRegion>& regions() { return regions_; }

 private:
  uint8_t* state_;
  std::vector<MemRegion> regions_;
  std::vector<CpuidEntry> cpuid_;
  CpuFeatures features_;
  std::vector<uint32_t> msr_ranges_;
  std::unordered_map<uint64_t, Block*> blocks_;
  struct CodePage {
    std::vector<Block*> blocks;
    uint64_t mask = 0;  // 64-byte chunks of the page covered by decoded instructions
  };
  std::unordered_map<uint64_t, CodePage> code_pages_;
  std::vector<Block*> dead_;       // invalidated, still reachable through stale links/jcache entries
  uint64_t dead_bytes_ = 0;
  static constexpr uint64_t kMaxDeadBytes = 8ull << 20;
  std::vector<Block*> graveyard_;  // unreachable, freed by collect_garbage()
  std::vector<Cpu*> cpus_;
  uint64_t code_gen_ = 1;
  jit::State* jit_ = nullptr;
  uint64_t code_bytes_ = 0;
  static constexpr uint64_t kMaxCodeBytes = 128ull << 20;

 public:
  bool destroyed = false;
};

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
