// String instructions MOVS/CMPS/STOS/LODS/SCAS with REP/REPE/REPNE and
// address-size overrides. Every iteration commits RSI/RDI/RCX, so a fault or
// an MMIO exit in the middle of a REP restarts at the right element; long REP
// runs are cut into chunks so slice limits and interrupts stay responsive.
#include "cpu/debug_regs.h"
#include "cpu/decoder.h"
#include "cpu/insn/string_regs.h"

namespace tsv {
namespace {

constexpr uint64_t REP_CHUNK = 16384;

enum { S_MOVS, S_CMPS, S_STOS, S_LODS, S_SCAS };

template <class T, int OP> inline bool one(Cpu& c, const Insn* i) {
  const unsigned as = i->asize;
  const int64_t step = (c.rflags & F_DF) ? -(int64_t)sizeof(T) : (int64_t)sizeof(T);
  switch (OP) {
    case S_MOVS: {
      T v = rd<T>(c, i->seg, areg(c, 6, as));
      wr<T>(c, TSV_SEG_ES, areg(c, 7, as), v);
      aset(c, 6, as, areg(c, 6, as) + step);
      aset(c, 7, as, areg(c, 7, as) + step);
      return true;
    }
    case S_CMPS: {
      T a = rd<T>(c, i->seg, areg(c, 6, as));
      T b = rd<T>(c, TSV_SEG_ES, areg(c, 7, as));
      lf_set<T>(c, LF_SUB, (T)(a - b), a, b);
      aset(c, 6, as, areg(c, 6, as) + step);
      aset(c, 7, as, areg(c, 7, as) + step);
      return true;
    }
    case S_STOS:
      wr<T>(c, TSV_SEG_ES, areg(c, 7, as), getr<T>(c, 0));
      aset(c, 7, as, areg(c, 7, as) + step);
      return true;
    case S_LODS:
      setr<T>(c, 0, rd<T>(c, i->seg, areg(c, 6, as)));
      aset(c, 6, as, areg(c, 6, as) + step);
      return true;
    default: {
      T a = getr<T>(c, 0);
      T b = rd<T>(c, TSV_SEG_ES, areg(c, 7, as));
      lf_set<T>(c, LF_SUB, (T)(a - b), a, b);
      aset(c, 7, as, areg(c, 7, as) + step);
      return true;
    }
  }
}

// Host pointer of a linear address whose access of `size` bytes hits the TLB set `acc` within
// one page, or nullptr.
TSV_INLINE uint8_t* tlb_host(Cpu& c, int acc, uint64_t lin, unsigned size) {
  const TlbEntry& e = c.tlb_cur[acc][(lin >> 12) & (TLB_SIZE - 1)];
  if (e.tag != ((lin & ~0xfffull) | c.tlb_epoch) || (lin & 0xfff) > 0x1000 - size) return nullptr;
  return reinterpret_cast<uint8_t*>(lin + e.addend);
}

// REP MOVS / REP STOS in 64-bit mode, forwards, with 64-bit addresses: up to `max` elements
// whose accesses all hit the TLB within the current source and destination pages, done on host
// memory at once. A write-TLB hit is RAM without decoded code (those pages never get write
// entries) and every element of the batch would hit the same entries, so nothing can fault,
// exit or need the self-modifying-code check. Returns the elements done (0: take the general path).
template <class T, int OP> uint64_t rep_batch(Cpu& c, const Insn* i, uint64_t max) {
  if (c.mode != MODE_LONG64 || i->asize != 8 || (c.rflags & F_DF) || (c.dbg_active & DBG_DATA) || c.replaying) return 0;
  const uint64_t di = c.gpr[7];
  const uint64_t lin_d = (c.seg[TSV_SEG_ES].ebase + di) & c.lin_mask;
  uint8_t* hd = tlb_host(c, ACC_WRITE, lin_d, sizeof(T));
  if (!hd) return 0;
  uint64_t n = (0x1000 - (lin_d & 0xfff)) / sizeof(T);
  if (n > max) n = max;
  if (OP == S_MOVS) {
    const uint64_t si = c.gpr[6];
    const uint64_t lin_s = (c.seg[i->seg].ebase + si) & c.lin_mask;
    const uint8_t* hs = tlb_host(c, ACC_READ, lin_s, sizeof(T));
    if (!hs) return 0;
    const uint64_t room = (0x1000 - (lin_s & 0xfff)) / sizeof(T);
    if (n > room) n = room;
    const size_t len = n * sizeof(T);
    if (hd > hs && hd < hs + len) {
      // the destination overlaps the source ahead of it: element by element, as the CPU
      // does (a short distance repeats the pattern)
      for (uint64_t k = 0; k < n; k++) std::memmove(hd + k * sizeof(T), hs + k * sizeof(T), sizeof(T));
    } else {
      std::memmove(hd, hs, len);
    }
    c.gpr[6] = si + len;
    c.gpr[7] = di + len;
  } else {
    const T v = getr<T>(c, 0);
    if (sizeof(T) == 1) std::memset(hd, (int)(uint8_t)v, n);
    else for (uint64_t k = 0; k < n; k++) std::memcpy(hd + k * sizeof(T), &v, sizeof(T));
    c.gpr[7] = di + n * sizeof(T);
  }
  c.gpr[1] -= n;
  return n;
}

template <class T, int OP> const Insn* STRING(Cpu& c, const Insn* i) {
  const bool rep = i->flags & (INSN_REP | INSN_REPNE);
  if (!rep) {
    one<T, OP>(c, i);
    return next(c, i);
  }
  const unsigned as = i->asize;
  const bool cmp = OP == S_CMPS || OP == S_SCAS;
  const bool repne = i->flags & INSN_REPNE;
  // under data breakpoints one element per step, so a hit traps after its own iteration
  const uint64_t chunk = TSV_UNLIKELY(c.dbg_active & DBG_DATA) ? 1 : REP_CHUNK;
  for (uint64_t k = 0; k < chunk; k++) {
    uint64_t cnt = areg(c, 1, as);
    if (cnt == 0) return next(c, i);
    if constexpr (OP == S_MOVS || OP == S_STOS) {
      const uint64_t done = rep_batch<T, OP>(c, i, cnt < chunk - k ? cnt : chunk - k);
      if (done) {
        k += done - 1;
        continue;
      }
    }
    one<T, OP>(c, i);
    aset(c, 1, as, cnt - 1);
    c.mmio_seq = c.mmio_done = 0;  // this element is committed
    if (cmp && (get_zf(c) == repne)) return next(c, i);
  }
  if (areg(c, 1, as) == 0) return next(c, i);
  return suspend(c, i);  // resume the same instruction (interrupts and limits get a look in)
}

}  // namespace

#define STR_OPS(op8, opv, OP)                                                                           \
  t.one[op8] = opd(D_BYTE, {STRING<uint8_t, OP>});                                             \
  t.one[opv] = opd(0, {STRING<uint16_t, OP>, STRING<uint32_t, OP>, STRING<uint64_t, OP>});

void register_string(OpTables& t) {
  STR_OPS(0xa4, 0xa5, S_MOVS)
  STR_OPS(0xa6, 0xa7, S_CMPS)
  STR_OPS(0xaa, 0xab, S_STOS)
  STR_OPS(0xac, 0xad, S_LODS)
  STR_OPS(0xae, 0xaf, S_SCAS)
}

}  // namespace tsv
