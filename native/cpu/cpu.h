// The interp backend's vCPU: working register state, lazy flags, segment
// caches, software TLB and the pre-decoded instruction format. Everything the
// per-instruction handlers touch is inline here so the hot paths compile to a
// few loads and stores.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include "tsvisor_abi.h"
#include "cpu/fpu_state.h"

#if defined(__GNUC__)
#define TSV_LIKELY(x) __builtin_expect(!!(x), 1)
#define TSV_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TSV_INLINE inline __attribute__((always_inline))
#define TSV_NOINLINE __attribute__((noinline))
#else
#define TSV_LIKELY(x) (x)
#define TSV_UNLIKELY(x) (x)
#define TSV_INLINE inline
#define TSV_NOINLINE
#endif

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

class Vm;
struct Cpu;
struct Insn;
struct Block;

// Every handler executes one instruction and returns the next pre-decoded
// instruction (i + 1), or &kEndOfBlock after a control transfer or an exit.
using Handler = const Insn* (*)(Cpu&, const Insn*);

// Exceptions and vectors
enum : uint8_t {
  EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6, EXC_NM = 7,
  EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16,
  EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};

// RFLAGS bits
constexpr uint32_t F_CF = 1u << 0;
constexpr uint32_t F_PF = 1u << 2;
constexpr uint32_t F_AF = 1u << 4;
constexpr uint32_t F_ZF = 1u << 6;
constexpr uint32_t F_SF = 1u << 7;
constexpr uint32_t F_TF = 1u << 8;
constexpr uint32_t F_IF = 1u << 9;
constexpr uint32_t F_DF = 1u << 10;
constexpr uint32_t F_OF = 1u << 11;
constexpr uint32_t F_IOPL = 3u << 12;
constexpr uint32_t F_NT = 1u << 14;
constexpr uint32_t F_RF = 1u << 16;
constexpr uint32_t F_VM = 1u << 17;
constexpr uint32_t F_AC = 1u << 18;
constexpr uint32_t F_VIF = 1u << 19;
constexpr uint32_t F_VIP = 1u << 20;
constexpr uint32_t F_ID = 1u << 21;
constexpr uint32_t F_ARITH = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF;

constexpr uint64_t CR0_PE = 1u << 0;
constexpr uint64_t CR0_MP = 1u << 1;
constexpr uint64_t CR0_EM = 1u << 2;
constexpr uint64_t CR0_TS = 1u << 3;
constexpr uint64_t CR0_ET = 1u << 4;
constexpr uint64_t CR0_NE = 1u << 5;
constexpr uint64_t CR0_WP = 1u << 16;
constexpr uint64_t CR0_AM = 1u << 18;
constexpr uint64_t CR0_NW = 1u << 29;
constexpr uint64_t CR0_CD = 1u << 30;
constexpr uint64_t CR0_PG = 1ull << 31;
constexpr uint64_t CR4_VME = 1u << 0;
constexpr uint64_t CR4_PVI = 1u << 1;
constexpr uint64_t CR4_TSD = 1u << 2;
constexpr uint64_t CR4_DE = 1u << 3;
constexpr uint64_t CR4_PSE = 1u << 4;
constexpr uint64_t CR4_PAE = 1u << 5;
constexpr uint64_t CR4_MCE = 1u << 6;
constexpr uint64_t CR4_PGE = 1u << 7;
constexpr uint64_t CR4_PCE = 1u << 8;
constexpr uint64_t CR4_OSFXSR = 1u << 9;
constexpr uint64_t CR4_OSXMMEXCPT = 1u << 10;
constexpr uint64_t CR4_UMIP = 1u << 11;
constexpr uint64_t CR4_LA57 = 1u << 12;
constexpr uint64_t CR4_PCIDE = 1u << 17;
constexpr uint64_t CR4_OSXSAVE = 1u << 18;
constexpr uint64_t CR4_SMEP = 1u << 20;
constexpr uint64_t CR4_SMAP = 1u << 21;
constexpr uint64_t EFER_SCE = 1u << 0;
constexpr uint64_t EFER_LME = 1u << 8;
constexpr uint64_t EFER_LMA = 1u << 10;
constexpr uint64_t EFER_NXE = 1u << 11;

// Lazy flags: the last flag-producing operation, evaluated only when read.
// Shifts keep the count in lf_src2 (1..width-1).
enum LfOp : uint8_t { LF_NONE, LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC, LF_SHL, LF_SHR, LF_SAR };

