// The block translator: splits a decoded block into runs of instructions the JIT
// handles, decides for each flag producer whether its lazy-flag record must be
// stored (only when control can leave native code before the next producer) and
// for each flag consumer where its flags come from (the host's flags, or the
// record of a producer of the run re-evaluated), then emits each run.
//
// Emitted code runs with RDI = Cpu*, RSI = the run's first Insn (the Handler
// ABI), uses only caller-saved registers, never calls, and leaves by a tail jump
// into an interpreter handler with Cpu::cur set to that handler's instruction:
//  - at the run's end, to the next instruction's handler (read from the Insn, so
//    code invalidated meanwhile ends the block);
//  - on a TLB miss (or page crossing) of a memory operand, to the original handler
//    of the instruction being executed, before anything of it was changed.
#include "cpu/jit/translate.h"
#if TSV_JIT_X64
#include <cstddef>
#include "cpu/jit/emitter.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Winvalid-offsetof"  // Cpu is not standard-layout; its plain fields are
#endif

namespace tsv {
namespace jit {

namespace {

constexpr int32_t OFF_GPR = (int32_t)offsetof(Cpu, gpr);
constexpr int32_t OFF_RIP = (int32_t)offsetof(Cpu, rip);
constexpr int32_t OFF_LFRES = (int32_t)offsetof(Cpu, lf_res);
constexpr int32_t OFF_SRC1 = (int32_t)offsetof(Cpu, lf_src1);
constexpr int32_t OFF_SRC2 = (int32_t)offsetof(Cpu, lf_src2);
constexpr int32_t OFF_LFFLAGS = (int32_t)offsetof(Cpu, lf_flags);
constexpr int32_t OFF_LFOP = (int32_t)offsetof(Cpu, lf_op);
constexpr int32_t OFF_STEP = (int32_t)offsetof(Cpu, step);
constexpr int32_t OFF_CUR = (int32_t)offsetof(Cpu, cur);
constexpr int32_t OFF_TLBCUR = (int32_t)offsetof(Cpu, tlb_cur);
constexpr int32_t OFF_EPOCH = (int32_t)offsetof(Cpu, tlb_epoch);
constexpr int32_t OFF_CANON = (int32_t)offsetof(Cpu, canon_shift);
constexpr int32_t OFF_GLOBAL_GEN = (int32_t)offsetof(Cpu, global_gen);
constexpr int32_t OFF_TLB_GEN = (int32_t)offsetof(Cpu, tlb_gen);
constexpr int32_t OFF_LINK_FROM = (int32_t)offsetof(Cpu, link_from);
constexpr int32_t OFF_LINK_K = (int32_t)offsetof(Cpu, link_k);
constexpr int32_t OFF_LINK_GEN_AT = (int32_t)offsetof(Cpu, link_gen_at);
constexpr int32_t OFF_LINK = (int32_t)offsetof(Insn, link);
constexpr int32_t OFF_LINK_GEN = (int32_t)offsetof(Insn, link_gen);
constexpr int32_t OFF_JCACHE = (int32_t)offsetof(Cpu, jcache);
constexpr int32_t OFF_CODE_SIZE = (int32_t)offsetof(Cpu, code_size);
constexpr int32_t OFF_J_RIP = (int32_t)offsetof(Cpu::JmpEntry, rip);
constexpr int32_t OFF_J_CODE_SIZE = (int32_t)offsetof(Cpu::JmpEntry, code_size);
constexpr int32_t OFF_J_BLK = (int32_t)offsetof(Cpu::JmpEntry, blk);
constexpr int32_t OFF_J_GEN = (int32_t)offsetof(Cpu::JmpEntry, gen);
constexpr int32_t OFF_NO_CHAIN_IN = (int32_t)offsetof(Block, no_chain_in);
constexpr int32_t OFF_VALID = (int32_t)offsetof(Block, valid);
constexpr int32_t OFF_INSNS = (int32_t)offsetof(Block, insns);
static_assert(sizeof(Cpu::JmpEntry) == 32, "the inline jump-cache lookup indexes 32-byte entries");
static_assert(offsetof(Cpu, lf_bits) == offsetof(Cpu, lf_op) + 1, "lf_op and lf_bits are stored as one 16-bit word");
static_assert(sizeof(TlbEntry) == 32 && offsetof(TlbEntry, tag) == 0 && offsetof(TlbEntry, addend) == 8,
              "the inline TLB lookup indexes 32-byte entries");
static_assert(offsetof(Insn, fn) == 0, "run exits jump through the Insn's first word");

int32_t seg_base_off(unsigned s) { return (int32_t)(offsetof(Cpu, seg) + s * sizeof(SegCache) + offsetof(SegCache, ebase)); }
Mem cpu_mem(int32_t off) { return Mem{RDI, off}; }

// What the translator decided for one instruction of a run.
struct Plan {
  bool remat = false;      // re-evaluate the host flags from the record of remat_from first
  int remat_from = -1;
  bool record = false;     // store the lazy-flag record
  bool cf_unknown = false; // INC/DEC: the kept CF is not available natively
};

bool remat_ok(const JOp& j) { return j.lf == LF_ADD || j.lf == LF_SUB || j.lf == LF_LOGIC; }

class RunEmitter {
 public:
  RunEmitter(Emitter& e, const Block* b, const std::vector<JOp>& ops, const std::vector<Plan>& plan, Handler orig0)
      : e_(e), b_(b), ops_(ops), plan_(plan), orig0_(orig0) {}

