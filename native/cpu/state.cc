// Syncing the working state with the shared buffer, re-deriving the cached
// mode/CPL/segment windows when TypeScript changed registers, and power-on reset.
#include "cpu/debug_regs.h"
#include "cpu/vm.h"

namespace tsv {

static Insn make_end_of_block() {
  Insn i{};
  i.fn = [](Cpu&, const Insn*) -> const Insn* { return nullptr; };
  return i;
}
const Insn kEndOfBlock = make_end_of_block();

const Insn* end_of_sequence(Cpu& c, const Insn* i) {
  c.rip += i->off;
  return nullptr;
}

Cpu::Cpu(Vm* v, int ident) {
  std::memset(static_cast<void*>(this), 0, offsetof(Cpu, id));
  vm = v;
  id = ident;
  scratch_block = new Block();
  delivering = -1;
  update_canon_shift();
  flush_tlb(true);
}

void Cpu::set_cpl(uint8_t c) {
  cpl = c;
  tlb_gen = gen_pair[c == 3];  // execute permissions differ between user and supervisor
  global_gen = global_gen_pair[c == 3];
  tlb_cur[0] = tlb[0][c == 3];
  tlb_cur[1] = tlb[1][c == 3];
  tlb_cur[2] = tlb[2][c == 3];
}

void refresh_seg_windows(Cpu& c, int s) {
  SegCache& sc = c.seg[s];
  sc.ebase = (c.mode == MODE_LONG64 && s < TSV_SEG_FS) ? 0 : sc.base;
  if (c.mode == MODE_LONG64 || s >= 6) {
    sc.rlo = sc.wlo = 0;
    sc.rhi = sc.whi = ~0ull;
    return;
  }
  if (c.mode == MODE_REAL || c.mode == MODE_V86) {
    sc.rlo = sc.wlo = 0;
    sc.rhi = sc.whi = sc.limit;
    return;
  }
  uint16_t a = sc.attr;
  bool unusable = (a & TSV_SEG_ATTR_UNUSABLE) || !(a & TSV_SEG_ATTR_P) || !(a & TSV_SEG_ATTR_S);
  if (unusable) {
    sc.rlo = sc.wlo = 1;
    sc.rhi = sc.whi = 0;
    return;
  }
  bool code = a & 8;
  uint64_t lo = 0, hi = sc.limit;
  if (!code && (a & 4)) {  // expand-down data
    lo = (uint64_t)sc.limit + 1;
    hi = (a & TSV_SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;
  }
  bool readable = !code || (a & 2);
  bool writable = !code && (a & 2);
  sc.rlo = readable ? lo : 1;
  sc.rhi = readable ? hi : 0;
  sc.wlo = writable ? lo : 1;
  sc.whi = writable ? hi : 0;
}

void set_seg_cache(Cpu& c, int s, uint16_t sel, uint64_t base, uint32_t limit, uint16_t attr) {
  SegCache& sc = c.seg[s];
  sc.sel = sel;
  sc.base = base;
  sc.limit = limit;
  sc.attr = attr;
  if (s == TSV_SEG_CS) c.recompute_mode();
  else refresh_seg_windows(c, s);
}

void Cpu::recompute_mode() {
  uint8_t m;
  if (!(cr0 & CR0_PE)) m = MODE_REAL;
  else if (efer & EFER_LMA) m = (seg[TSV_SEG_CS].attr & TSV_SEG_ATTR_L) ? MODE_LONG64 : MODE_COMPAT;
  else if (rflags & F_VM) m = MODE_V86;
  else m = MODE_PROT;
  lin_mask = (efer & EFER_LMA) ? ~0ull : 0xffffffffull;
  uint8_t cs = m == MODE_LONG64 ? 8 : (m == MODE_REAL || m == MODE_V86) ? 2 : ((seg[TSV_SEG_CS].attr & TSV_SEG_ATTR_DB) ? 4 : 2);
  // real mode: a big-real CS with D=1 is legal but rare; honour the D bit there too
  if (m == MODE_REAL && (seg[TSV_SEG_CS].attr & TSV_SEG_ATTR_DB)) cs = 4;
  bool changed = m != mode;
  mode = m;
  code_size = cs;
  if (m == MODE_REAL) set_cpl(0);
  else if (m == MODE_V86) set_cpl(3);
  if (changed)
    for (int s = 0; s < 8; s++) refresh_seg_windows(*this, s);
  else
    refresh_seg_windows(*this, TSV_SEG_CS);
}

// ------------------------------------------------------------------ buffer sync

static void read_seg(Cpu& c, int s) {
  const uint8_t* p = c.buf + TSV_OFF_SEG + s * TSV_SEG_SIZE;
  SegCache& sc = c.seg[s];
  std::memcpy(&sc.base, p + TSV_SEG_OFF_BASE, 8);
  std::memcpy(&sc.limit, p + TSV_SEG_OFF_LIMIT, 4);
  std::memcpy(&sc.sel, p + TSV_SEG_OFF_SELECTOR, 2);
  std::memcpy(&sc.attr, p + TSV_SEG_OFF_ATTR, 2);
}

static void write_seg(Cpu& c, int s) {
  uint8_t* p = c.buf + TSV_OFF_SEG + s * TSV_SEG_SIZE;
  const SegCache& sc = c.seg[s];
  std::memcpy(p + TSV_SEG_OFF_BASE, &sc.base, 8);
  std::memcpy(p + TSV_SEG_OFF_LIMIT, &sc.limit, 4);
  std::memcpy(p + TSV_SEG_OFF_SELECTOR, &sc.sel, 2);
  std::memcpy(p + TSV_SEG_OFF_ATTR, &sc.attr, 2);
}

void Cpu::load_from_buffer() {
  std::memcpy(gpr, buf + TSV_OFF_GPR, 16 * 8);
  gpr[16] = 0;
  rip = bufref<uint64_t>(TSV_OFF_RIP);
  uint64_t old_rflags = rflags;
  set_rflags(bufref<uint64_t>(TSV_OFF_RFLAGS));
  bool vm_changed = ((old_rflags ^ rflags) & F_VM) != 0;
  if (std::memcmp(snapshot, buf + TSV_OFF_SEG, sizeof snapshot) == 0) {
    if (vm_changed) recompute_mode();
    return;
  }
  // TypeScript changed system state: re-derive everything that caches it
  uint64_t old_cr0 = cr0, old_cr3 = cr3, old_cr4 = cr4, old_efer = efer;
  for (int s = 0; s < 8; s++) read_seg(*this, s);
  gdtr_base = bufref<uint64_t>(TSV_OFF_GDTR + TSV_DTR_OFF_BASE);
  gdtr_limit = bufref<uint32_t>(TSV_OFF_GDTR + TSV_DTR_OFF_LIMIT);
  idtr_base = bufref<uint64_t>(TSV_OFF_IDTR + TSV_DTR_OFF_BASE);
  idtr_limit = bufref<uint32_t>(TSV_OFF_IDTR + TSV_DTR_OFF_LIMIT);
  cr0 = bufref<uint64_t>(TSV_OFF_CR0);
  cr2 = bufref<uint64_t>(TSV_OFF_CR2);
  cr3 = bufref<uint64_t>(TSV_OFF_CR3);
  cr4 = bufref<uint64_t>(TSV_OFF_CR4);
  update_canon_shift();
  cr8 = bufref<uint64_t>(TSV_OFF_CR8);
  efer = bufref<uint64_t>(TSV_OFF_EFER);
  apic_base = bufref<uint64_t>(TSV_OFF_APIC_BASE);
  tsc_offset = bufref<uint64_t>(TSV_OFF_TSC_OFFSET);
  instret = bufref<uint64_t>(TSV_OFF_INSTRET);
  xcr0 = bufref<uint64_t>(TSV_OFF_XCR0);
  std::memcpy(dr, buf + TSV_OFF_DR, sizeof dr);
  debug_state_changed(*this, true);
  if (old_cr0 != cr0 || old_cr3 != cr3 || old_cr4 != cr4 || old_efer != efer) flush_tlb(true);
  mode = 0xff;  // force the window refresh
  recompute_mode();
  if (mode == MODE_PROT || mode == MODE_LONG64 || mode == MODE_COMPAT)
    set_cpl((seg[TSV_SEG_SS].attr >> TSV_SEG_ATTR_DPL_SHIFT) & 3);
  std::memcpy(snapshot, buf + TSV_OFF_SEG, sizeof snapshot);
}

void Cpu::store_to_buffer() {
  std::memcpy(buf + TSV_OFF_GPR, gpr, 16 * 8);
  bufref<uint64_t>(TSV_OFF_RIP) = rip;
  bufref<uint64_t>(TSV_OFF_RFLAGS) = get_rflags();
  for (int s = 0; s < 8; s++) write_seg(*this, s);
  bufref<uint64_t>(TSV_OFF_GDTR + TSV_DTR_OFF_BASE) = gdtr_base;
  bufref<uint32_t>(TSV_OFF_GDTR + TSV_DTR_OFF_LIMIT) = gdtr_limit;
  bufref<uint64_t>(TSV_OFF_IDTR + TSV_DTR_OFF_BASE) = idtr_base;
  bufref<uint32_t>(TSV_OFF_IDTR + TSV_DTR_OFF_LIMIT) = idtr_limit;
  bufref<uint64_t>(TSV_OFF_CR0) = cr0;
  bufref<uint64_t>(TSV_OFF_CR2) = cr2;
  bufref<uint64_t>(TSV_OFF_CR3) = cr3;
  bufref<uint64_t>(TSV_OFF_CR4) = cr4;
  bufref<uint64_t>(TSV_OFF_CR8) = cr8;
  bufref<uint64_t>(TSV_OFF_EFER) = efer;
  bufref<uint64_t>(TSV_OFF_APIC_BASE) = apic_base;
  bufref<uint64_t>(TSV_OFF_TSC_OFFSET) = tsc_offset;
  bufref<uint64_t>(TSV_OFF_INSTRET) = instret;
  bufref<uint64_t>(TSV_OFF_XCR0) = xcr0;
  std::memcpy(buf + TSV_OFF_DR, dr, sizeof dr);
  std::memcpy(snapshot, buf + TSV_OFF_SEG, sizeof snapshot);
  bool iff = (rflags & F_IF) != 0;
  bufref<uint8_t>(TSV_OFF_IF_FLAG) = iff;
  bufref<uint8_t>(TSV_OFF_READY_FOR_INJECTION) = iff && !inhibit_irq && bufref<int32_t>(TSV_OFF_PENDING_IRQ) < 0;
}

void Cpu::reset() {
  std::memset(gpr, 0, sizeof gpr);
  uint32_t sig = 0x600;
  vm->cpuid_leaf1_eax(sig);
  gpr[2] = sig;
  rip = 0xfff0;
  set_rflags(2);
  cr0 = 0x60000010;
  cr2 = cr3 = cr4 = cr8 = efer = 0;
  update_canon_shift();
  xcr0 = XCR0_X87;
  reset_fpu_state(*this);
  dr[0] = dr[1] = dr[2] = dr[3] = 0;
  dr[4] = 0xffff0ff0;
  dr[5] = 0x400;
  dbg_active = 0;
  db_hits = db_deferred = db_after_exit = 0;
  apic_base = 0xfee00000ull | 0x800 | (id == 0 ? 0x100 : 0);
  pat = 0x0007040600070406ull;
  star = lstar = cstar = sfmask = kernel_gs_base = tsc_aux = 0;
  sysenter_cs = sysenter_esp = sysenter_eip = 0;
  misc_enable = 1;  // fast strings
  mtrr_def_type = 0;
  std::memset(mtrr_fixed, 0, sizeof mtrr_fixed);
  std::memset(mtrr_var, 0, sizeof mtrr_var);
  mode = 0xff;
  seg[TSV_SEG_CS] = SegCache{0xffff0000ull, 0, 0xffff, 0xf000, 0x9b, 0, 0, 0, 0};
  for (int s : {TSV_SEG_ES, TSV_SEG_SS, TSV_SEG_DS, TSV_SEG_FS, TSV_SEG_GS}) seg[s] = SegCache{0, 0, 0xffff, 0, 0x93, 0, 0, 0, 0};
  seg[TSV_SEG_LDTR] = SegCache{0, 0, 0xffff, 0, 0x82, 0, 0, 0, 0};
  seg[TSV_SEG_TR] = SegCache{0, 0, 0xffff, 0, 0x8b, 0, 0, 0, 0};
  gdtr_base = idtr_base = 0;
  gdtr_limit = idtr_limit = 0xffff;
  inhibit_irq = 0;
  pending = PEND_NONE;
  mmio_seq = mmio_done = 0;
  delivering = -1;
  nmi_blocked = false;
  deliver_pending = delivery_replay = false;
  exit_reason = 0;
  recompute_mode();
  set_cpl(0);
  flush_tlb(true);
  store_to_buffer();
  bufref<int32_t>(TSV_OFF_PENDING_IRQ) = -1;
  bufref<uint8_t>(TSV_OFF_PENDING_NMI) = 0;
  bufref<uint8_t>(TSV_OFF_PENDING_EXCEPTION_VALID) = 0;
  store_to_buffer();
}

}  // namespace tsv
