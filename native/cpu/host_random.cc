// Host entropy for RDRAND/RDSEED: one system call per 256 bytes, handed out in
// 2/4/8-byte pieces. Each byte is given out once.
#include "cpu/host_random.h"
#include <cstdint>
#include <cstring>
#if defined(_WIN32)
#define _CRT_RAND_S
#include <stdlib.h>
#else
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/random.h>
#endif
#endif

namespace tsv {
namespace {

constexpr size_t kBatch = 256;  // getentropy's largest request

bool fill(uint8_t* buf) {
#if defined(_WIN32)
  for (size_t k = 0; k < kBatch; k += 4) {
    unsigned int v;
    if (rand_s(&v) != 0) return false;
    std::memcpy(buf + k, &v, 4);
  }
  return true;
#else
  return getentropy(buf, kBatch) == 0;
#endif
}

// vCPUs of one addon run on the thread that calls run(); a pool per thread needs no lock
thread_local uint8_t pool[kBatch];
thread_local size_t pool_left = 0;

}  // namespace

bool host_random(void* out, size_t n) {
  if (pool_left < n) {
    if (!fill(pool)) return false;
    pool_left = kBatch;
  }
  pool_left -= n;
  std::memcpy(out, pool + pool_left, n);
  std::memset(pool + pool_left, 0, n);  // given out once: wipe it
  return true;
}

}  // namespace tsv
