// The N-API surface of lib/hypervisor/native-types.ts: module exports and the
// Vm / Vcpu wrapper classes around the interp backend. Arguments are checked
// here; the backend below trusts them.
#include <napi.h>
#include <memory>
#include <unordered_map>
#include "addon/host_file_map.h"
#if defined(TSV_HAVE_VFIO)
#include "vfio/vfio_addon.h"
#endif
#include "addon/napi_args.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/vm.h"
#if defined(TSV_HAVE_KVM)
#include "kvm/kvm_addon.h"
#endif

namespace {

using tsv::Cpu;
using tsv::Vm;

class VcpuWrap;

using tsv::napi::number_arg;
using tsv::napi::u32_array_arg;

class VmWrap : public Napi::ObjectWrap<VmWrap> {
 public:
  static Napi::FunctionReference* ctor;
  static Napi::Function Init(Napi::Env env) {
    Napi::Function f = DefineClass(env, "Vm",
                                   {InstanceMethod("allocateMemory", &VmWrap::AllocateMemory),
                                    InstanceMethod("setMemoryRegion", &VmWrap::SetMemoryRegion),
                                    InstanceMethod("setCpuid", &VmWrap::SetCpuid),
                                    InstanceMethod("setMsrExitRanges", &VmWrap::SetMsrExitRanges),
                                    InstanceMethod("createVcpu", &VmWrap::CreateVcpu),
                                    InstanceMethod("invalidateCode", &VmWrap::InvalidateCode),
                                    InstanceMethod("jitStats", &VmWrap::JitStats),
                                    InstanceMethod("destroy", &VmWrap::Destroy)});
    ctor = new Napi::FunctionReference(Napi::Persistent(f));
    return f;
  }

  explicit VmWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VmWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArrayBuffer()) throw Napi::TypeError::New(env, "vmState must be an ArrayBuffer");
    Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
    if (ab.ByteLength() < TSV_VM_BUFFER_SIZE)
      throw Napi::RangeError::New(env, "vmState must be at least TSV_VM_BUFFER_SIZE (" + std::to_string(TSV_VM_BUFFER_SIZE) + ") bytes");
    state_ref_ = Napi::Persistent(ab);
    vm_ = std::make_shared<Vm>(static_cast<uint8_t*>(ab.Data()));
  }

  std::shared_ptr<Vm> vm(Napi::Env env) const {
    if (!vm_) throw Napi::Error::New(env, "this VM was destroyed");
    return vm_;
  }
  // Keeps the vmState buffer alive as long as any vCPU uses the VM.
  Napi::Reference<Napi::ArrayBuffer>& state_ref() { return state_ref_; }

 private:
  Napi::Value AllocateMemory(const Napi::CallbackInfo& info) {
    vm(info.Env());
    return tsv::napi::allocate_guest_memory(info);
  }

  Napi::Value SetMemoryRegion(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto v = vm(env);
    double slot = number_arg(info, 0, "slot");
    double gpa = number_arg(info, 1, "gpa");
    double size = number_arg(info, 2, "size");
    if (slot > 0xffffffffu) throw Napi::RangeError::New(env, "slot out of range");
    uint32_t s = (uint32_t)slot;
    if (info.Length() < 4 || info[3].IsNull() || info[3].IsUndefined()) {
      v->set_region(s, 0, 0, nullptr, 0);
      buffers_.erase(s);
      return env.Undefined();
    }
    if (!info[3].IsArrayBuffer()) throw Napi::TypeError::New(env, "buffer must be an ArrayBuffer or null");
    double offset = number_arg(info, 4, "offset");
    double flags = info.Length() > 5 && !info[5].IsUndefined() ? number_arg(info, 5, "flags") : 0;
    Napi::ArrayBuffer ab = info[3].As<Napi::ArrayBuffer>();
    if (((uint64_t)gpa & 0xfff) || ((uint64_t)size & 0xfff) || ((uint64_t)offset & 0xfff))
      throw Napi::RangeError::New(env, "setMemoryRegion: gpa, size and offset must be multiples of 4096");
    if (offset + size > (double)ab.ByteLength())
      throw Napi::RangeError::New(env, "setMemoryRegion: offset + size is beyond the end of the buffer");
    if ((uint32_t)flags & ~(uint32_t)TSV_MEM_READONLY) throw Napi::RangeError::New(env, "setMemoryRegion: unknown flags");
    try {
      v->set_region(s, (uint64_t)gpa, (uint64_t)size, static_cast<uint8_t*>(ab.Data()) + (uint64_t)offset, (uint32_t)flags);
    } catch (const std::range_error& e) {
      throw Napi::RangeError::New(env, e.what());
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(env, e.what());
    }
    buffers_[s] = Napi::Persistent(ab.As<Napi::Object>());
    return env.Undefined();
  }

  Napi::Value SetCpuid(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto v = vm(env);
    Napi::Uint32Array a = u32_array_arg(info, 0, "entries");
    if (a.ElementLength() % TSV_CPUID_ENTRY_WORDS)
      throw Napi::RangeError::New(env, "setCpuid: length must be a multiple of TSV_CPUID_ENTRY_WORDS");
    v->set_cpuid(a.Data(), a.ElementLength());
    return env.Undefined();
  }

  Napi::Value SetMsrExitRanges(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto v = vm(env);
    Napi::Uint32Array a = u32_array_arg(info, 0, "ranges");
    if (a.ElementLength() % 2) throw Napi::RangeError::New(env, "setMsrExitRanges: pairs of [first, last] expected");
    for (size_t k = 0; k < a.ElementLength(); k += 2)
      if (a[k] > a[k + 1]) throw Napi::RangeError::New(env, "setMsrExitRanges: first > last in a pair");
    v->set_msr_exit_ranges(a.Data(), a.ElementLength());
    return env.Undefined();
  }

  Napi::Value CreateVcpu(const Napi::CallbackInfo& info);

  Napi::Value InvalidateCode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto v = vm(env);
    double gpa = number_arg(info, 0, "gpa");
    double len = number_arg(info, 1, "length");
    v->invalidate_range((uint64_t)gpa, (uint64_t)len);
    return env.Undefined();
  }

  Napi::Value JitStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const tsv::jit::Stats st = tsv::jit::stats(vm(env)->jit_state());
    Napi::Object o = Napi::Object::New(env);
    o.Set("enabled", Napi::Boolean::New(env, st.enabled));
    o.Set("threshold", Napi::Number::New(env, st.threshold));
    o.Set("blocks", Napi::Number::New(env, (double)st.blocks));
    o.Set("runs", Napi::Number::New(env, (double)st.runs));
    o.Set("codeBytes", Napi::Number::New(env, (double)st.code_bytes));
    o.Set("flushes", Napi::Number::New(env, (double)st.flushes));
    return o;
  }

  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    // vCPUs may outlive this call: leave them a VM without memory rather than dangling pointers
    if (vm_) {
      vm_->clear_regions();
      vm_->destroyed = true;
    }
    vm_.reset();
    buffers_.clear();
    return info.Env().Undefined();
  }

  std::shared_ptr<Vm> vm_;
  Napi::Reference<Napi::ArrayBuffer> state_ref_;
  std::unordered_map<uint32_t, Napi::ObjectReference> buffers_;
};
Napi::FunctionReference* VmWrap::ctor = nullptr;

