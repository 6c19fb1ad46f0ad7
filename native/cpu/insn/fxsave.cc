// Group 15 (0F AE): FXSAVE/FXRSTOR, LDMXCSR/STMXCSR, XSAVE/XRSTOR/XSAVEOPT,
// CLFLUSH/CLFLUSHOPT/CLWB and the fences; XGETBV/XSETBV (0F 01 D0/D1) live
// here too because they manage the same state.
//
// The FXSAVE image (SDM vol. 1, 10.5.1) is built in a local 512-byte buffer and
// written only after the whole destination has been probed, so a fault leaves
// memory untouched; restores read and validate everything before committing.
#include "cpu/sse.h"
#include "cpu/vm.h"

namespace tsv {

void reset_fpu_state(Cpu& c) {
  std::memset(&c.x87, 0, sizeof c.x87);
  c.x87.fcw = FCW_RESET;
  c.x87.ftw = 0x5555;  // power-up: every register tagged zero (SDM vol. 3 table 9-1: tag word 5555H)
  std::memset(c.xmm, 0, sizeof c.xmm);
  c.mxcsr = MXCSR_RESET;
}

void raise_simd_fp(Cpu& c) {
  if (c.cr4 & CR4_OSXMMEXCPT) raise_exc(c, EXC_XM);
  raise_ud(c);
}

namespace {

constexpr unsigned kLegacyBytes = 512;

// XMM registers a save/restore covers: XMM8-15 exist only in 64-bit mode.
unsigned xmm_count(const Cpu& c) { return c.mode == MODE_LONG64 ? 16 : 8; }

template <class T> void put(uint8_t* img, unsigned at, T v) { std::memcpy(img + at, &v, sizeof v); }
template <class T> T get(const uint8_t* img, unsigned at) {
  T v;
  std::memcpy(&v, img + at, sizeof v);
  return v;
}

// ---- the x87 part of the legacy region: bytes 0..23 and 32..159
void save_x87(const Cpu& c, uint8_t* img, bool rexw) {
  const X87& f = c.x87;
  put<uint16_t>(img, 0, f.fcw);
  put<uint16_t>(img, 2, f.status_word());
  img[4] = f.abridged_tags();
  img[5] = 0;
  put<uint16_t>(img, 6, f.fop);
  if (rexw) {  // FXSAVE64 / XSAVE with REX.W: 64-bit instruction and operand pointers
    put<uint64_t>(img, 8, f.fip);
    put<uint64_t>(img, 16, f.fdp);
  } else {
    put<uint32_t>(img, 8, (uint32_t)f.fip);
    put<uint16_t>(img, 12, f.fcs);
    put<uint16_t>(img, 14, 0);
    put<uint32_t>(img, 16, (uint32_t)f.fdp);
    put<uint16_t>(img, 20, f.fds);
    put<uint16_t>(img, 22, 0);
  }
  for (unsigned st = 0; st < 8; st++) {  // stored in stack order: ST(0) first
    const Fp80& r = f.r[(f.top + st) & 7];
    unsigned at = 32 + 16 * st;
    put<uint64_t>(img, at, r.mant);
    put<uint16_t>(img, at + 8, r.se);
    std::memset(img + at + 10, 0, 6);
  }
}
void load_x87(Cpu& c, const uint8_t* img, bool rexw) {
  X87& f = c.x87;
  f.fcw = get<uint16_t>(img, 0);
  f.set_status_word(get<uint16_t>(img, 2));
  uint8_t abridged = img[4];
  f.fop = get<uint16_t>(img, 6) & 0x7ff;
  if (rexw) {
    f.fip = get<uint64_t>(img, 8);
    f.fdp = get<uint64_t>(img, 16);
  } else {
    f.fip = get<uint32_t>(img, 8);
    f.fcs = get<uint16_t>(img, 12);
    f.fdp = get<uint32_t>(img, 16);
    f.fds = get<uint16_t>(img, 20);
  }
  for (unsigned st = 0; st < 8; st++) {
    Fp80& r = f.r[(f.top + st) & 7];
    r.mant = get<uint64_t>(img, 32 + 16 * st);
    r.se = get<uint16_t>(img, 32 + 16 * st + 8);
  }
  // the full tag word is rebuilt from the abridged one and the register contents
  f.ftw = 0;
  for (unsigned n = 0; n < 8; n++) f.set_tag(n, (abridged >> n) & 1 ? fp80_class_tag(f.r[n]) : (unsigned)FTAG_EMPTY);
}
void init_x87(Cpu& c) {
  X87& f = c.x87;
  std::memset(f.r, 0, sizeof f.r);
  f.fcw = FCW_FINIT;
  f.fsw = 0;
  f.top = 0;
  f.ftw = 0xffff;
  f.fop = 0;
  f.fip = f.fdp = 0;
  f.fcs = f.fds = 0;
}
// ---- the SSE part: MXCSR (24..31) and XMM registers (160..)
void save_mxcsr(const Cpu& c, uint8_t* img) {
  put<uint32_t>(img, 24, c.mxcsr);
  put<uint32_t>(img, 28, MXCSR_MASK);
}
void save_xmm(const Cpu& c, uint8_t* img) {
  for (unsigned n = 0; n < xmm_count(c); n++) std::memcpy(img + 160 + 16 * n, c.xmm[n].b, 16);
}
void load_xmm(Cpu& c, const uint8_t* img) {
  for (unsigned n = 0; n < xmm_count(c); n++) std::memcpy(c.xmm[n].b, img + 160 + 16 * n, 16);
}

// ---- memory: whole images, probed before any byte is written
void read_image(Cpu& c, const Insn* i, uint64_t off, uint8_t* img, unsigned bytes) {
  for (unsigned k = 0; k < bytes; k += 8) put<uint64_t>(img, k, rd<uint64_t>(c, i->seg, off + k));
}
void write_image(Cpu& c, const Insn* i, uint64_t off, const uint8_t* img, unsigned from, unsigned to) {
  probe_write(c, i->seg, off, kLegacyBytes);
  for (unsigned k = from; k < to; k += 8) wr<uint64_t>(c, i->seg, off + k, get<uint64_t>(img, k));
}
// FXSAVE/FXRSTOR want 16-byte alignment, the XSAVE family 64 (#GP(0) otherwise).
uint64_t aligned_operand(Cpu& c, const Insn* i, unsigned align) {
  uint64_t off = ea(c, i);
  if ((c.seg[i->seg].ebase + off) & (align - 1)) raise_gp(c, 0);
  return off;
}
// FXSAVE/FXRSTOR: #NM when CR0.TS or CR0.EM (they exist without SSE being enabled)
void fxsr_check(Cpu& c) {
  if (c.cr0 & (CR0_EM | CR0_TS)) raise_exc(c, EXC_NM);
}
// XSAVE family: #UD unless CR4.OSXSAVE, then #NM when CR0.TS
void xsave_check(Cpu& c) {
  if (!(c.cr4 & CR4_OSXSAVE)) raise_ud(c);
  if (c.cr0 & CR0_TS) raise_exc(c, EXC_NM);
}
bool prefixed(const Insn* i) { return i->pfx == PFX_F3 || i->pfx == PFX_F2; }

// ---------------------------------------------------------------- FXSAVE / FXRSTOR
const Insn* FXSAVE_M(Cpu& c, const Insn* i) {
  if (prefixed(i)) raise_ud(c);
  fxsr_check(c);
  uint64_t off = aligned_operand(c, i, 16);
  uint8_t img[kLegacyBytes];  // only bytes 0..159+16n are written: the rest keep their contents
  save_x87(c, img, i->flags & INSN_REXW);
  save_mxcsr(c, img);
  save_xmm(c, img);
  write_image(c, i, off, img, 0, 160 + 16 * xmm_count(c));
  return next(c, i);
}
const Insn* FXRSTOR_M(Cpu& c, const Insn* i) {
  if (prefixed(i)) raise_ud(c);
  fxsr_check(c);
  uint64_t off = aligned_operand(c, i, 16);
  uint8_t img[kLegacyBytes];
  read_image(c, i, off, img, kLegacyBytes);
  if (get<uint32_t>(img, 24) & ~MXCSR_MASK) raise_gp(c, 0);
  load_x87(c, img, i->flags & INSN_REXW);
  c.mxcsr = get<uint32_t>(img, 24);
  load_xmm(c, img);
  return next(c, i);
}

// ---------------------------------------------------------------- LDMXCSR / STMXCSR
const Insn* LDMXCSR_M(Cpu& c, const Insn* i) {
  if (prefixed(i)) raise_ud(c);
  sse_check(c);
  uint32_t v = rd<uint32_t>(c, i->seg, ea(c, i));
  if (v & ~MXCSR_MASK) raise_gp(c, 0);
  c.mxcsr = v;
  return next(c, i);
}
const Insn* STMXCSR_M(Cpu& c, const Insn* i) {
  if (prefixed(i)) raise_ud(c);
  sse_check(c);
  wr<uint32_t>(c, i->seg, ea(c, i), c.mxcsr);
  return next(c, i);
}

// ---------------------------------------------------------------- XSAVE / XSAVEOPT / XRSTOR
// XINUSE: this CPU reports every enabled component as in use (the SDM allows
// XINUSE[i] = 1 for a component in its initial configuration), so XSTATE_BV
// gets RFBM's bits. XSAVEOPT therefore saves exactly what XSAVE saves.
const Insn* XSAVE_M(Cpu& c, const Insn* i) {
  if (prefixed(i)) raise_ud(c);
  xsave_check(c);
  uint64_t off = aligned_operand(c, i, 64);
  uint64_t rfbm = c.xcr0 & ((c.gpr[2] << 32) | (uint32_t)c.gpr[0]);
  uint8_t img[XSAVE_AREA_SIZE];
  read_image(c, i, off, img, XSAVE_AREA_SIZE);
  if (rfbm & XCR0_X87) save_x87(c, img, i->flags & INSN_REXW);
  if (rfbm & XCR0_SSE) {
    save_mxcsr(c, img);
    save_xmm(c, img);
  }
  uint64_t xstate_bv = get<uint64_t>(img, 512);
  put<uint64_t>(img, 512, (xstate_bv & ~rfbm) | rfbm);
  probe_write(c, i->seg, off, XSAVE_AREA_SIZE);
  for (unsigned k = 0; k < XSAVE_AREA_SIZE; k += 8) wr<uint64_t>(c, i->seg, off + k, get<uint64_t>(img, k));
  return next(c, i);
}
const Insn* XRSTOR_M(Cpu& c, const Insn* i) {
  if (prefixed(i)) raise_ud(c);
  xsave_check(c);
  uint64_t off = aligned_operand(c, i, 64);
  uint64_t rfbm = c.xcr0 & ((c.gpr[2] << 32) | (uint32_t)c.gpr[0]);
  uint8_t img[XSAVE_AREA_SIZE];
  read_image(c, i, off, img, XSAVE_AREA_SIZE);
  uint64_t xstate_bv = get<uint64_t>(img, 512), xcomp_bv = get<uint64_t>(img, 520);
  // standard form only (no XSAVEC): XCOMP_BV and the rest of the header must be zero
  if (xstate_bv & ~c.xcr0) raise_gp(c, 0);
  if (xcomp_bv != 0) raise_gp(c, 0);
  for (unsigned k = 528; k < XSAVE_AREA_SIZE; k += 8)
    if (get<uint64_t>(img, k) != 0) raise_gp(c, 0);
  if ((rfbm & XCR0_SSE) && (get<uint32_t>(img, 24) & ~MXCSR_MASK)) raise_gp(c, 0);
  if (rfbm & XCR0_X87) {
    if (xstate_bv & XCR0_X87) load_x87(c, img, i->flags & INSN_REXW);
    else init_x87(c);
  }
  if (rfbm & XCR0_SSE) {
    c.mxcsr = get<uint32_t>(img, 24);  // MXCSR is loaded whenever RFBM[1] is set
    if (xstate_bv & XCR0_SSE) load_xmm(c, img);
    else
      for (unsigned n = 0; n < xmm_count(c); n++) std::memset(c.xmm[n].b, 0, 16);
  }
  return next(c, i);
}

// ---------------------------------------------------------------- cache lines, fences
// CLFLUSH (no prefix) / CLFLUSHOPT (66) on /7, CLWB (66) on /6: there is no cache to
// write back; each checks its operand like a byte load (SDM: faults as a read).
const Insn* CLFLUSH_M(Cpu& c, const Insn* i) {
  if (prefixed(i)) raise_ud(c);
  (void)rd<uint8_t>(c, i->seg, ea(c, i));
  return next(c, i);
}
// /6 memory: XSAVEOPT without a prefix, CLWB with 66
const Insn* GRP15_6_M(Cpu& c, const Insn* i) {
  if (i->pfx == PFX_66) return CLFLUSH_M(c, i);
  return XSAVE_M(c, i);
}
// LFENCE/MFENCE/SFENCE: one vCPU runs at a time and stores are never reordered, so ordering holds.
// The F3/F2 register forms (RDFSBASE..., not offered in CPUID) are #UD.
const Insn* FENCE(Cpu& c, const Insn* i) {
  if (prefixed(i)) raise_ud(c);
  return next(c, i);
}

// ---------------------------------------------------------------- XGETBV / XSETBV (0F 01 D0 / D1)
}  // namespace

const Insn* XGETBV(Cpu& c, const Insn* i) {
  if (!(c.cr4 & CR4_OSXSAVE)) raise_ud(c);
  if ((uint32_t)c.gpr[1] != 0) raise_gp(c, 0);  // ECX=1 (XINUSE) needs CPUID.(0DH,1).EAX[2], not offered
  c.gpr[0] = (uint32_t)c.xcr0;
  c.gpr[2] = (uint32_t)(c.xcr0 >> 32);
  return next(c, i);
}
const Insn* XSETBV(Cpu& c, const Insn* i) {
  if (!(c.cr4 & CR4_OSXSAVE)) raise_ud(c);
  if (c.cpl != 0 || c.mode == MODE_V86) raise_gp(c, 0);
  if ((uint32_t)c.gpr[1] != 0) raise_gp(c, 0);
  uint64_t v = (c.gpr[2] << 32) | (uint32_t)c.gpr[0];
  if (!(v & XCR0_X87) || (v & ~XCR0_SUPPORTED)) raise_gp(c, 0);
  c.xcr0 = v;
  return next(c, i);
}

void register_fxsave(OpTables& t) {
  t.two[0xae].attr = grp_attr(G15_0FAE) | D_VALID;
  t.grp[G15_0FAE][0] = opd_m(D_MEMONLY, {nullptr}, {FXSAVE_M});
  t.grp[G15_0FAE][1] = opd_m(D_MEMONLY, {nullptr}, {FXRSTOR_M});
  t.grp[G15_0FAE][2] = opd_m(D_MEMONLY, {nullptr}, {LDMXCSR_M});
  t.grp[G15_0FAE][3] = opd_m(D_MEMONLY, {nullptr}, {STMXCSR_M});
  t.grp[G15_0FAE][4] = opd_m(D_MEMONLY, {nullptr}, {XSAVE_M});
  t.grp[G15_0FAE][5] = opd_m(0, {FENCE}, {XRSTOR_M});      // reg: LFENCE
  t.grp[G15_0FAE][6] = opd_m(0, {FENCE}, {GRP15_6_M});     // reg: MFENCE
  t.grp[G15_0FAE][7] = opd_m(0, {FENCE}, {CLFLUSH_M});     // reg: SFENCE; mem: CLFLUSH / CLFLUSHOPT (66)
}

}  // namespace tsv
