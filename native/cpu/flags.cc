// Lazy arithmetic flags: the last flag-setting operation is recorded as
// (op, width, result, sources); flags are derived here only when read.
#include "cpu/bits.h"
#include "cpu/cpu.h"

namespace tsv {

uint32_t parity_flag(uint8_t v) { return (popcount64(v) & 1) ? 0 : F_PF; }

static inline uint64_t width_mask(unsigned bits) { return bits == 64 ? ~0ull : ((1ull << bits) - 1); }
static inline bool sign_of(uint64_t v, unsigned bits) { return (v >> (bits - 1)) & 1; }

bool cf_slow(const Cpu& c) {
  uint64_t m = width_mask(c.lf_bits);
  uint64_t r = c.lf_res & m, a = c.lf_src1 & m, b = c.lf_src2 & m;
  switch (c.lf_op) {
    case LF_NONE: return c.lf_flags & F_CF;
    case LF_ADD: return r < a;
    case LF_ADC: return (c.lf_flags & 1) ? r <= a : r < a;
    case LF_SUB: return a < b;
    case LF_SBB: return (c.lf_flags & 1) ? a <= b : a < b;
    case LF_LOGIC: return false;
    case LF_SHL: return (a >> (c.lf_bits - b)) & 1;
    case LF_SHR: return (a >> (b - 1)) & 1;
    case LF_SAR: {
      unsigned sh = 64 - c.lf_bits;
      return ((int64_t)(a << sh) >> sh >> (b - 1)) & 1;
    }
    default: return c.lf_flags & 1;  // INC/DEC keep CF
  }
}

bool of_slow(const Cpu& c) {
  unsigned bits = c.lf_bits;
  uint64_t r = c.lf_res, a = c.lf_src1, b = c.lf_src2;
  switch (c.lf_op) {
    case LF_NONE: return c.lf_flags & F_OF;
    case LF_ADD: case LF_ADC: case LF_INC: return sign_of((a ^ r) & (b ^ r), bits);
    case LF_SUB: case LF_SBB: case LF_DEC: return sign_of((a ^ b) & (a ^ r), bits);
    case LF_SHL: return sign_of(r, bits) != cf_slow(c);
    case LF_SHR: return sign_of(a, bits);
    default: return false;
  }
}

// Every arithmetic flag at once (PUSHF, LAHF, interrupts: Linux reads RFLAGS through PUSHF on
// every irqs-disabled check). The logic and ADD/SUB cases, most of what precedes a PUSHF, are
// worked out here without the general cf_slow/of_slow switches.
uint32_t Cpu::arith_flags() const {
  if (lf_op == LF_NONE) return lf_flags & F_ARITH;
  const unsigned bits = lf_bits;
  const uint64_t m = width_mask(bits);
  const uint64_t r = lf_res & m;
  uint32_t f = parity_flag((uint8_t)r);
  if (r == 0) f |= F_ZF;
  if (sign_of(r, bits)) f |= F_SF;
  const uint64_t a = lf_src1 & m, b = lf_src2 & m;
  switch (lf_op) {
    case LF_LOGIC: return f;  // CF = OF = 0, AF left 0
    case LF_ADD:
      if (r < a) f |= F_CF;
      if (sign_of((a ^ r) & (b ^ r), bits)) f |= F_OF;
      break;
    case LF_SUB:
      if (a < b) f |= F_CF;
      if (sign_of((a ^ b) & (a ^ r), bits)) f |= F_OF;
      break;
    default:
      if (cf_slow(*this)) f |= F_CF;
      if (of_slow(*this)) f |= F_OF;
      break;
  }
  if (lf_op <= LF_DEC && ((lf_src1 ^ lf_src2 ^ lf_res) & 0x10)) f |= F_AF;
  return f;
}

bool cond_slow(const Cpu& c, unsigned cc) {
  bool r;
  if (c.lf_op == LF_SUB) {
    // CMP/SUB: the conditions are plain comparisons of the operands
    unsigned sh = 64 - c.lf_bits;
    uint64_t a = c.lf_src1, b = c.lf_src2;
    int64_t sa = (int64_t)(a << sh) >> sh, sb = (int64_t)(b << sh) >> sh;
    switch (cc >> 1) {
      case 1: r = a < b; return (cc & 1) ? !r : r;
      case 2: r = a == b; return (cc & 1) ? !r : r;
      case 3: r = a <= b; return (cc & 1) ? !r : r;
      case 6: r = sa < sb; return (cc & 1) ? !r : r;
      case 7: r = sa <= sb; return (cc & 1) ? !r : r;
      default: break;
    }
  }
  switch (cc >> 1) {
    case 0: r = of_slow(c); break;
    case 1: r = cf_slow(c); break;
    case 2: r = get_zf(c); break;
    case 3: r = cf_slow(c) || get_zf(c); break;
    case 4: r = c.arith_flags() & F_SF; break;
    case 5: r = c.arith_flags() & F_PF; break;
    case 6: r = (((c.arith_flags() & F_SF) != 0) != of_slow(c)); break;
    default: r = get_zf(c) || (((c.arith_flags() & F_SF) != 0) != of_slow(c)); break;
  }
  return (cc & 1) ? !r : r;
}

uint64_t Cpu::get_rflags() const { return (rflags & ~F_ARITH) | arith_flags() | 2; }

void Cpu::set_rflags(uint64_t v) {
  rflags = (v & ~F_ARITH & 0x3f7fd7ull) | 2;
  lf_op = LF_NONE;
  lf_flags = v & F_ARITH;
}

}  // namespace tsv
