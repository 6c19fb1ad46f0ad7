// x86-64 machine-code emitter for the block JIT: just the encodings the
// translators use (integer moves and ALU operations on registers and
// [base + index*scale + disp32] operands, SETcc/CMOVcc, jumps). Writes into a
// caller-owned buffer and notes when it runs out instead of overflowing it.
#pragma once
#include "cpu/jit/jit.h"
#if TSV_JIT_X64
#include <cstdint>
#include <cstring>

namespace tsv {
namespace jit {

// Host registers by encoding number.
enum HostReg : int { RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11 };

// A memory operand [base + index * scale + disp]; index -1 = none.
struct Mem {
  int base;
  int32_t disp;
  int index = -1;
  int scale = 0;  // log2
};

class Emitter {
 public:
  Emitter(uint8_t* buf, size_t cap) : start_(buf), p_(buf), end_(buf + cap) {}
  bool overflowed() const { return overflow_; }
  size_t size() const { return (size_t)(p_ - start_); }
  uint8_t* here() const { return p_; }

  void byte(uint8_t b) {
    if (p_ < end_) *p_++ = b;
    else overflow_ = true;
  }
  void u32(uint32_t v) { for (int k = 0; k < 4; k++) byte((uint8_t)(v >> (8 * k))); }
  void u64(uint64_t v) { for (int k = 0; k < 8; k++) byte((uint8_t)(v >> (8 * k))); }

  // op{size} reg, [mem] / [mem], reg: the opcode bytes given are for the 16/32/64-bit form
  // (or the byte form when size is 1); size 2 adds 0x66, size 8 REX.W.
  void rm(unsigned size, const uint8_t* opc, unsigned n, int reg, const Mem& m) {
    prefix(size, reg, m.index < 0 ? 0 : m.index, m.base, false);
    for (unsigned k = 0; k < n; k++) byte(opc[k]);
    modrm_mem(reg & 7, m);
  }
  // op{size} reg, rm (both registers); ModRM.reg = reg, ModRM.rm = rmr
  void rr(unsigned size, const uint8_t* opc, unsigned n, int reg, int rmr) {
    prefix(size, reg, 0, rmr, size == 1 && (reg >= 4 || rmr >= 4));
    for (unsigned k = 0; k < n; k++) byte(opc[k]);
    byte((uint8_t)(0xc0 | ((reg & 7) << 3) | (rmr & 7)));
  }
  void rm1(unsigned size, uint8_t op, int reg, const Mem& m) { rm(size, &op, 1, reg, m); }
  void rr1(unsigned size, uint8_t op, int reg, int rmr) { rr(size, &op, 1, reg, rmr); }
  void rm2(unsigned size, uint8_t op0, uint8_t op1, int reg, const Mem& m) {
    const uint8_t o[2] = {op0, op1};
    rm(size, o, 2, reg, m);
  }
  void rr2(unsigned size, uint8_t op0, uint8_t op1, int reg, int rmr) {
    const uint8_t o[2] = {op0, op1};
    rr(size, o, 2, reg, rmr);
  }

