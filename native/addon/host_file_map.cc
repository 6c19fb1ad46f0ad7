// POSIX mmap of a file descriptor the TypeScript side opened. The mapping is
// MAP_SHARED so guest stores reach the device (or the fixture file) directly;
// it is unmapped when the ArrayBuffer is collected. Built on Linux and macOS;
// elsewhere the call says it is unavailable.
#include "addon/host_file_map.h"
#include <cerrno>
#include <cstring>
#include <string>
#if defined(__linux__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define TSV_HAVE_FILE_MAP 1
#endif

namespace tsv {

Napi::Value MapHostFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsBoolean())
    throw Napi::TypeError::New(env, "mapHostFile(fd, length, writable): fd and length are numbers, writable a boolean");
  double fd = info[0].As<Napi::Number>().DoubleValue();
  double length = info[1].As<Napi::Number>().DoubleValue();
  bool writable = info[2].As<Napi::Boolean>().Value();
  // Optional file offset (page-aligned): a VFIO device's regions sit at offsets of one descriptor.
  double offset = 0;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsNumber()) throw Napi::TypeError::New(env, "mapHostFile: offset must be a number");
    offset = info[3].As<Napi::Number>().DoubleValue();
    if (!(offset >= 0) || offset != (double)(uint64_t)offset || offset > 9007199254740991.0)
      throw Napi::RangeError::New(env, "mapHostFile: offset must be a non-negative integer");
  }
  if (!(fd >= 0) || fd != (double)(int)fd) throw Napi::RangeError::New(env, "mapHostFile: fd must be a file descriptor");
  if (!(length > 0) || length != (double)(uint64_t)length || length > 281474976710656.0)
    throw Napi::RangeError::New(env, "mapHostFile: length must be a positive integer");
#if defined(TSV_HAVE_FILE_MAP)
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t size = (((size_t)length) + page - 1) / page * page;
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  if ((uint64_t)offset % page != 0) throw Napi::RangeError::New(env, "mapHostFile: offset must be a multiple of the page size");
  void* p = mmap(nullptr, size, prot, MAP_SHARED, (int)fd, (off_t)offset);
  if (p == MAP_FAILED) {
    int e = errno;
    throw Napi::Error::New(env, std::string("mmap failed: ") + std::strerror(e));
  }
  return Napi::ArrayBuffer::New(env, p, size, [](Napi::Env, void* data, size_t* hint) {
    munmap(data, *hint);
    delete hint;
  }, new size_t(size));
#else
  throw Napi::Error::New(env, "mapping host files is not available on this platform (needs POSIX mmap)");
#endif
}

}  // namespace tsv
