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
  MSR_TSC_AUX = 0xc0000103, MSR_AMD_SYSCFG = 0xc0010010,
  MSR_K8_INT_PENDING_MSG = 0xc0010055, MSR_ARCH_CAPABILITIES = 0x10a,
};

// IA32_ARCH_CAPABILITIES (read-only): the "not affected" bits of the speculative-execution and
// data-sampling issues. An interpreter executes nothing speculatively and keeps no fill, store or
// load-port buffers to sample, so every one of them is true: RDCL_NO (Meltdown) 0, SSB_NO 4,
// MDS_NO 5, PSCHANGE_MC_NO 6, TAA_NO 8, SBDR_SSDP_NO 13, FBSDP_NO 14, PSDP_NO 15, BHI_NO 20,
// PBRSB_NO 24, GDS_NO 26, RFDS_NO 27. No control MSR (TSX_CTRL, FB_CLEAR_CTRL...) is enumerated.
constexpr uint64_t ARCH_CAPABILITIES_VALUE = (1ull << 0) | (1ull << 4) | (1ull << 5) | (1ull << 6) | (1ull << 8) |
                                             (1ull << 13) | (1ull << 14) | (1ull << 15) | (1ull << 20) |
                                             (1ull << 24) | (1ull << 26) | (1ull << 27);

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

// UC- (7) is a PAT type only
static bool valid_mtrr_type(uint64_t t) { return valid_mem_type(t) && t != 7; }

// a field of eight memory types (PAT, fixed-range MTRRs): every byte a valid type
static bool valid_type_bytes(uint64_t v, bool (*valid)(uint64_t)) {
  for (int k = 0; k < 8; k++)
    if (!valid((v >> (8 * k)) & 0xff)) return false;
  return true;
}

static bool is_mtrr_msr(uint32_t idx) {
  return idx == MSR_MTRRCAP || idx == MSR_MTRR_DEF || idx == MSR_MTRR_FIX64K || idx == MSR_MTRR_FIX16K0 ||
         idx == MSR_MTRR_FIX16K1 || (idx >= MSR_MTRR_FIX4K0 && idx < MSR_MTRR_FIX4K0 + 8) ||
         (idx >= MSR_MTRR_PHYS0 && idx < MSR_MTRR_PHYS0 + 16);
}

// The MSRs of a feature CPUID hides do not exist (#GP), as on a CPU without the feature.
static bool msr_hidden(const CpuFeatures& f, uint32_t idx) {
  switch (idx) {
    case MSR_TSC: return !f.tsc();
    case MSR_APIC_BASE: return !f.apic();
    case MSR_TSC_ADJUST: return !f.tsc_adjust();
    case MSR_SYSENTER_CS: case MSR_SYSENTER_ESP: case MSR_SYSENTER_EIP: return !f.sep();
    case MSR_PAT: return !f.pat();
    case MSR_STAR: case MSR_SFMASK: return !f.syscall();
    case MSR_LSTAR: case MSR_CSTAR: case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS: return !f.lm();
    case MSR_TSC_AUX: return !f.rdtscp();
    case MSR_AMD_SYSCFG: case MSR_K8_INT_PENDING_MSG: return !f.amd;
    case MSR_ARCH_CAPABILITIES: return !f.arch_capabilities();
    default: return is_mtrr_msr(idx) && !f.mtrr();
  }
}

// MTRRphysBase: type in 7:0, 11:8 reserved; MTRRphysMask: 10:0 reserved, valid in 11; both hold
// an address below MAXPHYADDR (40 bits, CPUID 0x80000008)
static bool valid_mtrr_var(uint32_t idx, uint64_t v) {
  const uint64_t above_phys = ~((1ull << 40) - 1);
  if (v & above_phys) return false;
  if ((idx - MSR_MTRR_PHYS0) & 1) return !(v & 0x7ff);
  return !(v & 0xf00) && valid_mtrr_type(v & 0xff);
}

