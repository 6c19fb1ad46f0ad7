// Shared between the JIT's classifier (which instruction a decoded Insn is, in
// the terms the translator needs) and its translator (analysis and emission).
#pragma once
#include "cpu/jit/jit.h"
#if TSV_JIT_X64
#include <cstdint>
#include <vector>
#include "cpu/cpu.h"

namespace tsv {
namespace jit {

enum Kind : uint8_t {
  K_ALU,     // ADD/OR/ADC/SBB/AND/SUB/XOR/CMP (alu 0-7) and TEST (alu 8)
  K_MOV,
  K_LEA,
  K_INCDEC,  // inc = true for INC
  K_NOT,
  K_NEG,
  K_MUL1,    // MUL/IMUL r/m (signed = true for IMUL): rDX:rAX = rAX * src
  K_IMUL2,   // IMUL G, E (src) or IMUL G, E, imm (src, imm)
  K_SETCC,
  K_CMOV,
  K_SHIFT,   // SHL/SHR/SAR by a constant 1..W-1, ROL/ROR by a nonzero constant (shift: group-2 operation)
  K_MOVX,    // MOVZX/MOVSX/MOVSXD: src_w bytes extended (signed) to w
  K_PUSH,
  K_POP,
  K_XCHG,    // register with register
  K_CBW,     // CBW/CWDE/CDQE
  K_CWD,     // CWD/CDQ/CQO
  K_NOP,
  K_JCC,     // Jcc rel / JMP rel (cc 16) ending the block: RIP, then the branch's chaining as chain() does it
  K_CALL,    // CALL rel (64-bit mode): push the return address, then as JMP rel
  K_RET,     // RET / RET imm16 (64-bit mode): pop RIP, then the jump-cache lookup chain_indirect() makes
};
constexpr uint8_t kAlways = 16;
enum OpdType : uint8_t { O_NONE, O_REG, O_MEM, O_IMM };

// An operand: a guest register (byte offset of its storage in Cpu), the instruction's
// memory operand, or an immediate.
struct Opd {
  OpdType type = O_NONE;
  int32_t off = 0;
  uint64_t imm = 0;
};

constexpr uint32_t kAllFlags = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF;

struct JOp {
  Kind kind;
  uint8_t w = 0;       // operand size in bytes
  uint8_t alu = 0;     // group-1 operation, 8 = TEST
  uint8_t cc = 0;      // SETcc/CMOVcc condition
  uint8_t shift = 0;   // group-2 operation
  uint8_t count = 0;   // shift count
  uint8_t src_w = 0;   // MOVX source size
  bool inc = false, sign = false;
  Opd dst, src;
  uint64_t imm = 0;    // IMUL's third operand (K_IMUL2 with has_imm)
  bool has_imm = false;
  // --- flag behaviour (filled by classify)
  bool mem = false;          // touches memory: may bail out to the interpreter before any change
  uint32_t reads = 0;        // arithmetic flags consumed (SETcc/CMOVcc/ADC/SBB)
  bool produces = false;     // writes every arithmetic flag (the lazy-flag record)
  bool no_record = false;    // changes flags the translation does not compute (ROL/ROR): only where they are dead
  uint8_t lf = LF_NONE;      // kind of record it writes (LF_NONE: computed flags, MUL/IMUL)
  uint32_t host_valid = 0;   // host flags equal to the guest's after the host instruction
};

// What the instruction of a block is, or false when the JIT does not translate it.
// long_mode: the block runs in 64-bit mode (memory operands are translated only there).
bool classify(const Insn& in, bool long_mode, JOp& out);

// Host flags a condition code needs.
inline uint32_t cc_flags(unsigned cc) {
  static const uint32_t need[8] = {F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF, F_ZF | F_SF | F_OF};
  return need[(cc >> 1) & 7];
}

}  // namespace jit
}  // namespace tsv
#endif
