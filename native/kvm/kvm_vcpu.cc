// KVM_RUN and the exit record. Each run(): finish the previous exit in
// kvm_run (IN data, MMIO read data, the MSR answer), push the registers
// TypeScript changed, hand over pending events, then KVM_RUN until an exit
// TypeScript must see, and write registers and the exit record back into the
// shared buffer. KVM keeps RIP at an I/O, MMIO or MSR instruction until the
// next KVM_RUN completes it, so those exits show RIP at the instruction.
#include "kvm/kvm_vcpu.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <x86intrin.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include "kvm/kvm_cpuid.h"
#include "kvm/kvm_flex_ioctls.h"
#include "kvm/kvm_host.h"
#include "kvm/kvm_regs.h"
#include "tsvisor_abi.h"
#include "tsvisor_event_ring.h"

namespace tsv::kvm {

namespace {

constexpr uint32_t MSR_IA32_TSC = 0x10;

template <typename T>
T& at(uint8_t* b, unsigned off) {
  return *reinterpret_cast<T*>(b + off);
}

std::string hex(uint64_t v) {
  char s[24];
  std::snprintf(s, sizeof s, "0x%llx", (unsigned long long)v);
  return s;
}

const char* internal_suberror_name(uint32_t s) {
  switch (s) {
    case KVM_INTERNAL_ERROR_EMULATION: return "emulation failure";
    case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected hardware exit";
    default: return "unknown suberror";
  }
}

}  // namespace

KvmVcpu::KvmVcpu(std::shared_ptr<KvmVm> vm, int id, uint8_t* buf) : vm_(std::move(vm)), id_(id), buf_(buf), shadow_(TSV_OFF_EXIT_REASON, 0) {
  const HostKvm& h = host();
  fd_ = ioctl(vm_->fd(), KVM_CREATE_VCPU, (unsigned long)id);
  if (fd_ < 0) throw KvmError(errno_text("KVM_CREATE_VCPU"));
  run_size_ = (size_t)h.run_mmap_size;
  void* p = mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    std::string m = errno_text("mmap of kvm_run");
    close(fd_);
    throw KvmError(m);
  }
  run_ = static_cast<kvm_run*>(p);
  run_->kvm_valid_regs = h.sync_regs;
  // KVM's own power-on XCR0 and debug registers: reset() pushes them only when they differ.
  at<uint64_t>(shadow_.data(), TSV_OFF_XCR0) = 1;
  at<uint64_t>(shadow_.data(), TSV_OFF_DR + 8 * 4) = 0xffff0ff0;
  at<uint64_t>(shadow_.data(), TSV_OFF_DR + 8 * 5) = 0x400;
  if (ioctl(fd_, KVM_GET_SREGS, &sregs_) < 0) {
    std::string m = errno_text("KVM_GET_SREGS");
    munmap(run_, run_size_);
    close(fd_);
    throw KvmError(m);
  }
  kvm_device_attr tsc_attr;
  std::memset(&tsc_attr, 0, sizeof tsc_attr);
  tsc_attr.group = KVM_VCPU_TSC_CTRL;
  tsc_attr.attr = KVM_VCPU_TSC_OFFSET;
  tsc_offset_attr_ = ioctl(fd_, KVM_HAS_DEVICE_ATTR, &tsc_attr) == 0;
  // KVM's in-kernel hypercalls (the guest's own VMCALL) and PV features follow the KVM leaf
  // of the guest's CPUID, as on the interpreter: what the machine does not advertise is
  // -KVM_ENOSYS. Kernels before 5.10 lack the capability and serve them all.
  kvm_enable_cap pv;
  std::memset(&pv, 0, sizeof pv);
  pv.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID;
  pv.args[0] = 1;
  ioctl(fd_, KVM_ENABLE_CAP, &pv);
  reset();
}

KvmVcpu::~KvmVcpu() {
  if (run_) munmap(run_, run_size_);
  if (fd_ >= 0) close(fd_);
}

void KvmVcpu::reset() {
  init_state_to_buffer(buf_, vm_->cpuid1_eax(), id_ == 0);
  at<int32_t>(buf_, TSV_OFF_PENDING_IRQ) = -1;
  at<uint8_t>(buf_, TSV_OFF_PENDING_NMI) = 0;
  at<uint8_t>(buf_, TSV_OFF_PENDING_EXCEPTION_VALID) = 0;
  at<uint8_t>(buf_, TSV_OFF_READY_FOR_INJECTION) = 0;
  at<uint8_t>(buf_, TSV_OFF_IF_FLAG) = 0;
  pending_ = Pending::None;
  internal_irq_window_ = false;
  tsc_adjust_ = 0;
  // The registers and segments differ from KVM's copy now: the next run() pushes them.
  // XCR0 and DR0-7 keep their shadow (KVM's values as last read), so they are written
  // only if they really changed (KVM_SET_XCRS fails on hosts without XSAVE).
  for (size_t k = 0; k < kSregsEnd; k++) shadow_[k] = (uint8_t)~buf_[k];
  // x87/SSE power-on state and no event in flight; these are not part of the buffer.
  kvm_fpu fpu;
  std::memset(&fpu, 0, sizeof fpu);
  fpu.fcw = 0x37f;
  fpu.mxcsr = 0x1f80;
  ioctl(fd_, KVM_SET_FPU, &fpu);
  kvm_vcpu_events ev;
  if (ioctl(fd_, KVM_GET_VCPU_EVENTS, &ev) == 0) {
    ev.exception.injected = 0;
    ev.interrupt.injected = 0;
    ev.nmi.injected = 0;
    ev.nmi.pending = 0;
    ev.nmi.masked = 0;
    ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
    ioctl(fd_, KVM_SET_VCPU_EVENTS, &ev);
  }
}