  void emit(unsigned s, unsigned end) {
    // precise dispatch (single-step, small budgets, the careful path): the interpreter
    e_.rm1(1, 0x80, 7, cpu_mem(OFF_STEP));
    e_.byte(0);
    uint8_t* to_step = e_.jcc_fwd(0x5);
    for (unsigned k = s; k < end; k++) insn(k);
    const Kind last = ops_[end - 1].kind;
    if (last != K_JCC && last != K_CALL && last != K_RET) leave_to_next(end);  // a branch leaves by itself
    e_.bind(to_step);
    e_.mov_imm(RAX, (uint64_t)orig(s));
    e_.jmp_reg(RAX);
    // bail-out stubs: one per instruction that can miss the TLB
    for (size_t n = 0; n < bails_.size(); n++) {
      const unsigned k = bails_[n].second;
      bool first = true;
      for (size_t m = 0; m < n; m++)
        if (bails_[m].second == k) first = false;
      if (!first) continue;
      uint8_t* here = e_.here();
      for (size_t m = n; m < bails_.size(); m++)
        if (bails_[m].second == k) e_.bind_to(bails_[m].first, here);
      e_.mov_imm(RSI, (uint64_t)&b_->insns[k]);
      e_.mov_store(8, cpu_mem(OFF_CUR), RSI);
      e_.mov_imm(RAX, (uint64_t)orig(k));
      e_.jmp_reg(RAX);
    }
  }

 private:
  Handler orig(unsigned k) const { return k == 0 ? orig0_ : b_->insns[k].fn; }

  void leave_to_next(unsigned k) {
    e_.mov_imm(RSI, (uint64_t)&b_->insns[k]);
    e_.mov_store(8, cpu_mem(OFF_CUR), RSI);
    e_.jmp_mem(Mem{RSI, 0});
  }

  // --- guest registers
  void load_reg(unsigned w, int r, const Opd& o) { e_.load_zx(w, r, cpu_mem(o.off)); }
  // 32-bit values are stored as 64 (the host register's upper half is zero: 32-bit results zero-extend)
  void store_reg(unsigned w, const Opd& o, int r) { e_.mov_store(w == 4 ? 8 : w, cpu_mem(o.off), r); }
  void load_imm(unsigned w, int r, uint64_t v) { e_.mov_imm(r, w == 8 ? v : v & ((1ull << (8 * w)) - 1)); }