// Cached segment: architectural slot + derived access window for limit checks.
struct SegCache {
  uint64_t base;
  uint64_t ebase;  // base actually applied: 0 for ES/CS/SS/DS in 64-bit mode
  uint32_t limit;
  uint16_t sel, attr;
  // valid offsets for reads/writes are [lo, hi]; lo > hi means every access faults
  uint64_t rlo, rhi, wlo, whi;
};

struct TlbEntry {
  uint64_t tag;      // linear page address | TLB epoch (low 12 bits); 0 = invalid
  uintptr_t addend;  // host pointer = linear + addend
  uint64_t phys;     // guest-physical page
  uint32_t global;
  uint32_t pad;
};
constexpr int TLB_BITS = 12;
constexpr int TLB_SIZE = 1 << TLB_BITS;
enum { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };

// One pre-decoded instruction.
struct Insn {
  Handler fn;
  uint8_t len;
  uint8_t reg;    // ModRM.reg (register index, or byte offset into gpr for 8-bit operands)
  uint8_t rm;     // register operand when mod == 3 (same encoding as reg)
  uint8_t seg;    // effective segment of the memory operand
  uint8_t base;   // EA base register (16 = none)
  uint8_t index;  // EA index register (16 = none)
  uint8_t scale;
  uint8_t flags;  // INSN_*
  uint8_t opsize; // 2, 4 or 8
  uint8_t asize;  // 2, 4 or 8
  uint8_t op;     // opcode byte / sub-op
  uint8_t ext;    // ModRM.reg field (group selector) or condition code
  int32_t disp;
  uint64_t imm;
  uint32_t imm2;
  uint16_t off;   // offset from the block start (RIP is only materialized at block ends)
  uint8_t pfx;    // last of 66/F3/F2 as a mandatory-prefix class (SsePrefix: 0 none, 1 66, 2 F3, 3 F2)
  uint8_t vreg;   // VEX.vvvv register (VEX-encoded instructions only)
  // direct block chaining for near branches: successor (0 fall-through, 1 taken), valid while link_gen is
  // cpu.tlb_gen, or cpu.global_gen when every linked successor lies on a global page
  mutable const Insn* link[2];
  mutable uint64_t link_gen;
};
enum : uint8_t {
  INSN_MEM = 1, INSN_RIPREL = 2, INSN_REP = 4, INSN_REPNE = 8, INSN_LOCK = 16, INSN_REX = 32,
  INSN_SEG_OVR = 64, INSN_REXW = 128,
};

constexpr int MAX_BLOCK_INSNS = 48;
struct Block {
  uint64_t key;       // guest-physical start | mode bits
  uint64_t page2;     // second physical page for a page-crossing last instruction (or ~0)
  uint32_t count;
  bool valid;
  bool no_chain_in;  // starts with a D_ALONE instruction: always entered through the run loop
  // block JIT (cpu/jit): entries counted towards translation, the first instruction's own handler
  // (insns[0].fn is the counting handler or a translation meanwhile), the translation's bookkeeping
  uint32_t heat;
  Handler jit_orig0;
  void* jit;
  // Blocks are allocated with room for count + 1 instructions only (the
  // decoder builds into a full-size scratch block first).
  Insn insns[MAX_BLOCK_INSNS + 1];

  static size_t bytes_for(uint32_t n) { return offsetof(Block, insns) + (n + 1) * sizeof(Insn); }
  static Block* clone(const Block& scratch);
  static void destroy(Block* b);
};

// The thrown object for guest exceptions and deep exits (MMIO). The vCPU
// records what happened before throwing; the run loop handles it.
struct GuestEvent {
  int kind;  // 0 = exception pending in cpu.exc_*, 1 = exit recorded in the shared buffer
};

enum ModeKind : uint8_t { MODE_REAL, MODE_PROT, MODE_V86, MODE_LONG64, MODE_COMPAT };

// Cpu::inhibit_irq: STI holds off interrupts for one instruction; MOV SS / POP SS also hold off
// debug traps (#DB of data breakpoints and single-step waits for the next instruction).
enum : uint8_t { INHIBIT_STI = 1, INHIBIT_SS = 2 };

// Work left for run() entry to finish an instruction that exited.
enum Pending : uint8_t { PEND_NONE, PEND_IN, PEND_INS, PEND_MMIO, PEND_RDMSR, PEND_WRMSR };

