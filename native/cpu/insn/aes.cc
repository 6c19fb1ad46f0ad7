// AES-NI (66 0F 38 DB-DF, 66 0F 3A DF): one AES round on the 128-bit state in
// xmm1 with the round key from xmm2/m128 (FIPS-197). The state's byte k is
// row k % 4, column k / 4. The S-box and its inverse are computed once from
// their definition: the multiplicative inverse in GF(2^8) modulo
// x^8 + x^4 + x^3 + x + 1 followed by the affine transformation.
#include "cpu/insn/sse4_lanes.h"

namespace tsv {
namespace {

uint8_t sbox[256], inv_sbox[256];

uint8_t xtime(uint8_t a) { return (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0)); }
uint8_t gmul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  while (b) {
    if (b & 1) p ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return p;
}
uint8_t rotl8(uint8_t v, unsigned n) { return (uint8_t)((v << n) | (v >> (8 - n))); }

void build_sboxes() {
  for (unsigned x = 0; x < 256; x++) {
    uint8_t inv = 0;  // 0 maps to 0
    if (x)
      for (unsigned y = 1; y < 256; y++)
        if (gmul((uint8_t)x, (uint8_t)y) == 1) {
          inv = (uint8_t)y;
          break;
        }
    uint8_t s = (uint8_t)(inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63);
    sbox[x] = s;
    inv_sbox[s] = (uint8_t)x;
  }
}

// ShiftRows moves row r left by r columns; the inverse moves it right.
void shift_rows(Xmm& s) {
  Xmm t = s;
  for (unsigned r = 0; r < 4; r++)
    for (unsigned col = 0; col < 4; col++) s.b[r + 4 * col] = t.b[r + 4 * ((col + r) & 3)];
}
void inv_shift_rows(Xmm& s) {
  Xmm t = s;
  for (unsigned r = 0; r < 4; r++)
    for (unsigned col = 0; col < 4; col++) s.b[r + 4 * ((col + r) & 3)] = t.b[r + 4 * col];
}
void sub_bytes(Xmm& s, const uint8_t* box) {
  for (unsigned k = 0; k < 16; k++) s.b[k] = box[s.b[k]];
}
// Each column times {03}x^3 + {01}x^2 + {01}x + {02}, or its inverse {0b}x^3 + {0d}x^2 + {09}x + {0e}.
void mix_columns(Xmm& s) {
  for (unsigned col = 0; col < 4; col++) {
    uint8_t* a = s.b + 4 * col;
    uint8_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    a[0] = (uint8_t)(gmul(a0, 2) ^ gmul(a1, 3) ^ a2 ^ a3);
    a[1] = (uint8_t)(a0 ^ gmul(a1, 2) ^ gmul(a2, 3) ^ a3);
    a[2] = (uint8_t)(a0 ^ a1 ^ gmul(a2, 2) ^ gmul(a3, 3));
    a[3] = (uint8_t)(gmul(a0, 3) ^ a1 ^ a2 ^ gmul(a3, 2));
  }
}
void inv_mix_columns(Xmm& s) {
  for (unsigned col = 0; col < 4; col++) {
    uint8_t* a = s.b + 4 * col;
    uint8_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    a[0] = (uint8_t)(gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9));
    a[1] = (uint8_t)(gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13));
    a[2] = (uint8_t)(gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11));
    a[3] = (uint8_t)(gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14));
  }
}
void add_round_key(Xmm& s, const Xmm& k) {
  s.q[0] ^= k.q[0];
  s.q[1] ^= k.q[1];
}

void aesenc(Xmm& d, const Xmm& key) {
  shift_rows(d);
  sub_bytes(d, sbox);
  mix_columns(d);
  add_round_key(d, key);
}
void aesenclast(Xmm& d, const Xmm& key) {
  shift_rows(d);
  sub_bytes(d, sbox);
  add_round_key(d, key);
}
void aesdec(Xmm& d, const Xmm& key) {
  inv_shift_rows(d);
  sub_bytes(d, inv_sbox);
  inv_mix_columns(d);
  add_round_key(d, key);
}
void aesdeclast(Xmm& d, const Xmm& key) {
  inv_shift_rows(d);
  sub_bytes(d, inv_sbox);
  add_round_key(d, key);
}
void aesimc(Xmm& d, const Xmm& s) {
  d = s;
  inv_mix_columns(d);
}

uint32_t sub_word(uint32_t w) {
  return (uint32_t)sbox[w & 0xff] | (uint32_t)sbox[(w >> 8) & 0xff] << 8 | (uint32_t)sbox[(w >> 16) & 0xff] << 16 |
         (uint32_t)sbox[w >> 24] << 24;
}
uint32_t rot_word(uint32_t w) { return (w >> 8) | (w << 24); }  // [a0 a1 a2 a3] -> [a1 a2 a3 a0]

// AESKEYGENASSIST: SubWord and RotWord(SubWord) ^ RCON (imm8) of the source's dwords 1 and 3.
void aeskeygenassist(Xmm& d, const Xmm& s, uint8_t rcon) {
  uint32_t x1 = sub_word(s.d[1]), x3 = sub_word(s.d[3]);
  d.d[0] = x1;
  d.d[1] = rot_word(x1) ^ rcon;
  d.d[2] = x3;
  d.d[3] = rot_word(x3) ^ rcon;
}

}  // namespace

void register_aes(OpTables& t) {
  build_sboxes();
  sse_op(t, MAP_0F38, 0xdb, PFX_66, 0, SSE_VxWx<aesimc>);
  sse_op(t, MAP_0F38, 0xdc, PFX_66, 0, SSE_VxWx<aesenc>);
  sse_op(t, MAP_0F38, 0xdd, PFX_66, 0, SSE_VxWx<aesenclast>);
  sse_op(t, MAP_0F38, 0xde, PFX_66, 0, SSE_VxWx<aesdec>);
  sse_op(t, MAP_0F38, 0xdf, PFX_66, 0, SSE_VxWx<aesdeclast>);
  sse_op(t, MAP_0F3A, 0xdf, PFX_66, 0, SSE_VxWxIb<aeskeygenassist>);
}

}  // namespace tsv
