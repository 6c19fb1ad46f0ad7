// SSE4.2 outside the string instructions: PCMPGTQ (66 0F 38 37) and CRC32
// (F2 0F 38 F0 / F1). POPCNT (F3 0F B8) lives with the bit instructions.
//
// CRC32 accumulates with the CRC-32C (Castagnoli) polynomial 11EDC6F41H in
// the bit-reflected form (SDM: the source and destination are bit-reflected
// before the division): each source byte, lowest first, updates
// crc = T[(crc ^ byte) & 0xff] ^ (crc >> 8) with no initial or final
// inversion. The table is computed once from the polynomial.
#include "cpu/insn/sse4_lanes.h"

namespace tsv {
namespace {

void pcmpgtq(Xmm& d, const Xmm& s) {
  for (unsigned k = 0; k < 2; k++) d.q[k] = d.sq[k] > s.sq[k] ? ~0ull : 0;
}

constexpr uint32_t kCrc32cReflected = 0x82f63b78;  // 1EDC6F41H with its bits reversed
uint32_t crc_table[256];

void build_crc_table() {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t r = n;
    for (int k = 0; k < 8; k++) r = (r >> 1) ^ ((r & 1) ? kCrc32cReflected : 0);
    crc_table[n] = r;
  }
}

template <class T> uint32_t crc_update(uint32_t crc, T v) {
  for (unsigned k = 0; k < sizeof(T); k++) {
    crc = crc_table[(crc ^ (uint8_t)v) & 0xff] ^ (crc >> 8);
    v = (T)((uint64_t)v >> 8);
  }
  return crc;
}

// CRC32 Gy, Eb / Ew / Ed / Eq: the accumulator is the low 32 bits of the destination; the
// result is written zero-extended (a 64-bit destination gets zeros in bits 63:32).
template <class T> const Insn* CRC32_GyE(Cpu& c, const Insn* i) {
  T v = rd_rm<T>(c, i);
  c.gpr[i->reg] = crc_update<T>((uint32_t)c.gpr[i->reg], v);
  return next(c, i);
}

}  // namespace

void register_sse42(OpTables& t) {
  build_crc_table();
  sse_op(t, MAP_0F38, 0x37, PFX_66, 0, SSE_VxWx<pcmpgtq>);
  // F0: byte source (r/m is a byte register: AH..BH without REX); the destination is 32 or 64 bits.
  t.sse[MAP_0F38][0xf0][PFX_F2] = opd(D_MODRM | D_RMBYTE, {CRC32_GyE<uint8_t>});
  // F1: 16-bit source with 66, 32 bits, 64 bits with REX.W
  t.sse[MAP_0F38][0xf1][PFX_F2] = opd(D_MODRM, {CRC32_GyE<uint16_t>, CRC32_GyE<uint32_t>, CRC32_GyE<uint64_t>});
}

}  // namespace tsv
