// What the x87 instruction files share: the register stack (ST(i) over the
// physical registers and tags), the instruction prologue (#NM, pending #MF,
// FIP/FCS/FOP/FDP/FDS), stack-fault responses and merging an operation's
// exception flags into the status word.
#pragma once
#include "cpu/sse.h"
#include "cpu/fp80/fp80.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {
namespace x87 {

using fp80::Env;
using fp80::Num;

// ---------------------------------------------------------------- stack
TSV_INLINE unsigned phys(const Cpu& c, unsigned i) { return (c.x87.top + i) & 7; }
TSV_INLINE bool empty(const Cpu& c, unsigned i) { return c.x87.tag(phys(c, i)) == FTAG_EMPTY; }
TSV_INLINE Fp80& st(Cpu& c, unsigned i) { return c.x87.r[phys(c, i)]; }
TSV_INLINE void set_st(Cpu& c, unsigned i, Fp80 v) {
  unsigned p = phys(c, i);
  c.x87.r[p] = v;
  c.x87.set_tag(p, fp80_class_tag(v));
}
TSV_INLINE void pop(Cpu& c) {
  c.x87.set_tag(c.x87.top, FTAG_EMPTY);
  c.x87.top = (c.x87.top + 1) & 7;
}
TSV_INLINE void push(Cpu& c, Fp80 v) {
  c.x87.top = (c.x87.top - 1) & 7;
  set_st(c, 0, v);
}
// ST(i) register number from the ModRM byte kept in imm
TSV_INLINE unsigned sti(const Insn* i) { return (unsigned)(i->imm & 7); }

// ---------------------------------------------------------------- status word
constexpr uint16_t SW_UNDERFLOW = FSW_IE | FSW_SF;            // stack underflow: C1 = 0
constexpr uint16_t SW_OVERFLOW = FSW_IE | FSW_SF | FSW_C1;    // stack overflow: C1 = 1
constexpr uint16_t SW_CC = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3;

// ES and B summarize the unmasked exception flags.
TSV_INLINE void update_es(X87& f) {
  if (f.fsw & ~f.fcw & 0x3f) f.fsw |= FSW_ES | FSW_B;
  else f.fsw &= (uint16_t)~(FSW_ES | FSW_B);
}
// Merges an operation's flags: exception bits (sticky), SF, and C1 (replaced).
TSV_INLINE void commit(Cpu& c, uint16_t flags) {
  X87& f = c.x87;
  f.fsw = (uint16_t)((f.fsw & ~FSW_C1) | (flags & (fp80::X_ALL | FSW_SF | FSW_C1)));
  if (flags & ~f.fcw & 0x3f) f.fsw |= FSW_ES | FSW_B;
}
// Sets the condition codes in mask to cc (others untouched) and merges flags.
TSV_INLINE void commit_cc(Cpu& c, uint16_t flags, uint16_t mask, uint16_t cc) {
  commit(c, flags);
  c.x87.fsw = (uint16_t)((c.x87.fsw & ~mask) | (cc & mask));
}
TSV_INLINE Env env_of(const Cpu& c) { return Env::from_fcw(c.x87.fcw); }
// A stack fault is raised; true when IE is masked (the masked response applies).
TSV_INLINE bool stack_fault(Cpu& c, uint16_t kind) {
  commit(c, kind);
  return (c.x87.fcw & FSW_IE) != 0;
}
TSV_INLINE bool ie_masked(const Cpu& c) { return (c.x87.fcw & FSW_IE) != 0; }

// ---------------------------------------------------------------- prologue
// #NM (CR0.EM/TS), then a pending unmasked exception (#MF), for every waiting
// x87 instruction; the no-wait control forms skip the #MF check.
TSV_INLINE void check_wait(Cpu& c) {
  x87_check(c);
  if (TSV_UNLIKELY(c.x87.fsw & FSW_ES)) x87_pending_check(c);
}
// Non-control instructions record where they are (FIP/FCS/FOP) and, with a
// memory operand, the operand's address (FDP/FDS).
TSV_INLINE void note(Cpu& c, const Insn* i) {
  c.x87.fip = insn_rip(c, i);
  c.x87.fcs = c.seg[TSV_SEG_CS].sel;
  c.x87.fop = (uint16_t)(((i->op & 7) << 8) | (i->imm & 0xff));
}
TSV_INLINE uint64_t note_mem(Cpu& c, const Insn* i) {
  note(c, i);
  uint64_t off = ea(c, i);
  c.x87.fdp = off;
  c.x87.fds = c.seg[i->seg].sel;
  return off;
}
// prologue for register forms / memory forms of non-control instructions
TSV_INLINE void begin(Cpu& c, const Insn* i) {
  check_wait(c);
  note(c, i);
}
TSV_INLINE uint64_t begin_mem(Cpu& c, const Insn* i) {
  check_wait(c);
  return note_mem(c, i);
}

// The decided responses of an operation: skip the destination write when an
// unmasked IE/DE/ZE was raised.
TSV_INLINE bool blocked(const Env& env) { return env.unmasked(fp80::X_IE | fp80::X_DE | fp80::X_ZE); }

// families registering into OpTables::x87 (x87_table.cc calls them)
void register_x87_arith(OpTables& t);
void register_x87_move(OpTables& t);
void register_x87_control(OpTables& t);
void register_x87_trans(OpTables& t);
const Insn* FWAIT(Cpu& c, const Insn* i);  // 9B

// registration helpers: memory form reg r of opcode op, register form of ModRM byte m
inline void mem_op(OpTables& t, uint8_t op, unsigned r, Handler h) { t.x87[op - 0xd8][r] = opd(D_MODRM, {h}); }
inline void reg_op(OpTables& t, uint8_t op, uint8_t modrm, Handler h) {
  t.x87[op - 0xd8][8 + (modrm & 0x3f)] = opd(D_MODRM, {h});
}
inline void reg_op8(OpTables& t, uint8_t op, uint8_t modrm, Handler h) {  // the 8 forms ST(0)..ST(7)
  for (unsigned k = 0; k < 8; k++) reg_op(t, op, (uint8_t)(modrm + k), h);
}

}  // namespace x87
}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