  // --- common instructions
  void mov_load(unsigned size, int r, const Mem& m) { rm1(size, size == 1 ? 0x8a : 0x8b, r, m); }
  void mov_store(unsigned size, const Mem& m, int r) { rm1(size, size == 1 ? 0x88 : 0x89, r, m); }
  // zero-extending loads into a 32-bit register (upper 32 bits cleared)
  void load_zx(unsigned size, int r, const Mem& m) {
    if (size == 1) rm2(4, 0x0f, 0xb6, r, m);
    else if (size == 2) rm2(4, 0x0f, 0xb7, r, m);
    else mov_load(size, r, m);
  }
  void mov_rr(unsigned size, int dst, int src) { rr1(size, 0x89, src, dst); }
  void lea(int r, const Mem& m) { rm1(8, 0x8d, r, m); }
  // mov r64, imm: the shortest exact form
  void mov_imm(int r, uint64_t v) {
    if (v <= 0xffffffffull) {
      prefix(4, 0, 0, r, false);
      byte((uint8_t)(0xb8 | (r & 7)));
      u32((uint32_t)v);
    } else if ((int64_t)v == (int32_t)v) {
      prefix(8, 0, 0, r, false);
      byte(0xc7);
      byte((uint8_t)(0xc0 | (r & 7)));
      u32((uint32_t)v);
    } else {
      prefix(8, 0, 0, r, false);
      byte((uint8_t)(0xb8 | (r & 7)));
      u64(v);
    }
  }
  // mov{size} [m], imm (size <= 4, or 8 with a sign-extended imm32)
  void mov_store_imm(unsigned size, const Mem& m, uint32_t v) {
    rm1(size, size == 1 ? 0xc6 : 0xc7, 0, m);
    if (size == 1) byte((uint8_t)v);
    else if (size == 2) { byte((uint8_t)v); byte((uint8_t)(v >> 8)); }
    else u32(v);
  }
  // group-1 ALU (ADD=0 OR=1 ADC=2 SBB=3 AND=4 SUB=5 XOR=6 CMP=7) register, register
  void alu_rr(unsigned size, int op, int dst, int src) { rr1(size, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)), src, dst); }
  void alu_rm(unsigned size, int op, int dst, const Mem& m) { rm1(size, (uint8_t)(op * 8 + (size == 1 ? 2 : 3)), dst, m); }
  // ALU r, imm32 (sign-extended for size 8; imm8 form when it fits)
  void alu_ri(unsigned size, int op, int dst, uint32_t imm) {
    if (size == 1) {
      rr1(1, 0x80, op, dst);
      byte((uint8_t)imm);
    } else if ((int32_t)imm >= -128 && (int32_t)imm <= 127) {
      rr1(size, 0x83, op, dst);
      byte((uint8_t)imm);
    } else {
      rr1(size, 0x81, op, dst);
      if (size == 2) { byte((uint8_t)imm); byte((uint8_t)(imm >> 8)); }
      else u32(imm);
    }
  }
  void test_rr(unsigned size, int a, int b) { rr1(size, size == 1 ? 0x84 : 0x85, b, a); }
  void setcc(unsigned cc, int r) { rr2(1, 0x0f, (uint8_t)(0x90 | cc), 0, r); }
  void cmovcc(unsigned size, unsigned cc, int dst, int src) { rr2(size, 0x0f, (uint8_t)(0x40 | cc), dst, src); }
  // shift group 2 by imm8 (ROL=0 ROR=1 SHL=4 SHR=5 SAR=7)
  void shift_ri(unsigned size, int op, int r, uint8_t n) {
    rr1(size, size == 1 ? 0xc0 : 0xc1, op, r);
    byte(n);
  }
  void jmp_reg(int r) { rr1(4, 0xff, 4, r); }
  void jmp_mem(const Mem& m) { rm1(4, 0xff, 4, m); }
  // Jcc rel32 / JMP rel32 to a later point: returns the position of the rel32 to patch
  uint8_t* jcc_fwd(unsigned cc) {
    byte(0x0f);
    byte((uint8_t)(0x80 | cc));
    uint8_t* at = p_;
    u32(0);
    return at;
  }
  uint8_t* jmp_fwd() {
    byte(0xe9);
    uint8_t* at = p_;
    u32(0);
    return at;
  }
  // points the rel32 at `at` to the current position
  void bind(uint8_t* at) {
    if (overflow_ || !at) return;
    int32_t rel = (int32_t)(p_ - (at + 4));
    std::memcpy(at, &rel, 4);
  }
  void bind_to(uint8_t* at, uint8_t* target) {
    if (overflow_ || !at) return;
    int32_t rel = (int32_t)(target - (at + 4));
    std::memcpy(at, &rel, 4);
  }

 private:
  // 0x66 for 16-bit operations, then REX when any of W/R/X/B is needed (or `force` for the
  // byte registers SPL..DIL, which the translators never use but the encoder keeps right).
  void prefix(unsigned size, int reg, int index, int base, bool force) {
    if (size == 2) byte(0x66);
    uint8_t rex = 0x40;
    if (size == 8) rex |= 8;
    if (reg & 8) rex |= 4;
    if (index & 8) rex |= 2;
    if (base & 8) rex |= 1;
    if (rex != 0x40 || force) byte(rex);
  }
  void modrm_mem(int reg, const Mem& m) {
    const int b = m.base & 7;
    const bool need_sib = m.index >= 0 || b == RSP;
    // [rbp/r13] has no mod=00 form (that encodes disp32 / RIP-relative)
    unsigned mod = (m.disp == 0 && b != RBP) ? 0 : (m.disp >= -128 && m.disp <= 127) ? 1 : 2;
    byte((uint8_t)((mod << 6) | (reg << 3) | (need_sib ? 4 : b)));
    if (need_sib) {
      const int idx = m.index >= 0 ? (m.index & 7) : 4;  // 4 = no index (REX.X clear)
      byte((uint8_t)((m.scale << 6) | (idx << 3) | b));
    }
    if (mod == 1) byte((uint8_t)m.disp);
    else if (mod == 2) u32((uint32_t)m.disp);
  }

  uint8_t* start_;
  uint8_t* p_;
  uint8_t* end_;
  bool overflow_ = false;
};

}  // namespace jit
}  // namespace tsv
#endif
