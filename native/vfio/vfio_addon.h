// The VFIO helpers of the addon (Linux only), as one object `vfio` on the
// addon's exports: container, group and device descriptors and their ioctls
// (linux/vfio.h), eventfds, and a libuv watch of an eventfd that calls back
// on the JavaScript thread. The TypeScript side (lib/devices/pci/assigned/vfio-*)
// decides what to ask and words every refusal; errors thrown here carry the
// errno's name in `code` (EACCES, EBUSY, ...) and the ioctl in the message.
#pragma once
#include <napi.h>

namespace tsv::vfio {

// exports.vfio = { containerOpen, groupOpen, ..., createEventfd, watchEventfd }
void register_exports(Napi::Env env, Napi::Object exports);

// Throws an Error whose message is `what: strerror(err)` and whose code is the errno name.
[[noreturn]] void throw_errno(Napi::Env env, const char* what, int err);

Napi::Value create_eventfd(const Napi::CallbackInfo& info);
Napi::Value watch_eventfd(const Napi::CallbackInfo& info);

}  // namespace tsv::vfio