int KvmVcpu::internal_error(uint32_t suberror, const std::string& text) {
  at<uint32_t>(buf_, TSV_OFF_EXIT_REASON) = TSV_EXIT_INTERNAL_ERROR;
  at<uint32_t>(buf_, TSV_OFF_EXIT_INTERNAL_SUBERROR) = suberror;
  uint64_t cs_base = at<uint64_t>(buf_, TSV_OFF_SEG + TSV_SEG_CS * TSV_SEG_SIZE + TSV_SEG_OFF_BASE);
  at<uint64_t>(buf_, TSV_OFF_EXIT_INTERNAL_RIP) = cs_base + at<uint64_t>(buf_, TSV_OFF_RIP);
  char* msg = reinterpret_cast<char*>(buf_ + TSV_OFF_EXIT_MESSAGE);
  std::snprintf(msg, TSV_EXIT_MESSAGE_SIZE, "%s", text.c_str());
  return TSV_EXIT_INTERNAL_ERROR;
}

bool KvmVcpu::complete_previous_exit(std::string& error) {
  switch (pending_) {
    case Pending::None:
      break;
    case Pending::IoIn: {
      size_t n = (size_t)run_->io.size * run_->io.count;
      std::memcpy(reinterpret_cast<uint8_t*>(run_) + run_->io.data_offset, buf_ + TSV_OFF_IO_DATA, n);
      break;
    }
    case Pending::MmioRead:
      std::memcpy(run_->mmio.data, buf_ + TSV_OFF_EXIT_MMIO_DATA, run_->mmio.len);
      break;
    case Pending::Msr:
      run_->msr.error = at<uint8_t>(buf_, TSV_OFF_EXIT_MSR_ERROR) ? 1 : 0;
      if (run_->exit_reason == KVM_EXIT_X86_RDMSR) run_->msr.data = at<uint64_t>(buf_, TSV_OFF_EXIT_MSR_DATA);
      break;
  }
  pending_ = Pending::None;
  return true;
}

bool KvmVcpu::apply_cpuid(std::string& error) {
  if (cpuid_gen_ == vm_->cpuid_generation()) return true;
  std::vector<kvm_cpuid_entry2> table = intersect_cpuid(vm_->cpuid_words(), host().supported_cpuid);
  cpuid_gen_ = vm_->cpuid_generation();
  // The machine installs each vCPU's own table before its slices: most generations change
  // nothing for this vCPU. KVM freezes CPUID once a vCPU has run, so only a real change is sent.
  if (ran_ && table.size() == cpuid_applied_.size() &&
      std::memcmp(table.data(), cpuid_applied_.data(), table.size() * sizeof(kvm_cpuid_entry2)) == 0)
    return true;
  std::vector<uint8_t> raw(sizeof(CpuidListHeader) + table.size() * sizeof(kvm_cpuid_entry2));
  reinterpret_cast<CpuidListHeader*>(raw.data())->nent = (uint32_t)table.size();
  std::memcpy(raw.data() + sizeof(CpuidListHeader), table.data(), table.size() * sizeof(kvm_cpuid_entry2));
  if (ioctl(fd_, kIoctlSetCpuid2, raw.data()) < 0) {
    error = errno_text(ran_ ? "KVM_SET_CPUID2 (a different table after the vCPU ran)" : "KVM_SET_CPUID2");
    return false;
  }
  cpuid_applied_.swap(table);
  return true;
}