class VcpuWrap : public Napi::ObjectWrap<VcpuWrap> {
 public:
  static Napi::FunctionReference* ctor;
  static Napi::Function Init(Napi::Env env) {
    Napi::Function f = DefineClass(env, "Vcpu",
                                   {InstanceAccessor("state", &VcpuWrap::State, nullptr),
                                    InstanceMethod("run", &VcpuWrap::Run),
                                    InstanceMethod("reset", &VcpuWrap::Reset),
                                    InstanceMethod("translate", &VcpuWrap::Translate),
                                    InstanceMethod("flushTlb", &VcpuWrap::FlushTlb)});
    ctor = new Napi::FunctionReference(Napi::Persistent(f));
    return f;
  }

  explicit VcpuWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VcpuWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsNumber())
      throw Napi::TypeError::New(env, "Vcpu objects are created by vm.createVcpu(id)");
    VmWrap* vw = VmWrap::Unwrap(info[0].As<Napi::Object>());
    vm_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    vm_ = vw->vm(env);
    int id = info[1].As<Napi::Number>().Int32Value();
    buf_ = static_cast<uint8_t*>(tsv::host_alloc(TSV_VCPU_BUFFER_SIZE));
    if (!buf_) throw Napi::Error::New(env, "createVcpu: out of host memory");
    try {
      cpu_ = new Cpu(vm_.get(), id);
    } catch (const std::bad_alloc&) {
      tsv::host_free(buf_, TSV_VCPU_BUFFER_SIZE);
      throw Napi::Error::New(env, "createVcpu: out of host memory");
    }
    cpu_->buf = buf_;
    vm_->attach(cpu_);
    cpu_->reset();
    // the buffer outlives this object while TypeScript holds views of it
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, buf_, TSV_VCPU_BUFFER_SIZE, [](Napi::Env, void* data) {
      tsv::host_free(data, TSV_VCPU_BUFFER_SIZE);
    });
    state_ = Napi::Persistent(ab);
  }

  ~VcpuWrap() override {
    if (cpu_) {
      vm_->detach(cpu_);
      delete cpu_;
    }
  }

 private:
  Napi::Value State(const Napi::CallbackInfo& info) { return state_.Value(); }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    if (vm_->destroyed) throw Napi::Error::New(info.Env(), "run: the VM of this vCPU was destroyed");
    int r;
    try {
      r = tsv::run(*cpu_);
    } catch (const std::exception& e) {  // host-side failure (e.g. out of memory): a clean JS error
      throw Napi::Error::New(info.Env(), std::string("run: host failure: ") + e.what());
    }
    return Napi::Number::New(info.Env(), r);
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    cpu_->reset();
    return info.Env().Undefined();
  }

  // Drops this vCPU's translations, global pages included (a PV TLB flush asked for by another vCPU).
  Napi::Value FlushTlb(const Napi::CallbackInfo& info) {
    cpu_->flush_tlb(true);
    return info.Env().Undefined();
  }

  Napi::Value Translate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double lin = number_arg(info, 0, "linear");
    bool write = info.Length() > 1 && info[1].ToBoolean();
    bool user = info.Length() > 2 && info[2].ToBoolean();
    cpu_->load_from_buffer();
    uint64_t l = (uint64_t)lin;
    if ((cpu_->efer & tsv::EFER_LMA) && !tsv::canonical(*cpu_, l)) return Napi::Number::New(env, -1);
    tsv::WalkResult r;
    uint32_t err;
    if (!tsv::walk(*cpu_, l & cpu_->lin_mask, write ? tsv::ACC_WRITE : tsv::ACC_READ, user, false, r, err))
      return Napi::Number::New(env, -1);
    return Napi::Number::New(env, (double)r.phys);
  }

  std::shared_ptr<Vm> vm_;
  Napi::ObjectReference vm_ref_;
  Napi::Reference<Napi::ArrayBuffer> state_;
  uint8_t* buf_ = nullptr;
  Cpu* cpu_ = nullptr;
};
Napi::FunctionReference* VcpuWrap::ctor = nullptr;

