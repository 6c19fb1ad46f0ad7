// mapHostFile(fd, length, writable, offset = 0): a file (a host PCI BAR's sysfs resourceN,
// or a regular file standing in for one) mapped shared into this process, as
// an ArrayBuffer that a memory region can point guest-physical pages at.
#pragma once
#include <napi.h>

namespace tsv {

Napi::Value MapHostFile(const Napi::CallbackInfo& info);

}  // namespace tsv