struct Cpu {
  // --- hot state ---
  uint64_t gpr[17];  // RAX..R15, [16] is a constant zero for EA computation
  uint64_t rip;
  uint64_t lf_res, lf_src1, lf_src2;
  uint32_t lf_flags;   // LF_NONE: the arithmetic flags; ADC/SBB: carry in; INC/DEC: kept CF
  uint8_t lf_op;
  uint8_t lf_bits;
  uint8_t cpl;
  uint8_t mode;        // ModeKind
  uint64_t rflags;     // non-arithmetic bits (+ bit 1)
  const Insn* cur;     // instruction executing now (threaded dispatch: the one a fault belongs to)
  uint8_t* buf;        // the shared buffer
  Vm* vm;
  TlbEntry* tlb_cur[3];  // TLB set for the current privilege (user/supervisor)
  uint8_t exit_reason;   // set by handlers that end the run with an exit
  uint8_t code_size;     // 2, 4 or 8: default operand/address size of CS for the decoder
  uint8_t inhibit_irq;   // STI / MOV SS shadow over the next instruction (INHIBIT_*)
  uint8_t pending;       // Pending
  // Precise dispatch (single-step, MMIO replay, a budget smaller than a block): every
  // handler returns to the run loop, which counts each instruction. Otherwise sequential
  // handlers call the next instruction's handler themselves (see next()).
  uint8_t step;
  uint64_t lin_mask;     // 0xffffffff outside long mode
  // Canonical form of a linear address in IA-32e mode: bits 63..N-1 equal, N = 48, or 57 under
  // CR4.LA57. Kept as the shift 64 - N (16 or 7), picked when CR4 is written (update_canon_shift),
  // so a check is two shifts and a compare, not a test of CR4 per access.
  uint8_t canon_shift;
  SegCache seg[8];
  uint64_t gdtr_base, idtr_base;
  uint32_t gdtr_limit, idtr_limit;
  uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base, tsc_offset, instret, xcr0;
  uint64_t dr[TSV_DR_COUNT];  // DR0-DR3, DR6, DR7
  uint8_t dbg_active;         // DBG_* kinds of breakpoint DR7 enables (debug_regs.h): nonzero routes to the careful path
  uint32_t db_hits;           // DR6 B0-B3 of the data/I-O breakpoints the current instruction hit
  uint32_t db_deferred;       // debug-trap bits held over a MOV SS / POP SS shadow
  uint32_t db_after_exit;     // debug-trap bits of an instruction that exited, delivered when run() resumes

  // x87 / MMX / SSE state (fpu_state.h)
  X87 x87;
  Xmm xmm[16];
  uint32_t mxcsr;

  // MSRs held natively
  uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux, pat, misc_enable;
  uint64_t sysenter_cs, sysenter_esp, sysenter_eip, mtrr_def_type, tsc_adjust;
  uint64_t mtrr_fixed[11], mtrr_var[16];

  // exceptions
  uint8_t exc_vec;
  bool exc_has_err;
  uint32_t exc_err;
  int delivering;        // vector being delivered (-1 none) for #DF classification
  // an event whose delivery exited for MMIO (IDT/GDT/TSS/stack not RAM): re-delivered on re-entry with replay
  bool deliver_pending, delivery_replay, dp_has_err;
  uint8_t dp_vec;
  uint32_t dp_err;
  bool nmi_blocked;

  // MMIO replay of the instruction that exited (see memory.cc)
  uint32_t mmio_seq, mmio_done;
  static constexpr uint32_t kMaxMmioPerInsn = 40;  // PUSHA, far transfers, INT through MMIO stacks
  uint64_t mmio_vals[kMaxMmioPerInsn];
  // pending completions
  uint64_t pend_next_rip;
  uint8_t pend_reg;
  uint8_t pend_size;
  uint32_t pend_count;
  uint64_t pend_addr;  // INS destination offset

  // derived-state snapshot of the shared buffer (detect TypeScript changes at run entry)
  uint8_t snapshot[TSV_OFF_DR + 8 * TSV_DR_COUNT - TSV_OFF_SEG];

  // decode cache: direct-mapped on linear RIP
  struct JmpEntry { uint64_t rip; uint64_t code_size; Block* blk; uint64_t gen; };
  static constexpr unsigned JCACHE_SIZE = 4096;
  JmpEntry jcache[JCACHE_SIZE];
  const Insn* link_from;  // branch whose successor block the run loop should link
  uint8_t link_k;
  uint64_t link_gen_at;
  uint64_t slice_count;  // instructions retired so far in this run() (before the current block)
  uint64_t vm_instret_at_entry;
  bool replaying;
  // Validates jcache entries and branch links: renewed on every TLB flush or code
  // invalidation. Execute permission differs for user and supervisor, so each
  // privilege class has its own generation (gen_pair) and a CPL change just switches.
  uint64_t tlb_gen;
  uint64_t gen_pair[2];
  // Validates jcache entries and links whose code page was translated through a global TLB
  // entry: a flush that keeps global entries (MOV CR3, INVPCID 1/3) leaves it alone, so kernel
  // code stays chained across address-space switches. Per privilege class, like tlb_gen.
  uint64_t global_gen;
  uint64_t global_gen_pair[2];
  bool tlb_has_large;  // a 2M/4M/1G page is cached: INVLPG flushes everything
  // Flushing bumps the epoch instead of touching every entry. A flush that keeps global
  // translations (MOV CR3) leaves global entries behind in their old epoch: a miss on one whose
  // epoch is at least global_epoch_floor (the epoch of the last flush that dropped them) takes
  // it back (translate), so a context switch costs O(1), not O(globals).
  uint64_t tlb_epoch;
  uint64_t global_epoch_floor;