  // --- memory operands
  // Linear address of the instruction's memory operand into RDX (64-bit mode: segment bases
  // apply to FS and GS only). Uses RCX; flags untouched except by the FS/GS base addition.
  void effective_address(const Insn& in, bool linear) {
    if (in.flags & INSN_RIPREL) {
      e_.mov_load(8, RDX, cpu_mem(OFF_RIP));
      e_.lea(RDX, Mem{RDX, (int32_t)((int64_t)in.disp + in.off + in.len)});
    } else {
      const bool has_base = in.base != 16, has_index = in.index != 16;
      if (has_base) e_.mov_load(8, RDX, cpu_mem(OFF_GPR + 8 * in.base));
      else e_.mov_imm(RDX, 0);
      if (has_index) {
        e_.mov_load(8, RCX, cpu_mem(OFF_GPR + 8 * in.index));
        e_.lea(RDX, Mem{RDX, in.disp, RCX, in.scale});
      } else if (in.disp != 0) {
        e_.lea(RDX, Mem{RDX, in.disp});
      }
    }
    if (in.asize == 4) e_.mov_rr(4, RDX, RDX);
    else if (in.asize == 2) e_.rr2(4, 0x0f, 0xb7, RDX, RDX);  // movzx edx, dx
    if (linear && (in.seg == TSV_SEG_FS || in.seg == TSV_SEG_GS)) e_.alu_rm(8, 0, RDX, cpu_mem(seg_base_off(in.seg)));
  }
  // TLB lookup for w bytes at the linear address in RDX; on a hit RDX becomes the host address,
  // on a miss (or an access crossing the page) control leaves for instruction k's handler.
  // The tag is compared with the page of the access's last byte: a crossing access never matches.
  void tlb(unsigned k, unsigned w, int acc) {
    e_.lea(RAX, Mem{RDX, (int32_t)w - 1});
    e_.mov_rr(8, RCX, RDX);
    e_.shift_ri(8, 5, RCX, 7);                 // (lin >> 12) * 32
    e_.alu_ri(4, 4, RCX, (TLB_SIZE - 1) << 5);
    e_.alu_rm(8, 0, RCX, cpu_mem(OFF_TLBCUR + 8 * acc));
    e_.alu_ri(8, 4, RAX, (uint32_t)-4096);
    e_.alu_rm(8, 1, RAX, cpu_mem(OFF_EPOCH));
    e_.alu_rm(8, 7, RAX, Mem{RCX, 0});
    bails_.push_back({e_.jcc_fwd(0x5), k});
    e_.alu_rm(8, 0, RDX, Mem{RCX, 8});
  }
  void mem_operand(unsigned k, unsigned w, int acc) {
    effective_address(b_->insns[k], true);
    tlb(k, w, acc);
  }

  // --- lazy flags
  void record(unsigned w, uint8_t lf, int res, int src1, int src2) {
    e_.mov_store_imm(2, cpu_mem(OFF_LFOP), (uint32_t)lf | ((8u * w) << 8));
    e_.mov_store(8, cpu_mem(OFF_LFRES), res);
    if (lf == LF_LOGIC) return;
    e_.mov_store(8, cpu_mem(OFF_SRC1), src1);
    e_.mov_store(8, cpu_mem(OFF_SRC2), src2);
  }
  // carry-in / kept CF captured by SETC into R9B before the operation
  void record_cf_flag() {
    e_.rr2(4, 0x0f, 0xb6, R9, R9);  // movzx r9d, r9b
    e_.mov_store(4, cpu_mem(OFF_LFFLAGS), R9);
  }
  // MUL/IMUL: CF=OF=overflow (host flags right after the multiply), SF/ZF/PF of the low half in RAX
  void record_mul(unsigned w) {
    e_.setcc(0x0, R9);          // seto r9b
    e_.test_rr(w, RAX, RAX);
    e_.byte(0x9c);              // pushfq
    e_.byte(0x41);
    e_.byte(0x5a);              // pop r10
    e_.alu_ri(4, 4, R10, F_SF | F_ZF | F_PF);
    e_.rr2(4, 0x0f, 0xb6, R9, R9);
    e_.rr1(4, 0xf7, 3, R9);     // neg r9d: 0 or all ones
    e_.alu_ri(4, 4, R9, F_CF | F_OF);
    e_.alu_rr(4, 1, R10, R9);
    e_.mov_store(4, cpu_mem(OFF_LFFLAGS), R10);
    e_.mov_store_imm(1, cpu_mem(OFF_LFOP), LF_NONE);
  }
  // host flags from the stored record of an earlier producer of this run
  void remat(const JOp& p) {
    const unsigned w = p.w;
    if (p.lf == LF_LOGIC) {
      e_.load_zx(w, R10, cpu_mem(OFF_LFRES));
      e_.test_rr(w, R10, R10);
    } else {
      e_.load_zx(w, R10, cpu_mem(OFF_SRC1));
      e_.alu_rm(w, p.lf == LF_ADD ? 0 : 7, R10, cpu_mem(OFF_SRC2));
    }
  }
  void maybe_remat(unsigned k) {
    if (plan_[k].remat) remat(ops_[plan_[k].remat_from]);
  }

