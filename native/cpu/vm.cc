// Vm: memory map, CPUID table, MSR exit ranges and the decoded-block cache.
#include "cpu/vm.h"
#include <algorithm>
#include <stdexcept>

namespace tsv {

Vm::Vm(uint8_t* vm_state) : state_(vm_state), jit_(jit::create_state()) {}

Vm::~Vm() {
  for (auto& kv : blocks_) Block::destroy(kv.second);
  for (Block* b : dead_) Block::destroy(b);
  collect_garbage();
  jit::destroy_state(jit_);  // after the blocks: they point into its code
}

void Vm::detach(Cpu* c) { cpus_.erase(std::remove(cpus_.begin(), cpus_.end(), c), cpus_.end()); }

void Vm::set_region(uint32_t slot, uint64_t gpa, uint64_t size, uint8_t* host, uint32_t flags) {
  // remove the old mapping of this slot first, so a slot can be moved or resized
  std::vector<MemRegion> next;
  for (const MemRegion& r : regions_)
    if (r.slot != slot) next.push_back(r);
  if (host) {
    if (gpa & 0xfff) throw std::invalid_argument("setMemoryRegion: gpa must be a multiple of 4096");
    if (size == 0 || (size & 0xfff)) throw std::invalid_argument("setMemoryRegion: size must be a non-zero multiple of 4096");
    if (gpa + size < gpa || gpa + size > (1ull << 52)) throw std::range_error("setMemoryRegion: region beyond the 52-bit physical address space");
    for (const MemRegion& r : next)
      if (gpa < r.gpa + r.size && r.gpa < gpa + size)
        throw std::invalid_argument("setMemoryRegion: region overlaps slot " + std::to_string(r.slot));
    next.push_back(MemRegion{slot, gpa, size, host, flags});
  }
  regions_.swap(next);
  // every mapping may have changed: drop TLBs and all decoded code
  std::vector<uint64_t> pages;
  for (auto& kv : code_pages_) pages.push_back(kv.first);
  for (uint64_t p : pages) invalidate_page(p);
  retire_dead();
  for (Cpu* c : cpus_) c->flush_tlb(true);
}

void Vm::set_cpuid(const uint32_t* w, size_t count) {
  cpuid_.clear();
  for (size_t k = 0; k + TSV_CPUID_ENTRY_WORDS <= count; k += TSV_CPUID_ENTRY_WORDS)
    cpuid_.push_back(CpuidEntry{w[k], w[k + 1], w[k + 2], w[k + 3], w[k + 4], w[k + 5], w[k + 6]});
  uint32_t r[4];
  CpuFeatures f;
  cpuid(0, 0, r);
  f.amd = r[1] == 0x68747541u && r[3] == 0x69746e65u && r[2] == 0x444d4163u;  // "Auth" "enti" "cAMD"
  cpuid(1, 0, r);
  f.leaf1_ecx = r[2];
  f.leaf1_edx = r[3];
  if (r[0] != 0 || r[3] != 0) {
    cpuid(0, 0, r);
    if (r[0] >= 7) {
      cpuid(7, 0, r);
      f.leaf7_ebx = r[1];
      f.leaf7_ecx = r[2];
      f.leaf7_edx = r[3];
    }
  }
  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000001u && r[0] < 0x90000000u) {
    cpuid(0x80000001u, 0, r);
    f.ext1_ecx = r[2];
    f.ext1_edx = r[3];
  }
  features_ = f;
}

static const CpuidEntry* lookup(const std::vector<CpuidEntry>& t, uint32_t fn, uint32_t idx) {
  for (const CpuidEntry& e : t)
    if (e.function == fn && (!(e.flags & TSV_CPUID_FLAG_SIGNIFICANT_INDEX) || e.index == idx)) return &e;
  return nullptr;
}

bool Vm::cpuid_leaf1_eax(uint32_t& eax) const {
  const CpuidEntry* e = lookup(cpuid_, 1, 0);
  if (!e) return false;
  eax = e->eax;
  return true;
}

void Vm::cpuid(uint32_t fn, uint32_t idx, uint32_t out[4]) const {
  // Intel: a leaf above the highest basic/extended leaf answers as the highest basic leaf.
  const CpuidEntry* b0 = lookup(cpuid_, 0, 0);
  const CpuidEntry* e0 = lookup(cpuid_, 0x80000000u, 0);
  uint32_t max_basic = b0 ? b0->eax : 0;
  bool out_of_range = false;
  if (fn < 0x40000000u) {
    out_of_range = fn > max_basic;
  } else if (fn < 0x50000000u) {
    // Hypervisor leaves come in blocks of 0x100 (Hyper-V at 0x40000000, KVM's after it at 0x40000100),
    // each bounded by its own base leaf's EAX, as KVM looks them up.
    const CpuidEntry* h0 = lookup(cpuid_, fn & 0xffffff00u, 0);
    out_of_range = !h0 || fn > h0->eax;
  }
  else if (fn >= 0x80000000u && fn < 0x90000000u) out_of_range = !e0 || fn > e0->eax;
  if (out_of_range) {
    fn = max_basic;
  }
  const CpuidEntry* e = lookup(cpuid_, fn, idx);
  if (!e) {
    out[0] = out[1] = out[2] = out[3] = 0;
    return;
  }
  out[0] = e->eax;
  out[1] = e->ebx;
  out[2] = e->ecx;
  out[3] = e->edx;
}