  TlbEntry tlb[3][2][TLB_SIZE];
  // writes to pages that hold decoded code never get a tlb[ACC_WRITE] entry; this small
  // cache spares them the page walk (they still go through the code-overlap check)
  static constexpr int CW_SIZE = 64;
  TlbEntry tlb_cw[2][CW_SIZE];
  // Linear pages (hashed to CODE_SEEN_BITS) holding code that a jcache entry or a branch link
  // made since the last new_gen() may lead to: INVLPG of any other page leaves them valid
  // (Linux's text_poke flushes its temporary mapping, never executed, once per patch).
  static constexpr unsigned CODE_SEEN_BITS = 4096;
  uint64_t code_seen[CODE_SEEN_BITS / 64];
  void note_code_page(uint64_t lin) {
    const uint64_t h = (lin >> 12) & (CODE_SEEN_BITS - 1);
    code_seen[h >> 6] |= 1ull << (h & 63);
  }
  bool code_page_seen(uint64_t lin) const {
    const uint64_t h = (lin >> 12) & (CODE_SEEN_BITS - 1);
    return (code_seen[h >> 6] >> (h & 63)) & 1;
  }

  int id;
  Block* scratch_block;  // decode buffer


  Cpu(Vm* vm, int id);
  ~Cpu() { delete scratch_block; }
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;
  void reset();

  // --- derived-state management (state.cc) ---
  void load_from_buffer();
  void store_to_buffer();
  void recompute_mode();
  void update_canon_shift() { canon_shift = (cr4 & CR4_LA57) ? 7 : 16; }
  void set_cpl(uint8_t c);
  void flush_tlb(bool include_global);
  // Generations are unique across all vCPUs: a chain link or jcache entry made by one vCPU
  // (whose address space may differ) can never validate on another. new_gen() retires every
  // link and jcache entry; new_local_gen() only those made for non-global code pages.
  void new_gen();
  void new_local_gen();
  void flush_tlb_page(uint64_t lin);
  void flush_tlb_phys_write(uint64_t phys_page);

  uint64_t get_rflags() const;
  void set_rflags(uint64_t v);  // all bits, no privilege filtering
  uint32_t arith_flags() const;

  // buffer accessors
  template <class T> T& bufref(unsigned off) { return *reinterpret_cast<T*>(buf + off); }
};

extern const Insn kEndOfBlock;

// ------------------------------------------------------------ exceptions
[[noreturn]] void raise_exc(Cpu& c, uint8_t vec);
[[noreturn]] void raise_exc_err(Cpu& c, uint8_t vec, uint32_t err);
[[noreturn]] inline void raise_ud(Cpu& c) { raise_exc(c, EXC_UD); }
[[noreturn]] inline void raise_gp(Cpu& c, uint32_t err = 0) { raise_exc_err(c, EXC_GP, err); }
[[noreturn]] void exit_unwind(Cpu& c);  // an exit was recorded deep inside an instruction

// ------------------------------------------------------------ registers
template <class T> TSV_INLINE T getr(const Cpu& c, unsigned r) {
  if constexpr (sizeof(T) == 1) return reinterpret_cast<const uint8_t*>(c.gpr)[r];
  else return static_cast<T>(c.gpr[r]);
}
template <class T> TSV_INLINE void setr(Cpu& c, unsigned r, T v) {
  if constexpr (sizeof(T) == 1) reinterpret_cast<uint8_t*>(c.gpr)[r] = v;
  else if constexpr (sizeof(T) == 2) std::memcpy(&c.gpr[r], &v, 2);
  else c.gpr[r] = v;  // 32-bit writes zero-extend
}
// Byte offset of an 8-bit register as the decoder stores it (AH..BH without REX).
inline unsigned byte_reg_off(unsigned r, bool rex) { return (!rex && r >= 4 && r < 8) ? (r - 4) * 8 + 1 : r * 8; }