  // loads operand o (register, immediate, or the memory operand already at host address RDX)
  void load_opd(unsigned w, int r, const Opd& o) {
    if (o.type == O_REG) load_reg(w, r, o);
    else if (o.type == O_IMM) load_imm(w, r, o.imm);
    else e_.load_zx(w, r, Mem{RDX, 0});
  }
  void store_opd(unsigned w, const Opd& o, int r) {
    if (o.type == O_REG) store_reg(w, o, r);
    else e_.mov_store(w, Mem{RDX, 0}, r);
  }

  void insn(unsigned k) {
    const JOp& j = ops_[k];
    const Plan& p = plan_[k];
    const Insn& in = b_->insns[k];
    const unsigned w = j.w;
    switch (j.kind) {
      case K_NOP: return;
      case K_JCC: branch(k, j); return;
      case K_CALL: call(k, j); return;
      case K_RET: ret(k, j); return;
      case K_ALU: {
        const bool writes = j.alu != 7 && j.alu != 8;
        if (j.dst.type == O_MEM) mem_operand(k, w, writes ? ACC_WRITE : ACC_READ);
        if (j.src.type == O_MEM) mem_operand(k, w, ACC_READ);
        load_opd(w, RAX, j.dst);
        load_opd(w, RCX, j.src);
        maybe_remat(k);
        const bool logic = j.lf == LF_LOGIC;
        if (p.record && !logic) e_.mov_rr(8, R8, RAX);
        if (p.record && (j.alu == 2 || j.alu == 3)) e_.setcc(0x2, R9);  // setc r9b: the carry in
        int op = j.alu;
        if (op == 8) {
          if (p.record) e_.alu_rr(w, 4, RAX, RCX);  // AND: TEST's result is recorded
          else e_.test_rr(w, RAX, RCX);
        } else if (op == 7 && p.record) {
          e_.alu_rr(w, 5, RAX, RCX);  // SUB: CMP's result is recorded
        } else {
          e_.alu_rr(w, op, RAX, RCX);
        }
        if (writes) store_opd(w, j.dst, RAX);
        if (p.record) {
          record(w, j.lf, RAX, R8, RCX);
          if (j.alu == 2 || j.alu == 3) record_cf_flag();
        }
        return;
      }
      case K_MOV:
        if (j.dst.type == O_MEM) {
          mem_operand(k, w, ACC_WRITE);
          if (j.src.type == O_IMM) {
            e_.mov_store_imm(w, Mem{RDX, 0}, (uint32_t)j.src.imm);  // 64-bit: imm32 sign-extended, as decoded
            return;
          }
        } else if (j.src.type == O_MEM) {
          mem_operand(k, w, ACC_READ);
        }
        load_opd(w, RAX, j.src);
        store_opd(w, j.dst, RAX);
        return;
      case K_LEA:
        effective_address(in, false);
        if (w == 2) e_.mov_store(2, cpu_mem(j.dst.off), RDX);
        else {
          if (w == 4) e_.mov_rr(4, RDX, RDX);
          e_.mov_store(8, cpu_mem(j.dst.off), RDX);
        }
        return;
      case K_INCDEC:
        if (j.dst.type == O_MEM) mem_operand(k, w, ACC_WRITE);
        load_opd(w, RAX, j.dst);
        maybe_remat(k);
        if (p.record) {
          e_.mov_rr(8, R8, RAX);
          e_.setcc(0x2, R9);  // the CF INC/DEC keep
        }
        e_.rr1(w, w == 1 ? 0xfe : 0xff, j.inc ? 0 : 1, RAX);
        store_opd(w, j.dst, RAX);
        if (p.record) {
          e_.mov_imm(RCX, 1);
          record(w, j.lf, RAX, R8, RCX);
          record_cf_flag();
        }
        return;
      case K_NOT:
        if (j.dst.type == O_MEM) mem_operand(k, w, ACC_WRITE);
        load_opd(w, RAX, j.dst);
        e_.rr1(w, w == 1 ? 0xf6 : 0xf7, 2, RAX);
        store_opd(w, j.dst, RAX);
        return;
      case K_NEG:
        if (j.dst.type == O_MEM) mem_operand(k, w, ACC_WRITE);
        load_opd(w, RAX, j.dst);
        if (p.record) e_.mov_rr(8, R8, RAX);
        e_.rr1(w, w == 1 ? 0xf6 : 0xf7, 3, RAX);
        store_opd(w, j.dst, RAX);
        if (p.record) {
          e_.mov_imm(RCX, 0);
          record(w, LF_SUB, RAX, RCX, R8);  // 0 - a
        }
        return;
      case K_MUL1: {
        if (j.src.type == O_MEM) mem_operand(k, w, ACC_READ);
        load_opd(w, RCX, j.src);
        Opd acc;
        acc.type = O_REG;
        acc.off = OFF_GPR;
        load_reg(w, RAX, acc);
        e_.rr1(w, w == 1 ? 0xf6 : 0xf7, j.sign ? 5 : 4, RCX);
        if (w == 1) {
          e_.mov_store(2, cpu_mem(OFF_GPR), RAX);
        } else {
          e_.mov_store(w == 4 ? 8 : w, cpu_mem(OFF_GPR), RAX);
          e_.mov_store(w == 4 ? 8 : w, cpu_mem(OFF_GPR + 16), RDX);
        }
        if (p.record) record_mul(w);
        return;
      }
      case K_IMUL2:
        if (j.src.type == O_MEM) mem_operand(k, w, ACC_READ);
        load_opd(w, RCX, j.src);
        if (j.has_imm) load_imm(w, RAX, j.imm);
        else load_reg(w, RAX, j.dst);
        e_.rr2(w, 0x0f, 0xaf, RAX, RCX);
        store_reg(w, j.dst, RAX);
        if (p.record) record_mul(w);
        return;
      case K_SETCC:
        if (j.dst.type == O_MEM) mem_operand(k, 1, ACC_WRITE);
        maybe_remat(k);
        e_.setcc(j.cc, RAX);
        store_opd(1, j.dst, RAX);
        return;
      case K_CMOV:
        if (j.src.type == O_MEM) mem_operand(k, w, ACC_READ);
        load_opd(w, RCX, j.src);
        load_reg(w, RAX, j.dst);
        maybe_remat(k);
        e_.cmovcc(w, j.cc, RAX, RCX);
        store_reg(w, j.dst, RAX);
        return;
      case K_SHIFT:
        if (j.dst.type == O_MEM) mem_operand(k, w, ACC_WRITE);
        load_opd(w, RAX, j.dst);
        if (p.record) e_.mov_rr(8, R8, RAX);
        e_.shift_ri(w, j.shift, RAX, j.count);
        store_opd(w, j.dst, RAX);
        if (p.record) {
          e_.mov_imm(RCX, j.count);
          record(w, j.lf, RAX, R8, RCX);
        }
        return;
      case K_MOVX: {
        if (j.src.type == O_MEM) mem_operand(k, j.src_w, ACC_READ);
        const Mem m = j.src.type == O_MEM ? Mem{RDX, 0} : cpu_mem(j.src.off);
        if (!j.sign || j.src_w == w) e_.load_zx(j.src_w, RAX, m);
        else if (j.src_w == 4) e_.rm1(8, 0x63, RAX, m);  // movsxd rax
        else e_.rm2(w == 8 ? 8 : 4, 0x0f, j.src_w == 1 ? 0xbe : 0xbf, RAX, m);
        store_reg(w, j.dst, RAX);
        return;
      }
      case K_PUSH:
        e_.mov_load(8, RDX, cpu_mem(OFF_GPR + 8 * 4));
        e_.lea(RDX, Mem{RDX, -8});
        tlb(k, 8, ACC_WRITE);
        load_reg(8, RAX, j.dst);
        e_.mov_store(8, Mem{RDX, 0}, RAX);
        e_.mov_load(8, RAX, cpu_mem(OFF_GPR + 8 * 4));
        e_.lea(RAX, Mem{RAX, -8});
        e_.mov_store(8, cpu_mem(OFF_GPR + 8 * 4), RAX);
        return;
      case K_POP:
        e_.mov_load(8, RDX, cpu_mem(OFF_GPR + 8 * 4));
        tlb(k, 8, ACC_READ);
        e_.mov_load(8, RAX, Mem{RDX, 0});
        e_.mov_load(8, RCX, cpu_mem(OFF_GPR + 8 * 4));
        e_.lea(RCX, Mem{RCX, 8});
        e_.mov_store(8, cpu_mem(OFF_GPR + 8 * 4), RCX);
        e_.mov_store(8, cpu_mem(j.dst.off), RAX);  // POP RSP: the loaded value wins
        return;
      case K_XCHG:
        load_reg(w, RAX, j.dst);
        load_reg(w, RCX, j.src);
        store_reg(w, j.dst, RCX);
        store_reg(w, j.src, RAX);
        return;
      case K_CBW:
        if (w == 2) e_.rm2(4, 0x0f, 0xbe, RAX, cpu_mem(OFF_GPR));
        else if (w == 4) e_.rm2(4, 0x0f, 0xbf, RAX, cpu_mem(OFF_GPR));
        else e_.rm1(8, 0x63, RAX, cpu_mem(OFF_GPR));
        store_reg(w, reg0(), RAX);
        return;
      case K_CWD: {
        load_reg(w, RAX, reg0());
        if (w == 2) e_.byte(0x66);
        if (w == 8) e_.byte(0x48);
        e_.byte(0x99);
        Opd d;
        d.type = O_REG;
        d.off = OFF_GPR + 16;
        store_reg(w, d, RDX);
        return;
      }
    }
  }
  // Jcc/JMP: RIP of the taken or fall-through path, then the link check chain() makes; the
  // branch retires (Cpu::cur is it) and control returns to the run loop with the successor.
  void branch(unsigned k, const JOp& j) {
    const Insn& in = b_->insns[k];
    maybe_remat(k);
    e_.mov_imm(RSI, (uint64_t)&in);
    e_.mov_store(8, cpu_mem(OFF_CUR), RSI);
    uint8_t* not_taken = j.cc == kAlways ? nullptr : e_.jcc_fwd(j.cc ^ 1);
    // taken: RIP = next RIP + displacement, #GP (in the interpreter) unless canonical
    e_.mov_load(8, RAX, cpu_mem(OFF_RIP));
    e_.mov_imm(RCX, (uint64_t)in.off + in.len + j.imm);
    e_.alu_rr(8, 0, RAX, RCX);
    canonical_or_bail(k, RAX, RDX);
    e_.mov_store(8, cpu_mem(OFF_RIP), RAX);
    chain(1);
    if (!not_taken) return;
    e_.bind(not_taken);
    e_.mov_load(8, RAX, cpu_mem(OFF_RIP));
    e_.lea(RAX, Mem{RAX, (int32_t)(in.off + in.len)});
    e_.mov_store(8, cpu_mem(OFF_RIP), RAX);
    chain(0);
  }
  // leaves for instruction k's handler (which raises #GP) unless the address in `r` is canonical;
  // uses RCX and `scratch`
  void canonical_or_bail(unsigned k, int r, int scratch) {
    e_.load_zx(1, RCX, cpu_mem(OFF_CANON));
    e_.mov_rr(8, scratch, r);
    e_.rr1(8, 0xd3, 4, scratch);  // shl scratch, cl
    e_.rr1(8, 0xd3, 7, scratch);  // sar scratch, cl
    e_.alu_rr(8, 7, scratch, r);
    bails_.push_back({e_.jcc_fwd(0x5), k});
  }
  // CALL rel: the target's canonical check and the push's TLB lookup come before any change
  void call(unsigned k, const JOp& j) {
    const Insn& in = b_->insns[k];
    e_.mov_load(8, RDX, cpu_mem(OFF_GPR + 8 * 4));
    e_.lea(RDX, Mem{RDX, -8});
    tlb(k, 8, ACC_WRITE);
    e_.mov_load(8, RAX, cpu_mem(OFF_RIP));
    e_.lea(RAX, Mem{RAX, (int32_t)(in.off + in.len)});  // the return address
    e_.mov_imm(R8, j.imm);
    e_.alu_rr(8, 0, R8, RAX);                             // the target
    canonical_or_bail(k, R8, R9);
    e_.mov_store(8, Mem{RDX, 0}, RAX);
    e_.mov_load(8, RAX, cpu_mem(OFF_GPR + 8 * 4));
    e_.lea(RAX, Mem{RAX, -8});
    e_.mov_store(8, cpu_mem(OFF_GPR + 8 * 4), RAX);
    e_.mov_store(8, cpu_mem(OFF_RIP), R8);
    e_.mov_imm(RSI, (uint64_t)&in);
    e_.mov_store(8, cpu_mem(OFF_CUR), RSI);
    chain(1);
  }
  // RET (imm16): pop the target (TLB lookup, canonical check), then chain_indirect(): the jump
  // cache entry of the target under the current generation, or the run loop
  void ret(unsigned k, const JOp& j) {
    const Insn& in = b_->insns[k];
    e_.mov_load(8, RDX, cpu_mem(OFF_GPR + 8 * 4));
    tlb(k, 8, ACC_READ);
    e_.mov_load(8, RAX, Mem{RDX, 0});
    canonical_or_bail(k, RAX, RDX);
    e_.mov_store(8, cpu_mem(OFF_RIP), RAX);
    e_.mov_load(8, RCX, cpu_mem(OFF_GPR + 8 * 4));
    e_.lea(RCX, Mem{RCX, (int32_t)(8 + j.imm)});
    e_.mov_store(8, cpu_mem(OFF_GPR + 8 * 4), RCX);
    e_.mov_imm(RSI, (uint64_t)&in);
    e_.mov_store(8, cpu_mem(OFF_CUR), RSI);
    // 64-bit mode: the linear RIP is RIP (CS base 0, no mask)
    e_.mov_rr(8, RCX, RAX);
    e_.shift_ri(8, 5, RCX, 12);
    e_.alu_rr(8, 6, RCX, RAX);
    e_.alu_ri(4, 4, RCX, Cpu::JCACHE_SIZE - 1);
    e_.shift_ri(4, 4, RCX, 5);  // * sizeof(JmpEntry)
    e_.lea(RCX, Mem{RDI, OFF_JCACHE, RCX, 0});
    e_.alu_rm(8, 7, RAX, Mem{RCX, OFF_J_RIP});
    uint8_t* miss1 = e_.jcc_fwd(0x5);
    e_.mov_load(8, RDX, Mem{RCX, OFF_J_GEN});
    e_.alu_rm(8, 7, RDX, cpu_mem(OFF_GLOBAL_GEN));
    uint8_t* gen_ok = e_.jcc_fwd(0x4);
    e_.alu_rm(8, 7, RDX, cpu_mem(OFF_TLB_GEN));
    uint8_t* miss2 = e_.jcc_fwd(0x5);
    e_.bind(gen_ok);
    e_.load_zx(1, RDX, cpu_mem(OFF_CODE_SIZE));
    e_.alu_rm(8, 7, RDX, Mem{RCX, OFF_J_CODE_SIZE});
    uint8_t* miss3 = e_.jcc_fwd(0x5);
    e_.mov_load(8, RAX, Mem{RCX, OFF_J_BLK});
    e_.rm1(1, 0x80, 7, Mem{RAX, OFF_VALID});  // a block invalidated since: the run loop decodes again
    e_.byte(0);
    uint8_t* miss5 = e_.jcc_fwd(0x4);
    e_.rm1(1, 0x80, 7, Mem{RAX, OFF_NO_CHAIN_IN});
    e_.byte(0);
    uint8_t* miss4 = e_.jcc_fwd(0x5);
    e_.lea(RAX, Mem{RAX, OFF_INSNS});
    e_.byte(0xc3);
    e_.bind(miss1);
    e_.bind(miss2);
    e_.bind(miss3);
    e_.bind(miss4);
    e_.bind(miss5);
    e_.mov_imm(RAX, (uint64_t)&kEndOfBlock);
    e_.byte(0xc3);
  }