void Vm::set_msr_exit_ranges(const uint32_t* pairs, size_t count) {
  msr_ranges_.assign(pairs, pairs + (count & ~size_t(1)));
}

void Block::destroy(Block* b) {
  jit_forget(b);
  ::operator delete(b);
}

Block* Block::clone(const Block& s) {
  size_t n = bytes_for(s.count);
  Block* b = static_cast<Block*>(::operator new(n));
  std::memcpy(static_cast<void*>(b), &s, n);
  return b;
}

void Vm::add_block(Block* b, uint64_t page1) {
  code_bytes_ += Block::bytes_for(b->count);
  if (code_bytes_ > kMaxCodeBytes) {
    // a guest that keeps decoding new code (or jumping everywhere) must not eat host memory
    std::vector<uint64_t> pages;
    for (auto& kv : code_pages_) pages.push_back(kv.first);
    for (uint64_t p : pages) invalidate_page(p);
    retire_dead();
    code_bytes_ = Block::bytes_for(b->count);
  }
  blocks_[b->key] = b;
  auto chunks = [](unsigned from, unsigned to) {  // mask of 64-byte chunks covering [from, to)
    uint64_t m = 0;
    for (unsigned k = from >> 6; k <= ((to - 1) >> 6) && k < 64; k++) m |= 1ull << k;
    return m;
  };
  auto mark = [&](uint64_t page, uint64_t mask) {
    CodePage& cp = code_pages_[page];
    if (cp.blocks.empty()) {
      // the page just became code: writes to it must take the slow path from now on
      for (Cpu* c : cpus_) c->flush_tlb_phys_write(page);
    }
    cp.blocks.push_back(b);
    cp.mask |= mask;
  };
  unsigned off1 = (unsigned)(b->key & 0xfff);
  unsigned len = b->insns[b->count].off;  // the end marker's offset is the block's length
  if (len == 0) len = 1;
  unsigned end1 = off1 + len > 0x1000 ? 0x1000 : off1 + len;
  mark(page1, chunks(off1, end1));
  if (b->page2 != ~0ull) mark(b->page2, off1 + len > 0x1000 ? chunks(0, off1 + len - 0x1000) : 1);
}

void Vm::note_code_write(uint64_t page, unsigned off, unsigned n) {
  auto it = code_pages_.find(page);
  if (it == code_pages_.end() || n == 0) return;
  uint64_t m = 0;
  for (unsigned k = off >> 6; k <= ((off + n - 1) >> 6) && k < 64; k++) m |= 1ull << k;
  if (it->second.mask & m) invalidate_page(page);
}

void Vm::invalidate_page(uint64_t page) {
  auto it = code_pages_.find(page);
  if (it == code_pages_.end()) return;
  std::vector<Block*> dead;
  dead.swap(it->second.blocks);
  code_pages_.erase(it);
  for (Block* b : dead) {
    if (!b->valid) continue;
    b->valid = false;
    code_bytes_ -= std::min<uint64_t>(code_bytes_, Block::bytes_for(b->count));
    auto bi = blocks_.find(b->key);
    if (bi != blocks_.end() && bi->second == b) blocks_.erase(bi);
    // a block may be executing right now (self-modifying code inside it):
    // make every remaining instruction end the block, and free it later
    for (uint32_t k = 0; k <= b->count; k++) b->insns[k].fn = end_of_sequence;
    // drop it from the other page's list too
    uint64_t other = (b->key & ~0xfffull & ((1ull << 52) - 1)) == page ? b->page2 : (b->key & ((1ull << 52) - 1) & ~0xfffull);
    if (other != ~0ull && other != page) {
      auto ot = code_pages_.find(other);
      if (ot != code_pages_.end()) {
        auto& v = ot->second.blocks;
        v.erase(std::remove(v.begin(), v.end(), b), v.end());
        if (v.empty()) code_pages_.erase(ot);
      }
    }
    dead_.push_back(b);
    dead_bytes_ += Block::bytes_for(b->count);
  }
  code_gen_++;
  // No generation bump: the rest of the decoded code stays linked (a kernel patching its code
  // one page at a time would otherwise unlink everything at every patch).
  if (dead_bytes_ > kMaxDeadBytes) retire_dead();
}

void Vm::retire_dead() {
  for (Cpu* c : cpus_) c->new_gen();
  graveyard_.insert(graveyard_.end(), dead_.begin(), dead_.end());
  dead_.clear();
  dead_bytes_ = 0;
}

void Vm::invalidate_range(uint64_t gpa, uint64_t len) {
  if (len == 0) return;
  for (uint64_t p = gpa & ~0xfffull; p < gpa + len; p += 0x1000) {
    uint64_t from = gpa > p ? gpa - p : 0;
    uint64_t to = gpa + len - p < 0x1000 ? gpa + len - p : 0x1000;
    note_code_write(p, (unsigned)from, (unsigned)(to - from));
  }
}

void Vm::collect_garbage() {
  for (Block* b : graveyard_) Block::destroy(b);
  graveyard_.clear();
}

}  // namespace tsv