// Inside a block c.rip holds the block's start; an instruction's own RIP is
// c.rip + i->off. Sequential handlers return next(); handlers that leave the
// block set c.rip themselves (advance() = fall through, or a branch target).
//
// Threaded dispatch: next() runs the following instruction's handler as a tail
// call, so a straight-line block executes without returning to the run loop per
// instruction; the loop only sees what leaves the block (a branch's successor,
// &kEndOfBlock, nullptr) and counts retired instructions per block from c.cur.
// c.cur is what a fault is charged to. In precise mode (c.step) every handler
// returns to the loop, which counts instructions one by one.
TSV_INLINE const Insn* next(Cpu& c, const Insn* i) {
  const Insn* n = i + 1;
  if (TSV_UNLIKELY(c.step)) return n;
  c.cur = n;
  return n->fn(c, n);
}
TSV_INLINE uint64_t insn_rip(const Cpu& c, const Insn* i) { return c.rip + i->off; }
TSV_INLINE uint64_t next_rip(const Cpu& c, const Insn* i) { return c.rip + i->off + i->len; }
TSV_INLINE void advance(Cpu& c, const Insn* i) { c.rip += i->off + i->len; }
TSV_INLINE const Insn* end_after(Cpu& c, const Insn* i) {
  advance(c, i);
  return &kEndOfBlock;
}
TSV_INLINE const Insn* end_at(Cpu& c, const Insn* i) {  // leave the block with RIP at this instruction
  c.rip += i->off;
  return &kEndOfBlock;
}
// Continues into the successor block of a near branch if it is linked, else
// leaves the block and asks the run loop to link it. c.rip is the target.
TSV_INLINE const Insn* chain(Cpu& c, const Insn* i, int k) {
  if (TSV_LIKELY((i->link_gen == c.global_gen || i->link_gen == c.tlb_gen) && i->link[k])) return i->link[k];
  c.link_from = i;
  c.link_k = (uint8_t)k;
  c.link_gen_at = c.tlb_gen;
  return &kEndOfBlock;
}
// An indirect transfer (RET, JMP/CALL r/m) that set c.rip: continues straight into the target's
// block when the jump cache knows it under the current generation (no trip through the run
// loop, as for a linked direct branch), else leaves the block for the run loop to look it up.
TSV_INLINE const Insn* chain_indirect(Cpu& c) {
  const uint64_t lin = (c.seg[TSV_SEG_CS].ebase + c.rip) & c.lin_mask;
  const Cpu::JmpEntry& j = c.jcache[(lin ^ (lin >> 12)) & (Cpu::JCACHE_SIZE - 1)];
  if (j.rip == lin && (j.gen == c.global_gen || j.gen == c.tlb_gen) && j.code_size == c.code_size && j.blk->valid &&
      !j.blk->no_chain_in)
    return j.blk->insns;
  return &kEndOfBlock;
}
// Leaves the block with RIP at this instruction WITHOUT retiring it: a REP
// string instruction continues later (it retires once, when it completes).
// RF is set as between iterations on the CPU: an event taken now pushes RF=1, and
// an instruction breakpoint on the instruction does not fire again when it resumes.
TSV_INLINE const Insn* suspend(Cpu& c, const Insn* i) {
  c.rip += i->off;
  c.rflags |= F_RF;
  return nullptr;
}
// Handler of a block's end marker: RIP = block start + its offset.
const Insn* end_of_sequence(Cpu& c, const Insn* i);

