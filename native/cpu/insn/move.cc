// Data movement: MOV in all forms (incl. moffs and Sreg), MOVZX/MOVSX/MOVSXD,
// LEA, XCHG/NOP/PAUSE, CBW/CWDE/CDQE, CWD/CDQ/CQO, CMOVcc, SETcc, BSWAP,
// LAHF/SAHF, XLAT, LES/LDS, NOP Ev and the hint NOPs.
#include "cpu/bits.h"
#include "cpu/decoder.h"

namespace tsv {
namespace {

template <class T> const Insn* MOV_EvGv_R(Cpu& c, const Insn* i) {
  setr<T>(c, i->rm, getr<T>(c, i->reg));
  return next(c, i);
}
// MOV to/from memory, the most common memory instructions: the inline path handles a
// TLB hit without a segment fault and no stack frame; anything else (TLB miss, page
// crossing, MMIO, code page, segment limit) tail-calls the general out-of-line handler.
template <class T> TSV_INLINE T* host_ptr_hit(Cpu& c, const Insn* i, int acc, uint64_t off) {
  const SegCache& sc = c.seg[i->seg];
  if (TSV_UNLIKELY(c.mode != MODE_LONG64)) return nullptr;
  uint64_t lin = sc.ebase + off;
  const TlbEntry& e = c.tlb_cur[acc][(lin >> 12) & (TLB_SIZE - 1)];
  if (TSV_LIKELY(e.tag == ((lin & ~0xfffull) | c.tlb_epoch) && (lin & 0xfff) <= 0x1000 - sizeof(T)))
    return reinterpret_cast<T*>(lin + e.addend);
  return nullptr;
}
template <class T> TSV_NOINLINE const Insn* MOV_EvGv_M_full(Cpu& c, const Insn* i) {
  wr<T>(c, i->seg, ea(c, i), getr<T>(c, i->reg));
  return next(c, i);
}
template <class T> const Insn* MOV_EvGv_M(Cpu& c, const Insn* i) {
  T* p = host_ptr_hit<T>(c, i, ACC_WRITE, ea(c, i));
  if (TSV_UNLIKELY(!p)) return MOV_EvGv_M_full<T>(c, i);
  T v = getr<T>(c, i->reg);
  std::memcpy(p, &v, sizeof(T));
  return next(c, i);
}
template <class T> const Insn* MOV_GvEv_R(Cpu& c, const Insn* i) {
  setr<T>(c, i->reg, getr<T>(c, i->rm));
  return next(c, i);
}
template <class T> TSV_NOINLINE const Insn* MOV_GvEv_M_full(Cpu& c, const Insn* i) {
  setr<T>(c, i->reg, rd<T>(c, i->seg, ea(c, i)));
  return next(c, i);
}
template <class T> const Insn* MOV_GvEv_M(Cpu& c, const Insn* i) {
  const T* p = host_ptr_hit<T>(c, i, ACC_READ, ea(c, i));
  if (TSV_UNLIKELY(!p)) return MOV_GvEv_M_full<T>(c, i);
  T v;
  std::memcpy(&v, p, sizeof(T));
  setr<T>(c, i->reg, v);
  return next(c, i);
}
template <class T> const Insn* MOV_EvIv(Cpu& c, const Insn* i) {
  wr_rm<T>(c, i, (T)i->imm);
  return next(c, i);
}
template <class T> const Insn* MOV_ZvIv(Cpu& c, const Insn* i) {
  setr<T>(c, i->reg, (T)i->imm);
  return next(c, i);
}
template <class T> const Insn* MOV_rAXOv(Cpu& c, const Insn* i) {
  setr<T>(c, 0, rd<T>(c, i->seg, i->imm));
  return next(c, i);
}
template <class T> const Insn* MOV_OvrAX(Cpu& c, const Insn* i) {
  wr<T>(c, i->seg, i->imm, getr<T>(c, 0));
  return next(c, i);
}
template <class T> const Insn* LEA_GvM(Cpu& c, const Insn* i) {
  setr<T>(c, i->reg, (T)ea(c, i));
  return next(c, i);
}
// MOVZX/MOVSX: the memory forms (byte and word loads, as common as MOV in kernel code) take
// the same frameless TLB-hit path as MOV and tail-call the general form otherwise.
template <class T, class S, bool SIGNED> TSV_INLINE T extend(S v) {
  if constexpr (SIGNED) return (T)(std::make_signed_t<T>)(std::make_signed_t<S>)v;
  else return (T)v;
}
template <class T, class S, bool SIGNED> TSV_NOINLINE const Insn* MOVxX_GvM_full(Cpu& c, const Insn* i) {
  setr<T>(c, i->reg, extend<T, S, SIGNED>(rd<S>(c, i->seg, ea(c, i))));
  return next(c, i);
}
template <class T, class S, bool M, bool SIGNED> TSV_INLINE const Insn* movx(Cpu& c, const Insn* i) {
  if constexpr (M) {
    const S* p = host_ptr_hit<S>(c, i, ACC_READ, ea(c, i));
    if (TSV_UNLIKELY(!p)) return MOVxX_GvM_full<T, S, SIGNED>(c, i);
    S v;
    std::memcpy(&v, p, sizeof(S));
    setr<T>(c, i->reg, extend<T, S, SIGNED>(v));
  } else {
    setr<T>(c, i->reg, extend<T, S, SIGNED>(rd_e<S, false>(c, i)));
  }
  return next(c, i);
}
template <class T, class S, bool M> const Insn* MOVZX_GvE(Cpu& c, const Insn* i) { return movx<T, S, M, false>(c, i); }
template <class T, class S, bool M> const Insn* MOVSX_GvE(Cpu& c, const Insn* i) { return movx<T, S, M, true>(c, i); }
// ARPL Ew,Gw (opcode 63 outside 64-bit mode): raise the RPL of Ew to that of Gw
const Insn* ARPL_EwGw(Cpu& c, const Insn* i) {
  if (c.mode == MODE_REAL || c.mode == MODE_V86) raise_ud(c);
  uint16_t d = rd_rm<uint16_t>(c, i), s = getr<uint16_t>(c, i->reg);
  uint32_t f = c.arith_flags() & ~F_ZF;
  if ((d & 3) < (s & 3)) {
    wr_rm<uint16_t>(c, i, (uint16_t)((d & ~3) | (s & 3)));
    f |= F_ZF;
  }
  set_arith_flags(c, f);
  return next(c, i);
}
// MOVSXD: 64-bit sign extension; without REX.W it is a plain 32-bit (or 16-bit) move
template <class T> const Insn* MOVSXD_GvEd(Cpu& c, const Insn* i) {
  if (c.mode != MODE_LONG64) return ARPL_EwGw(c, i);  // same opcode, decided by the mode
  if constexpr (sizeof(T) == 8) setr<uint64_t>(c, i->reg, (uint64_t)(int64_t)(int32_t)rd_rm<uint32_t>(c, i));
  else setr<T>(c, i->reg, (T)rd_rm<T>(c, i));
  return next(c, i);
}
template <class T> const Insn* XCHG_EvGv(Cpu& c, const Insn* i) {
  T g = getr<T>(c, i->reg);
  if (!(i->flags & INSN_MEM)) {
    T e = getr<T>(c, i->rm);
    setr<T>(c, i->rm, g);
    setr<T>(c, i->reg, e);
  } else {
    uint64_t off = ea(c, i);
    T e = rd_rmw<T>(c, i->seg, off);
    wr<T>(c, i->seg, off, g);
    setr<T>(c, i->reg, e);
  }
  return next(c, i);
}
template <class T> const Insn* XCHG_ZvrAX(Cpu& c, const Insn* i) {
  if (i->reg == 0) {
    if ((i->flags & INSN_REP) && c.bufref<uint8_t>(TSV_OFF_PAUSE_EXITS)) {  // PAUSE: let the other vCPUs run
      c.exit_reason = TSV_EXIT_SLICE_END;
      c.bufref<uint32_t>(TSV_OFF_EXIT_SLICE_REASON) = TSV_SLICE_PAUSE;
      return end_after(c, i);
    }
    if (sizeof(T) == 2) return next(c, i);
    return next(c, i);  // NOP (no zero extension even in 64-bit mode)
  }
  T a = getr<T>(c, 0), b = getr<T>(c, i->reg);
  setr<T>(c, 0, b);
  setr<T>(c, i->reg, a);
  return next(c, i);
}
template <class T> const Insn* CBW(Cpu& c, const Insn* i) {  // CBW / CWDE / CDQE
  if constexpr (sizeof(T) == 2) setr<uint16_t>(c, 0, (uint16_t)(int16_t)(int8_t)c.gpr[0]);
  else if constexpr (sizeof(T) == 4) setr<uint32_t>(c, 0, (uint32_t)(int32_t)(int16_t)c.gpr[0]);
  else c.gpr[0] = (uint64_t)(int64_t)(int32_t)c.gpr[0];
  return next(c, i);
}
template <class T> const Insn* CWD(Cpu& c, const Insn* i) {  // CWD / CDQ / CQO
  using S = std::make_signed_t<T>;
  setr<T>(c, 2, (T)((S)getr<T>(c, 0) < 0 ? ~(T)0 : 0));
  return next(c, i);
}
template <class T, bool M> const Insn* CMOV_GvEv(Cpu& c, const Insn* i) {
  T v = rd_e<T, M>(c, i);  // the source is read (and may fault) whatever the condition
  if (cond(c, i->op & 15)) setr<T>(c, i->reg, v);
  else if (sizeof(T) == 4) setr<uint32_t>(c, i->reg, getr<uint32_t>(c, i->reg));  // 32-bit: upper half cleared anyway
  return next(c, i);
}
const Insn* SETcc_Eb(Cpu& c, const Insn* i) {
  wr_rm<uint8_t>(c, i, cond(c, i->op & 15) ? 1 : 0);
  return next(c, i);
}
template <class T> const Insn* BSWAP_Zv(Cpu& c, const Insn* i) {
  if constexpr (sizeof(T) == 8) c.gpr[i->reg] = bswap64(c.gpr[i->reg]);
  else if constexpr (sizeof(T) == 4) c.gpr[i->reg] = bswap32((uint32_t)c.gpr[i->reg]);
  else setr<uint16_t>(c, i->reg, 0);  // undefined for 16-bit operands; hardware gives 0
  return next(c, i);
}
const Insn* LAHF(Cpu& c, const Insn* i) {
  setr<uint8_t>(c, 1, (uint8_t)(c.get_rflags() & 0xff));  // AH is byte offset 1
  return next(c, i);
}
const Insn* SAHF(Cpu& c, const Insn* i) {
  uint32_t f = c.arith_flags();
  uint8_t ah = reinterpret_cast<uint8_t*>(c.gpr)[1];
  f = (f & F_OF) | (ah & (F_CF | F_PF | F_AF | F_ZF | F_SF));
  set_arith_flags(c, f);
  return next(c, i);
}
const Insn* XLAT(Cpu& c, const Insn* i) {
  uint64_t off = c.gpr[3] + (uint8_t)c.gpr[0];
  if (i->asize == 4) off = (uint32_t)off;
  else if (i->asize == 2) off = (uint16_t)off;
  setr<uint8_t>(c, 0, rd<uint8_t>(c, i->seg, off));
  return next(c, i);
}
const Insn* NOP(Cpu& c, const Insn* i) { return next(c, i); }

// MOV Sreg, Ew
const Insn* MOV_SwEw(Cpu& c, const Insn* i) {
  unsigned s = i->ext;
  if (s == TSV_SEG_CS || s > TSV_SEG_GS) raise_ud(c);
  uint16_t sel = rd_rm<uint16_t>(c, i);
  load_seg(c, s, sel);
  if (s == TSV_SEG_SS) c.inhibit_irq = INHIBIT_SS;  // MOV SS shadows the next instruction
  return end_after(c, i);
}
// MOV Ev, Sreg
template <class T> const Insn* MOV_EvSw(Cpu& c, const Insn* i) {
  unsigned s = i->ext;
  if (s > TSV_SEG_GS) raise_ud(c);
  uint16_t sel = c.seg[s].sel;
  if (i->flags & INSN_MEM) wr<uint16_t>(c, i->seg, ea(c, i), sel);
  else setr<T>(c, i->rm, (T)sel);
  return next(c, i);
}
// LES / LDS (and LSS/LFS/LGS from the 0F map): Gv, Mp
template <class T, int S> const Insn* LxS_GvMp(Cpu& c, const Insn* i) {
  uint64_t off = ea(c, i);
  T o = rd<T>(c, i->seg, off);
  uint64_t so = off + sizeof(T);
  if (i->asize == 4) so = (uint32_t)so;
  else if (i->asize == 2) so = (uint16_t)so;
  uint16_t sel = rd<uint16_t>(c, i->seg, so);
  load_seg(c, S, sel);
  setr<T>(c, i->reg, o);
  if (S == TSV_SEG_SS) c.inhibit_irq = INHIBIT_STI;
  return end_after(c, i);
}

// MOVBE (0F 38 F0 / F1): loads and stores with the bytes swapped; F2 would be CRC32 (SSE4.2)
template <class T> inline T bswap_t(T v) {
  if constexpr (sizeof(T) == 8) return bswap64(v);
  else if constexpr (sizeof(T) == 4) return bswap32(v);
  else return bswap16(v);
}
template <class T> const Insn* MOVBE_GvMv(Cpu& c, const Insn* i) {
  if (i->flags & INSN_REPNE) raise_ud(c);
  setr<T>(c, i->reg, bswap_t<T>(rd<T>(c, i->seg, ea(c, i))));
  return next(c, i);
}
template <class T> const Insn* MOVBE_MvGv(Cpu& c, const Insn* i) {
  if (i->flags & INSN_REPNE) raise_ud(c);
  wr<T>(c, i->seg, ea(c, i), bswap_t<T>(getr<T>(c, i->reg)));
  return next(c, i);
}

}  // namespace

void register_move(OpTables& t) {
  // 0F 38 F0/F1 without a prefix or with 66 (operand size, not a mandatory prefix here); F2 is CRC32
  for (int p : {0, 1}) {
    t.sse[1][0xf0][p] = opd(D_MODRM | D_MEMONLY, TSV_HV(MOVBE_GvMv));
    t.sse[1][0xf1][p] = opd(D_MODRM | D_MEMONLY, TSV_HV(MOVBE_MvGv));
  }
  t.one[0x88] = opd_m(D_MODRM | D_BYTE, {MOV_EvGv_R<uint8_t>}, {MOV_EvGv_M<uint8_t>});
  t.one[0x89] = opd_m(D_MODRM, TSV_HV(MOV_EvGv_R), TSV_HV(MOV_EvGv_M));
  t.one[0x8a] = opd_m(D_MODRM | D_BYTE, {MOV_GvEv_R<uint8_t>}, {MOV_GvEv_M<uint8_t>});
  t.one[0x8b] = opd_m(D_MODRM, TSV_HV(MOV_GvEv_R), TSV_HV(MOV_GvEv_M));
  t.one[0x8c] = opd(D_MODRM, TSV_HV(MOV_EvSw));
  t.one[0x8e] = opd(D_MODRM | D_ENDS, {MOV_SwEw});
  t.one[0x8d] = opd(D_MODRM | D_MEMONLY, TSV_HV(LEA_GvM));
  t.one[0xc6].attr = grp_attr(G11_C6) | D_BYTE | D_VALID;
  t.one[0xc7].attr = grp_attr(G11_C7) | D_VALID;
  t.grp[G11_C6][0] = opd(D_IMM8, {MOV_EvIv<uint8_t>});
  t.grp[G11_C7][0] = opd(D_IMMV, TSV_HV(MOV_EvIv));
  for (int r = 0; r < 8; r++) {
    t.one[0xb0 + r] = opd(D_OPREG | D_BYTE | D_IMM8, {MOV_ZvIv<uint8_t>});
    t.one[0xb8 + r] = opd(D_OPREG | D_IMM64, TSV_HV(MOV_ZvIv));
    t.one[0x90 + r] = opd(D_OPREG, TSV_HV(XCHG_ZvrAX));
  }
  t.one[0x90].attr |= D_ENDS;  // PAUSE may end the slice
  t.one[0xa0] = opd(D_MOFFS | D_BYTE, {MOV_rAXOv<uint8_t>});
  t.one[0xa1] = opd(D_MOFFS, TSV_HV(MOV_rAXOv));
  t.one[0xa2] = opd(D_MOFFS | D_BYTE, {MOV_OvrAX<uint8_t>});
  t.one[0xa3] = opd(D_MOFFS, TSV_HV(MOV_OvrAX));
  t.one[0x86] = opd(D_MODRM | D_BYTE | D_LOCKOK, {XCHG_EvGv<uint8_t>});
  t.one[0x87] = opd(D_MODRM | D_LOCKOK, TSV_HV(XCHG_EvGv));
  t.one[0x98] = opd(0, TSV_HV(CBW));
  t.one[0x99] = opd(0, TSV_HV(CWD));
  t.one[0x63] = opd(D_MODRM, TSV_HV(MOVSXD_GvEd));  // ARPL outside 64-bit mode: see register_system
  t.one[0x9e] = opd(0, {SAHF});
  t.one[0x9f] = opd(0, {LAHF});
  t.one[0xd7] = opd(0, {XLAT});
  t.one[0xc4] = opd(D_MODRM | D_MEMONLY | D_INV64, {LxS_GvMp<uint16_t, TSV_SEG_ES>, LxS_GvMp<uint32_t, TSV_SEG_ES>, nullptr});
  t.one[0xc5] = opd(D_MODRM | D_MEMONLY | D_INV64, {LxS_GvMp<uint16_t, TSV_SEG_DS>, LxS_GvMp<uint32_t, TSV_SEG_DS>, nullptr});
  t.two[0xb2] = opd(D_MODRM | D_MEMONLY | D_ENDS, {LxS_GvMp<uint16_t, TSV_SEG_SS>, LxS_GvMp<uint32_t, TSV_SEG_SS>, LxS_GvMp<uint64_t, TSV_SEG_SS>});
  t.two[0xb4] = opd(D_MODRM | D_MEMONLY, {LxS_GvMp<uint16_t, TSV_SEG_FS>, LxS_GvMp<uint32_t, TSV_SEG_FS>, LxS_GvMp<uint64_t, TSV_SEG_FS>});
  t.two[0xb5] = opd(D_MODRM | D_MEMONLY, {LxS_GvMp<uint16_t, TSV_SEG_GS>, LxS_GvMp<uint32_t, TSV_SEG_GS>, LxS_GvMp<uint64_t, TSV_SEG_GS>});

  t.two[0xb6] = opd_m(D_MODRM | D_RMBYTE, {MOVZX_GvE<uint16_t, uint8_t, false>, MOVZX_GvE<uint32_t, uint8_t, false>, MOVZX_GvE<uint64_t, uint8_t, false>},
                      {MOVZX_GvE<uint16_t, uint8_t, true>, MOVZX_GvE<uint32_t, uint8_t, true>, MOVZX_GvE<uint64_t, uint8_t, true>});
  t.two[0xb7] = opd_m(D_MODRM, {MOVZX_GvE<uint16_t, uint16_t, false>, MOVZX_GvE<uint32_t, uint16_t, false>, MOVZX_GvE<uint64_t, uint16_t, false>},
                      {MOVZX_GvE<uint16_t, uint16_t, true>, MOVZX_GvE<uint32_t, uint16_t, true>, MOVZX_GvE<uint64_t, uint16_t, true>});
  t.two[0xbe] = opd_m(D_MODRM | D_RMBYTE, {MOVSX_GvE<uint16_t, uint8_t, false>, MOVSX_GvE<uint32_t, uint8_t, false>, MOVSX_GvE<uint64_t, uint8_t, false>},
                      {MOVSX_GvE<uint16_t, uint8_t, true>, MOVSX_GvE<uint32_t, uint8_t, true>, MOVSX_GvE<uint64_t, uint8_t, true>});
  t.two[0xbf] = opd_m(D_MODRM, {MOVSX_GvE<uint16_t, uint16_t, false>, MOVSX_GvE<uint32_t, uint16_t, false>, MOVSX_GvE<uint64_t, uint16_t, false>},
                      {MOVSX_GvE<uint16_t, uint16_t, true>, MOVSX_GvE<uint32_t, uint16_t, true>, MOVSX_GvE<uint64_t, uint16_t, true>});
  for (int cc = 0; cc < 16; cc++) {
    t.two[0x40 + cc] = opd_m(D_MODRM, TSV_HV_RM(CMOV_GvEv));
    t.two[0x90 + cc] = opd(D_MODRM | D_BYTE, {SETcc_Eb});
  }
  for (int r = 0; r < 8; r++) t.two[0xc8 + r] = opd(D_OPREG, TSV_HV(BSWAP_Zv));
  t.two[0x1f] = opd(D_MODRM, {NOP});  // NOP Ev
  t.two[0x18].attr = grp_attr(G16_0F18) | D_VALID;  // prefetch hints: no-ops
  for (int k = 0; k < 8; k++) t.grp[G16_0F18][k] = opd(0, {NOP});
  for (int op = 0x19; op <= 0x1e; op++) t.two[op] = opd(D_MODRM, {NOP});  // reserved hint NOPs
}

}  // namespace tsv
