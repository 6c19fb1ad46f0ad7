// KvmVmWrap / KvmVcpuWrap: argument checks at the JS edge, then the backend.
#include "kvm/kvm_addon.h"
#include <memory>
#include <unordered_map>
#include "addon/napi_args.h"
#include "kvm/kvm_host.h"
#include "kvm/kvm_vcpu.h"
#include "kvm/kvm_vm.h"
#include "tsvisor_abi.h"

namespace tsv::kvm {

namespace {

using tsv::napi::number_arg;
using tsv::napi::u32_array_arg;

class KvmVmWrap : public Napi::ObjectWrap<KvmVmWrap> {
 public:
  static Napi::FunctionReference* ctor;
  static void Init(Napi::Env env) {
    Napi::Function f = DefineClass(env, "KvmVm",
                                   {InstanceMethod("allocateMemory", &KvmVmWrap::AllocateMemory),
                                    InstanceMethod("setMemoryRegion", &KvmVmWrap::SetMemoryRegion),
                                    InstanceMethod("setCpuid", &KvmVmWrap::SetCpuid),
                                    InstanceMethod("setMsrExitRanges", &KvmVmWrap::SetMsrExitRanges),
                                    InstanceMethod("createVcpu", &KvmVmWrap::CreateVcpu),
                                    InstanceMethod("invalidateCode", &KvmVmWrap::InvalidateCode),
                                    InstanceMethod("tscKhz", &KvmVmWrap::TscKhz),
                                    InstanceMethod("destroy", &KvmVmWrap::Destroy)});
    ctor = new Napi::FunctionReference(Napi::Persistent(f));
  }

  explicit KvmVmWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<KvmVmWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArrayBuffer()) throw Napi::TypeError::New(env, "vmState must be an ArrayBuffer");
    Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
    if (ab.ByteLength() < TSV_VM_BUFFER_SIZE) throw Napi::RangeError::New(env, "vmState must be at least TSV_VM_BUFFER_SIZE bytes");
    state_ref_ = Napi::Persistent(ab);
    try {
      vm_ = std::make_shared<KvmVm>(static_cast<uint8_t*>(ab.Data()));
    } catch (const KvmError& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

  std::shared_ptr<KvmVm> vm(Napi::Env env) const {
    if (!vm_) throw Napi::Error::New(env, "this VM was destroyed");
    return vm_;
  }

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
    try {
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
      if (offset + size > (double)ab.ByteLength()) throw Napi::RangeError::New(env, "setMemoryRegion: offset + size is beyond the end of the buffer");
      if ((uint32_t)flags & ~(uint32_t)TSV_MEM_READONLY) throw Napi::RangeError::New(env, "setMemoryRegion: unknown flags");
      v->set_region(s, (uint64_t)gpa, (uint64_t)size, static_cast<uint8_t*>(ab.Data()) + (uint64_t)offset, (uint32_t)flags);
      buffers_[s] = Napi::Persistent(ab.As<Napi::Object>());
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(env, e.what());
    } catch (const KvmError& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  Napi::Value SetCpuid(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto v = vm(env);
    Napi::Uint32Array a = u32_array_arg(info, 0, "entries");
    if (a.ElementLength() % TSV_CPUID_ENTRY_WORDS) throw Napi::RangeError::New(env, "setCpuid: length must be a multiple of TSV_CPUID_ENTRY_WORDS");
    try {
      v->set_cpuid(a.Data(), a.ElementLength());
    } catch (const KvmError& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  Napi::Value SetMsrExitRanges(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto v = vm(env);
    Napi::Uint32Array a = u32_array_arg(info, 0, "ranges");
    if (a.ElementLength() % 2) throw Napi::RangeError::New(env, "setMsrExitRanges: pairs of [first, last] expected");
    for (size_t k = 0; k < a.ElementLength(); k += 2)
      if (a[k] > a[k + 1]) throw Napi::RangeError::New(env, "setMsrExitRanges: first > last in a pair");
    try {
      v->set_msr_exit_ranges(a.Data(), a.ElementLength());
    } catch (const KvmError& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  Napi::Value CreateVcpu(const Napi::CallbackInfo& info);

  // KVM runs guest code from RAM directly: there is no decoded-code cache to drop.
  Napi::Value InvalidateCode(const Napi::CallbackInfo& info) {
    vm(info.Env());
    number_arg(info, 0, "gpa");
    number_arg(info, 1, "length");
    return info.Env().Undefined();
  }

  Napi::Value TscKhz(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)vm(info.Env())->guest_tsc_khz()); }

  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    if (vm_) {
      try {
        vm_->clear_regions();
      } catch (const std::exception&) {
        // the VM fd goes away with the last reference anyway
      }
      vm_->destroyed = true;
    }
    vm_.reset();
    buffers_.clear();
    return info.Env().Undefined();
  }

  std::shared_ptr<KvmVm> vm_;
  Napi::Reference<Napi::ArrayBuffer> state_ref_;
  std::unordered_map<uint32_t, Napi::ObjectReference> buffers_;
};
Napi::FunctionReference* KvmVmWrap::ctor = nullptr;

class KvmVcpuWrap : public Napi::ObjectWrap<KvmVcpuWrap> {
 public:
  static Napi::FunctionReference* ctor;
  static void Init(Napi::Env env) {
    Napi::Function f = DefineClass(env, "KvmVcpu",
                                   {InstanceAccessor("state", &KvmVcpuWrap::State, nullptr), InstanceMethod("run", &KvmVcpuWrap::Run),
                                    InstanceMethod("reset", &KvmVcpuWrap::Reset), InstanceMethod("translate", &KvmVcpuWrap::Translate)});
    ctor = new Napi::FunctionReference(Napi::Persistent(f));
  }

  explicit KvmVcpuWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<KvmVcpuWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsNumber())
      throw Napi::TypeError::New(env, "Vcpu objects are created by vm.createVcpu(id)");
    KvmVmWrap* vw = KvmVmWrap::Unwrap(info[0].As<Napi::Object>());
    vm_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    vm_ = vw->vm(env);
    int id = info[1].As<Napi::Number>().Int32Value();
    buf_ = static_cast<uint8_t*>(tsv::host_alloc(TSV_VCPU_BUFFER_SIZE));
    if (!buf_) throw Napi::Error::New(env, "createVcpu: out of host memory");
    try {
      cpu_ = new KvmVcpu(vm_, id, buf_);
    } catch (const KvmError& e) {
      tsv::host_free(buf_, TSV_VCPU_BUFFER_SIZE);
      throw Napi::Error::New(env, std::string("createVcpu: ") + e.what());
    }
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, buf_, TSV_VCPU_BUFFER_SIZE, [](Napi::Env, void* data) {
      tsv::host_free(data, TSV_VCPU_BUFFER_SIZE);
    });
    state_ = Napi::Persistent(ab);
  }

