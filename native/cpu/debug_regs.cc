// Debug registers: which breakpoints DR7 enables, matching instruction, data
// and I/O breakpoints, and MOV to/from DRn (Intel SDM vol. 3, ch. 18).
#include "cpu/debug_regs.h"

namespace tsv {

namespace {

// DR7 fields of breakpoint n: enabled (Ln or Gn), R/W (00 execute, 01 write, 10 I/O, 11 read/write)
// and LEN (00 1 byte, 01 2, 10 8, 11 4).
inline bool bp_enabled(uint64_t dr7, unsigned n) { return (dr7 >> (2 * n)) & 3; }
inline unsigned bp_rw(uint64_t dr7, unsigned n) { return (dr7 >> (16 + 4 * n)) & 3; }
inline uint64_t bp_len(uint64_t dr7, unsigned n) {
  static const uint8_t kLen[4] = {1, 2, 8, 4};
  return kLen[(dr7 >> (18 + 4 * n)) & 3];
}
enum { RW_EXEC = 0, RW_WRITE = 1, RW_IO = 2, RW_RW = 3 };

// [addr, addr + len) of breakpoint n: the CPU ignores the address bits below LEN
inline bool overlaps(uint64_t bp, uint64_t len, uint64_t a, unsigned size) {
  uint64_t lo = bp & ~(len - 1);
  return a < lo + len && lo < a + size;
}

}  // namespace

void debug_state_changed(Cpu& c, bool data_pages_changed) {
  const uint64_t dr7 = c.dr[5];
  uint8_t kinds = 0;
  for (unsigned n = 0; n < 4; n++) {
    if (!bp_enabled(dr7, n)) continue;
    switch (bp_rw(dr7, n)) {
      case RW_EXEC: kinds |= DBG_EXEC; break;
      case RW_IO:
        if (c.cr4 & CR4_DE) kinds |= DBG_IO;  // R/W = 10 is undefined without CR4.DE: never matches
        break;
      default: kinds |= DBG_DATA; break;
    }
  }
  // TLB entries made while a page was not watched would let accesses bypass the check
  if (data_pages_changed && ((kinds | c.dbg_active) & DBG_DATA)) c.flush_tlb(true);
  c.dbg_active = kinds;
}

uint32_t dbg_exec_hits(const Cpu& c, uint64_t lin) {
  const uint64_t dr7 = c.dr[5];
  uint32_t hits = 0;
  for (unsigned n = 0; n < 4; n++)
    if (bp_enabled(dr7, n) && bp_rw(dr7, n) == RW_EXEC && overlaps(c.dr[n] & c.lin_mask, bp_len(dr7, n), lin, 1))
      hits |= 1u << n;
  return hits;
}

bool dbg_watched_page(const Cpu& c, uint64_t lin) {
  const uint64_t dr7 = c.dr[5];
  for (unsigned n = 0; n < 4; n++) {
    unsigned rw = bp_rw(dr7, n);
    if (bp_enabled(dr7, n) && (rw == RW_WRITE || rw == RW_RW) && ((c.dr[n] & c.lin_mask) >> 12) == (lin >> 12))
      return true;
  }
  return false;
}

void dbg_data_access(Cpu& c, uint64_t lin, unsigned size, bool write) {
  const uint64_t dr7 = c.dr[5];
  for (unsigned n = 0; n < 4; n++) {
    unsigned rw = bp_rw(dr7, n);
    if (!bp_enabled(dr7, n) || !(rw == RW_RW || (rw == RW_WRITE && write))) continue;
    if (overlaps(c.dr[n] & c.lin_mask, bp_len(dr7, n), lin, size)) c.db_hits |= 1u << n;
  }
}

void dbg_io_access(Cpu& c, uint16_t port, unsigned size) {
  const uint64_t dr7 = c.dr[5];
  for (unsigned n = 0; n < 4; n++)
    if (bp_enabled(dr7, n) && bp_rw(dr7, n) == RW_IO && overlaps(c.dr[n] & 0xffff, bp_len(dr7, n), port, size))
      c.db_hits |= 1u << n;
}

// DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD; DR7.GD turns any access into a #DB fault
// reporting DR6.BD, and the CPU clears GD so the handler itself can use the registers.
static unsigned dr_slot(Cpu& c, unsigned n) {
  if (n >= 8) raise_ud(c);
  if (n == 4 || n == 5) {
    if (c.cr4 & CR4_DE) raise_ud(c);
    n += 2;
  }
  if (c.dr[5] & DR7_GD) {
    c.dr[4] |= DR6_BD;
    c.dr[5] &= ~DR7_GD;
    c.rflags |= F_RF;  // a fault: the pushed RFLAGS has RF set
    raise_exc(c, EXC_DB);
  }
  return n < 4 ? n : n - 2;
}

uint64_t mov_from_dr(Cpu& c, unsigned n) { return c.dr[dr_slot(c, n)]; }

void mov_to_dr(Cpu& c, unsigned n, uint64_t v) {
  unsigned s = dr_slot(c, n);
  if (s < 4) {
    // 32-bit addresses outside 64-bit mode (the register keeps what was written)
    c.dr[s] = v;
    debug_state_changed(c, true);
    return;
  }
  if (v >> 32) raise_gp(c, 0);  // bits 63:32 of DR6/DR7 are reserved (only reachable in 64-bit mode)
  if (s == 4) {
    c.dr[4] = (v & 0x1e00f) | DR6_FIXED1;
  } else {
    c.dr[5] = (v & ~0xd800ull) | DR7_FIXED1;  // bits 11, 12, 14, 15 read as 0
    debug_state_changed(c, true);
  }
}

}  // namespace tsv
