// x87 control instructions: FNINIT, FNCLEX, FLDCW/FNSTCW, FNSTSW (m16 and AX),
// FNSTENV/FLDENV and FNSAVE/FRSTOR in their four layouts (16/32-bit operand
// size x real/protected mode, SDM vol. 1 figures 8-9 to 8-12), FWAIT, and the
// pending-exception check every waiting instruction makes.
//
// Unmasked exceptions are reported as #MF at the next waiting instruction
// (x87_pending_check, x87_pending.cc).
#include "cpu/insn/x87.h"
#include "cpu/insn/x87_mem.h"

namespace tsv {

namespace x87 {
namespace {

void init(X87& f) {
  f.fcw = FCW_FINIT;
  f.fsw = 0;
  f.top = 0;
  f.ftw = 0xffff;
  f.fop = 0;
  f.fip = f.fdp = 0;
  f.fcs = f.fds = 0;
}

// The tag word as stored: empty stays empty, other registers are classified by content.
uint16_t stored_tags(const X87& f) {
  uint16_t w = 0;
  for (unsigned n = 0; n < 8; n++) {
    unsigned t = f.tag(n) == FTAG_EMPTY ? (unsigned)FTAG_EMPTY : fp80_class_tag(f.r[n]);
    w |= (uint16_t)(t << (2 * n));
  }
  return w;
}
// Loading a tag word: only "empty" is taken from it; the rest follows the contents.
void load_tags(X87& f, uint16_t w) {
  for (unsigned n = 0; n < 8; n++)
    f.set_tag(n, ((w >> (2 * n)) & 3) == FTAG_EMPTY ? (unsigned)FTAG_EMPTY : fp80_class_tag(f.r[n]));
}

bool real_format(const Cpu& c) { return c.mode == MODE_REAL || c.mode == MODE_V86; }

// The FPU control bits a load keeps: masks, PC, RC and the infinity-control bit;
// bit 6 reads as 1 (as on every processor since the 80387).
uint16_t fcw_value(uint16_t v) { return (uint16_t)((v & 0x1f3f) | 0x0040); }

// Environment image: 14 bytes (16-bit operand size) or 28 bytes (32/64-bit).
unsigned env_bytes(const Insn* i) { return i->opsize == 2 ? 14 : 28; }

void build_env(const Cpu& c, const Insn* i, uint8_t* img) {
  const X87& f = c.x87;
  auto put16 = [&](unsigned at, uint16_t v) { std::memcpy(img + at, &v, 2); };
  auto put32 = [&](unsigned at, uint32_t v) { std::memcpy(img + at, &v, 4); };
  const bool real = real_format(c);
  const uint32_t fip_lin = (uint32_t)(f.fip + ((uint32_t)f.fcs << 4));
  const uint32_t fdp_lin = (uint32_t)(f.fdp + ((uint32_t)f.fds << 4));
  if (i->opsize == 2) {
    put16(0, f.fcw);
    put16(2, f.status_word());
    put16(4, stored_tags(f));
    if (real) {
      put16(6, (uint16_t)fip_lin);
      put16(8, (uint16_t)(((fip_lin >> 16) & 0xf) << 12 | (f.fop & 0x7ff)));
      put16(10, (uint16_t)fdp_lin);
      put16(12, (uint16_t)(((fdp_lin >> 16) & 0xf) << 12));
    } else {
      put16(6, (uint16_t)f.fip);
      put16(8, f.fcs);
      put16(10, (uint16_t)f.fdp);
      put16(12, f.fds);
    }
    return;
  }
  put32(0, 0xffff0000u | f.fcw);
  put32(4, 0xffff0000u | f.status_word());
  put32(8, 0xffff0000u | stored_tags(f));
  if (real) {
    put32(12, 0xffff0000u | (fip_lin & 0xffff));
    put32(16, ((fip_lin >> 16) & 0xffff) << 12 | (f.fop & 0x7ff));
    put32(20, 0xffff0000u | (fdp_lin & 0xffff));
    put32(24, ((fdp_lin >> 16) & 0xffff) << 12);
  } else {
    put32(12, (uint32_t)f.fip);
    put32(16, (uint32_t)f.fcs | (uint32_t)(f.fop & 0x7ff) << 16);
    put32(20, (uint32_t)f.fdp);
    put32(24, 0xffff0000u | f.fds);
  }
}

void apply_env(Cpu& c, const Insn* i, const uint8_t* img) {
  X87& f = c.x87;
  auto get16 = [&](unsigned at) { uint16_t v; std::memcpy(&v, img + at, 2); return v; };
  auto get32 = [&](unsigned at) { uint32_t v; std::memcpy(&v, img + at, 4); return v; };
  const bool real = real_format(c);
  if (i->opsize == 2) {
    f.fcw = fcw_value(get16(0));
    f.set_status_word(get16(2));
    load_tags(f, get16(4));
    if (real) {
      f.fip = get16(6) | (uint32_t)(get16(8) >> 12) << 16;
      f.fop = get16(8) & 0x7ff;
      f.fdp = get16(10) | (uint32_t)(get16(12) >> 12) << 16;
      f.fcs = f.fds = 0;
    } else {
      f.fip = get16(6);
      f.fcs = get16(8);
      f.fdp = get16(10);
      f.fds = get16(12);
    }
  } else {
    f.fcw = fcw_value(get16(0));
    f.set_status_word(get16(4));
    load_tags(f, get16(8));
    if (real) {
      f.fip = (get32(12) & 0xffff) | ((get32(16) >> 12) & 0xffff) << 16;
      f.fop = get32(16) & 0x7ff;
      f.fdp = (get32(20) & 0xffff) | ((get32(24) >> 12) & 0xffff) << 16;
      f.fcs = f.fds = 0;
    } else {
      f.fip = get32(12);
      f.fcs = get16(16);
      f.fop = (get32(16) >> 16) & 0x7ff;
      f.fdp = get32(20);
      f.fds = get16(24);
    }
  }
  update_es(f);
}

void write_bytes(Cpu& c, const Insn* i, uint64_t off, const uint8_t* img, unsigned n) {
  probe_write(c, i->seg, off, n);
  for (unsigned k = 0; k < n; k++) wr<uint8_t>(c, i->seg, off + k, img[k]);
}
void read_bytes(Cpu& c, const Insn* i, uint64_t off, uint8_t* img, unsigned n) {
  for (unsigned k = 0; k < n; k++) img[k] = rd<uint8_t>(c, i->seg, off + k);
}

// ---------------------------------------------------------------- handlers
const Insn* FNINIT(Cpu& c, const Insn* i) {
  x87_check(c);
  init(c.x87);
  return next(c, i);
}
const Insn* FNCLEX(Cpu& c, const Insn* i) {
  x87_check(c);
  c.x87.fsw &= (uint16_t)~(fp80::X_ALL | FSW_SF | FSW_ES | FSW_B);
  return next(c, i);
}
const Insn* FNOP_CONTROL(Cpu& c, const Insn* i) {  // FNENI/FNDISI/FNSETPM: no-ops since the 80387
  x87_check(c);
  return next(c, i);
}
const Insn* FLDCW(Cpu& c, const Insn* i) {
  check_wait(c);
  c.x87.fcw = fcw_value(rd<uint16_t>(c, i->seg, ea(c, i)));
  update_es(c.x87);
  return next(c, i);
}
const Insn* FNSTCW(Cpu& c, const Insn* i) {
  x87_check(c);
  wr<uint16_t>(c, i->seg, ea(c, i), c.x87.fcw);
  return next(c, i);
}
const Insn* FNSTSW_M(Cpu& c, const Insn* i) {
  x87_check(c);
  wr<uint16_t>(c, i->seg, ea(c, i), c.x87.status_word());
  return next(c, i);
}
const Insn* FNSTSW_AX(Cpu& c, const Insn* i) {
  x87_check(c);
  setr<uint16_t>(c, 0, c.x87.status_word());
  return next(c, i);
}
const Insn* FNSTENV(Cpu& c, const Insn* i) {
  x87_check(c);
  uint8_t img[28];
  build_env(c, i, img);
  write_bytes(c, i, ea(c, i), img, env_bytes(i));
  c.x87.fcw |= 0x3f;  // then every exception is masked
  update_es(c.x87);
  return next(c, i);
}
const Insn* FLDENV(Cpu& c, const Insn* i) {
  check_wait(c);
  uint8_t img[28];
  read_bytes(c, i, ea(c, i), img, env_bytes(i));
  apply_env(c, i, img);
  return next(c, i);
}
const Insn* FNSAVE(Cpu& c, const Insn* i) {
  x87_check(c);
  const unsigned eb = env_bytes(i);
  uint8_t img[28 + 80];
  build_env(c, i, img);
  for (unsigned k = 0; k < 8; k++) {  // registers in stack order
    const Fp80& r = c.x87.r[phys(c, k)];
    std::memcpy(img + eb + 10 * k, &r.mant, 8);
    std::memcpy(img + eb + 10 * k + 8, &r.se, 2);
  }
  write_bytes(c, i, ea(c, i), img, eb + 80);
  init(c.x87);
  return next(c, i);
}
const Insn* FRSTOR(Cpu& c, const Insn* i) {
  check_wait(c);
  const unsigned eb = env_bytes(i);
  uint8_t img[28 + 80];
  read_bytes(c, i, ea(c, i), img, eb + 80);
  // registers first (by the TOP in the image) so the tags are classified on the new contents
  uint16_t sw;
  std::memcpy(&sw, img + (i->opsize == 2 ? 2 : 4), 2);
  unsigned top = (sw >> FSW_TOP_SHIFT) & 7;
  for (unsigned k = 0; k < 8; k++) {
    Fp80& r = c.x87.r[(top + k) & 7];
    std::memcpy(&r.mant, img + eb + 10 * k, 8);
    std::memcpy(&r.se, img + eb + 10 * k + 8, 2);
  }
  apply_env(c, i, img);
  return next(c, i);
}

}  // namespace

const Insn* FWAIT(Cpu& c, const Insn* i) {
  if ((c.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) raise_exc(c, EXC_NM);
  if (c.x87.fsw & FSW_ES) x87_pending_check(c);
  return next(c, i);
}

void register_x87_control(OpTables& t) {
  reg_op(t, 0xdb, 0xe3, FNINIT);
  reg_op(t, 0xdb, 0xe2, FNCLEX);
  reg_op(t, 0xdb, 0xe0, FNOP_CONTROL);
  reg_op(t, 0xdb, 0xe1, FNOP_CONTROL);
  reg_op(t, 0xdb, 0xe4, FNOP_CONTROL);
  mem_op(t, 0xd9, 5, FLDCW);
  mem_op(t, 0xd9, 7, FNSTCW);
  mem_op(t, 0xdd, 7, FNSTSW_M);
  reg_op(t, 0xdf, 0xe0, FNSTSW_AX);
  mem_op(t, 0xd9, 6, FNSTENV);
  mem_op(t, 0xd9, 4, FLDENV);
  mem_op(t, 0xdd, 6, FNSAVE);
  mem_op(t, 0xdd, 4, FRSTOR);
}

}  // namespace x87
}  // namespace tsv