// ------------------------------------------------------------ lazy flags (flags.cc)
bool cf_slow(const Cpu& c);
bool of_slow(const Cpu& c);
bool cond_slow(const Cpu& c, unsigned cc);
template <class T> TSV_INLINE void lf_set(Cpu& c, LfOp op, T res, T a, T b) {
  c.lf_op = op;
  c.lf_bits = sizeof(T) * 8;
  c.lf_res = res;
  c.lf_src1 = a;
  c.lf_src2 = b;
}
// lf_res/lf_src* hold zero-extended operand-size values, so CF of ADD/SUB needs no masking.
// AND/OR/XOR/TEST: only the result matters (CF=OF=0; AF is left 0)
template <class T> TSV_INLINE void lf_set_logic(Cpu& c, T res) {
  c.lf_op = LF_LOGIC;
  c.lf_bits = sizeof(T) * 8;
  c.lf_res = res;
}
TSV_INLINE bool get_cf(const Cpu& c) {
  switch (c.lf_op) {
    case LF_LOGIC: return false;
    case LF_ADD: return c.lf_res < c.lf_src1;
    case LF_SUB: return c.lf_src1 < c.lf_src2;
    case LF_INC: case LF_DEC: return c.lf_flags & 1;
    default: return cf_slow(c);
  }
}
// CF when deriving it needs no call (returns false for the operations cf_slow handles):
// lets a handler keep its fast path free of a stack frame and tail-call a slow variant.
TSV_INLINE bool cf_quick(const Cpu& c, bool& cf) {
  switch (c.lf_op) {
    case LF_LOGIC: cf = false; return true;
    case LF_ADD: cf = c.lf_res < c.lf_src1; return true;
    case LF_SUB: cf = c.lf_src1 < c.lf_src2; return true;
    case LF_INC: case LF_DEC: cf = c.lf_flags & 1; return true;
    default: return false;
  }
}
TSV_INLINE bool get_zf(const Cpu& c) { return c.lf_op == LF_NONE ? (c.lf_flags & F_ZF) != 0 : c.lf_res == 0; }
TSV_INLINE bool cond(const Cpu& c, unsigned cc) {
  if (cc == 4) return get_zf(c);
  if (cc == 5) return !get_zf(c);
  // B/AE after CMP/ADD/logic need no call either (SETB/CMOVAE in carry-propagating loops)
  if (cc == 2) return get_cf(c);
  if (cc == 3) return !get_cf(c);
  return cond_slow(c, cc);
}
// Condition known at decode time (Jcc handlers are instantiated per condition).
// BE/A, S/NS, L/GE and LE/G after CMP/SUB or a logic instruction (TEST/AND/OR/XOR) need no
// call either: those pairs are most of a kernel's conditional branches.
template <unsigned CC> TSV_INLINE bool cond_t(const Cpu& c) {
  if constexpr (CC == 4) return get_zf(c);
  else if constexpr (CC == 5) return !get_zf(c);
  else if constexpr (CC == 2) return get_cf(c);
  else if constexpr (CC == 3) return !get_cf(c);
  else {
    constexpr unsigned k = CC >> 1;
    if constexpr (k == 3 || k == 4 || k == 6 || k == 7) {
      const unsigned sh = 64 - c.lf_bits;  // lf_* hold zero-extended operand-size values
      bool r;
      if (c.lf_op == LF_SUB) {
        const uint64_t a = c.lf_src1, b = c.lf_src2;
        if constexpr (k == 3) r = a <= b;
        else if constexpr (k == 4) r = (int64_t)(c.lf_res << sh) < 0;
        else {
          const int64_t sa = (int64_t)(a << sh) >> sh, sb = (int64_t)(b << sh) >> sh;
          r = k == 6 ? sa < sb : sa <= sb;  // SF != OF is the signed comparison
        }
        return (CC & 1) ? !r : r;
      }
      if (c.lf_op == LF_LOGIC) {
        // CF = OF = 0: BE is ZF, S and L are SF, LE is ZF or SF
        const bool sf = (int64_t)(c.lf_res << sh) < 0;
        if constexpr (k == 3) r = c.lf_res == 0;
        else if constexpr (k == 7) r = c.lf_res == 0 || sf;
        else r = sf;
        return (CC & 1) ? !r : r;
      }
    }
    return cond_slow(c, CC);
  }
}
// Store fully computed arithmetic flags (for operations whose flags are not lazy).
inline void set_arith_flags(Cpu& c, uint32_t f) {
  c.lf_op = LF_NONE;
  c.lf_flags = f & F_ARITH;
}
uint32_t parity_flag(uint8_t v);

// ------------------------------------------------------------ memory (memory.cc, mmu.cc)
uint64_t ea_slow(const Cpu& c, const Insn* i);
TSV_INLINE uint64_t ea(const Cpu& c, const Insn* i) {
  uint64_t v = c.gpr[i->base] + (c.gpr[i->index] << i->scale) + (int64_t)i->disp;
  if (TSV_UNLIKELY(i->flags & INSN_RIPREL)) v = c.rip + i->off + i->len + (int64_t)i->disp;
  if (i->asize == 8) return v;
  return i->asize == 4 ? (uint32_t)v : (uint16_t)v;
}

// A linear address (a memory access, a new RIP) in canonical form for the current paging mode.
TSV_INLINE bool canonical(const Cpu& c, uint64_t v) {
  return (uint64_t)((int64_t)(v << c.canon_shift) >> c.canon_shift) == v;
}
// Addresses loaded into MSRs (FS/GS/KERNEL_GS_BASE, LSTAR, CSTAR, SYSENTER_*), descriptor-table and
// system-segment bases and INVLPG/INVPCID operands are checked against the widest linear address
// the CPU offers (57 bits with LA57 in CPUID), whatever CR4.LA57 says: hardware does so (see
// docs/paging.md), so an OS may load them before it switches to 5-level paging.
bool canonical_max_width(const Cpu& c, uint64_t v);