Napi::Value VmWrap::CreateVcpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  vm(env);
  double id = number_arg(info, 0, "id");
  if (id > 4095) throw Napi::RangeError::New(env, "createVcpu: id must be below 4096");
  return VcpuWrap::ctor->New({Value(), Napi::Number::New(env, id)});
}

Napi::Value Backends(const Napi::CallbackInfo& info) {
  Napi::Array a = Napi::Array::New(info.Env());
  a.Set(0u, Napi::String::New(info.Env(), "interp"));
#if defined(TSV_HAVE_KVM)
  a.Set(1u, Napi::String::New(info.Env(), "kvm"));
#endif
  return a;
}

Napi::Value HostMonotonicNs(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), (uint64_t)tsv::host_monotonic_ns());
}

Napi::Value CreateVm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "accel must be a string");
  std::string accel = info[0].As<Napi::String>().Utf8Value();
  if (accel != "interp" && accel != "tcg" && accel != "kvm")
    throw Napi::TypeError::New(env, "unknown accel '" + accel + "' (expected 'interp', 'tcg' or 'kvm')");
  if (info.Length() < 2 || !info[1].IsArrayBuffer()) throw Napi::TypeError::New(env, "vmState must be an ArrayBuffer");
#if defined(TSV_HAVE_KVM)
  if (accel == "kvm") return tsv::kvm::create_vm_object(env, info[1]);
#else
  if (accel == "kvm") throw Napi::Error::New(env, "the KVM backend is only built on Linux");
#endif
  return VmWrap::ctor->New({info[1]});
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, TSV_ABI_VERSION));
  exports.Set("backends", Napi::Function::New(env, Backends, "backends"));
  exports.Set("hostMonotonicNs", Napi::Function::New(env, HostMonotonicNs, "hostMonotonicNs"));
  exports.Set("createVm", Napi::Function::New(env, CreateVm, "createVm"));
  exports.Set("mapHostFile", Napi::Function::New(env, tsv::MapHostFile, "mapHostFile"));
  VmWrap::Init(env);
  VcpuWrap::Init(env);
#if defined(TSV_HAVE_KVM)
  tsv::kvm::init_addon_classes(env);
  exports.Set("kvmProbe", Napi::Function::New(env, tsv::kvm::probe, "kvmProbe"));
  exports.Set("kvmHostTraits", Napi::Function::New(env, tsv::kvm::host_traits, "kvmHostTraits"));
#endif
#if defined(TSV_HAVE_VFIO)
  tsv::vfio::register_exports(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(tsvisor, InitModule)