bool KvmVcpu::push_state(std::string& error) {
  const HostKvm& h = host();
  auto changed = [&](unsigned from, unsigned to) { return std::memcmp(buf_ + from, shadow_.data() + from, to - from) != 0; };
  bool regs = changed(kRegsBegin, kRegsEnd), sregs = changed(kSregsBegin, kSregsEnd);
  run_->kvm_dirty_regs = 0;
  if (regs) {
    if (h.sync_regs) {
      regs_from_buffer(buf_, run_->s.regs.regs);
      run_->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
    } else {
      kvm_regs r;
      std::memset(&r, 0, sizeof r);
      regs_from_buffer(buf_, r);
      if (ioctl(fd_, KVM_SET_REGS, &r) < 0) return error = errno_text("KVM_SET_REGS"), false;
    }
  }
  if (sregs) {
    kvm_sregs s = sregs_;
    sregs_from_buffer(buf_, s);
    if (h.sync_regs) {
      run_->s.regs.sregs = s;
      run_->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
    } else if (ioctl(fd_, KVM_SET_SREGS, &s) < 0) {
      return error = errno_text("KVM_SET_SREGS (the guest state in the buffer is invalid)"), false;
    }
    sregs_ = s;
  }
  if (changed(TSV_OFF_XCR0, TSV_OFF_XCR0 + 8)) {
    kvm_xcrs x;
    std::memset(&x, 0, sizeof x);
    x.nr_xcrs = 1;
    x.xcrs[0].xcr = 0;
    x.xcrs[0].value = at<uint64_t>(buf_, TSV_OFF_XCR0);
    if (ioctl(fd_, KVM_SET_XCRS, &x) < 0) return error = errno_text("KVM_SET_XCRS"), false;
  }
  if (changed(TSV_OFF_DR, TSV_OFF_DR + 8 * TSV_DR_COUNT)) {
    kvm_debugregs d;
    std::memset(&d, 0, sizeof d);
    for (int k = 0; k < 4; k++) d.db[k] = at<uint64_t>(buf_, TSV_OFF_DR + 8 * k);
    d.dr6 = at<uint64_t>(buf_, TSV_OFF_DR + 8 * 4);
    d.dr7 = at<uint64_t>(buf_, TSV_OFF_DR + 8 * 5);
    if (ioctl(fd_, KVM_SET_DEBUGREGS, &d) < 0) return error = errno_text("KVM_SET_DEBUGREGS"), false;
  }
  // Without an in-kernel APIC, KVM_RUN loads CR8 from kvm_run.cr8 every time.
  run_->cr8 = at<uint64_t>(buf_, TSV_OFF_CR8);
  std::memcpy(shadow_.data(), buf_, shadow_.size());
  return true;
}

uint64_t KvmVcpu::virtual_tsc_now() const { return vm_->clock_tsc_now() + at<uint64_t>(buf_, TSV_OFF_TSC_OFFSET); }

bool KvmVcpu::set_kvm_tsc_offset(uint64_t offset, std::string& error) {
  kvm_device_attr a;
  std::memset(&a, 0, sizeof a);
  a.group = KVM_VCPU_TSC_CTRL;
  a.attr = KVM_VCPU_TSC_OFFSET;
  a.addr = (uint64_t)(uintptr_t)&offset;
  if (ioctl(fd_, KVM_SET_DEVICE_ATTR, &a) < 0) return error = errno_text("KVM_SET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)"), false;
  return true;
}

bool KvmVcpu::sync_tsc(std::string& error) {
  // The machine's clock is the only time source: whenever it re-bases (start, pause,
  // resume) or TypeScript moves this vCPU's TSC offset, the guest TSC is set again
  // to the virtual clock's TSC. In between, KVM's TSC runs at the same rate.
  const KvmVm::ClockParams clock = vm_->clock_params();
  uint64_t params[4] = {clock[0], clock[1], clock[2], at<uint64_t>(buf_, TSV_OFF_TSC_OFFSET)};
  if (std::memcmp(params, tsc_params_, sizeof params) == 0) return true;
  if (!host().tsc_offset_applies) {
    // The guest's RDTSC reads the host TSC whatever KVM is told (PVM): the guest TSC cannot be
    // moved, so the machine's offset follows it instead (kvmclock and the reference TSC page are
    // computed from it), the same for every vCPU, and a guest write of IA32_TSC changes nothing.
    params[3] = at<uint64_t>(buf_, TSV_OFF_TSC_OFFSET) = vm_->host_tsc_offset();
    std::memcpy(tsc_params_, params, sizeof params);
    // KVM's own offset 0: its RDMSR of IA32_TSC (which stays in KVM) then reads what RDTSC does.
    return !tsc_offset_attr_ || set_kvm_tsc_offset(0, error);
  }
  std::memcpy(tsc_params_, params, sizeof params);
  if (tsc_offset_attr_) {
    // KVM_VCPU_TSC_OFFSET: guest TSC = host TSC + offset (tsvisor does not scale the TSC).
    // The host TSC and the virtual clock are sampled back to back, so the guest TSC is the
    // virtual clock's from the moment it is set, however long the ioctl takes.
    uint64_t host_tsc = __rdtsc();
    return set_kvm_tsc_offset(virtual_tsc_now() - host_tsc, error);
  }
  // Older kernels: a host write of IA32_TSC. KVM may take a value within a second of the
  // vCPUs' previous writes as an attempt to synchronize them and keep the old offset.
  // (one kvm_msr_entry after the header)
  struct {
    MsrListHeader header;
    kvm_msr_entry entry;
  } m;
  static_assert(sizeof m == sizeof(MsrListHeader) + sizeof(kvm_msr_entry), "the entry follows the header");
  std::memset(&m, 0, sizeof m);
  m.header.nmsrs = 1;
  m.entry.index = MSR_IA32_TSC;
  m.entry.data = virtual_tsc_now();
  if (ioctl(fd_, kIoctlSetMsrs, &m) != 1) return error = errno_text("KVM_SET_MSRS(IA32_TSC)"), false;
  return true;
}