int msr_read(Cpu& c, uint32_t idx, uint64_t& v) {
  if (msr_hidden(c.vm->features(), idx)) return c.vm->msr_exits(idx) ? MSR_EXIT : MSR_GP;
  switch (idx) {
    case MSR_TSC: v = read_tsc(c); return MSR_OK;
    case MSR_APIC_BASE: v = c.apic_base; return MSR_OK;
    case MSR_TSC_ADJUST: v = c.tsc_adjust; return MSR_OK;
    // IA32_BIOS_SIGN_ID: the microcode revision (EDX half) after WRMSR 0 + CPUID; no update is ever loaded
    case MSR_BIOS_SIGN_ID: v = 0; return MSR_OK;
    case MSR_ARCH_CAPABILITIES: v = ARCH_CAPABILITIES_VALUE; return MSR_OK;
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
    // AMD vendor only: SYSCFG offers none of its MTRR DRAM extensions (fixed-range RdMem/WrMem bits,
    // TOM2) and the K8 interrupt-pending message register no C1E: both read 0 and only 0 may be
    // written. Linux reads them on a family 0xf AMD (the MTRRs, the E400 idle erratum).
    case MSR_AMD_SYSCFG: case MSR_K8_INT_PENDING_MSG: v = 0; return MSR_OK;
    default: break;
  }
  if (idx >= MSR_MTRR_FIX4K0 && idx < MSR_MTRR_FIX4K0 + 8) { v = c.mtrr_fixed[3 + idx - MSR_MTRR_FIX4K0]; return MSR_OK; }
  if (idx >= MSR_MTRR_PHYS0 && idx < MSR_MTRR_PHYS0 + 16) { v = c.mtrr_var[idx - MSR_MTRR_PHYS0]; return MSR_OK; }
  return c.vm->msr_exits(idx) ? MSR_EXIT : MSR_GP;
}