  // chain(c, i, k) with RSI = i
  void chain(int k) {
    e_.mov_load(8, RAX, Mem{RSI, OFF_LINK_GEN});
    e_.alu_rm(8, 7, RAX, cpu_mem(OFF_GLOBAL_GEN));
    uint8_t* valid = e_.jcc_fwd(0x4);
    e_.alu_rm(8, 7, RAX, cpu_mem(OFF_TLB_GEN));
    uint8_t* stale = e_.jcc_fwd(0x5);
    e_.bind(valid);
    e_.mov_load(8, RAX, Mem{RSI, OFF_LINK + 8 * k});
    e_.test_rr(8, RAX, RAX);
    uint8_t* unlinked = e_.jcc_fwd(0x4);
    e_.byte(0xc3);  // ret: the successor block's first instruction
    e_.bind(stale);
    e_.bind(unlinked);
    e_.mov_store(8, cpu_mem(OFF_LINK_FROM), RSI);
    e_.mov_store_imm(1, cpu_mem(OFF_LINK_K), (uint32_t)k);
    e_.mov_load(8, RAX, cpu_mem(OFF_TLB_GEN));
    e_.mov_store(8, cpu_mem(OFF_LINK_GEN_AT), RAX);
    e_.mov_imm(RAX, (uint64_t)&kEndOfBlock);
    e_.byte(0xc3);
  }