// -d int under KVM: the guest's own exceptions and software interrupts stay inside KVM;
// what tsvisor hands to KVM (an interrupt, an NMI, an exception TypeScript raised) is
// recorded in the event ring, with the registers KVM reported last.
static void record_injection(uint8_t* buf, const kvm_run* run, uint8_t kind, uint8_t vec, bool has_err, uint32_t err) {
  if (!tsv::event_ring_enabled(buf)) return;
  tsv::EventRecord e{};
  const bool fresh = host().sync_regs != 0;
  e.rip = fresh ? run->s.regs.regs.rip : at<uint64_t>(buf, TSV_OFF_RIP);
  e.rsp = fresh ? run->s.regs.regs.rsp : at<uint64_t>(buf, TSV_OFF_GPR + 8 * TSV_REG_RSP);
  e.cr2 = fresh ? run->s.regs.sregs.cr2 : at<uint64_t>(buf, TSV_OFF_CR2);
  e.cs = fresh ? run->s.regs.sregs.cs.selector : at<uint16_t>(buf, TSV_OFF_SEG + TSV_SEG_CS * TSV_SEG_SIZE + TSV_SEG_OFF_SELECTOR);
  e.ss = fresh ? run->s.regs.sregs.ss.selector : at<uint16_t>(buf, TSV_OFF_SEG + TSV_SEG_SS * TSV_SEG_SIZE + TSV_SEG_OFF_SELECTOR);
  const uint64_t cr0 = fresh ? run->s.regs.sregs.cr0 : at<uint64_t>(buf, TSV_OFF_CR0);
  const uint64_t efer = fresh ? run->s.regs.sregs.efer : at<uint64_t>(buf, TSV_OFF_EFER);
  const uint64_t rflags = fresh ? run->s.regs.regs.rflags : at<uint64_t>(buf, TSV_OFF_RFLAGS);
  e.mode = !(cr0 & 1) ? TSV_EVENT_MODE_REAL
           : (efer & (1u << 10)) ? TSV_EVENT_MODE_LONG
           : (rflags & (1u << 17)) ? TSV_EVENT_MODE_V86
                                   : TSV_EVENT_MODE_PROTECTED;
  e.cpl = e.mode == TSV_EVENT_MODE_REAL ? 0 : e.mode == TSV_EVENT_MODE_V86 ? 3 : (e.cs & 3);
  e.instret = 0;  // KVM does not count instructions
  e.error = has_err ? err : 0;
  e.vector = vec;
  e.kind = kind;
  e.flags = has_err ? TSV_EVENT_FLAG_HAS_ERROR : 0;
  tsv::event_ring_push(buf, e);
}

bool KvmVcpu::inject_events(std::string& error) {
  if (at<uint8_t>(buf_, TSV_OFF_PENDING_EXCEPTION_VALID)) {
    at<uint8_t>(buf_, TSV_OFF_PENDING_EXCEPTION_VALID) = 0;
    kvm_vcpu_events ev;
    if (ioctl(fd_, KVM_GET_VCPU_EVENTS, &ev) < 0) return error = errno_text("KVM_GET_VCPU_EVENTS"), false;
    ev.exception.injected = 1;
    ev.exception.nr = at<uint8_t>(buf_, TSV_OFF_PENDING_EXCEPTION_VECTOR);
    ev.exception.has_error_code = at<uint8_t>(buf_, TSV_OFF_PENDING_EXCEPTION_HAS_ERROR) ? 1 : 0;
    ev.exception.error_code = at<uint32_t>(buf_, TSV_OFF_PENDING_EXCEPTION_ERROR);
    ev.flags = 0;
    if (ioctl(fd_, KVM_SET_VCPU_EVENTS, &ev) < 0) return error = errno_text("KVM_SET_VCPU_EVENTS"), false;
    record_injection(buf_, run_, TSV_EVENT_KIND_EXCEPTION, ev.exception.nr, ev.exception.has_error_code, ev.exception.error_code);
  }
  if (at<uint8_t>(buf_, TSV_OFF_PENDING_NMI)) {
    if (ioctl(fd_, KVM_NMI, 0) < 0) return error = errno_text("KVM_NMI"), false;
    record_injection(buf_, run_, TSV_EVENT_KIND_NMI, 2, false, 0);
    at<uint8_t>(buf_, TSV_OFF_PENDING_NMI) = 0;
  }
  return true;
}

int KvmVcpu::finish_exit(int reason) {
  at<uint32_t>(buf_, TSV_OFF_EXIT_REASON) = (uint32_t)reason;
  at<uint64_t>(buf_, TSV_OFF_SLICE_INSTRUCTIONS) = 0;  // KVM does not count instructions
  // The run loop ends its slice at these; the next run() starts a new one (kvm_progress.h).
  slice_ended_ = reason == TSV_EXIT_SLICE_END || reason == TSV_EXIT_HLT || reason == TSV_EXIT_SHUTDOWN || reason == TSV_EXIT_INTERNAL_ERROR;
  return reason;
}

