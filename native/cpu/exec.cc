// The run loop: finishing the instruction that exited last time, event
// injection at block boundaries, block lookup/decoding, dispatch of the
// pre-decoded handlers, slice limits, and the exit record.
#include "cpu/exec.h"
#include <chrono>
#include <cstdio>
#include "cpu/debug_regs.h"
#include "cpu/decoder.h"
#include "cpu/interrupts.h"
#include "cpu/mmu.h"
#include "cpu/vm.h"

namespace tsv {

uint64_t host_monotonic_ns() {
  return (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Most instructions one dispatch loop runs through chained blocks before the
// run loop looks at the deadline and immediate_exit again.
constexpr uint64_t CHAIN_SLICE = 8192;
// The same with a host deadline set (the real-time clock): the run loop puts the
// next timer's due time there, so how often the clock is read bounds how late a
// timer interrupts a computing guest. 1024 instructions are a few microseconds of
// interpretation; one clock read per them costs well under 1 %.
constexpr uint64_t DEADLINE_CHAIN_SLICE = 1024;

static void internal_error(Cpu& c, uint32_t sub, uint64_t lin, const char* msg) {
  c.exit_reason = TSV_EXIT_INTERNAL_ERROR;
  c.bufref<uint32_t>(TSV_OFF_EXIT_INTERNAL_SUBERROR) = sub;
  c.bufref<uint64_t>(TSV_OFF_EXIT_INTERNAL_RIP) = lin;
  std::snprintf(reinterpret_cast<char*>(c.buf + TSV_OFF_EXIT_MESSAGE), TSV_EXIT_MESSAGE_SIZE, "%s", msg);
}

// Decodes a block starting at linear address lin (guest-physical phys, host pointer host).
static Block* build_block(Cpu& c, uint64_t lin, uint64_t phys, const uint8_t* host, uint64_t key) {
  Block* b = c.scratch_block;
  b->key = key;
  b->page2 = ~0ull;
  b->valid = true;
  b->no_chain_in = false;
  uint32_t n = 0;
  unsigned off = phys & 0xfff;
  // CS limit (outside 64-bit mode): do not decode past it
  uint64_t cs_room = ~0ull;
  if (c.mode != MODE_LONG64) cs_room = (uint64_t)c.seg[TSV_SEG_CS].limit - c.rip + 1;
  uint64_t pos = 0;
  while (n < MAX_BLOCK_INSNS) {
    uint8_t bytes[16];
    unsigned in_page = 0x1000 - (unsigned)(off + pos);
    unsigned avail = in_page >= 15 ? 15 : in_page;
    std::memcpy(bytes, host + pos, avail);
    if (avail > cs_room - pos) avail = (unsigned)(cs_room - pos);
    Insn& in = b->insns[n];
    uint32_t attr = 0;
    bool crossed = false;
    if (!decode(c, bytes, avail, in, attr)) {
      // needs bytes beyond the page (or beyond the CS limit)
      if (n > 0) break;  // let it start a block of its own
      if (in_page >= 15 || pos + in_page > cs_room) {
        raise_gp(c, 0);
      }
      uint64_t lin2 = (lin + in_page) & c.lin_mask;
      uint64_t p2;
      try {
        p2 = translate(c, lin2, ACC_EXEC, c.cpl == 3);
      } catch (...) {
        throw;
      }
      bool w;
      const uint8_t* h2 = c.vm->phys_ptr(p2 & ~0xfffull, w);
      if (!h2) {
        internal_error(c, TSV_INTERNAL_FETCH_MMIO, lin2, "");
        std::snprintf(reinterpret_cast<char*>(c.buf + TSV_OFF_EXIT_MESSAGE), TSV_EXIT_MESSAGE_SIZE,
                      "instruction fetch from non-RAM guest-physical address 0x%llx (linear 0x%llx)",
                      (unsigned long long)(p2 & ~0xfffull), (unsigned long long)lin2);
        exit_unwind(c);
      }
      std::memcpy(bytes + in_page, h2, 15 - in_page);
      avail = 15;
      if (avail > cs_room - pos) avail = (unsigned)(cs_room - pos);
      if (!decode(c, bytes, avail, in, attr)) {
        raise_gp(c, 0);
      }
      b->page2 = p2 & ~0xfffull;
      crossed = true;
    }
    if ((attr & D_ALONE) && n > 0) break;  // must start its own block (exact instruction counts)
    in.off = (uint16_t)pos;
    if ((attr & D_ALONE) && n == 0) b->no_chain_in = true;
    pos += in.len;
    n++;
    if (crossed || (attr & (D_ENDS | D_ALONE))) break;
    if (pos + off >= 0x1000) break;
  }
  b->count = n;
  b->insns[n] = Insn{};
  b->insns[n].fn = end_of_sequence;
  b->insns[n].off = (uint16_t)pos;
  Block* out = Block::clone(*b);
  jit_attach(*c.vm, out);
  c.vm->add_block(out, phys & ~0xfffull);
  return out;
}

// Inlined into both dispatch paths: the fast loop must not pay a call for it.
// gen: the generation that validates links to the block (global_gen when its page is global).
static TSV_INLINE Block* get_block(Cpu& c, uint64_t& gen) {
  if (c.mode != MODE_LONG64 && c.rip > c.seg[TSV_SEG_CS].limit) raise_gp(c, 0);
  uint64_t lin = (c.seg[TSV_SEG_CS].ebase + c.rip) & c.lin_mask;
  Cpu::JmpEntry& j = c.jcache[(lin ^ (lin >> 12)) & (Cpu::JCACHE_SIZE - 1)];
  if (j.rip == lin && (j.gen == c.global_gen || j.gen == c.tlb_gen) && j.code_size == c.code_size && j.blk->valid) {
    gen = j.gen;
    return j.blk;
  }
  uint64_t phys;
  uint8_t* host;
  const TlbEntry& e = c.tlb_cur[ACC_EXEC][(lin >> 12) & (TLB_SIZE - 1)];
  const uint64_t tag = (lin & ~0xfffull) | c.tlb_epoch;
  if (e.tag == tag) {
    phys = e.phys | (lin & 0xfff);
    host = reinterpret_cast<uint8_t*>(lin + e.addend);
  } else {
    phys = translate(c, lin, ACC_EXEC, c.cpl == 3);
    bool w;
    host = c.vm->phys_ptr(phys, w);
    if (!host) {
      internal_error(c, TSV_INTERNAL_FETCH_MMIO, lin, "");
      std::snprintf(reinterpret_cast<char*>(c.buf + TSV_OFF_EXIT_MESSAGE), TSV_EXIT_MESSAGE_SIZE,
                    "instruction fetch from non-RAM guest-physical address 0x%llx (linear 0x%llx)",
                    (unsigned long long)phys, (unsigned long long)lin);
      exit_unwind(c);
    }
  }
  uint64_t key = phys | ((uint64_t)c.code_size << 56);
  Block* b = c.vm->find_block(key);
  if (!b) b = build_block(c, lin, phys, host, key);
  // the translation is global if the TLB holds it as such (translate() filled the entry)
  gen = e.tag == tag && e.global ? c.global_gen : c.tlb_gen;
  // INVLPG of this page (or of the next one, which the block's last instruction may reach) must
  // retire the entry and every link made to the block
  c.note_code_page(lin);
  if (b->page2 != ~0ull) c.note_code_page(lin + 0x1000);
  j.rip = lin;
  j.gen = gen;
  j.code_size = c.code_size;
  j.blk = b;
  return b;
}

// A branch link led into a block invalidated since (its first handler is the end marker's): the
// run loop links the branch again to the block it finds at the same address.
static void relink_dead(Cpu& c, const Insn* via, const Insn* dead) {
  for (uint8_t k = 0; k < 2; k++) {
    if (via->link[k] != dead) continue;
    c.link_from = via;
    c.link_k = k;
    c.link_gen_at = c.tlb_gen;
    return;
  }
}

bool interrupts_ready(const Cpu& c) { return (c.rflags & F_IF) && !c.inhibit_irq; }

// Finishes the instruction that exited to TypeScript (IN data, MMIO reads, MSR results).
static void complete_pending(Cpu& c) {
  uint8_t p = c.pending;
  c.pending = PEND_NONE;
  switch (p) {
    case PEND_IN: {
      uint32_t v = c.bufref<uint32_t>(TSV_OFF_IO_DATA);
      if (c.pend_size == 1) setr<uint8_t>(c, 0, (uint8_t)v);
      else if (c.pend_size == 2) setr<uint16_t>(c, 0, (uint16_t)v);
      else c.gpr[0] = v;
      break;
    }
    case PEND_INS: complete_ins(c); break;
    case PEND_MMIO:
      if (!c.pend_reg) {
        uint64_t v = 0;
        std::memcpy(&v, c.buf + TSV_OFF_EXIT_MMIO_DATA, c.pend_size > 8 ? 8 : c.pend_size);
        c.mmio_vals[c.pend_count] = v;
      }
      c.mmio_done = c.pend_count + 1;
      c.mmio_seq = 0;
      c.replaying = true;
      break;
    case PEND_RDMSR:
      if (c.bufref<uint8_t>(TSV_OFF_EXIT_MSR_ERROR)) raise_gp(c, 0);
      {
        uint64_t v = c.bufref<uint64_t>(TSV_OFF_EXIT_MSR_DATA);
        c.gpr[0] = (uint32_t)v;
        c.gpr[2] = v >> 32;
        c.rip = c.pend_next_rip;
      }
      break;
    case PEND_WRMSR:
      if (c.bufref<uint8_t>(TSV_OFF_EXIT_MSR_ERROR)) raise_gp(c, 0);
      c.rip = c.pend_next_rip;
      break;
    default: break;
  }
}

static void slice_end(Cpu& c, uint32_t why) {
  c.exit_reason = TSV_EXIT_SLICE_END;
  c.bufref<uint32_t>(TSV_OFF_EXIT_SLICE_REASON) = why;
}

// Ends the run with a triple fault, unless delivery stopped for an exit (MMIO) instead.
static void shutdown(Cpu& c) {
  if (c.exit_reason != TSV_EXIT_NONE) return;
  c.exit_reason = TSV_EXIT_SHUTDOWN;
  c.bufref<uint32_t>(TSV_OFF_EXIT_SHUTDOWN_REASON) = TSV_SHUTDOWN_TRIPLE_FAULT;
}

// Handles a GuestEvent caught at the top level; returns false when run() must exit.
static bool handle_event(Cpu& c, const GuestEvent& ev) {
  if (ev.kind != 0) return false;  // exit already recorded
  c.inhibit_irq = 0;
  c.replaying = false;
  c.mmio_seq = c.mmio_done = 0;
  c.pending = PEND_NONE;
  if (!deliver_exception(c, c.exc_vec, c.exc_has_err, c.exc_err)) {
    shutdown(c);
    return false;
  }
  return true;
}

// Delivers a debug trap (#DB after an instruction) reporting bits in DR6.
static bool deliver_debug_trap(Cpu& c, uint32_t bits) {
  c.dr[4] |= bits;
  if (deliver_exception(c, EXC_DB, false, 0)) return true;
  shutdown(c);
  return false;
}

// The careful path: instructions one at a time with everything the fast loop leaves out —
// instruction breakpoints (faults before the instruction, unless RF), data / I/O breakpoint and
// single-step traps after it, RF cleared once an instruction starts, the STI and MOV SS shadows
// (MOV SS / POP SS also hold debug traps over the next instruction) and MMIO replay. The run loop
// comes here only while one of those is live, so the fast loop pays nothing for them.
// Returns false when run() must stop.
static bool run_careful(Cpu& c, uint64_t lim) {
  const uint8_t shadow = c.inhibit_irq;  // this instruction is in an STI / MOV SS shadow
  if (shadow || c.replaying || (c.rflags & F_TF)) lim = 1;
  uint64_t n = 0;
  const Insn* i = nullptr;
  c.link_from = nullptr;
  c.step = 1;  // every handler returns here (no threaded dispatch)
  c.cur = nullptr;
  try {
    uint64_t gen;
    Block* b = get_block(c, gen);
    i = b->insns;
    for (;;) {
      c.cur = i;
      if ((c.dbg_active & DBG_EXEC) && !(c.rflags & F_RF) && !c.replaying) {
        uint32_t hits = dbg_exec_hits(c, (c.seg[TSV_SEG_CS].ebase + c.rip + i->off) & c.lin_mask);
        if (hits) {
          c.rip += i->off;
          c.slice_count += n;
          c.inhibit_irq = 0;
          return deliver_debug_trap(c, hits);  // a fault: RF (clear) is pushed as it is
        }
      }
      const bool tf = (c.rflags & F_TF) != 0;
      c.rflags &= ~(uint64_t)F_RF;
      c.db_hits = 0;
      const Insn* nx = i->fn(c, i);
      if (!nx) {
        // a REP instruction stopped between iterations (suspend set RF); a breakpoint hit by the
        // iterations done traps now, or after the exit they made
        c.slice_count += n;
        uint32_t hits = c.db_hits;
        c.db_hits = 0;
        if (!hits) return true;
        if (c.exit_reason != TSV_EXIT_NONE) {
          c.db_after_exit |= hits;
          return true;
        }
        return deliver_debug_trap(c, hits);
      }
      n++;
      uint32_t trap = c.db_hits | (tf ? (uint32_t)DR6_BS : 0u);
      c.db_hits = 0;
      if (shadow) {
        // the instruction in the shadow completed: the shadow ends, held-over traps join this one
        c.inhibit_irq = 0;
        c.replaying = false;
        c.mmio_seq = c.mmio_done = 0;
        trap |= c.db_deferred;
        c.db_deferred = 0;
      } else if (c.replaying) {
        c.replaying = false;
        c.mmio_seq = c.mmio_done = 0;
      }
      if (!shadow && (c.inhibit_irq & INHIBIT_SS) && trap) {
        c.db_deferred |= trap;  // MOV SS / POP SS: the trap waits for the next instruction
        trap = 0;
      }
      // back to the fast loop at the next control transfer once nothing needs this path
      // (RF alone lasts one instruction; the rest of the block runs on here, not from a new block)
      const bool still = ((c.rflags & (F_TF | F_RF)) | c.dbg_active | c.inhibit_irq | c.replaying) != 0;
      if (trap || n >= lim || nx == &kEndOfBlock || (!still && nx != i + 1) || !shadow != !c.inhibit_irq) {
        if (nx != &kEndOfBlock) c.rip += nx->off;  // stopped inside the block
        c.slice_count += n;
        if (!trap) return true;
        if (c.exit_reason != TSV_EXIT_NONE) {
          c.db_after_exit |= trap;
          return true;
        }
        return deliver_debug_trap(c, trap);
      }
      i = nx;
    }
  } catch (const GuestEvent& ev) {
    // the instruction faulted or exited: no trap for it (a replayed MMIO instruction matches again)
    i = c.cur;
    if (i) c.rip += i->off;
    c.link_from = nullptr;
    c.slice_count += n;
    c.db_hits = 0;
    return handle_event(c, ev);
  }
}

int run(Cpu& c) {
  uint8_t* buf = c.buf;
  c.load_from_buffer();
  c.exit_reason = TSV_EXIT_NONE;
  c.slice_count = 0;
  uint8_t* vm_state = c.vm->state();
  uint64_t vm_instret;
  std::memcpy(&vm_instret, vm_state + TSV_OFF_VM_INSTRET, 8);
  c.vm_instret_at_entry = vm_instret;
  const uint64_t budget = c.bufref<uint64_t>(TSV_OFF_RUN_MAX_INSTRUCTIONS);
  const uint64_t deadline = c.bufref<uint64_t>(TSV_OFF_RUN_DEADLINE_HOST_NS);
  volatile uint8_t* immediate = buf + TSV_OFF_IMMEDIATE_EXIT;
  int32_t* pending_irq = &c.bufref<int32_t>(TSV_OFF_PENDING_IRQ);
  uint32_t check_counter = 0;
  const uint64_t chain_slice = deadline ? DEADLINE_CHAIN_SLICE : CHAIN_SLICE;
  uint64_t next_check = chain_slice;

  try {
    complete_pending(c);
  } catch (const GuestEvent& ev) {
    handle_event(c, ev);
  }
  if (c.deliver_pending && c.exit_reason == TSV_EXIT_NONE) {
    // an event delivery exited for MMIO last time: deliver it again, replaying the finished accesses
    c.deliver_pending = false;
    c.replaying = false;
    c.delivery_replay = true;
    if (deliver_exception(c, c.dp_vec, c.dp_has_err, c.dp_err)) c.mmio_seq = c.mmio_done = 0;
    else shutdown(c);
  }
  if (c.db_after_exit && c.exit_reason == TSV_EXIT_NONE && !c.pending) {
    // a debug trap of the instruction that exited (its I/O or MMIO is complete now)
    uint32_t bits = c.db_after_exit;
    c.db_after_exit = 0;
    deliver_debug_trap(c, bits);
  }
  if (*immediate && c.exit_reason == TSV_EXIT_NONE) slice_end(c, TSV_SLICE_IMMEDIATE_EXIT);

  while (c.exit_reason == TSV_EXIT_NONE) {
    // ---- events at the instruction boundary
    if (TSV_UNLIKELY(c.bufref<uint8_t>(TSV_OFF_PENDING_EXCEPTION_VALID))) {
      c.bufref<uint8_t>(TSV_OFF_PENDING_EXCEPTION_VALID) = 0;
      c.inhibit_irq = 0;
      if (!deliver_exception(c, c.bufref<uint8_t>(TSV_OFF_PENDING_EXCEPTION_VECTOR),
                             c.bufref<uint8_t>(TSV_OFF_PENDING_EXCEPTION_HAS_ERROR) != 0,
                             c.bufref<uint32_t>(TSV_OFF_PENDING_EXCEPTION_ERROR))) {
        shutdown(c);
        break;
      }
    }
    if (TSV_UNLIKELY(c.bufref<uint8_t>(TSV_OFF_PENDING_NMI)) && !c.nmi_blocked && !c.replaying) {
      c.bufref<uint8_t>(TSV_OFF_PENDING_NMI) = 0;
      c.nmi_blocked = true;
      if (!deliver_exception(c, EXC_NMI, false, 0, TSV_EVENT_KIND_NMI)) {
        shutdown(c);
        break;
      }
    }
    if (TSV_UNLIKELY(*pending_irq >= 0) && interrupts_ready(c) && !c.replaying) {
      uint8_t v = (uint8_t)*pending_irq;
      *pending_irq = -1;
      if (!deliver_exception(c, v, false, 0, TSV_EVENT_KIND_HW_IRQ)) {
        shutdown(c);
        break;
      }
    }
    if (TSV_UNLIKELY(c.bufref<uint8_t>(TSV_OFF_REQUEST_IRQ_WINDOW)) && interrupts_ready(c) && *pending_irq < 0 &&
        !c.replaying) {
      c.exit_reason = TSV_EXIT_IRQ_WINDOW_OPEN;
      break;
    }
    // ---- slice limits
    uint64_t lim = ~0ull;
    if (budget) {
      if (c.slice_count >= budget) {
        slice_end(c, TSV_SLICE_BUDGET);
        break;
      }
      lim = budget - c.slice_count;
    }
    if (TSV_UNLIKELY(++check_counter >= 64 || c.slice_count >= next_check)) {
      check_counter = 0;
      next_check = c.slice_count + chain_slice;
      if (*immediate) {
        slice_end(c, TSV_SLICE_IMMEDIATE_EXIT);
        break;
      }
      if (deadline && host_monotonic_ns() >= deadline) {
        slice_end(c, TSV_SLICE_DEADLINE);
        break;
      }
      c.vm->collect_garbage();
    }
    // single-stepping, breakpoints, RF, interrupt shadows, MMIO replay: one instruction at a time
    if (TSV_UNLIKELY((c.rflags & (F_TF | F_RF)) | c.dbg_active | c.inhibit_irq | c.replaying)) {
      if (lim > chain_slice) lim = chain_slice;
      if (!run_careful(c, lim)) break;
      continue;
    }

    // ---- execute one block
    if (lim > chain_slice) lim = chain_slice;  // bounded so the deadline is looked at
    // threaded dispatch needs room for a whole block; the last few instructions of a budget go one by one
    const bool precise = lim < MAX_BLOCK_INSNS;
    c.step = precise;
    uint64_t n = 0;
    const Insn* i = nullptr;
    const Insn* base = nullptr;  // first instruction of the block being run (threaded dispatch)
    c.cur = nullptr;
    const Insn* link_from = c.link_from;
    c.link_from = nullptr;
    try {
      const uint64_t before = c.tlb_gen;
      uint64_t gen;
      Block* b = get_block(c, gen);
      if (link_from && before == c.tlb_gen && c.link_gen_at == before && !b->no_chain_in) {
        // chain the branch that ended the previous block to this one; the links of one branch
        // share a stamp: global_gen only while every successor is on a global page
        if (link_from->link_gen != gen) {
          // a successor linked under global_gen stays valid under the current tlb_gen
          if (!(gen == c.tlb_gen && link_from->link_gen == c.global_gen)) link_from->link[0] = link_from->link[1] = nullptr;
          link_from->link_gen = gen;
        }
        link_from->link[c.link_k] = b->insns;
      }
      i = b->insns;
      if (precise) {
        for (;;) {
          c.cur = i;
          const Insn* nx = i->fn(c, i);
          if (!nx) break;
          if (++n >= lim) {
            if (nx != &kEndOfBlock) c.rip += nx->off;  // stopped inside the block
            break;
          }
          i = nx;
        }
      } else {
        // Handlers run straight through the block; control comes back here only when
        // the block is left. c.cur is the instruction that returned: it retired unless
        // it returned nullptr (a block end marker, a suspended REP, invalidated code).
        base = i;
        const Insn* via = nullptr;  // the branch that chained into the block at base
        for (;;) {
          c.cur = i;
          const Insn* nx = i->fn(c, i);
          const Insn* last = c.cur;
          if (!nx) {
            n += (uint64_t)(last - base);
            if (last == base && via && base->fn == end_of_sequence) relink_dead(c, via, base);
            break;
          }
          n += (uint64_t)(last - base) + 1;
          if (nx == &kEndOfBlock) break;
          // a chained branch: nx starts its successor block (c.rip is that block's start)
          if (n + MAX_BLOCK_INSNS > lim) {
            c.rip += nx->off;  // 0 for a block start
            break;
          }
          via = last;
          base = i = nx;
        }
      }
      c.slice_count += n;
    } catch (const GuestEvent& ev) {
      // RIP of the instruction that faulted or exited (blocks keep RIP at their start)
      i = c.cur;
      if (i) c.rip += i->off;
      if (!precise && i) n += (uint64_t)(i - base);  // the instructions before it in its block retired
      c.link_from = nullptr;
      c.slice_count += n;
      if (!handle_event(c, ev)) break;
    }
  }

  // ---- exit record
  c.instret += c.slice_count;
  {
    uint64_t cur;
    std::memcpy(&cur, vm_state + TSV_OFF_VM_INSTRET, 8);
    cur += c.slice_count;
    std::memcpy(vm_state + TSV_OFF_VM_INSTRET, &cur, 8);
  }
  c.bufref<uint64_t>(TSV_OFF_SLICE_INSTRUCTIONS) = c.slice_count;
  c.bufref<uint32_t>(TSV_OFF_EXIT_REASON) = c.exit_reason;
  c.store_to_buffer();
  c.vm->collect_garbage();
  return c.exit_reason;
}

}  // namespace tsv