  ~KvmVcpuWrap() override { delete cpu_; }

 private:
  Napi::Value State(const Napi::CallbackInfo& info) { return state_.Value(); }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    if (vm_->destroyed) throw Napi::Error::New(info.Env(), "run: the VM of this vCPU was destroyed");
    return Napi::Number::New(info.Env(), cpu_->run());
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    cpu_->reset();
    return info.Env().Undefined();
  }

  Napi::Value Translate(const Napi::CallbackInfo& info) {
    double lin = number_arg(info, 0, "linear");
    bool write = info.Length() > 1 && info[1].ToBoolean();
    bool user = info.Length() > 2 && info[2].ToBoolean();
    return Napi::Number::New(info.Env(), (double)cpu_->translate((uint64_t)lin, write, user));
  }

  std::shared_ptr<KvmVm> vm_;
  Napi::ObjectReference vm_ref_;
  Napi::Reference<Napi::ArrayBuffer> state_;
  uint8_t* buf_ = nullptr;
  KvmVcpu* cpu_ = nullptr;
};
Napi::FunctionReference* KvmVcpuWrap::ctor = nullptr;

Napi::Value KvmVmWrap::CreateVcpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  vm(env);
  double id = number_arg(info, 0, "id");
  if (id > 4095) throw Napi::RangeError::New(env, "createVcpu: id must be below 4096");
  return KvmVcpuWrap::ctor->New({Value(), Napi::Number::New(env, id)});
}

}  // namespace

void init_addon_classes(Napi::Env env) {
  KvmVmWrap::Init(env);
  KvmVcpuWrap::Init(env);
}

Napi::Value create_vm_object(Napi::Env env, Napi::Value vm_state) { return KvmVmWrap::ctor->New({vm_state}); }

Napi::Value host_traits(const Napi::CallbackInfo& info) {
  const HostKvm& h = host();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("tscOffsetApplies", Napi::Boolean::New(info.Env(), h.tsc_offset_applies));
  o.Set("exactIrqWindow", Napi::Boolean::New(info.Env(), h.exact_irq_window));
  o.Set("windowSingleStep", Napi::Boolean::New(info.Env(), h.window_single_step));
  return o;
}

Napi::Value probe(const Napi::CallbackInfo& info) {
  const HostKvm& h = host();
  if (h.unusable.empty()) return info.Env().Null();
  return Napi::String::New(info.Env(), h.unusable);
}

}  // namespace tsv::kvm
