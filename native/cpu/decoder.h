// The opcode table that drives the decoder. Each instruction-family file
// (native/cpu/insn/*.cc) registers its handlers into it; handlers are named by
// Intel operand notation (ADD_EvGv: E = ModRM r/m, G = ModRM reg, I = immediate,
// b/w/d/q/v = byte/word/dword/qword/operand-size).
#pragma once
#include "cpu/cpu.h"

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

enum : uint32_t {
  D_MODRM = 1u << 0,
  D_BYTE = 1u << 1,      // 8-bit operands: register fields hold byte offsets
  D_IMM8 = 1u << 2,      // imm8, sign-extended into imm
  D_IMMV = 1u << 3,      // imm16/imm32 by operand size (sign-extended to 64)
  D_IMM16 = 1u << 4,
  D_IMM64 = 1u << 5,     // imm of full operand size (MOV r64, imm64)
  D_MOFFS = 1u << 6,     // address-size offset
  D_FARPTR = 1u << 7,    // offset (16/32) then selector16 (imm2)
  D_ENTER = 1u << 8,     // imm16 then imm8 (imm2)
  D_REL8 = 1u << 9,
  D_RELV = 1u << 10,     // rel16/rel32
  D_DEF64 = 1u << 11,    // 64-bit default operand size in 64-bit mode
  D_FORCE64 = 1u << 12,  // always 64-bit operand size in 64-bit mode (near branches)
  D_INV64 = 1u << 13,    // invalid in 64-bit mode
  D_GROUP = 1u << 14,    // handler chosen by ModRM.reg from grp[group id]
  D_ENDS = 1u << 15,     // ends the decoded block (control transfer, mode change, exit)
  D_LOCKOK = 1u << 16,   // LOCK allowed (with a memory destination)
  D_OPREG = 1u << 17,    // register in the opcode's low 3 bits (+REX.B)
  D_IMM8U = 1u << 18,    // imm8 zero-extended
  D_GRP3IMM = 1u << 19,  // F6/F7: immediate only for TEST (reg 0/1)
  D_VALID = 1u << 20,
  D_MEMONLY = 1u << 21,  // #UD with a register operand
  D_REGONLY = 1u << 22,  // #UD with a memory operand
  D_ALONE = 1u << 23,    // decoded as a block of its own (reads the exact instruction count)
  D_RMBYTE = 1u << 24,   // only the r/m operand is 8-bit (MOVZX/MOVSX Gv,Eb)
  D_SSE = 1u << 25,      // (0F map) the handler depends on the mandatory prefix: see OpTables::sse
  D_X87 = 1u << 26,      // D8-DF: the handler comes from OpTables::x87 by ModRM; imm holds the ModRM byte
  D_GRPSHIFT = 27,       // group id in the top bits
};

struct OpDesc {
  uint32_t attr;
  Handler h[3];   // operand size 16 / 32 / 64 (register or any form)
  Handler hm[3];  // memory form, if different (else h)
};

enum GroupId {
  G_NONE, G1_80, G1_81, G1_83, G1A_8F, G2_C0, G2_C1, G2_D0, G2_D1, G2_D2, G2_D3, G3_F6, G3_F7,
  G4_FE, G5_FF, G11_C6, G11_C7, G6_0F00, G7_0F01, G8_0FBA, G9_0FC7, G16_0F18, G15_0FAE, G_COUNT
};

struct OpTables {
  OpDesc one[256];
  OpDesc two[256];
  // Opcodes whose meaning depends on the mandatory prefix (none/66/F3/F2, SsePrefix in sse.h):
  // maps 0F (entries flagged D_SSE in `two`), 0F 38 and 0F 3A (always; 0F 3A has an imm8).
  OpDesc sse[3][256][4];
  // VEX-encoded instructions (maps 0F, 0F 38, 0F 3A by VEX.pp); only the general-purpose
  // ones (BMI1/BMI2) exist: AVX is not offered, so every other VEX encoding is #UD.
  OpDesc vex[3][256][4];
  OpDesc grp[G_COUNT][8];
  // x87 escapes D8-DF: [opcode - D8][ModRM.reg] for memory forms, [8 + (ModRM & 3F)] for register forms
  OpDesc x87[8][72];
};

#define TSV_HV(fn) {fn<uint16_t>, fn<uint32_t>, fn<uint64_t>}
#define TSV_H1(fn) {fn, fn, fn}
#define TSV_NOH {nullptr, nullptr, nullptr}
// register-form and memory-form instantiations of a handler template <class T, bool M>
#define TSV_HV_RM(fn) {fn<uint16_t, false>, fn<uint32_t, false>, fn<uint64_t, false>}, {fn<uint16_t, true>, fn<uint32_t, true>, fn<uint64_t, true>}
#define TSV_H8_RM(fn) {fn<uint8_t, false>}, {fn<uint8_t, true>}

inline OpDesc opd(uint32_t attr, std::initializer_list<Handler> h) {
  OpDesc d{};
  d.attr = attr | D_VALID;
  int k = 0;
  for (Handler x : h) d.h[k++] = x;
  if (k == 1) d.h[1] = d.h[2] = d.h[0];
  return d;
}
inline OpDesc opd_m(uint32_t attr, std::initializer_list<Handler> r, std::initializer_list<Handler> m) {
  OpDesc d = opd(attr, r);
  int k = 0;
  for (Handler x : m) d.hm[k++] = x;
  if (k == 1) d.hm[1] = d.hm[2] = d.hm[0];
  return d;
}
inline uint32_t grp_attr(GroupId g) { return D_GROUP | D_MODRM | ((uint32_t)g << D_GRPSHIFT); }

// registration functions of the instruction families
void register_alu(OpTables& t);
void register_shift_bit(OpTables& t);
void register_move(OpTables& t);
void register_stack(OpTables& t);
void register_branch(OpTables& t);
void register_string(OpTables& t);
void register_io(OpTables& t);
void register_descriptor_tables(OpTables& t);
void register_system(OpTables& t);  // after register_descriptor_tables (group 7 is shared)
void register_x87(OpTables& t);  // D8-DF and 9B (insn/x87_*.cc)
void register_fxsave(OpTables& t);  // group 15: FXSAVE/XSAVE families, MXCSR, fences, CLFLUSH
void register_bmi(OpTables& t);     // BMI1, BMI2 (VEX) and ADX
void register_rdrand(OpTables& t);  // RDRAND, RDSEED (group 9 register forms; after register_alu)
void register_legacy(OpTables& t);
void register_simd_int(OpTables& t);  // MMX and SSE2 integer (insn/simd_int_*.cc)
void register_sse_fp(OpTables& t);  // SSE/SSE2 floating point (insn/sse_fp_*.cc)
void register_sse4(OpTables& t);  // SSE3, SSSE3, SSE4.1, SSE4.2, AES-NI, PCLMULQDQ (insn/sse4_register.cc)

const OpTables& op_tables();

// Decodes one instruction from bytes[0..avail); returns false when more bytes
// are needed than available (fetch fault) — an undefined opcode still decodes (to #UD).
bool decode(const Cpu& c, const uint8_t* bytes, unsigned avail, Insn& out, uint32_t& attr_out);

const Insn* UD(Cpu& c, const Insn* i);  // raises #UD
const Insn* GP0(Cpu& c, const Insn* i); // raises #GP(0) (instruction too long)
const Insn* XGETBV(Cpu& c, const Insn* i);  // 0F 01 D0 (insn/fxsave.cc)
const Insn* XSETBV(Cpu& c, const Insn* i);  // 0F 01 D1

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