[[noreturn]] void seg_fault(Cpu& c, int seg);
TSV_INLINE uint64_t lin_read(Cpu& c, int s, uint64_t off, unsigned size) {
  const SegCache& sc = c.seg[s];
  // 64-bit mode has no limits: one test of the mode instead of three of the window
  if (c.mode != MODE_LONG64 && TSV_UNLIKELY(off < sc.rlo || off + (size - 1) > sc.rhi || off + (size - 1) < off))
    seg_fault(c, s);
  return (sc.ebase + off) & c.lin_mask;
}
TSV_INLINE uint64_t lin_write(Cpu& c, int s, uint64_t off, unsigned size) {
  const SegCache& sc = c.seg[s];
  // 64-bit mode has no limits: one test of the mode instead of three of the window
  if (c.mode != MODE_LONG64 && TSV_UNLIKELY(off < sc.wlo || off + (size - 1) > sc.whi || off + (size - 1) < off))
    seg_fault(c, s);
  return (sc.ebase + off) & c.lin_mask;
}

// seg: the segment of the access (-1 for system accesses), so a non-canonical stack access is #SS
uint64_t read_slow(Cpu& c, uint64_t lin, unsigned size, bool user, int seg = -1);
void write_slow(Cpu& c, uint64_t lin, unsigned size, uint64_t v, bool user, int seg = -1);

template <class T> TSV_INLINE T read_lin(Cpu& c, uint64_t lin, int seg = -1) {
  const TlbEntry& e = c.tlb_cur[ACC_READ][(lin >> 12) & (TLB_SIZE - 1)];
  if (TSV_LIKELY(e.tag == ((lin & ~0xfffull) | c.tlb_epoch) && (lin & 0xfff) <= 0x1000 - sizeof(T))) {
    T v;
    std::memcpy(&v, reinterpret_cast<void*>(lin + e.addend), sizeof(T));
    return v;
  }
  return static_cast<T>(read_slow(c, lin, sizeof(T), c.cpl == 3, seg));
}
template <class T> TSV_INLINE void write_lin(Cpu& c, uint64_t lin, T v, int seg = -1) {
  const TlbEntry& e = c.tlb_cur[ACC_WRITE][(lin >> 12) & (TLB_SIZE - 1)];
  if (TSV_LIKELY(e.tag == ((lin & ~0xfffull) | c.tlb_epoch) && (lin & 0xfff) <= 0x1000 - sizeof(T))) {
    std::memcpy(reinterpret_cast<void*>(lin + e.addend), &v, sizeof(T));
    return;
  }
  write_slow(c, lin, sizeof(T), v, c.cpl == 3, seg);
}
template <class T> TSV_INLINE T rd(Cpu& c, int s, uint64_t off) { return read_lin<T>(c, lin_read(c, s, off, sizeof(T)), s); }
// The load half of a read-modify-write: checked as a write (segment and page), so a fault
// reports W=1 in the #PF error code as on the CPU, and the store that follows cannot fault.
uint64_t read_rmw_slow(Cpu& c, uint64_t lin, unsigned size, bool user, int seg);
template <class T> TSV_INLINE T rd_rmw(Cpu& c, int s, uint64_t off) {
  uint64_t lin = lin_write(c, s, off, sizeof(T));
  const TlbEntry& e = c.tlb_cur[ACC_WRITE][(lin >> 12) & (TLB_SIZE - 1)];
  if (TSV_LIKELY(e.tag == ((lin & ~0xfffull) | c.tlb_epoch) && (lin & 0xfff) <= 0x1000 - sizeof(T))) {
    T v;
    std::memcpy(&v, reinterpret_cast<void*>(lin + e.addend), sizeof(T));
    return v;
  }
  return static_cast<T>(read_rmw_slow(c, lin, sizeof(T), c.cpl == 3, s));
}
template <class T> TSV_INLINE void wr(Cpu& c, int s, uint64_t off, T v) { write_lin<T>(c, lin_write(c, s, off, sizeof(T)), v, s); }
// Probe that a write would succeed (for instructions that must not partially commit).
void probe_write(Cpu& c, int s, uint64_t off, unsigned size);