  static Opd reg0() {
    Opd o;
    o.type = O_REG;
    o.off = OFF_GPR;
    return o;
  }

  Emitter& e_;
  const Block* b_;
  const std::vector<JOp>& ops_;
  const std::vector<Plan>& plan_;
  Handler orig0_;
  std::vector<std::pair<uint8_t*, unsigned>> bails_;
};

// Decides how far a run starting at s can go (ops[s..limit) are all classified) and what each
// instruction of it needs; returns its end.
unsigned plan_run(const std::vector<JOp>& ops, unsigned s, unsigned limit, std::vector<Plan>& plan) {
  unsigned end = limit;
  for (;;) {
    // forward: which host flags hold the guest's, and where consumers get theirs
    uint32_t hostf = 0;
    int prod = -1;
    unsigned k;
    for (k = s; k < end; k++) {
      const JOp& j = ops[k];
      Plan& p = plan[k];
      p = Plan{};
      if (j.mem) hostf = 0;  // the TLB lookup uses the host flags
      const bool incdec = j.kind == K_INCDEC;
      const uint32_t need = incdec ? F_CF : j.reads;
      if (need & ~hostf) {
        if (prod >= 0 && remat_ok(ops[prod])) {
          p.remat = true;
          p.remat_from = prod;
          hostf = ops[prod].host_valid;
        } else if (incdec) {
          p.cf_unknown = true;
        } else {
          break;  // a consumer whose flags are not at hand: the interpreter runs it
        }
      }
      if (incdec) hostf = j.host_valid | (p.cf_unknown ? 0 : (hostf & F_CF));
      else if (j.produces) hostf = j.host_valid;
      if (j.produces) prod = (int)k;
    }
    end = k;
    // backward: a record is needed when control can leave native code before the next producer
    bool need = true;
    unsigned conflict = end;
    for (k = end; k-- > s;) {
      const JOp& j = ops[k];
      Plan& p = plan[k];
      if (j.produces) {
        p.record = need;
        need = false;
        if (p.record && (p.cf_unknown || j.no_record)) conflict = k;
      }
      if (j.mem || p.remat || j.kind == K_JCC) need = true;  // branches bail out on a non-canonical target
    }
    if (conflict == end) return end;
    end = conflict;
  }
}

}  // namespace

// Translates every run of block b into `out` (position-independent code); reports the runs as
// (first instruction, offset of its code in out) and the code's size. Returns false when out is too small.
bool translate_block_code(const Block* b, Handler orig0, bool long_mode, std::vector<uint8_t>& out,
                          std::vector<std::pair<unsigned, size_t>>& runs, size_t& size) {
  const unsigned n = b->count;
  std::vector<JOp> ops(n);
  std::vector<bool> ok(n);
  for (unsigned k = 0; k < n; k++) ok[k] = classify(b->insns[k], long_mode, ops[k]);
  std::vector<Plan> plan(n);
  Emitter e(out.data(), out.size());
  runs.clear();
  unsigned s = 0;
  while (s < n) {
    if (!ok[s]) {
      s++;
      continue;
    }
    unsigned limit = s;
    while (limit < n && ok[limit]) limit++;
    const unsigned end = plan_run(ops, s, limit, plan);
    if (end > s) {
      runs.push_back({s, e.size()});
      RunEmitter r(e, b, ops, plan, orig0);
      r.emit(s, end);
    }
    s = end + 1;  // the instruction at `end` is interpreted
  }
  size = e.size();
  return !e.overflowed();
}

}  // namespace jit
}  // namespace tsv
#endif