int msr_write(Cpu& c, uint32_t idx, uint64_t v) {
  const CpuFeatures& f = c.vm->features();
  if (msr_hidden(f, idx)) return c.vm->msr_exits(idx) ? MSR_EXIT : MSR_GP;
  switch (idx) {
    case MSR_TSC: c.tsc_offset = v - vm_tsc(c); return MSR_OK;
    case MSR_APIC_BASE:
      // bit 10 (EXTD, x2APIC mode) only where CPUID offers x2APIC
      if (v & ~(0x000ffffffffff900ull | (f.x2apic() ? 0x400ull : 0))) return MSR_GP;
      c.apic_base = (v & ~0x100ull) | (c.apic_base & 0x100);  // BSP flag is read-only
      return MSR_OK;
    case MSR_TSC_ADJUST: c.tsc_offset += v - c.tsc_adjust; c.tsc_adjust = v; return MSR_OK;
    case MSR_MTRRCAP: return MSR_GP;
    case MSR_ARCH_CAPABILITIES: return MSR_GP;  // read-only
    case MSR_BIOS_SIGN_ID: return MSR_OK;  // software writes 0 before CPUID to read the revision
    case MSR_SYSENTER_CS: c.sysenter_cs = v & 0xffff; return MSR_OK;
    case MSR_SYSENTER_ESP: if (!canonical_max_width(c, v)) return MSR_GP; c.sysenter_esp = v; return MSR_OK;
    case MSR_SYSENTER_EIP: if (!canonical_max_width(c, v)) return MSR_GP; c.sysenter_eip = v; return MSR_OK;
    case MSR_MISC_ENABLE: c.misc_enable = v; return MSR_OK;
    case MSR_PAT:
      if (!valid_type_bytes(v, valid_mem_type)) return MSR_GP;
      c.pat = v;
      return MSR_OK;
    case MSR_MTRR_DEF:
      if (v & ~0xcffull || !valid_mem_type(v & 0xff) || (v & 0xff) == 1 || (v & 0xff) == 7) return MSR_GP;
      c.mtrr_def_type = v;
      return MSR_OK;
    case MSR_MTRR_FIX64K: if (!valid_type_bytes(v, valid_mtrr_type)) return MSR_GP; c.mtrr_fixed[0] = v; return MSR_OK;
    case MSR_MTRR_FIX16K0: if (!valid_type_bytes(v, valid_mtrr_type)) return MSR_GP; c.mtrr_fixed[1] = v; return MSR_OK;
    case MSR_MTRR_FIX16K1: if (!valid_type_bytes(v, valid_mtrr_type)) return MSR_GP; c.mtrr_fixed[2] = v; return MSR_OK;
    case MSR_EFER: {
      // SCE, LME/LMA and NXE exist with SYSCALL, LM and NX
      const uint64_t allowed = (f.syscall() ? EFER_SCE : 0) | (f.lm() ? EFER_LME | EFER_LMA : 0) | (f.nx() ? EFER_NXE : 0);
      if (v & ~allowed) return MSR_GP;
      bool paging = c.cr0 & CR0_PG;
      if (paging && ((v ^ c.efer) & EFER_LME)) return MSR_GP;  // LME may not change with paging on
      uint64_t nv = (v & ~EFER_LMA) | (c.efer & EFER_LMA);  // LMA is read-only
      if ((nv ^ c.efer) & EFER_NXE) c.flush_tlb(true);
      c.efer = nv;
      return MSR_OK;
    }
    case MSR_STAR: c.star = v; return MSR_OK;
    case MSR_LSTAR: if (!canonical_max_width(c, v)) return MSR_GP; c.lstar = v; return MSR_OK;
    case MSR_CSTAR: if (!canonical_max_width(c, v)) return MSR_GP; c.cstar = v; return MSR_OK;
    case MSR_SFMASK: c.sfmask = v & 0xffffffff; return MSR_OK;
    case MSR_FS_BASE:
      if (!canonical_max_width(c, v)) return MSR_GP;
      c.seg[TSV_SEG_FS].base = v;
      refresh_seg_windows(c, TSV_SEG_FS);
      return MSR_OK;
    case MSR_GS_BASE:
      if (!canonical_max_width(c, v)) return MSR_GP;
      c.seg[TSV_SEG_GS].base = v;
      refresh_seg_windows(c, TSV_SEG_GS);
      return MSR_OK;
    case MSR_KERNEL_GS: if (!canonical_max_width(c, v)) return MSR_GP; c.kernel_gs_base = v; return MSR_OK;
    case MSR_TSC_AUX: if (v >> 32) return MSR_GP; c.tsc_aux = v; return MSR_OK;
    case MSR_AMD_SYSCFG: case MSR_K8_INT_PENDING_MSG: return v == 0 ? MSR_OK : MSR_GP;
    default: break;
  }
  if (idx >= MSR_MTRR_FIX4K0 && idx < MSR_MTRR_FIX4K0 + 8) {
    if (!valid_type_bytes(v, valid_mtrr_type)) return MSR_GP;
    c.mtrr_fixed[3 + idx - MSR_MTRR_FIX4K0] = v;
    return MSR_OK;
  }
  if (idx >= MSR_MTRR_PHYS0 && idx < MSR_MTRR_PHYS0 + 16) {
    if (!valid_mtrr_var(idx, v)) return MSR_GP;
    c.mtrr_var[idx - MSR_MTRR_PHYS0] = v;
    return MSR_OK;
  }
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
      // a bit whose feature CPUID hides is reserved (#GP), as on a CPU without it; VME/PVI, PCE,
      // FSGSBASE... are never offered
      const CpuFeatures& f = c.vm->features();
      const uint64_t allowed = (f.tsc() ? CR4_TSD : 0) | (f.de() ? CR4_DE : 0) | (f.pse() ? CR4_PSE : 0) |
                               (f.pae() ? CR4_PAE : 0) | (f.mce() ? CR4_MCE : 0) | (f.pge() ? CR4_PGE : 0) |
                               (f.fxsr() ? CR4_OSFXSR : 0) | (f.sse() ? CR4_OSXMMEXCPT : 0) |
                               (f.xsave() ? CR4_OSXSAVE : 0) | (f.pcid() ? CR4_PCIDE : 0) | (f.smep() ? CR4_SMEP : 0) |
                               (f.smap() ? CR4_SMAP : 0) | (f.umip() ? CR4_UMIP : 0) | (f.la57() ? CR4_LA57 : 0);
      if (v & ~allowed) raise_gp(c, 0);
      if ((c.efer & EFER_LMA) && !(v & CR4_PAE)) raise_gp(c, 0);
      // the paging depth (4 or 5 levels) is fixed while IA-32e mode is active
      if ((c.efer & EFER_LMA) && ((v ^ c.cr4) & CR4_LA57)) raise_gp(c, 0);
      // PCIDE: only in IA-32e mode and with PCID 0 in CR3
      if ((v & CR4_PCIDE) && !(c.cr4 & CR4_PCIDE) && (!(c.efer & EFER_LMA) || (c.cr3 & 0xfff))) raise_gp(c, 0);
      uint64_t old = c.cr4;
      c.cr4 = v;
      c.update_canon_shift();
      if ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_LA57)) c.flush_tlb(true);
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
