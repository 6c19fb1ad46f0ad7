// The JS-edge helpers both backends' N-API wrappers share: argument checks
// with one-line TypeError/RangeError messages, and guest-RAM allocation.
#pragma once
#include <napi.h>
#include <cstdint>
#include <string>
#include "addon/host_memory.h"

namespace tsv::napi {

// A non-negative integer number argument (up to 2^53 - 1).
inline double number_arg(const Napi::CallbackInfo& info, size_t k, const char* what) {
  if (info.Length() <= k || !info[k].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  double v = info[k].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v != (double)(uint64_t)v || v > 9007199254740991.0)
    throw Napi::RangeError::New(info.Env(), std::string(what) + " must be a non-negative integer");
  return v;
}

inline Napi::Uint32Array u32_array_arg(const Napi::CallbackInfo& info, size_t k, const char* what) {
  if (info.Length() <= k || !info[k].IsTypedArray() || info[k].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Uint32Array");
  return info[k].As<Napi::Uint32Array>();
}

// vm.allocateMemory(size): page-rounded, zero-filled host memory as an external ArrayBuffer
// that frees itself when JavaScript drops it.
inline Napi::Value allocate_guest_memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double sz = number_arg(info, 0, "size");
  if (sz == 0) throw Napi::RangeError::New(env, "allocateMemory: size must be positive");
  size_t size = ((size_t)sz + 4095) & ~(size_t)4095;
  void* p = host_alloc(size);
  if (!p) throw Napi::Error::New(env, "allocateMemory: out of host memory (" + std::to_string(size) + " bytes)");
  return Napi::ArrayBuffer::New(env, p, size, [](Napi::Env, void* data, size_t* hint) {
    host_free(data, *hint);
    delete hint;
  }, new size_t(size));
}

}  // namespace tsv::napi
