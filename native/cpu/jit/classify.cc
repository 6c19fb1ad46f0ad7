// Which instruction a decoded Insn is, for the JIT. The decoder keeps the opcode
// byte (Insn::op) but not its map; the handler it picked says which table entry
// the instruction came from, so the opcode map and group member are recovered by
// finding the handler in the opcode tables. Anything not recognised here stays
// interpreted.
#include "cpu/jit/translate.h"
#if TSV_JIT_X64
#include <cstddef>
#include "cpu/decoder.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Winvalid-offsetof"  // Cpu is not standard-layout; its plain fields are
#endif

namespace tsv {
namespace jit {
namespace {

bool has_handler(const OpDesc& d, Handler fn) {
  for (int k = 0; k < 3; k++)
    if (d.h[k] == fn || d.hm[k] == fn) return true;
  return false;
}

int32_t gpr_off(unsigned r) { return (int32_t)(offsetof(Cpu, gpr) + 8 * r); }
// register operand: byte registers are stored by the decoder as byte offsets into gpr
Opd reg_opd(unsigned field, bool byte) {
  Opd o;
  o.type = O_REG;
  o.off = byte ? (int32_t)(offsetof(Cpu, gpr) + field) : gpr_off(field);
  return o;
}
Opd e_opd(const Insn& in, bool byte) {
  if (in.flags & INSN_MEM) {
    Opd o;
    o.type = O_MEM;
    return o;
  }
  return reg_opd(in.rm, byte);
}
Opd imm_opd(uint64_t v, unsigned w) {
  Opd o;
  o.type = O_IMM;
  o.imm = w == 8 ? v : v & ((1ull << (8 * w)) - 1);
  return o;
}

void set_alu_flags(JOp& j) {
  j.produces = true;
  switch (j.alu) {
    case 0: j.lf = LF_ADD; j.host_valid = kAllFlags; break;
    case 2: j.lf = LF_ADC; j.host_valid = kAllFlags; j.reads = F_CF; break;
    case 3: j.lf = LF_SBB; j.host_valid = kAllFlags; j.reads = F_CF; break;
    case 5: case 7: j.lf = LF_SUB; j.host_valid = kAllFlags; break;
    default: j.lf = LF_LOGIC; j.host_valid = kAllFlags & ~F_AF; break;  // OR/AND/XOR/TEST: AF undefined on the host
  }
}

// Jcc/JMP rel in 64-bit mode (outside it the target is truncated and checked against the CS limit)
bool branch(const Insn& in, bool lm, unsigned cc, JOp& j) {
  if (!lm || in.opsize != 8) return false;
  j.kind = K_JCC;
  j.cc = (uint8_t)cc;
  j.reads = cc == kAlways ? 0 : cc_flags(cc);
  j.imm = in.imm;
  return true;
}

// one-byte map
bool one_byte(const Insn& in, bool lm, JOp& j) {
  const unsigned op = in.op;
  const unsigned ext = in.ext;
  if (op >= 0x70 && op < 0x80) return branch(in, lm, op & 15, j);
  if (op == 0xeb || op == 0xe9) return branch(in, lm, kAlways, j);
  if (op == 0xe8 || op == 0xc3 || op == 0xc2) {
    if (!branch(in, lm, kAlways, j)) return false;
    j.kind = op == 0xe8 ? K_CALL : K_RET;
    j.imm = op == 0xc2 ? (in.imm & 0xffff) : op == 0xc3 ? 0 : in.imm;
    j.mem = true;  // a stack access: the TLB lookup comes first
    return true;
  }
  if (op < 0x40 && (op & 7) < 6) {  // ALU in its six forms
    const bool byte = !(op & 1);
    j.kind = K_ALU;
    j.alu = (uint8_t)(op >> 3);
    j.w = byte ? 1 : in.opsize;
    switch (op & 7) {
      case 0: case 1: j.dst = e_opd(in, byte); j.src = reg_opd(in.reg, byte); break;
      case 2: case 3: j.dst = reg_opd(in.reg, byte); j.src = e_opd(in, byte); break;
      default: j.dst = reg_opd(0, false); j.src = imm_opd(in.imm, j.w); break;
    }
    set_alu_flags(j);
    return true;
  }
  if (op >= 0x40 && op < 0x50 && !lm) {  // INC/DEC r outside 64-bit mode
    j.kind = K_INCDEC;
    j.inc = op < 0x48;
    j.w = in.opsize;
    j.dst = reg_opd(in.reg, false);
    return true;
  }
  if (op >= 0x50 && op < 0x60) {
    if (!lm || in.opsize != 8) return false;
    j.kind = op < 0x58 ? K_PUSH : K_POP;
    j.w = 8;
    j.dst = reg_opd(in.reg, false);
    j.mem = true;
    return true;
  }
  switch (op) {
    case 0x63:
      if (!lm) return false;  // ARPL outside 64-bit mode
      j.kind = K_MOVX;
      j.w = in.opsize;
      j.src_w = in.opsize == 8 ? 4 : in.opsize;
      j.sign = true;
      j.dst = reg_opd(in.reg, false);
      j.src = e_opd(in, false);
      return true;
    case 0x69: case 0x6b:
      j.kind = K_IMUL2;
      j.w = in.opsize;
      j.dst = reg_opd(in.reg, false);
      j.src = e_opd(in, false);
      j.has_imm = true;
      j.imm = imm_opd(in.imm, j.w).imm;
      j.produces = true;
      return true;
    case 0x80: case 0x81: case 0x83: {
      const bool byte = op == 0x80;
      j.kind = K_ALU;
      j.alu = (uint8_t)ext;
      j.w = byte ? 1 : in.opsize;
      j.dst = e_opd(in, byte);
      j.src = imm_opd(in.imm, j.w);
      set_alu_flags(j);
      return true;
    }
    case 0x84: case 0x85: {
      const bool byte = op == 0x84;
      j.kind = K_ALU;
      j.alu = 8;
      j.w = byte ? 1 : in.opsize;
      j.dst = e_opd(in, byte);
      j.src = reg_opd(in.reg, byte);
      set_alu_flags(j);
      return true;
    }
    case 0x86: case 0x87:
      if (in.flags & INSN_MEM) return false;
      j.kind = K_XCHG;
      j.w = op == 0x86 ? 1 : in.opsize;
      j.dst = reg_opd(in.rm, op == 0x86);
      j.src = reg_opd(in.reg, op == 0x86);
      return true;
    case 0x88: case 0x89: case 0x8a: case 0x8b: {
      const bool byte = !(op & 1);
      j.kind = K_MOV;
      j.w = byte ? 1 : in.opsize;
      if (op < 0x8a) {
        j.dst = e_opd(in, byte);
        j.src = reg_opd(in.reg, byte);
      } else {
        j.dst = reg_opd(in.reg, byte);
        j.src = e_opd(in, byte);
      }
      return true;
    }
    case 0x8d:
      j.kind = K_LEA;
      j.w = in.opsize;
      j.dst = reg_opd(in.reg, false);
      return true;
    case 0x90:
      if (in.reg == 0) {
        if (in.flags & (INSN_REP | INSN_REPNE)) return false;  // PAUSE may exit
        j.kind = K_NOP;
        return true;
      }
      [[fallthrough]];
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
      j.kind = K_XCHG;
      j.w = in.opsize;
      j.dst = reg_opd(0, false);
      j.src = reg_opd(in.reg, false);
      return true;
    case 0x98:
      j.kind = K_CBW;
      j.w = in.opsize;
      return true;
    case 0x99:
      j.kind = K_CWD;
      j.w = in.opsize;
      return true;
    case 0xa8: case 0xa9:
      j.kind = K_ALU;
      j.alu = 8;
      j.w = op == 0xa8 ? 1 : in.opsize;
      j.dst = reg_opd(0, false);
      j.src = imm_opd(in.imm, j.w);
      set_alu_flags(j);
      return true;
    case 0xc6: case 0xc7:
      if (ext != 0) return false;
      j.kind = K_MOV;
      j.w = op == 0xc6 ? 1 : in.opsize;
      j.dst = e_opd(in, op == 0xc6);
      j.src = imm_opd(in.imm, j.w);
      return true;
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: {
      const bool byte = !(op & 1);
      if (ext <= 1) {
        // ROL/ROR: the host rotates the same way (count masked, then modulo the width); their
        // CF/OF are not computed, so they are translated only where those flags are dead
        const unsigned n = op >= 0xd0 ? 1 : (unsigned)(in.imm & (in.opsize == 8 && !byte ? 63 : 31));
        if (n == 0) return false;
        j.kind = K_SHIFT;
        j.w = byte ? 1 : in.opsize;
        j.shift = (uint8_t)ext;
        j.count = (uint8_t)n;
        j.dst = e_opd(in, byte);
        j.produces = true;
        j.no_record = true;
        return true;
      }
      if (ext != 4 && ext != 5 && ext != 6 && ext != 7) return false;
      j.kind = K_SHIFT;
      j.w = byte ? 1 : in.opsize;
      j.shift = (uint8_t)(ext == 6 ? 4 : ext);  // SAL is SHL
      unsigned n = op >= 0xd0 ? 1 : (unsigned)(in.imm & (j.w == 8 ? 63 : 31));
      if (n == 0 || n >= 8u * j.w) return false;  // no-op counts and oversized 8/16-bit counts stay interpreted
      j.count = (uint8_t)n;
      j.dst = e_opd(in, byte);
      j.produces = true;
      j.lf = j.shift == 4 ? LF_SHL : j.shift == 5 ? LF_SHR : LF_SAR;
      // count 1 defines OF on the host as the interpreter does; larger counts leave it undefined
      j.host_valid = n == 1 ? (kAllFlags & ~F_AF) : (F_CF | F_ZF | F_SF | F_PF);
      return true;
    }
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
      j.kind = K_MOV;
      j.w = 1;
      j.dst = reg_opd(in.reg, true);
      j.src = imm_opd(in.imm, 1);
      return true;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      j.kind = K_MOV;
      j.w = in.opsize;
      j.dst = reg_opd(in.reg, false);
      j.src = imm_opd(in.imm, j.w);
      return true;
    case 0xf6: case 0xf7: {
      const bool byte = op == 0xf6;
      j.w = byte ? 1 : in.opsize;
      switch (ext) {
        case 0: case 1:
          j.kind = K_ALU;
          j.alu = 8;
          j.dst = e_opd(in, byte);
          j.src = imm_opd(in.imm, j.w);
          set_alu_flags(j);
          return true;
        case 2: j.kind = K_NOT; j.dst = e_opd(in, byte); return true;
        case 3:
          j.kind = K_NEG;
          j.dst = e_opd(in, byte);
          j.produces = true;
          j.lf = LF_SUB;
          j.host_valid = kAllFlags;
          return true;
        case 4: case 5:
          j.kind = K_MUL1;
          j.sign = ext == 5;
          j.src = e_opd(in, byte);
          j.produces = true;
          return true;
        default: return false;  // DIV/IDIV can raise #DE
      }
    }
    case 0xfe: case 0xff:
      if (ext > 1) return false;
      j.kind = K_INCDEC;
      j.inc = ext == 0;
      j.w = op == 0xfe ? 1 : in.opsize;
      j.dst = e_opd(in, op == 0xfe);
      return true;
    default: return false;
  }
}

// 0F map
bool two_byte(const Insn& in, bool lm, JOp& j) {
  const unsigned op = in.op;
  if (op >= 0x40 && op < 0x50) {
    j.kind = K_CMOV;
    j.w = in.opsize;
    j.cc = (uint8_t)(op & 15);
    j.dst = reg_opd(in.reg, false);
    j.src = e_opd(in, false);
    j.reads = cc_flags(j.cc);
    return true;
  }
  if (op >= 0x90 && op < 0xa0) {
    j.kind = K_SETCC;
    j.w = 1;
    j.cc = (uint8_t)(op & 15);
    j.dst = e_opd(in, true);
    j.reads = cc_flags(j.cc);
    return true;
  }
  if (op >= 0x80 && op < 0x90) return branch(in, lm, op & 15, j);
  switch (op) {
    case 0x1f: j.kind = K_NOP; return true;  // NOP Ev: the operand is not accessed
    case 0xaf:
      j.kind = K_IMUL2;
      j.w = in.opsize;
      j.dst = reg_opd(in.reg, false);
      j.src = e_opd(in, false);
      j.produces = true;
      return true;
    case 0xb6: case 0xb7: case 0xbe: case 0xbf:
      j.kind = K_MOVX;
      j.w = in.opsize;
      j.src_w = (op & 1) ? 2 : 1;
      j.sign = op >= 0xbe;
      j.dst = reg_opd(in.reg, false);
      j.src = e_opd(in, j.src_w == 1);
      return true;
    default: return false;
  }
}

}  // namespace

bool classify(const Insn& in, bool long_mode, JOp& j) {
  if (in.flags & INSN_LOCK) return false;
  const OpTables& T = op_tables();
  const Handler fn = in.fn;
  const unsigned op = in.op;
  bool ok;
  if (has_handler(T.one[op], fn)) ok = one_byte(in, long_mode, j);
  else if (!(T.two[op].attr & D_SSE) && has_handler(T.two[op], fn)) ok = two_byte(in, long_mode, j);
  else if ((T.one[op].attr & D_GROUP) && has_handler(T.grp[(T.one[op].attr >> D_GRPSHIFT) & 0x1f][in.ext], fn))
    ok = one_byte(in, long_mode, j);
  else return false;
  if (!ok) return false;
  if (j.dst.type == O_MEM || j.src.type == O_MEM) {
    if (j.kind != K_LEA && j.kind != K_NOP) j.mem = true;
    if (!long_mode) return j.kind == K_LEA || j.kind == K_NOP;  // segment limits: memory accesses stay interpreted
  }
  if (j.kind == K_LEA || j.kind == K_NOP) j.mem = false;
  // RIP-relative displacement must fit the host's 32-bit displacement after adding the offset
  if ((in.flags & INSN_RIPREL) && (int64_t)in.disp + in.off + in.len > INT32_MAX) return false;
  if (j.kind == K_MUL1 || j.kind == K_IMUL2) {
    j.lf = LF_NONE;  // flags computed into the record (SF/ZF/PF of the low half, as the interpreter defines them)
    j.host_valid = 0;
  }
  if (j.kind == K_INCDEC) {
    j.produces = true;
    j.lf = j.inc ? LF_INC : LF_DEC;
    j.host_valid = kAllFlags & ~F_CF;  // CF is kept: valid after it if it was before
  }
  return true;
}

}  // namespace jit
}  // namespace tsv
#endif