bool KvmVcpu::fetch_state(bool cold, std::string& error) {
  const HostKvm& h = host();
  if (h.sync_regs) {
    regs_to_buffer(run_->s.regs.regs, buf_);
    sregs_ = run_->s.regs.sregs;
  } else {
    kvm_regs r;
    if (ioctl(fd_, KVM_GET_REGS, &r) < 0) return error = errno_text("KVM_GET_REGS"), false;
    regs_to_buffer(r, buf_);
    if (ioctl(fd_, KVM_GET_SREGS, &sregs_) < 0) return error = errno_text("KVM_GET_SREGS"), false;
  }
  sregs_to_buffer(sregs_, buf_);
  if (cold) {
    kvm_debugregs d;
    if (ioctl(fd_, KVM_GET_DEBUGREGS, &d) == 0) {
      for (int k = 0; k < 4; k++) at<uint64_t>(buf_, TSV_OFF_DR + 8 * k) = d.db[k];
      at<uint64_t>(buf_, TSV_OFF_DR + 8 * 4) = d.dr6;
      at<uint64_t>(buf_, TSV_OFF_DR + 8 * 5) = d.dr7;
    }
    kvm_xcrs x;
    if (ioctl(fd_, KVM_GET_XCRS, &x) == 0)
      for (uint32_t k = 0; k < x.nr_xcrs; k++)
        if (x.xcrs[k].xcr == 0) at<uint64_t>(buf_, TSV_OFF_XCR0) = x.xcrs[k].value;
  }
  std::memcpy(shadow_.data(), buf_, shadow_.size());
  bool if_flag = (at<uint64_t>(buf_, TSV_OFF_RFLAGS) >> 9) & 1;
  at<uint8_t>(buf_, TSV_OFF_IF_FLAG) = if_flag;
  at<uint8_t>(buf_, TSV_OFF_READY_FOR_INJECTION) = run_->ready_for_interrupt_injection && if_flag;
  return true;
}

int KvmVcpu::translate_exit() {
  switch (run_->exit_reason) {
    case KVM_EXIT_IO: {
      auto& io = run_->io;
      if (io.port == kHypercallPort && io.direction == KVM_EXIT_IO_OUT && io.size == 1 && io.count == 1) {
        at<uint32_t>(buf_, TSV_OFF_EXIT_HYPERCALL_KIND) = TSV_HYPERCALL_VMCALL;
        at<uint32_t>(buf_, TSV_OFF_EXIT_HYPERCALL_INSN_LEN) = kHypercallInsnLength;
        return TSV_EXIT_HYPERCALL;
      }
      size_t n = (size_t)io.size * io.count;
      if (n > TSV_IO_DATA_SIZE) return internal_error(TSV_INTERNAL_HOST, "KVM_EXIT_IO: " + std::to_string(n) + " bytes exceed the I/O data area");
      at<uint16_t>(buf_, TSV_OFF_EXIT_IO_PORT) = io.port;
      at<uint8_t>(buf_, TSV_OFF_EXIT_IO_SIZE) = io.size;
      at<uint8_t>(buf_, TSV_OFF_EXIT_IO_DIRECTION) = io.direction == KVM_EXIT_IO_OUT ? TSV_IO_OUT : TSV_IO_IN;
      at<uint32_t>(buf_, TSV_OFF_EXIT_IO_COUNT) = io.count;
      at<uint32_t>(buf_, TSV_OFF_EXIT_IO_DATA_OFFSET) = TSV_OFF_IO_DATA;
      if (io.direction == KVM_EXIT_IO_OUT) std::memcpy(buf_ + TSV_OFF_IO_DATA, reinterpret_cast<uint8_t*>(run_) + io.data_offset, n);
      else pending_ = Pending::IoIn;
      return TSV_EXIT_IO;
    }
    case KVM_EXIT_MMIO: {
      auto& m = run_->mmio;
      at<uint64_t>(buf_, TSV_OFF_EXIT_MMIO_GPA) = m.phys_addr;
      at<uint32_t>(buf_, TSV_OFF_EXIT_MMIO_LEN) = m.len;
      at<uint8_t>(buf_, TSV_OFF_EXIT_MMIO_IS_WRITE) = m.is_write ? 1 : 0;
      std::memset(buf_ + TSV_OFF_EXIT_MMIO_DATA, 0, 16);
      if (m.is_write) std::memcpy(buf_ + TSV_OFF_EXIT_MMIO_DATA, m.data, m.len);
      else pending_ = Pending::MmioRead;
      return TSV_EXIT_MMIO;
    }
    case KVM_EXIT_X86_RDMSR:
    case KVM_EXIT_X86_WRMSR: {
      bool write = run_->exit_reason == KVM_EXIT_X86_WRMSR;
      at<uint32_t>(buf_, TSV_OFF_EXIT_MSR_INDEX) = run_->msr.index;
      at<uint64_t>(buf_, TSV_OFF_EXIT_MSR_DATA) = write ? run_->msr.data : 0;
      pending_ = Pending::Msr;
      return write ? TSV_EXIT_MSR_WRITE : TSV_EXIT_MSR_READ;
    }
    case KVM_EXIT_HLT:
      return TSV_EXIT_HLT;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
      return TSV_EXIT_IRQ_WINDOW_OPEN;
    case KVM_EXIT_INTR:
      at<uint32_t>(buf_, TSV_OFF_EXIT_SLICE_REASON) = at<uint8_t>(buf_, TSV_OFF_IMMEDIATE_EXIT) ? TSV_SLICE_IMMEDIATE_EXIT : TSV_SLICE_DEADLINE;
      return TSV_EXIT_SLICE_END;
    case KVM_EXIT_SHUTDOWN:
      at<uint32_t>(buf_, TSV_OFF_EXIT_SHUTDOWN_REASON) = TSV_SHUTDOWN_TRIPLE_FAULT;
      return TSV_EXIT_SHUTDOWN;
    case KVM_EXIT_DEBUG:
      at<uint64_t>(buf_, TSV_OFF_EXIT_DEBUG_DR6) = run_->debug.arch.dr6;
      return TSV_EXIT_DEBUG;
    case KVM_EXIT_FAIL_ENTRY:
      return internal_error(TSV_INTERNAL_UNSUPPORTED, "KVM_EXIT_FAIL_ENTRY: hardware entry failure reason " +
                                                          hex(run_->fail_entry.hardware_entry_failure_reason));
    case KVM_EXIT_INTERNAL_ERROR: {
      auto& in = run_->internal;
      std::string text = std::string("KVM_EXIT_INTERNAL_ERROR: ") + internal_suberror_name(in.suberror);
      if (in.suberror == KVM_INTERNAL_ERROR_EMULATION && in.ndata >= 1) {
        // struct kvm_emulation_failure over data[]: the flags, then with FLAG_INSTRUCTION_BYTES
        // (ndata >= 3) a byte count and up to 15 instruction bytes
        const auto& f = run_->emulation_failure;
        if ((f.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) && f.ndata >= 3) {
          const uint8_t* bytes = f.insn_bytes;
          unsigned len = f.insn_size < 15 ? f.insn_size : 15;
          text += " (instruction bytes";
          for (unsigned k = 0; k < len; k++) {
            char b[4];
            std::snprintf(b, sizeof b, " %02x", bytes[k]);
            text += b;
          }
          text += ")";
        }
      }
      return internal_error(TSV_INTERNAL_UNSUPPORTED, text);
    }
    case KVM_EXIT_SYSTEM_EVENT:
      if (run_->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN || run_->system_event.type == KVM_SYSTEM_EVENT_RESET) {
        at<uint32_t>(buf_, TSV_OFF_EXIT_SHUTDOWN_REASON) = TSV_SHUTDOWN_TRIPLE_FAULT;
        return TSV_EXIT_SHUTDOWN;
      }
      return internal_error(TSV_INTERNAL_HOST, "KVM_EXIT_SYSTEM_EVENT type " + std::to_string(run_->system_event.type));
    default:
      return internal_error(TSV_INTERNAL_HOST, "unexpected KVM exit reason " + std::to_string(run_->exit_reason));
  }
}

