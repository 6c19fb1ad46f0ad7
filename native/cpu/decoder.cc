// x86 instruction decoder: prefixes, REX, ModRM/SIB, displacement and
// immediates, driven by the opcode table. All operand-size, address-size and
// register-encoding decisions are made here once, so handlers never branch on mode.
#include "cpu/decoder.h"

namespace tsv {

const Insn* UD(Cpu& c, const Insn*) { raise_ud(c); }
const Insn* GP0(Cpu& c, const Insn*) { raise_gp(c, 0); }

static OpTables* build_tables() {
  OpTables* t = new OpTables();
  register_alu(*t);
  register_shift_bit(*t);
  register_move(*t);
  register_stack(*t);
  register_branch(*t);
  register_string(*t);
  register_io(*t);
  register_descriptor_tables(*t);
  register_system(*t);
  register_x87(*t);
  register_fxsave(*t);
  register_bmi(*t);
  register_rdrand(*t);
  register_legacy(*t);
  register_simd_int(*t);
  register_sse_fp(*t);
  register_sse4(*t);
  return t;
}

const OpTables& op_tables() {
  static const OpTables* t = build_tables();
  return *t;
}

namespace {
struct Reader {
  const uint8_t* p;
  unsigned avail, pos;
  bool ok = true;
  uint64_t get(unsigned n) {
    if (pos + n > avail) {
      ok = false;
      pos += n;
      return 0;
    }
    uint64_t v = 0;
    std::memcpy(&v, p + pos, n);
    pos += n;
    return v;
  }
};
}  // namespace

static inline int64_t sext(uint64_t v, unsigned bytes) {
  unsigned sh = 64 - 8 * bytes;
  return (int64_t)(v << sh) >> sh;
}

bool decode(const Cpu& c, const uint8_t* bytes, unsigned avail, Insn& in, uint32_t& attr_out) {
  const OpTables& T = op_tables();
  Reader r{bytes, avail, 0};
  const bool m64 = c.code_size == 8;
  std::memset(&in, 0, sizeof in);
  in.base = in.index = 16;
  in.seg = TSV_SEG_DS;
  bool opsz = false, adsz = false, lock = false;
  uint8_t rep = 0, rex = 0;
  int seg_ovr = -1;
  uint8_t b;
  for (;;) {
    b = (uint8_t)r.get(1);
    if (!r.ok) return false;
    if (r.pos > 15) break;
    switch (b) {
      case 0x66: opsz = true; rex = 0; continue;
      case 0x67: adsz = true; rex = 0; continue;
      case 0xf0: lock = true; rex = 0; continue;
      case 0xf2: case 0xf3: rep = b; rex = 0; continue;
      case 0x26: seg_ovr = TSV_SEG_ES; rex = 0; continue;
      case 0x2e: seg_ovr = TSV_SEG_CS; rex = 0; continue;
      case 0x36: seg_ovr = TSV_SEG_SS; rex = 0; continue;
      case 0x3e: seg_ovr = TSV_SEG_DS; rex = 0; continue;
      case 0x64: seg_ovr = TSV_SEG_FS; rex = 0; continue;
      case 0x65: seg_ovr = TSV_SEG_GS; rex = 0; continue;
      default: break;
    }
    if (m64 && (b & 0xf0) == 0x40) {
      rex = b;
      continue;
    }
    break;
  }
  auto too_long = [&]() {
    in.fn = GP0;
    in.len = 15;
    attr_out = D_ENDS;
    return true;
  };
  if (r.pos > 15) return too_long();

  const OpDesc* d;
  uint32_t extra_attr = 0;
  uint8_t vex_rex = 0;  // REX bits carried by a VEX prefix (W R X B)
  bool vex = false;
  uint8_t op = b;

  // C4/C5 are VEX prefixes in 64-bit mode, and elsewhere (outside real/virtual-8086 mode)
  // when the next byte's top two bits are 11 (LES/LDS need a memory operand).
  if ((b == 0xc4 || b == 0xc5) && c.mode != MODE_REAL && c.mode != MODE_V86) {
    if (r.pos >= avail) return false;
    if (m64 || (bytes[r.pos] & 0xc0) == 0xc0) vex = true;
  }
  if (vex) {
    // a VEX prefix after 66/F2/F3/LOCK/REX is #UD
    bool bad_prefix = opsz || rep || lock || rex;
    unsigned map, pp, vvvv, l, w;
    uint8_t b1 = (uint8_t)r.get(1);
    if (b == 0xc5) {
      map = 1;
      w = 0;
      vex_rex = (b1 & 0x80) ? 0 : 4;
      vvvv = (~b1 >> 3) & 15;
      l = (b1 >> 2) & 1;
      pp = b1 & 3;
    } else {
      uint8_t b2 = (uint8_t)r.get(1);
      map = b1 & 0x1f;
      vex_rex = (uint8_t)(((b1 & 0x80) ? 0 : 4) | ((b1 & 0x40) ? 0 : 2) | ((b1 & 0x20) ? 0 : 1));
      w = b2 >> 7;
      vvvv = (~b2 >> 3) & 15;
      l = (b2 >> 2) & 1;
      pp = b2 & 3;
    }
    if (!r.ok) return false;
    if (!m64) {  // outside 64-bit mode VEX.R/X/B/W and vvvv[3] do not extend registers
      vex_rex = 0;
      vvvv &= 7;
      w = 0;
    }
    if (w) vex_rex |= 8;
    op = (uint8_t)r.get(1);
    if (!r.ok) return false;
    static const OpDesc kInvalid{};
    d = (map >= 1 && map <= 3 && !bad_prefix && l == 0) ? &T.vex[map - 1][op][pp] : &kInvalid;
    if (map == 3) extra_attr = D_IMM8U;
    in.vreg = (uint8_t)vvvv;
    in.pfx = (uint8_t)pp;  // VEX.pp: none, 66, F3, F2 in the same order as SsePrefix
    rex = vex_rex;
    opsz = false;
  }

  if (vex) {
    // d, op and in.pfx were set from the VEX prefix
  } else if ((in.pfx = rep == 0xf3 ? 2 : rep == 0xf2 ? 3 : opsz ? 1 : 0), b == 0x0f) {
    // in.pfx: the mandatory-prefix class, F2/F3 (the last one given) taking precedence over 66
    op = (uint8_t)r.get(1);
    if (!r.ok) return false;
    const unsigned pfx = in.pfx;
    d = &T.two[op];
    if (op == 0x38 || op == 0x3a) {  // three-byte maps
      const unsigned map = op == 0x38 ? 1 : 2;
      op = (uint8_t)r.get(1);
      if (!r.ok) return false;
      d = &T.sse[map][op][pfx];
      if (map == 2) extra_attr = D_IMM8U;
    } else if (d->attr & D_SSE) {
      d = &T.sse[0][op][pfx];
    }
  } else {
    d = &T.one[op];
  }
  uint32_t attr = d->attr | (d->attr & D_VALID ? extra_attr : 0);
  in.op = op;
  if (rex) in.flags |= INSN_REX;
  if (rex & 8) in.flags |= INSN_REXW;
  if (rep == 0xf3) in.flags |= INSN_REP;
  if (rep == 0xf2) in.flags |= INSN_REPNE;
  if (lock) in.flags |= INSN_LOCK;

  // operand and address size
  unsigned os, as;
  if (m64) {
    if (rex & 8) os = 8;
    else if (attr & D_FORCE64) os = 8;
    else if (attr & D_DEF64) os = opsz ? 2 : 8;
    else os = opsz ? 2 : 4;
    as = adsz ? 4 : 8;
  } else {
    unsigned def = c.code_size;
    os = opsz ? (def == 2 ? 4 : 2) : def;
    as = adsz ? (def == 2 ? 4 : 2) : def;
  }
  in.opsize = os;
  in.asize = as;
  const unsigned rex_r = (rex & 4) ? 8 : 0, rex_x = (rex & 2) ? 8 : 0, rex_b = (rex & 1) ? 8 : 0;

  uint8_t modrm = 0;
  bool mem = false;
  if (attr & D_MODRM) {
    modrm = (uint8_t)r.get(1);
    if (!r.ok) return false;
    unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    in.ext = reg;
    if (attr & D_GROUP) {
      const OpDesc* g = &T.grp[(attr >> D_GRPSHIFT) & 0x1f][reg];
      uint32_t keep = attr & (D_MODRM | D_BYTE | D_GRP3IMM | D_INV64);
      d = g;
      attr = g->attr | keep;
      if (!(g->attr & D_VALID)) attr &= ~D_VALID;
      if (m64) {  // a group member may have its own default size (FF /2 /4 /6, 8F)
        if (rex & 8) os = 8;
        else if (attr & D_FORCE64) os = 8;
        else if (attr & D_DEF64) os = opsz ? 2 : 8;
        in.opsize = os;
      }
      if ((attr & D_GRP3IMM) && reg <= 1) attr |= (attr & D_BYTE) ? D_IMM8 : D_IMMV;
    } else if (attr & D_X87) {
      d = &T.x87[op & 7][mod == 3 ? 8 + (modrm & 0x3f) : reg];
      attr = d->attr | D_MODRM;
      in.imm = modrm;  // FOP needs the whole ModRM byte
    }
    if (mod == 3) {
      unsigned rr = rm | rex_b;
      in.rm = (attr & (D_BYTE | D_RMBYTE)) ? byte_reg_off(rr, rex != 0) : rr;
    } else {
      mem = true;
      in.flags |= INSN_MEM;
      if (as == 2) {
        static const uint8_t b16[8] = {3, 3, 5, 5, 6, 7, 5, 3};
        static const uint8_t i16[8] = {6, 7, 6, 7, 16, 16, 16, 16};
        if (mod == 0 && rm == 6) {
          in.disp = (int16_t)r.get(2);
        } else {
          in.base = b16[rm];
          in.index = i16[rm];
          if (rm == 2 || rm == 3 || rm == 6) in.seg = TSV_SEG_SS;
          if (mod == 1) in.disp = (int8_t)r.get(1);
          else if (mod == 2) in.disp = (int16_t)r.get(2);
        }
      } else {
        if (rm == 4) {
          uint8_t sib = (uint8_t)r.get(1);
          unsigned ss = sib >> 6, idx = ((sib >> 3) & 7) | rex_x, base = sib & 7;
          if (idx != 4) {
            in.index = idx;
            in.scale = ss;
          }
          if (base == 5 && mod == 0) {
            in.disp = (int32_t)r.get(4);
          } else {
            in.base = base | rex_b;
            if (base == 4 || base == 5) in.seg = TSV_SEG_SS;
          }
        } else if (rm == 5 && mod == 0) {
          in.disp = (int32_t)r.get(4);
          if (m64) in.flags |= INSN_RIPREL;
        } else {
          in.base = rm | rex_b;
          if (rm == 5) in.seg = TSV_SEG_SS;
        }
        if (mod == 1) in.disp = (int8_t)r.get(1);
        else if (mod == 2) in.disp = (int32_t)r.get(4);
      }
    }
    unsigned rg = reg | rex_r;
    in.reg = (attr & D_BYTE) ? byte_reg_off(rg, rex != 0) : rg;
  }
  if (attr & D_OPREG) {
    unsigned rg = (op & 7) | rex_b;
    in.reg = (attr & D_BYTE) ? byte_reg_off(rg, rex != 0) : rg;
  }
  if (seg_ovr >= 0) {
    in.seg = seg_ovr;
    in.flags |= INSN_SEG_OVR;
  }
  // 64-bit mode keeps the segment (SS matters for #SS); ES/CS/SS/DS have base 0 there (SegCache::ebase)

  // immediates
  if (attr & D_IMM8) in.imm = (uint64_t)(int64_t)(int8_t)r.get(1);
  if (attr & D_IMM8U) in.imm = r.get(1);
  if (attr & D_IMMV) {
    unsigned n = os == 2 ? 2 : 4;
    in.imm = (uint64_t)sext(r.get(n), n);
  }
  if (attr & D_IMM16) in.imm = r.get(2);
  if (attr & D_IMM64) in.imm = r.get(os);
  if (attr & D_ENTER) {
    in.imm = r.get(2);
    in.imm2 = r.get(1);
  }
  if (attr & D_MOFFS) in.imm = r.get(as);
  if (attr & D_FARPTR) {
    in.imm = r.get(os == 2 ? 2 : 4);
    in.imm2 = r.get(2);
  }
  if (attr & D_REL8) in.imm = (uint64_t)(int64_t)(int8_t)r.get(1);
  if (attr & D_RELV) {
    unsigned n = (os == 2 && !m64) ? 2 : 4;
    in.imm = (uint64_t)sext(r.get(n), n);
  }
  if (!r.ok) return false;
  if (r.pos > 15) return too_long();
  in.len = (uint8_t)r.pos;

  Handler h = nullptr;
  unsigned si = os == 2 ? 0 : os == 4 ? 1 : 2;
  if (attr & D_VALID) h = (mem && d->hm[si]) ? d->hm[si] : d->h[si];
  bool bad = !h || ((attr & D_INV64) && m64) || ((attr & D_MEMONLY) && !mem) || ((attr & D_REGONLY) && mem);
  if (lock && (!(attr & D_LOCKOK) || !mem)) bad = true;
  if (bad) {
    in.fn = UD;
    attr_out = D_ENDS;
    return true;
  }
  in.fn = h;
  attr_out = attr;
  return true;
}

}  // namespace tsv
