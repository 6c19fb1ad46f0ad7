// Paging: the page-table walker for 32-bit, PAE, 4-level and 5-level paging, and the
// software TLB (separate read/write/execute sets for user and supervisor).
#include "cpu/mmu.h"
#include "cpu/debug_regs.h"
#include <atomic>
#include "cpu/vm.h"

namespace tsv {

static inline uint64_t* pte_ptr(Cpu& c, uint64_t gpa) {
  bool w;
  uint8_t* p = c.vm->phys_ptr(gpa, w);
  return reinterpret_cast<uint64_t*>(p);
}

static inline uint32_t read_pte32(Cpu& c, uint64_t gpa, bool& ok) {
  bool w;
  uint8_t* p = c.vm->phys_ptr(gpa, w);
  if (!p) { ok = false; return 0; }
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Sets accessed (and dirty) bits without disturbing other bits.
static inline void set_bits32(Cpu& c, uint64_t gpa, uint32_t bits) {
  bool w;
  uint8_t* p = c.vm->phys_ptr(gpa, w);
  if (!p || !w) return;
  uint32_t v;
  std::memcpy(&v, p, 4);
  if ((v & bits) != bits) {
    v |= bits;
    std::memcpy(p, &v, 4);
  }
}

bool walk(Cpu& c, uint64_t lin, int acc, bool user, bool set_ad, WalkResult& out, uint32_t& err) {
  const uint32_t err_base = (acc == ACC_WRITE ? 2u : 0u) | (user ? 4u : 0u);
  if (!(c.cr0 & CR0_PG)) {
    out.phys = lin & c.lin_mask;
    out.global = false;
    out.large = false;
    return true;
  }
  const bool nxe = c.efer & EFER_NXE;
  bool writable = true, usr = true, nx = false;
  uint64_t entry_gpa[5];
  int levels = 0;
  uint64_t phys = 0, g = 0;
  bool large = false;
  auto fault = [&](bool present, bool rsvd) {
    err = err_base | (present ? 1u : 0u) | (rsvd ? 8u : 0u);
    if (acc == ACC_EXEC && (nxe || (c.cr4 & CR4_PAE))) err |= 16u;
    return false;
  };

  if (!(c.cr4 & CR4_PAE)) {
    // 32-bit paging
    bool ok = true;
    uint64_t pde_gpa = (c.cr3 & 0xfffff000ull) + ((lin >> 22) & 0x3ff) * 4;
    uint32_t pde = read_pte32(c, pde_gpa, ok);
    if (!ok || !(pde & 1)) return fault(false, false);
    writable &= (pde >> 1) & 1;
    usr &= (pde >> 2) & 1;
    entry_gpa[levels++] = pde_gpa;
    if ((pde & 0x80) && (c.cr4 & CR4_PSE)) {
      phys = (pde & 0xffc00000ull) | ((uint64_t)((pde >> 13) & 0xff) << 32) | (lin & 0x3ff000);
      g = pde & 0x100;
      large = true;
    } else {
      uint64_t pte_gpa = (pde & 0xfffff000ull) + ((lin >> 12) & 0x3ff) * 4;
      uint32_t pte = read_pte32(c, pte_gpa, ok);
      if (!ok || !(pte & 1)) return fault(false, false);
      writable &= (pte >> 1) & 1;
      usr &= (pte >> 2) & 1;
      entry_gpa[levels++] = pte_gpa;
      phys = pte & 0xfffff000ull;
      g = pte & 0x100;
    }
  } else {
    const uint64_t addr_mask = 0x000ffffffffff000ull;
    uint64_t table;
    int level;
    if (c.efer & EFER_LMA) {
      table = c.cr3 & addr_mask;
      level = (c.cr4 & CR4_LA57) ? 5 : 4;  // PML5 (bits 56:48), then the 4-level walk
    } else {
      uint64_t* pdpte = pte_ptr(c, (c.cr3 & 0xffffffe0ull) + ((lin >> 30) & 3) * 8);
      if (!pdpte || !(*pdpte & 1)) return fault(false, false);
      table = *pdpte & addr_mask;
      level = 2;
    }
    for (; level >= 1; level--) {
      unsigned shift = 12 + 9 * (level - 1);
      uint64_t e_gpa = table + ((lin >> shift) & 0x1ff) * 8;
      uint64_t* ep = pte_ptr(c, e_gpa);
      if (!ep) return fault(false, false);
      uint64_t e = *ep;
      if (!(e & 1)) return fault(false, false);
      if ((e >> 63) && !nxe) return fault(true, true);
      writable &= (e >> 1) & 1;
      usr &= (e >> 2) & 1;
      nx |= (e >> 63) & 1;
      entry_gpa[levels++] = e_gpa;
      bool ps = (e & 0x80) != 0;
      if (level >= 4 && ps) return fault(true, true);  // no pages larger than 1G: PS is reserved in PML4/PML5
      if (level == 3 && ps) {
        if (!(c.efer & EFER_LMA)) return fault(true, true);
        phys = (e & 0x000fffffc0000000ull) | (lin & 0x3ffff000ull);
        g = e & 0x100;
        large = true;
        break;
      }
      if (level == 2 && ps) {
        phys = (e & 0x000fffffffe00000ull) | (lin & 0x1ff000ull);
        g = e & 0x100;
        large = true;
        break;
      }
      if (level == 1) {
        phys = e & addr_mask;
        g = e & 0x100;
        break;
      }
      table = e & addr_mask;
    }
  }

  // permission checks
  if (user) {
    if (!usr) return fault(true, false);
    if (acc == ACC_WRITE && !writable) return fault(true, false);
  } else if (acc == ACC_WRITE && !writable && (c.cr0 & CR0_WP)) {
    return fault(true, false);
  }
  if (acc == ACC_EXEC && nx && nxe) return fault(true, false);
  // supervisor-mode access to a user page: SMEP forbids fetches; SMAP forbids data accesses
  // unless CPL < 3 and RFLAGS.AC (at CPL 3 the supervisor accesses are implicit ones)
  if (!user && usr) {
    if (acc == ACC_EXEC) {
      if (c.cr4 & CR4_SMEP) return fault(true, false);
    } else if ((c.cr4 & CR4_SMAP) && !(c.cpl < 3 && (c.rflags & F_AC))) {
      return fault(true, false);
    }
  }

  if (set_ad) {
    for (int k = 0; k < levels; k++) {
      uint32_t bits = 0x20;
      if (k == levels - 1 && acc == ACC_WRITE) bits |= 0x40;
      set_bits32(c, entry_gpa[k], bits);
    }
  }
  out.phys = phys | (lin & 0xfff);
  out.global = g && (c.cr4 & CR4_PGE);
  out.large = large;
  out.writable = writable;
  out.user = usr;
  return true;
}

static std::atomic<uint64_t> gen_counter{1};

void Cpu::new_local_gen() {
  uint64_t g = gen_counter.fetch_add(2, std::memory_order_relaxed);
  gen_pair[0] = g + 1;  // supervisor
  gen_pair[1] = g + 2;  // user
  tlb_gen = gen_pair[cpl == 3];
}

void Cpu::new_gen() {
  new_local_gen();
  std::memset(code_seen, 0, sizeof code_seen);  // no entry of an older generation is valid any more
  uint64_t g = gen_counter.fetch_add(2, std::memory_order_relaxed);
  global_gen_pair[0] = g + 1;
  global_gen_pair[1] = g + 2;
  global_gen = global_gen_pair[cpl == 3];
}

void Cpu::flush_tlb(bool include_global) {
  TlbEntry* flat = &tlb[0][0][0];
  const bool wrapped = ++tlb_epoch >= 0x1000;
  if (wrapped) {
    // epochs exhausted: really clear (dropping global entries too is always allowed)
    for (int k = 0; k < 3 * 2 * TLB_SIZE; k++) flat[k].tag = 0;
    for (int u = 0; u < 2; u++)
      for (int k = 0; k < CW_SIZE; k++) tlb_cw[u][k].tag = 0;
    tlb_epoch = 1;
    global_epoch_floor = 1;
    tlb_has_large = false;
  } else if (include_global) {
    global_epoch_floor = tlb_epoch;
    tlb_has_large = false;
  }
  // global translations survive unless this flush dropped them too
  if (include_global || wrapped) new_gen();
  else new_local_gen();
}

void Cpu::flush_tlb_page(uint64_t lin) {
  if (tlb_has_large) {
    flush_tlb(true);
    return;
  }
  uint64_t page = lin & ~0xfffull;
  for (int a = 0; a < 3; a++)
    for (int u = 0; u < 2; u++) {
      TlbEntry& e = tlb[a][u][(lin >> 12) & (TLB_SIZE - 1)];
      if ((e.tag & ~0xfffull) == page) e.tag = 0;
    }
  for (int u = 0; u < 2; u++) {
    TlbEntry& e = tlb_cw[u][(lin >> 12) & (CW_SIZE - 1)];
    if ((e.tag & ~0xfffull) == page) e.tag = 0;
  }
  // links and jcache entries only lead to code on pages noted since the last new_gen()
  if (code_page_seen(lin)) new_gen();
}

void Cpu::flush_tlb_phys_write(uint64_t phys_page) {
  for (int u = 0; u < 2; u++)
    for (int k = 0; k < TLB_SIZE; k++) {
      TlbEntry& e = tlb[ACC_WRITE][u][k];
      if (e.tag && e.phys == phys_page) e.tag = 0;
    }
}

bool canonical_max_width(const Cpu& c, uint64_t v) {
  unsigned shift = c.vm->features().la57() ? 7 : 16;
  return (uint64_t)((int64_t)(v << shift) >> shift) == v;
}

uint64_t translate(Cpu& c, uint64_t lin, int acc, bool user, int seg) {
  if ((c.efer & EFER_LMA) && !canonical(c, lin)) {
    if (seg == TSV_SEG_SS) raise_exc_err(c, EXC_SS, 0);
    raise_gp(c, 0);
  }
  const uint32_t k = (uint32_t)((lin >> 12) & (TLB_SIZE - 1));
  {
    // a global translation cached before the last CR3 write (which keeps those) is a TLB hit
    TlbEntry& e = c.tlb[acc][user ? 1 : 0][k];
    const uint64_t epoch = e.tag & 0xfff;
    if (e.global && e.tag && (e.tag & ~0xfffull) == (lin & ~0xfffull) && epoch >= c.global_epoch_floor && epoch <= c.tlb_epoch) {
      e.tag = (lin & ~0xfffull) | c.tlb_epoch;
      return e.phys | (lin & 0xfff);
    }
  }
  WalkResult r;
  uint32_t err;
  if (!walk(c, lin, acc, user, true, r, err)) {
    c.cr2 = lin;
    raise_exc_err(c, EXC_PF, err);
  }
  if (r.large) c.tlb_has_large = true;
  // fill the TLB when the page is RAM (and writable RAM that holds no code, for writes)
  // Under SMAP a supervisor access to a user page depends on RFLAGS.AC, which CLAC/STAC/POPF
  // change without a TLB flush: such translations are not cached.
  if (!user && r.user && acc != ACC_EXEC && (c.cr4 & CR4_SMAP)) return r.phys;
  // pages holding a data breakpoint stay on the slow path, where accesses are matched against DR0-DR3
  if (TSV_UNLIKELY(c.dbg_active & DBG_DATA) && acc != ACC_EXEC && dbg_watched_page(c, lin)) return r.phys;
  uint64_t page = r.phys & ~0xfffull;
  bool writable = false;
  uint8_t* host = c.vm->phys_ptr(page, writable);
  if (host && acc == ACC_WRITE && writable && c.vm->is_code_page(page)) {
    TlbEntry& e = c.tlb_cw[user ? 1 : 0][(lin >> 12) & (Cpu::CW_SIZE - 1)];
    e.tag = (lin & ~0xfffull) | c.tlb_epoch;
    e.addend = reinterpret_cast<uintptr_t>(host) - (lin & ~0xfffull);
    e.phys = page;
    e.global = 0;
  } else if (host && (acc != ACC_WRITE || writable)) {
    TlbEntry& e = c.tlb[acc][user ? 1 : 0][k];
    e.tag = (lin & ~0xfffull) | c.tlb_epoch;
    e.addend = reinterpret_cast<uintptr_t>(host) - (lin & ~0xfffull);
    e.phys = page;
    e.global = r.global;
  }
  return r.phys;
}

}  // namespace tsv
