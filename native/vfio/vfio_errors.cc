// Errors of the VFIO helpers: the errno's name in `code`, so TypeScript can
// tell "no permission" from "busy" without parsing text.
#include "vfio/vfio_addon.h"
#include <cerrno>
#include <cstring>
#include <string>

namespace tsv::vfio {

static const char* errno_name(int err) {
  switch (err) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case ENOTTY: return "ENOTTY";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EEXIST: return "EEXIST";
    case ENXIO: return "ENXIO";
    case EIO: return "EIO";
    default: return nullptr;
  }
}

void throw_errno(Napi::Env env, const char* what, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + std::strerror(err));
  const char* name = errno_name(err);
  e.Set("code", Napi::String::New(env, name ? name : ("E" + std::to_string(err)).c_str()));
  e.Set("errno", Napi::Number::New(env, err));
  throw e;
}

}  // namespace tsv::vfio
