// The N-API face of the kvm backend: the same Vm / Vcpu methods the
// interpreter's classes in native/addon/addon.cc offer (native-types.ts).
#pragma once
#include <napi.h>

namespace tsv::kvm {

// Registers the KvmVm / KvmVcpu classes; called once from the module init.
void init_addon_classes(Napi::Env env);
// createVm('kvm', vmState): throws a JS Error naming the reason when KVM is unusable.
Napi::Value create_vm_object(Napi::Env env, Napi::Value vm_state);
// null when the kvm backend can run on this host, otherwise the reason (one line).
Napi::Value probe(const Napi::CallbackInfo& info);
// What the probe found about how this /dev/kvm runs guests (HostKvm): tscOffsetApplies, exactIrqWindow, windowSingleStep.
Napi::Value host_traits(const Napi::CallbackInfo& info);

}  // namespace tsv::kvm
