// Architectural MSRs held by the backend, the guest TSC from the VM clock
// buffer, and control-register writes with their mode/TLB side effects.
#include "cpu/msr.h"
#include "cpu/debug_regs.h"
#include "cpu/bits.h"
#include "cpu/exec.h"
#include "cpu/vm.h"

namespace tsv {

enum : uint32_t {
  MSR_TSC = 0x10, MSR_APIC_BASE = 0x1b, MSR_BIOS_SIGN_ID = 0x8b, MSR_TSC_ADJUST = 0x3b, MSR_MTRRCAP = 0xfe,
  MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176, MSR_MISC_ENABLE = 0x1a0,
  MSR_MTRR_PHYS0 = 0x200, MSR_MTRR_FIX64K = 0x250, MSR_MTRR_FIX16K0 = 0x258, MSR_MTRR_FIX16K1 = 0x259,
  MSR_MTRR_FIX4K0 = 0x268, MSR_PAT = 0x277, MSR_MTRR_DEF = 0x2ff,
  MSR_EFER = 0xc0000080, MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082, MSR_CSTAR = 0xc0000083,
  MSR_SFMASK = 0xc0000084, MSR_FS_BASE = 0xc0000100, MSR_GS_BASE = 0xc0000101, MSR_KERNEL_GS = 0xc0000102,
  MSR_TSC_AUX = 0xc0000103,
};

static inline bool canonical(uint64_t v) { return (uint64_t)((int64_t)(v << 16) >> 16) == v; }

uint64_t vm_tsc(Cpu& c) {
  const uint8_t* s = c.vm->state();
  uint32_t mode, shift;
  uint64_t khz, host_base, guest_base, icount_base;
  std::memcpy(&mode, s + TSV_OFF_VM_CLOCK_MODE, 4);
  std::memcpy(&shift, s + TSV_OFF_VM_ICOUNT_SHIFT, 4);
  std::memcpy(&khz, s + TSV_OFF_VM_TSC_KHZ, 8);
  std::memcpy(&host_base, s + TSV_OFF_VM_HOST_BASE_NS, 8);
  std::memcpy(&guest_base, s + TSV_OFF_VM_GUEST_BASE_NS, 8);
  std::memcpy(&icount_base, s + TSV_OFF_VM_ICOUNT_BASE, 8);
  uint64_t guest_ns;
  if (mode == TSV_CLOCK_ICOUNT) {
    uint64_t instret = c.vm_instret_at_entry + c.slice_count;
    guest_ns = guest_base + ((instret - icount_base) << shift);
  } else {
    guest_ns = guest_base + (host_monotonic_ns() - host_base);
  }
  return muldiv_u64(guest_ns, khz, 1000000u);
}

uint64_t read_tsc(Cpu& c) { return vm_tsc(c) + c.tsc_offset; }

static bool valid_mem_type(uint64_t t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || t == 7; }

int msr_read(Cpu& c, uint32_t idx, uint64_t& v) {
  switch (idx) {
    case MSR_TSC: v = read_tsc(c); return MSR_OK;
    case MSR_APIC_BASE: v = c.apic_base; return MSR_OK;
    case MSR_TSC_ADJUST: v = c.tsc_adjust; return MSR_OK;
    // IA32_BIOS_SIGN_ID: the microcode revision (EDX half) after WRMSR 0 + CPUID; no update is ever loaded
    case MSR_BIOS_SIGN_ID: v = 0; return MSR_OK;
    case MSR_MTRRCAP: v = 0x508; return MSR_OK;  // 8 variable ranges, fixed ranges, write-combining
    case MSR_SYSENTER_CS: v = c.sysenter_cs; return MSR_OK;
    case MSR_SYSENTER_ESP: v = c.sysenter_esp; return MSR_OK;
    case MSR_SYSENTER_EIP: v = c.sysenter_eip; return MSR_OK;
    case MSR_MISC_ENABLE: v = c.misc_enable; return MSR_OK;
    case MSR_PAT: v = c.pat; return MSR_OK;
    case MSR_MTRR_DEF: v = c.mtrr_def_type; return MSR_OK;
    case MSR_MTRR_FIX64K: v = c.mtrr_fixed[0]; return MSR_OK;
    case MSR_MTRR_FIX16K0: v = c.mtrr_fixed[1]; return MSR_OK;
    case MSR_MTRR_FIX16K1: v = c.mtrr_fixed[2]; return MSR_OK;
    case MSR_EFER: v = c.efer; return MSR_OK;
    case MSR_STAR: v = c.star; return MSR_OK;
    case MSR_LSTAR: v = c.lstar; return MSR_OK;
    case MSR_CSTAR: v = c.cstar; return MSR_OK;
    case MSR_SFMASK: v = c.sfmask; return MSR_OK;
    case MSR_FS_BASE: v = c.seg[TSV_SEG_FS].base; return MSR_OK;
    case MSR_GS_BASE: v = c.seg[TSV_SEG_GS].base; return MSR_OK;
    case MSR_KERNEL_GS: v = c.kernel_gs_base; return MSR_OK;
    case MSR_TSC_AUX: v = c.tsc_aux; return MSR_OK;
    default: break;
  }
  if (idx >= MSR_MTRR_FIX4K0 && idx < MSR_MTRR_FIX4K0 + 8) { v = c.mtrr_fixed[3 + idx - MSR_MTRR_FIX4K0]; return MSR_OK; }
  if (idx >= MSR_MTRR_PHYS0 && idx < MSR_MTRR_PHYS0 + 16) { v = c.mtrr_var[idx - MSR_MTRR_PHYS0]; return MSR_OK; }
  return c.vm->msr_exits(idx) ? MSR_EXIT : MSR_GP;
}

int msr_write(Cpu& c, uint32_t idx, uint64_t v) {
  switch (idx) {
    case MSR_TSC: c.tsc_offset = v - vm_tsc(c); return MSR_OK;
    case MSR_APIC_BASE:
      if (v & ~0x000ffffffffffd00ull) return MSR_GP;
      c.apic_base = (v & ~0x100ull) | (c.apic_base & 0x100);  // BSP flag is read-only
      return MSR_OK;
    case MSR_TSC_ADJUST: c.tsc_offset += v - c.tsc_adjust; c.tsc_adjust = v; return MSR_OK;
    case MSR_MTRRCAP: return MSR_GP;
    case MSR_BIOS_SIGN_ID: return MSR_OK;  // software writes 0 before CPUID to read the revision
    case MSR_SYSENTER_CS: c.sysenter_cs = v & 0xffff; return MSR_OK;
    case MSR_SYSENTER_ESP: if (!canonical(v)) return MSR_GP; c.sysenter_esp = v; return MSR_OK;
    case MSR_SYSENTER_EIP: if (!canonical(v)) return MSR_GP; c.sysenter_eip = v; return MSR_OK;
    case MSR_MISC_ENABLE: c.misc_enable = v; return MSR_OK;
    case MSR_PAT:
      for (int k = 0; k < 8; k++)
        if (!valid_mem_type((v >> (8 * k)) & 0xff)) return MSR_GP;
      c.pat = v;
      return MSR_OK;
    case MSR_MTRR_DEF:
      if (v & ~0xcffull || !valid_mem_type(v & 0xff) || (v & 0xff) == 1 || (v & 0xff) == 7) return MSR_GP;
      c.mtrr_def_type = v;
      return MSR_OK;
    case MSR_MTRR_FIX64K: c.mtrr_fixed[0] = v; return MSR_OK;
    case MSR_MTRR_FIX16K0: c.mtrr_fixed[1] = v; return MSR_OK;
    case MSR_MTRR_FIX16K1: c.mtrr_fixed[2] = v; return MSR_OK;
    case MSR_EFER: {
      const uint64_t allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
      if (v & ~allowed) return MSR_GP;
      bool paging = c.cr0 & CR0_PG;
      if (paging && ((v ^ c.efer) & EFER_LME)) return MSR_GP;  // LME may not change with paging on
      uint64_t nv = (v & ~EFER_LMA) | (c.efer & EFER_LMA);  // LMA is read-only
      if ((nv ^ c.efer) & EFER_NXE) c.flush_tlb(true);
      c.efer = nv;
      return MSR_OK;
    }
    case MSR_STAR: c.star = v; return MSR_OK;
    case MSR_LSTAR: if (!canonical(v)) return MSR_GP; c.lstar = v; return MSR_OK;
    case MSR_CSTAR: if (!canonical(v)) return MSR_GP; c.cstar = v; return MSR_OK;
    case MSR_SFMASK: c.sfmask = v & 0xffffffff; return MSR_OK;
    case MSR_FS_BASE:
      if (!canonical(v)) return MSR_GP;
      c.seg[TSV_SEG_FS].base = v;
      refresh_seg_windows(c, TSV_SEG_FS);
      return MSR_OK;
    case MSR_GS_BASE:
      if (!canonical(v)) return MSR_GP;
      c.seg[TSV_SEG_GS].base = v;
      refresh_seg_windows(c, TSV_SEG_GS);
      return MSR_OK;
    case MSR_KERNEL_GS: if (!canonical(v)) return MSR_GP; c.kernel_gs_base = v; return MSR_OK;
    case MSR_TSC_AUX: if (v >> 32) return MSR_GP; c.tsc_aux = v; return MSR_OK;
    default: break;
  }
  if (idx >= MSR_MTRR_FIX4K0 && idx < MSR_MTRR_FIX4K0 + 8) { c.mtrr_fixed[3 + idx - MSR_MTRR_FIX4K0] = v; return MSR_OK; }
  if (idx >= MSR_MTRR_PHYS0 && idx < MSR_MTRR_PHYS0 + 16) { c.mtrr_var[idx - MSR_MTRR_PHYS0] = v; return MSR_OK; }
  return c.vm->msr_exits(idx) ? MSR_EXIT : MSR_GP;
}

void write_cr(Cpu& c, int n, uint64_t v) {
  switch (n) {
    case 0: {
      if (v >> 32) raise_gp(c, 0);
      v |= CR0_ET;
      if ((v & CR0_PG) && !(v & CR0_PE)) raise_gp(c, 0);
      if ((v & CR0_NW) && !(v & CR0_CD)) raise_gp(c, 0);
      if ((c.cr0 & CR0_PG) && !(v & CR0_PG) && (c.cr4 & CR4_PCIDE)) raise_gp(c, 0);  // PCIDE needs paging
      uint64_t old = c.cr0;
      uint64_t efer = c.efer;
      if (!(old & CR0_PG) && (v & CR0_PG) && (efer & EFER_LME)) {
        if (!(c.cr4 & CR4_PAE)) raise_gp(c, 0);
        if (c.seg[TSV_SEG_CS].attr & TSV_SEG_ATTR_L) raise_gp(c, 0);
        efer |= EFER_LMA;
      }
      if ((old & CR0_PG) && !(v & CR0_PG) && (efer & EFER_LMA)) {
        if (c.mode == MODE_LONG64) raise_gp(c, 0);
        efer &= ~EFER_LMA;
      }
      c.cr0 = v;
      c.efer = efer;
      if ((old ^ v) & (CR0_PG | CR0_WP | CR0_PE)) c.flush_tlb(true);
      c.recompute_mode();
      break;
    }
    case 2: c.cr2 = v; break;
    case 3:
      if (!(c.efer & EFER_LMA)) v = (uint32_t)v;
      else {
        // with CR4.PCIDE bit 63 asks not to flush the new PCID's entries; it is not part of
        // CR3. The TLB is not tagged by PCID, so every switch flushes (always allowed).
        if (c.cr4 & CR4_PCIDE) v &= ~(1ull << 63);
        if (v >> 52) raise_gp(c, 0);
      }
      c.cr3 = v;
      c.flush_tlb(false);
      break;
    case 4: {
      // only bits of features this backend implements (VME/PVI, PCE... are #GP like on a CPU without them);
      // OSXSAVE only where CPUID offers XSAVE
      // the bits of features CPUID offers: OSXSAVE (XSAVE), PCIDE (PCID), SMEP, SMAP, UMIP
      uint32_t leaf1[4], leaf7[4];
      c.vm->cpuid(1, 0, leaf1);
      c.vm->cpuid(7, 0, leaf7);
      const uint64_t allowed = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT |
                               ((leaf1[2] & (1u << 26)) ? CR4_OSXSAVE : 0) | ((leaf1[2] & (1u << 17)) ? CR4_PCIDE : 0) |
                               ((leaf7[1] & (1u << 7)) ? CR4_SMEP : 0) | ((leaf7[1] & (1u << 20)) ? CR4_SMAP : 0) |
                               ((leaf7[2] & (1u << 2)) ? CR4_UMIP : 0);
      if (v & ~allowed) raise_gp(c, 0);
      if ((c.efer & EFER_LMA) && !(v & CR4_PAE)) raise_gp(c, 0);
      // PCIDE: only in IA-32e mode and with PCID 0 in CR3
      if ((v & CR4_PCIDE) && !(c.cr4 & CR4_PCIDE) && (!(c.efer & EFER_LMA) || (c.cr3 & 0xfff))) raise_gp(c, 0);
      uint64_t old = c.cr4;
      c.cr4 = v;
      if ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP)) c.flush_tlb(true);
      if ((old ^ v) & CR4_DE) debug_state_changed(c, false);  // I/O breakpoints exist only under CR4.DE
      break;
    }
    case 8:
      if (v & ~0xfull) raise_gp(c, 0);
      c.cr8 = v;
      break;
    default: raise_ud(c);
  }
}

}  // namespace tsv