// System (implicitly supervisor) accesses: descriptor tables, TSS, IDT.
uint64_t sys_read(Cpu& c, uint64_t lin, unsigned size);
void sys_write(Cpu& c, uint64_t lin, unsigned size, uint64_t v);

// Operand helpers for ModRM forms.
template <class T> TSV_INLINE T rd_rm(Cpu& c, const Insn* i) {
  if (!(i->flags & INSN_MEM)) return getr<T>(c, i->rm);
  return rd<T>(c, i->seg, ea(c, i));
}
template <class T> TSV_INLINE void wr_rm(Cpu& c, const Insn* i, T v) {
  if (!(i->flags & INSN_MEM)) setr<T>(c, i->rm, v);
  else wr<T>(c, i->seg, ea(c, i), v);
}

// Register/memory forms resolved at decode time (separate handlers, no branch on mod).
template <class T, bool M> TSV_INLINE T rd_e(Cpu& c, const Insn* i) {
  if constexpr (M) return rd<T>(c, i->seg, ea(c, i));
  else return getr<T>(c, i->rm);
}
template <class T, bool M> TSV_INLINE void wr_e(Cpu& c, const Insn* i, T v) {
  if constexpr (M) wr<T>(c, i->seg, ea(c, i), v);
  else setr<T>(c, i->rm, v);
}

// Stack (inline: every CALL/RET/PUSH/POP goes through these)
TSV_INLINE uint64_t stack_mask(const Cpu& c) {
  if (c.mode == MODE_LONG64) return ~0ull;
  return (c.seg[TSV_SEG_SS].attr & TSV_SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;
}
template <class T> TSV_INLINE void push(Cpu& c, T v) {
  if (c.mode == MODE_LONG64) {
    uint64_t sp = c.gpr[4] - sizeof(T);
    wr<T>(c, TSV_SEG_SS, sp, v);
    c.gpr[4] = sp;
  } else if (c.seg[TSV_SEG_SS].attr & TSV_SEG_ATTR_DB) {
    uint32_t sp = (uint32_t)c.gpr[4] - sizeof(T);
    wr<T>(c, TSV_SEG_SS, sp, v);
    c.gpr[4] = sp;
  } else {
    uint16_t sp = (uint16_t)c.gpr[4] - sizeof(T);
    wr<T>(c, TSV_SEG_SS, sp, v);
    setr<uint16_t>(c, 4, sp);
  }
}
template <class T> inline T pop_peek(Cpu& c, uint64_t offset = 0) {
  uint64_t sp = (c.gpr[4] + offset) & stack_mask(c);
  return rd<T>(c, TSV_SEG_SS, sp);
}
inline void sp_add(Cpu& c, uint64_t n) {
  uint64_t m = stack_mask(c);
  c.gpr[4] = (c.gpr[4] & ~m) | ((c.gpr[4] + n) & m);
}
template <class T> inline T pop(Cpu& c) {
  T v = pop_peek<T>(c);
  sp_add(c, sizeof(T));
  return v;
}

// ------------------------------------------------------------ segments (segments.cc)
void load_seg_real(Cpu& c, int s, uint16_t sel);
void load_seg(Cpu& c, int s, uint16_t sel);  // MOV/POP Sreg semantics in the current mode
void set_seg_cache(Cpu& c, int s, uint16_t sel, uint64_t base, uint32_t limit, uint16_t attr);
void refresh_seg_windows(Cpu& c, int s);
uint64_t read_descriptor(Cpu& c, uint16_t sel, bool& ok);
uint16_t desc_attr(uint64_t d);
uint64_t desc_base(uint64_t d);
uint32_t desc_limit(uint64_t d);
void far_transfer(Cpu& c, uint16_t sel, uint64_t off, int kind, unsigned opsize, uint64_t ret_rip);  // kind 0 JMP 1 CALL

// ------------------------------------------------------------ misc
bool io_allowed(Cpu& c, uint16_t port, unsigned size);
uint64_t read_tsc(Cpu& c);
void write_cr(Cpu& c, int n, uint64_t v);
bool interrupts_ready(const Cpu& c);
// CPL > 0 with CR4.UMIP: SGDT/SIDT/SLDT/SMSW/STR are #GP(0)
inline void umip_check(Cpu& c) {
  if ((c.cr4 & CR4_UMIP) && c.cpl > 0) raise_gp(c, 0);
}
void reset_fpu_state(Cpu& c);            // power-up/RESET values of x87, SSE and MXCSR (insn/fxsave.cc)
[[noreturn]] void raise_simd_fp(Cpu& c);  // unmasked SIMD FP exception: #XM, or #UD without CR4.OSXMMEXCPT

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