bool KvmVcpu::serve_tsc_msr() {
  // The TSC MSRs the filter keeps from KVM (kvm_vm.cc), answered as the interpreter does
  // (native/cpu/msr.cc): a write of IA32_TSC or a change of IA32_TSC_ADJUST moves this
  // vCPU's tsc_offset, which sync_tsc() hands to KVM before the guest runs again and the
  // machine sees at its next look at the buffer (kvmclock republishes).
  if (run_->msr.reason != KVM_MSR_EXIT_REASON_FILTER) return false;
  const uint32_t index = run_->msr.index;
  const bool write = run_->exit_reason == KVM_EXIT_X86_WRMSR;
  if (index != kMsrTsc && index != kMsrTscAdjust) return false;
  uint64_t& offset = at<uint64_t>(buf_, TSV_OFF_TSC_OFFSET);
  run_->msr.error = 0;
  if (index == kMsrTsc) {
    if (!write) return false;  // reads stay in KVM
    offset += run_->msr.data - virtual_tsc_now();
    return true;
  }
  // IA32_TSC_ADJUST exists where CPUID.7.0:EBX.TSC_ADJUST[bit 1] says so; #GP otherwise.
  bool advertised = false;
  for (const kvm_cpuid_entry2& e : cpuid_applied_)
    if (e.function == 7 && e.index == 0) advertised = (e.ebx >> 1) & 1;
  if (!advertised) {
    run_->msr.error = 1;
  } else if (write) {
    offset += run_->msr.data - tsc_adjust_;
    tsc_adjust_ = run_->msr.data;
  } else {
    run_->msr.data = tsc_adjust_;
  }
  return true;
}

bool KvmVcpu::complete_in_kvm(const char* what, std::string& error) {
  // A KVM_RUN with immediate_exit finishes the exit KVM is waiting on (the OUT of a
  // hypercall, a WRMSR the backend served) without entering the guest, so RIP is past
  // the instruction when TypeScript sees the vCPU, and it may change RAX and RIP freely.
  run_->immediate_exit = 1;
  int r = ioctl(fd_, KVM_RUN, 0);
  int saved = errno;
  run_->immediate_exit = 0;
  if (r < 0 && saved != EINTR) {
    errno = saved;
    return error = errno_text((std::string("KVM_RUN completing ") + what).c_str()), false;
  }
  return true;
}

bool KvmVcpu::set_window_stepping(bool on, std::string& error) {
  // Set again before every step: KVM hides its TF from the guest's RFLAGS only at the RIP where
  // single-stepping was last requested, and switching it off elsewhere would leave TF set (a #DB
  // in the guest after its next instruction).
  // Switching off therefore first asks again here, then clears it.
  if (!on && !window_stepping_) return true;
  kvm_guest_debug d;
  std::memset(&d, 0, sizeof d);
  d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
  if (ioctl(fd_, KVM_SET_GUEST_DEBUG, &d) < 0) return error = errno_text("KVM_SET_GUEST_DEBUG"), false;
  d.control = 0;
  if (!on && ioctl(fd_, KVM_SET_GUEST_DEBUG, &d) < 0) return error = errno_text("KVM_SET_GUEST_DEBUG"), false;
  window_stepping_ = on;
  return true;
}

