// x87, MMX and SSE register state of a vCPU (part of Cpu). The layouts the
// guest sees (FXSAVE/XSAVE images, FSAVE/FSTENV) are produced from this by
// insn/fxsave.cc and the x87 files; this header only fixes the storage.
#pragma once
#include <cstdint>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

// An 80-bit extended-precision value: 64-bit significand with its explicit
// integer bit (bit 63), and sign (bit 15) + 15-bit biased exponent in se.
// MMX register mmN is the significand of physical register N; an MMX write
// also sets se to 0xffff (SDM: the exponent field of the aliased x87 register
// is set to all ones).
struct Fp80 {
  uint64_t mant;
  uint16_t se;
};

// x87 tag values (2 bits per physical register in the full tag word)
enum : uint8_t { FTAG_VALID = 0, FTAG_ZERO = 1, FTAG_SPECIAL = 2, FTAG_EMPTY = 3 };

// FPU status word bits; TOP (bits 11..13) is kept in X87::top, not in fsw
constexpr uint16_t FSW_IE = 1u << 0, FSW_DE = 1u << 1, FSW_ZE = 1u << 2, FSW_OE = 1u << 3, FSW_UE = 1u << 4,
                   FSW_PE = 1u << 5, FSW_SF = 1u << 6, FSW_ES = 1u << 7, FSW_C0 = 1u << 8, FSW_C1 = 1u << 9,
                   FSW_C2 = 1u << 10, FSW_C3 = 1u << 14, FSW_B = 1u << 15;
constexpr uint16_t FSW_TOP_SHIFT = 11;
// FPU control word: exception masks (bits 0..5), precision control (8..9), rounding control (10..11)
constexpr uint16_t FCW_FINIT = 0x037f;   // FNINIT / FNSAVE leave this
constexpr uint16_t FCW_RESET = 0x0040;   // power-up and RESET value (SDM vol. 3 table 9-1)

constexpr uint32_t MXCSR_RESET = 0x1f80;  // all exceptions masked, round to nearest
// Bits of MXCSR this CPU implements (reported as MXCSR_MASK in FXSAVE): the six
// flags, DAZ (bit 6), the six masks, rounding control and FTZ (bit 15).
constexpr uint32_t MXCSR_MASK = 0x0000ffff;

struct X87 {
  Fp80 r[8];        // physical registers R0..R7; ST(i) is r[(top + i) & 7]
  uint16_t fcw;
  uint16_t fsw;     // status word without TOP
  uint8_t top;
  uint16_t ftw;     // full tag word: 2 bits per physical register (FTAG_*)
  uint16_t fop;     // last non-control instruction's opcode (11 bits)
  uint64_t fip, fdp;  // last instruction / operand pointers (offsets)
  uint16_t fcs, fds;  // and their selectors

  uint16_t status_word() const { return (uint16_t)((fsw & ~(7u << FSW_TOP_SHIFT)) | ((top & 7u) << FSW_TOP_SHIFT)); }
  void set_status_word(uint16_t v) {
    top = (v >> FSW_TOP_SHIFT) & 7;
    fsw = v & ~(7u << FSW_TOP_SHIFT);
  }
  unsigned tag(unsigned phys) const { return (ftw >> (2 * phys)) & 3; }
  void set_tag(unsigned phys, unsigned t) { ftw = (uint16_t)((ftw & ~(3u << (2 * phys))) | ((t & 3u) << (2 * phys))); }
  // FXSAVE's abridged tag byte: bit N set when physical register N is not empty
  uint8_t abridged_tags() const {
    uint8_t a = 0;
    for (unsigned n = 0; n < 8; n++)
      if (tag(n) != FTAG_EMPTY) a |= (uint8_t)(1u << n);
    return a;
  }
};

// The tag a value gets when loaded (FXRSTOR/XRSTOR rebuild the full tag word this way)
inline unsigned fp80_class_tag(const Fp80& v) {
  unsigned e = v.se & 0x7fff;
  if (e == 0x7fff) return FTAG_SPECIAL;
  if (e == 0) return v.mant == 0 ? FTAG_ZERO : FTAG_SPECIAL;  // zero, or denormal/pseudo-denormal
  return (v.mant >> 63) ? FTAG_VALID : FTAG_SPECIAL;       // unnormal
}

union alignas(16) Xmm {
  uint8_t b[16];
  uint16_t w[8];
  uint32_t d[4];
  uint64_t q[2];
  int8_t sb[16];
  int16_t sw[8];
  int32_t sd[4];
  int64_t sq[2];
  float f[4];
  double fd[2];
};

// XSAVE state components this CPU supports: x87 (0) and SSE (1)
constexpr uint64_t XCR0_X87 = 1, XCR0_SSE = 2;
constexpr uint64_t XCR0_SUPPORTED = XCR0_X87 | XCR0_SSE;
constexpr unsigned XSAVE_AREA_SIZE = 576;  // legacy region (512) + XSAVE header (64)

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
