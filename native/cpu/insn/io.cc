// Port I/O: IN/OUT in all forms and INS/OUTS (REP batches up to the data
// area and the page boundary per exit), with IOPL / TSS I/O-bitmap checks.
#include "cpu/debug_regs.h"
#include "cpu/decoder.h"
#include "cpu/exec.h"
#include "cpu/insn/string_regs.h"
#include "cpu/mmu.h"
#include "cpu/vm.h"

namespace tsv {

bool io_allowed(Cpu& c, uint16_t port, unsigned size) {
  if (c.mode == MODE_REAL) return true;
  unsigned iopl = (c.rflags >> 12) & 3;
  if (c.mode != MODE_V86 && c.cpl <= iopl) return true;
  const SegCache& tr = c.seg[TSV_SEG_TR];
  unsigned type = tr.attr & 0xf;
  if ((type != 0x9 && type != 0xb) || tr.limit < 0x67) return false;
  uint32_t base = (uint32_t)sys_read(c, tr.base + 0x66, 2);
  uint32_t off = base + port / 8;
  if (off + 1 > tr.limit) return false;
  uint32_t bits = (uint32_t)sys_read(c, tr.base + off, 2);
  uint32_t mask = ((1u << size) - 1) << (port & 7);
  return (bits & mask) == 0;
}

static void io_exit(Cpu& c, uint16_t port, unsigned size, uint8_t dir, uint32_t count) {
  c.bufref<uint16_t>(TSV_OFF_EXIT_IO_PORT) = port;
  c.bufref<uint8_t>(TSV_OFF_EXIT_IO_SIZE) = (uint8_t)size;
  c.bufref<uint8_t>(TSV_OFF_EXIT_IO_DIRECTION) = dir;
  c.bufref<uint32_t>(TSV_OFF_EXIT_IO_COUNT) = count;
  c.bufref<uint32_t>(TSV_OFF_EXIT_IO_DATA_OFFSET) = TSV_OFF_IO_DATA;
  c.exit_reason = TSV_EXIT_IO;
}

namespace {

template <class T, bool DX> const Insn* OUT(Cpu& c, const Insn* i) {
  uint16_t port = DX ? (uint16_t)c.gpr[2] : (uint16_t)i->imm;
  if (!io_allowed(c, port, sizeof(T))) raise_gp(c, 0);
  if (TSV_UNLIKELY(c.dbg_active & DBG_IO)) dbg_io_access(c, port, sizeof(T));  // trap after the access
  T v = getr<T>(c, 0);
  std::memcpy(c.buf + TSV_OFF_IO_DATA, &v, sizeof(T));
  io_exit(c, port, sizeof(T), TSV_IO_OUT, 1);
  return end_after(c, i);
}
template <class T, bool DX> const Insn* IN(Cpu& c, const Insn* i) {
  uint16_t port = DX ? (uint16_t)c.gpr[2] : (uint16_t)i->imm;
  if (!io_allowed(c, port, sizeof(T))) raise_gp(c, 0);
  if (TSV_UNLIKELY(c.dbg_active & DBG_IO)) dbg_io_access(c, port, sizeof(T));  // trap after the access
  std::memset(c.buf + TSV_OFF_IO_DATA, 0, 4);
  io_exit(c, port, sizeof(T), TSV_IO_IN, 1);
  c.pending = PEND_IN;
  c.pend_size = sizeof(T);
  return end_after(c, i);
}

// Elements one exit may move: the data area, the count and the page boundary.
template <class T> uint32_t batch(Cpu& c, uint64_t lin, uint64_t count) {
  uint64_t n = TSV_IO_DATA_SIZE / sizeof(T);
  if (count < n) n = count;
  uint64_t in_page = (c.rflags & F_DF) ? ((lin & 0xfff) / sizeof(T)) + 1 : (0x1000 - (lin & 0xfff)) / sizeof(T);
  if (in_page == 0) in_page = 1;
  if (in_page < n) n = in_page;
  return (uint32_t)n;
}

template <class T> const Insn* OUTS(Cpu& c, const Insn* i) {
  uint16_t port = (uint16_t)c.gpr[2];
  if (!io_allowed(c, port, sizeof(T))) raise_gp(c, 0);
  if (TSV_UNLIKELY(c.dbg_active & DBG_IO)) dbg_io_access(c, port, sizeof(T));  // trap after the access
  const unsigned as = i->asize;
  const bool rep = i->flags & (INSN_REP | INSN_REPNE);
  uint64_t count = rep ? areg(c, 1, as) : 1;
  if (count == 0) return next(c, i);
  uint64_t src = areg(c, 6, as);
  uint64_t lin = lin_read(c, i->seg, src, sizeof(T));
  uint32_t n = batch<T>(c, lin, count);
  if (n > 1) {
    // only batch from RAM: an MMIO source is read one element per exit
    uint64_t phys = translate(c, lin, ACC_READ, c.cpl == 3);
    bool w;
    if (!c.vm->phys_ptr(phys, w)) n = 1;
  }
  const int64_t step = (c.rflags & F_DF) ? -(int64_t)sizeof(T) : (int64_t)sizeof(T);
  for (uint32_t k = 0; k < n; k++) {
    T v = rd<T>(c, i->seg, (areg(c, 6, as) + k * step) & (as == 8 ? ~0ull : as == 4 ? 0xffffffffull : 0xffffull));
    std::memcpy(c.buf + TSV_OFF_IO_DATA + k * sizeof(T), &v, sizeof(T));
  }
  aset(c, 6, as, src + n * step);
  c.mmio_seq = c.mmio_done = 0;
  io_exit(c, port, sizeof(T), TSV_IO_OUT, n);
  if (rep) {
    aset(c, 1, as, count - n);
    if (count - n != 0) return suspend(c, i);  // the instruction continues on the next run()
  }
  return end_after(c, i);
}

template <class T> const Insn* INS(Cpu& c, const Insn* i) {
  uint16_t port = (uint16_t)c.gpr[2];
  if (!io_allowed(c, port, sizeof(T))) raise_gp(c, 0);
  if (TSV_UNLIKELY(c.dbg_active & DBG_IO)) dbg_io_access(c, port, sizeof(T));  // trap after the access
  const unsigned as = i->asize;
  const bool rep = i->flags & (INSN_REP | INSN_REPNE);
  uint64_t count = rep ? areg(c, 1, as) : 1;
  if (count == 0) return next(c, i);
  uint64_t dst = areg(c, 7, as);
  uint64_t lin = lin_write(c, TSV_SEG_ES, dst, sizeof(T));
  uint32_t n = batch<T>(c, lin, count);
  if (n > 1) {
    uint64_t phys = translate(c, lin, ACC_WRITE, c.cpl == 3);
    bool w;
    if (!c.vm->phys_ptr(phys, w) || !w) n = 1;
  }
  // the destination must be writable before the port is read
  probe_write(c, TSV_SEG_ES, dst, sizeof(T));
  std::memset(c.buf + TSV_OFF_IO_DATA, 0, n * sizeof(T));
  io_exit(c, port, sizeof(T), TSV_IO_IN, n);
  c.pending = PEND_INS;
  c.pend_size = sizeof(T);
  c.pend_count = n;
  c.pend_reg = rep ? 1 : 0;
  c.pend_addr = as;
  c.pend_next_rip = next_rip(c, i);
  return suspend(c, i);  // retires in complete_ins once the last element is stored
}

}  // namespace

void complete_ins(Cpu& c) {
  const unsigned as = (unsigned)c.pend_addr, size = c.pend_size;
  const int64_t step = (c.rflags & F_DF) ? -(int64_t)size : (int64_t)size;
  for (uint32_t k = 0; k < c.pend_count; k++) {
    uint64_t v = 0;
    std::memcpy(&v, c.buf + TSV_OFF_IO_DATA + k * size, size);
    uint64_t dst = areg(c, 7, as);
    if (size == 1) wr<uint8_t>(c, TSV_SEG_ES, dst, (uint8_t)v);
    else if (size == 2) wr<uint16_t>(c, TSV_SEG_ES, dst, (uint16_t)v);
    else wr<uint32_t>(c, TSV_SEG_ES, dst, (uint32_t)v);
    aset(c, 7, as, dst + step);
    if (c.pend_reg) aset(c, 1, as, areg(c, 1, as) - 1);
  }
  c.mmio_seq = c.mmio_done = 0;
  if (!c.pend_reg || areg(c, 1, as) == 0) {
    c.rip = c.pend_next_rip;
    c.slice_count++;
  }
}

void register_io(OpTables& t) {
  t.one[0xe4] = opd(D_IMM8U | D_ENDS, {IN<uint8_t, false>});
  t.one[0xe5] = opd(D_IMM8U | D_ENDS, {IN<uint16_t, false>, IN<uint32_t, false>, IN<uint32_t, false>});
  t.one[0xe6] = opd(D_IMM8U | D_ENDS, {OUT<uint8_t, false>});
  t.one[0xe7] = opd(D_IMM8U | D_ENDS, {OUT<uint16_t, false>, OUT<uint32_t, false>, OUT<uint32_t, false>});
  t.one[0xec] = opd(D_ENDS, {IN<uint8_t, true>});
  t.one[0xed] = opd(D_ENDS, {IN<uint16_t, true>, IN<uint32_t, true>, IN<uint32_t, true>});
  t.one[0xee] = opd(D_ENDS, {OUT<uint8_t, true>});
  t.one[0xef] = opd(D_ENDS, {OUT<uint16_t, true>, OUT<uint32_t, true>, OUT<uint32_t, true>});
  t.one[0x6c] = opd(D_ENDS, {INS<uint8_t>});
  t.one[0x6d] = opd(D_ENDS, {INS<uint16_t>, INS<uint32_t>, INS<uint32_t>});
  t.one[0x6e] = opd(D_ENDS, {OUTS<uint8_t>});
  t.one[0x6f] = opd(D_ENDS, {OUTS<uint16_t>, OUTS<uint32_t>, OUTS<uint32_t>});
}

}  // namespace tsv
