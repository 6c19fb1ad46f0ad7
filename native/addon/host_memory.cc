// Guest RAM comes from mmap on POSIX (lazily zero-filled by the kernel) and
// from an aligned allocation elsewhere.
#include "addon/host_memory.h"
#include <cstdlib>
#include <cstring>
#if defined(_WIN32)
#include <malloc.h>
#else
#include <sys/mman.h>
#endif

namespace tsv {

void* host_alloc(size_t size) {
#if defined(_WIN32)
  void* p = _aligned_malloc(size, 4096);
  if (p) std::memset(p, 0, size);
  return p;
#else
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
#endif
}

void host_free(void* p, size_t size) {
  if (!p) return;
#if defined(_WIN32)
  (void)size;
  _aligned_free(p);
#else
  munmap(p, size);
#endif
}

}  // namespace tsv