bool KvmVcpu::next_instruction_is_hlt() {
  // KVM's registers, not the buffer's: steps end inside run() without a fetch_state. Where the
  // answer cannot be had (registers pushed for this entry, an unmapped RIP) it is "yes": that
  // entry is then not stepped, which is always safe.
  uint64_t linear;
  if (host().sync_regs) {
    if (run_->kvm_dirty_regs & (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) return true;
    linear = run_->s.regs.sregs.cs.base + run_->s.regs.regs.rip;
  } else {
    kvm_regs r;
    kvm_sregs sr;
    if (ioctl(fd_, KVM_GET_REGS, &r) < 0 || ioctl(fd_, KVM_GET_SREGS, &sr) < 0) return true;
    linear = sr.cs.base + r.rip;
  }
  kvm_translation t;
  std::memset(&t, 0, sizeof t);
  t.linear_address = linear;
  if (ioctl(fd_, KVM_TRANSLATE, &t) < 0 || !t.valid) return true;
  const uint8_t* b = vm_->host_byte(t.physical_address);
  return b == nullptr || *b == 0xf4;
}

// Steps a run() may single-step towards an interrupt window on a host whose windows come late:
// enough for the guest's STI; NOP; CLI polling loops, few enough that a long stretch with IF=0
// (an interrupt handler) costs little before the emulator's own batch boundary takes over.
constexpr int kWindowSteps = 64;

int KvmVcpu::run() {
  std::string error;
  if (!complete_previous_exit(error) || !apply_cpuid(error) || !push_state(error) || !sync_tsc(error) || !inject_events(error))
    return finish_exit(internal_error(TSV_INTERNAL_HOST, error));
  bool regs_pushed = run_->kvm_dirty_regs != 0;
  progress_.begin_run(at<uint64_t>(buf_, TSV_OFF_RUN_DEADLINE_HOST_NS), slice_ended_);
  const bool step_to_windows = !host().exact_irq_window && host().window_single_step;
  window_steps_left_ = kWindowSteps;
  for (;;) {
    // An interrupt goes in only when the vCPU can take it (KVM injects what it is given
    // unconditionally); otherwise KVM opens an interrupt window for it.
    int32_t& irq = at<int32_t>(buf_, TSV_OFF_PENDING_IRQ);
    if (irq >= 0 && !regs_pushed && run_->ready_for_interrupt_injection && run_->if_flag) {
      kvm_interrupt i{(uint32_t)irq};
      if (ioctl(fd_, KVM_INTERRUPT, &i) < 0) return finish_exit(internal_error(TSV_INTERNAL_HOST, errno_text("KVM_INTERRUPT")));
      record_injection(buf_, run_, TSV_EVENT_KIND_HW_IRQ, (uint8_t)irq, false, 0);
      irq = -1;
    }
    internal_irq_window_ = irq >= 0;
    bool ts_window = at<uint8_t>(buf_, TSV_OFF_REQUEST_IRQ_WINDOW) != 0;
    run_->request_interrupt_window = (ts_window || internal_irq_window_) ? 1 : 0;
    // Where KVM sees a window only at the end of an emulator batch, STI; NOP; CLI would hide it:
    // step the guest one instruction at a time and look after each (probed in kvm_host.cc).
    // Never over a HLT: stepped, PVM's emulator runs past it and halts the vCPU later, inside the
    // interrupt handler; entered normally it exits with KVM_EXIT_HLT, where the machine wakes it.
    bool step = step_to_windows && run_->request_interrupt_window && window_steps_left_ > 0 && !next_instruction_is_hlt();
    if (!set_window_stepping(step, error)) return finish_exit(internal_error(TSV_INTERNAL_HOST, error));

    uint64_t deadline = at<uint64_t>(buf_, TSV_OFF_RUN_DEADLINE_HOST_NS);
    uint64_t kick_at = deadline;
    bool stop_now = at<uint8_t>(buf_, TSV_OFF_IMMEDIATE_EXIT) != 0;
    bool late = false;
    if (!stop_now && deadline != 0 && monotonic_ns() >= deadline) {
      // Past the deadline: stop at once, unless the slice has not run the guest yet
      // (kvm_progress.h: otherwise a slice that starts late never runs guest code).
      kick_at = progress_.late_kick(monotonic_ns());
      late = kick_at != 0;
      stop_now = !late;
    }
    // immediate_exit still lets KVM_RUN finish the previous exit and store the registers.
    run_->immediate_exit = stop_now ? 1 : 0;
    if (!stop_now && kick_at != 0 && !kick_.arm(run_, kick_at, error)) return finish_exit(internal_error(TSV_INTERNAL_HOST, error));
    uint64_t entered = monotonic_ns();
    int r = ioctl(fd_, KVM_RUN, 0);
    int saved = errno;
    // The vCPU's run time (HV_X64_MSR_VP_RUNTIME): what KVM_RUN took, guest code and the exits
    // KVM handled itself, as the interpreter counts the instructions it ran.
    at<uint64_t>(buf_, TSV_OFF_RUN_NS) += monotonic_ns() - entered;
    if (kick_at != 0) kick_.disarm();
    run_->immediate_exit = 0;
    if (!stop_now) progress_.entered(late, r >= 0);
    ran_ = true;
    regs_pushed = false;
    if (r < 0 && saved == EAGAIN) continue;
    if (r < 0 && saved != EINTR) {
      errno = saved;
      return finish_exit(internal_error(TSV_INTERNAL_HOST, errno_text("KVM_RUN")));
    }
    int reason;
    if (r >= 0 && step && run_->exit_reason == KVM_EXIT_DEBUG) {
      window_steps_left_--;
      if (!(run_->if_flag && run_->ready_for_interrupt_injection)) continue;  // not yet: step on
      if (internal_irq_window_ && !ts_window) continue;                       // inject at the top
      // TypeScript asked for the window: it is open now, as KVM_EXIT_IRQ_WINDOW_OPEN says elsewhere.
      run_->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
    }
    if (r < 0) {
      at<uint32_t>(buf_, TSV_OFF_EXIT_SLICE_REASON) = at<uint8_t>(buf_, TSV_OFF_IMMEDIATE_EXIT) ? TSV_SLICE_IMMEDIATE_EXIT : TSV_SLICE_DEADLINE;
      reason = TSV_EXIT_SLICE_END;
    } else {
      if (run_->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN && internal_irq_window_ && !ts_window) continue;  // inject at the top
      // Without an in-kernel APIC, KVM exits when the guest lowers CR8 (both SVM and VMX) so that
      // user space may look for an interrupt the old TPR held back. The interpreter does not exit
      // on MOV to CR8 either: the TypeScript APIC takes the new TPR from the buffer at the next
      // exit or slice end, and KVM re-enters with kvm_run.cr8, which it set to the guest's value.
      if (run_->exit_reason == KVM_EXIT_SET_TPR) continue;
      if ((run_->exit_reason == KVM_EXIT_X86_RDMSR || run_->exit_reason == KVM_EXIT_X86_WRMSR) && serve_tsc_msr()) {
        if (!sync_tsc(error)) return finish_exit(internal_error(TSV_INTERNAL_HOST, error));
        if (run_->exit_reason == KVM_EXIT_X86_RDMSR || run_->msr.error) continue;
        // A guest write of IA32_TSC or IA32_TSC_ADJUST moved the TSC offset: the slice ends
        // after the WRMSR, as on the interpreter (TSV_SLICE_TSC_WRITE), so the machine
        // republishes kvmclock before the guest runs again and can read the old one.
        if (!complete_in_kvm("the TSC write", error)) return finish_exit(internal_error(TSV_INTERNAL_HOST, error));
        at<uint32_t>(buf_, TSV_OFF_EXIT_SLICE_REASON) = TSV_SLICE_TSC_WRITE;
        reason = TSV_EXIT_SLICE_END;
      } else {
        reason = translate_exit();
        // Whether KVM moved RIP past the OUT before exiting depends on the path it took (its
        // fast path does for port 0x7e, its instruction emulator does not): complete it here.
        if (reason == TSV_EXIT_HYPERCALL && !complete_in_kvm("the hypercall port write", error))
          return finish_exit(internal_error(TSV_INTERNAL_HOST, error));
      }
    }
    bool cold = reason != TSV_EXIT_IO && reason != TSV_EXIT_MMIO && reason != TSV_EXIT_MSR_READ && reason != TSV_EXIT_MSR_WRITE &&
                reason != TSV_EXIT_HYPERCALL;
    if (!fetch_state(cold, error)) return finish_exit(internal_error(TSV_INTERNAL_HOST, error));
    if (reason == TSV_EXIT_INTERNAL_ERROR) {
      // the RIP in the record must be the guest's, which fetch_state just read
      uint64_t cs_base = at<uint64_t>(buf_, TSV_OFF_SEG + TSV_SEG_CS * TSV_SEG_SIZE + TSV_SEG_OFF_BASE);
      at<uint64_t>(buf_, TSV_OFF_EXIT_INTERNAL_RIP) = cs_base + at<uint64_t>(buf_, TSV_OFF_RIP);
    }
    return finish_exit(reason);
  }
}

int64_t KvmVcpu::translate(uint64_t linear, bool write, bool user) {
  std::string error;
  // CPUID first: KVM checks EFER and CR4 against it when the state is written
  if (!apply_cpuid(error) || !push_state(error)) return -1;
  if (run_->kvm_dirty_regs) {
    // push_state left the change for KVM_RUN to apply: apply it now through the ioctls
    if ((run_->kvm_dirty_regs & KVM_SYNC_X86_REGS) && ioctl(fd_, KVM_SET_REGS, &run_->s.regs.regs) < 0) return -1;
    if ((run_->kvm_dirty_regs & KVM_SYNC_X86_SREGS) && ioctl(fd_, KVM_SET_SREGS, &run_->s.regs.sregs) < 0) return -1;
    run_->kvm_dirty_regs = 0;
  }
  kvm_translation t;
  std::memset(&t, 0, sizeof t);
  t.linear_address = linear;
  if (ioctl(fd_, KVM_TRANSLATE, &t) < 0 || !t.valid || (write && !t.writeable) || (user && !t.usermode)) return -1;
  return (int64_t)t.physical_address;
}

}  // namespace tsv::kvm
