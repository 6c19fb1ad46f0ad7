// Guest memory accesses that miss the TLB fast path: page-crossing accesses,
// TLB fills, self-modifying-code detection, and MMIO exits with replay.
//
// MMIO: each MMIO access inside one instruction gets a sequence number. The
// first time, the access is recorded in the exit record and the instruction
// is abandoned (nothing architectural was committed yet). On re-entry the
// instruction is re-executed; accesses below mmio_done are answered from
// mmio_vals (reads) or skipped (writes), so every access reaches TypeScript
// exactly once.
#include <cstdio>
#include "cpu/debug_regs.h"
#include "cpu/mmu.h"
#include "cpu/vm.h"

namespace tsv {

[[noreturn]] void seg_fault(Cpu& c, int s) {
  if (s == TSV_SEG_SS) raise_exc_err(c, EXC_SS, 0);
  raise_gp(c, 0);
}

static uint64_t mmio_access(Cpu& c, uint64_t gpa, unsigned size, bool write, uint64_t v) {
  uint32_t k = c.mmio_seq++;
  if (k < c.mmio_done) return write ? 0 : c.mmio_vals[k];
  if (k >= Cpu::kMaxMmioPerInsn) {
    // more MMIO accesses in one instruction than we can replay: cannot happen for this ISA subset
    c.exit_reason = TSV_EXIT_INTERNAL_ERROR;
    c.bufref<uint32_t>(TSV_OFF_EXIT_INTERNAL_SUBERROR) = TSV_INTERNAL_UNSUPPORTED;
    std::snprintf(reinterpret_cast<char*>(c.buf + TSV_OFF_EXIT_MESSAGE), TSV_EXIT_MESSAGE_SIZE,
                  "too many MMIO accesses in one instruction");
    exit_unwind(c);
  }
  std::memset(c.buf + TSV_OFF_EXIT_MMIO_DATA, 0, 16);
  c.bufref<uint64_t>(TSV_OFF_EXIT_MMIO_GPA) = gpa;
  c.bufref<uint32_t>(TSV_OFF_EXIT_MMIO_LEN) = size;
  c.bufref<uint8_t>(TSV_OFF_EXIT_MMIO_IS_WRITE) = write ? 1 : 0;
  if (write) std::memcpy(c.buf + TSV_OFF_EXIT_MMIO_DATA, &v, size);
  c.pending = PEND_MMIO;
  c.pend_size = size;
  c.pend_count = k;
  c.pend_reg = write ? 1 : 0;
  c.exit_reason = TSV_EXIT_MMIO;
  exit_unwind(c);
}

static uint64_t read_part(Cpu& c, uint64_t lin, unsigned n, bool user, int seg) {
  uint64_t phys = translate(c, lin, ACC_READ, user, seg);
  bool w;
  uint8_t* host = c.vm->phys_ptr(phys, w);
  if (host) {
    uint64_t v = 0;
    std::memcpy(&v, host, n);
    return v;
  }
  return mmio_access(c, phys, n, false, 0);
}

static uint64_t read_any(Cpu& c, uint64_t lin, unsigned size, bool user, int seg) {
  unsigned first = 0x1000 - (lin & 0xfff);
  if (first >= size) return read_part(c, lin, size, user, seg);
  uint64_t lo = read_part(c, lin, first, user, seg);
  uint64_t hi = read_part(c, (lin + first) & c.lin_mask, size - first, user, seg);
  return lo | (hi << (8 * first));
}

static void write_phys(Cpu& c, uint64_t phys, unsigned n, uint64_t v) {
  bool writable;
  uint8_t* host = c.vm->phys_ptr(phys, writable);
  if (host && writable) {
    uint64_t page = phys & ~0xfffull;
    if (c.vm->is_code_page(page)) c.vm->note_code_write(page, (unsigned)(phys & 0xfff), n);  // self-modifying code?
    std::memcpy(host, &v, n);
    return;
  }
  mmio_access(c, phys, n, true, v);
}

static void write_any(Cpu& c, uint64_t lin, unsigned size, uint64_t v, bool user, int seg) {
  unsigned first = 0x1000 - (lin & 0xfff);
  if (first >= size) {
    TlbEntry& cw = c.tlb_cw[user ? 1 : 0][(lin >> 12) & (Cpu::CW_SIZE - 1)];
    if (cw.tag == ((lin & ~0xfffull) | c.tlb_epoch)) {
      if (c.vm->is_code_page(cw.phys)) {
        write_phys(c, cw.phys | (lin & 0xfff), size, v);
        return;
      }
      cw.tag = 0;  // no code there any more: the next write refills the ordinary write TLB
    }
    uint64_t phys = translate(c, lin, ACC_WRITE, user, seg);
    write_phys(c, phys, size, v);
    return;
  }
  // translate both pages before writing anything, so a #PF leaves memory untouched
  uint64_t lin2 = (lin + first) & c.lin_mask;
  uint64_t p1 = translate(c, lin, ACC_WRITE, user, seg);
  uint64_t p2 = translate(c, lin2, ACC_WRITE, user, seg);
  write_phys(c, p1, first, v);
  write_phys(c, p2, size - first, v >> (8 * first));
}

// Explicit accesses of instructions: the ones data breakpoints watch (pages with a breakpoint
// never get a TLB entry, so every access to them comes through here).
uint64_t read_slow(Cpu& c, uint64_t lin, unsigned size, bool user, int seg) {
  if (TSV_UNLIKELY(c.dbg_active & DBG_DATA)) dbg_data_access(c, lin, size, false);
  return read_any(c, lin, size, user, seg);
}
void write_slow(Cpu& c, uint64_t lin, unsigned size, uint64_t v, bool user, int seg) {
  if (TSV_UNLIKELY(c.dbg_active & DBG_DATA)) dbg_data_access(c, lin, size, true);
  write_any(c, lin, size, v, user, seg);
}

uint64_t read_rmw_slow(Cpu& c, uint64_t lin, unsigned size, bool user, int seg) {
  translate(c, lin, ACC_WRITE, user, seg);
  // a fault on the second page reports its first byte in CR2, as the CPU does
  if ((lin & 0xfff) + size > 0x1000) translate(c, ((lin | 0xfff) + 1) & c.lin_mask, ACC_WRITE, user, seg);
  return read_slow(c, lin, size, user, seg);
}

void probe_write(Cpu& c, int s, uint64_t off, unsigned size) {
  uint64_t lin = lin_write(c, s, off, size);
  translate(c, lin, ACC_WRITE, c.cpl == 3, s);
  if ((lin & 0xfff) + size > 0x1000) translate(c, ((lin | 0xfff) + 1) & c.lin_mask, ACC_WRITE, c.cpl == 3, s);
}

// Implicit supervisor accesses (descriptor tables, TSS, event frames): not matched against data breakpoints.
uint64_t sys_read(Cpu& c, uint64_t lin, unsigned size) { return read_any(c, lin & c.lin_mask, size, false, -1); }
void sys_write(Cpu& c, uint64_t lin, unsigned size, uint64_t v) { write_any(c, lin & c.lin_mask, size, v, false, -1); }

}  // namespace tsv
