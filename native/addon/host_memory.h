// Page-aligned, zero-filled host memory for guest RAM and the vCPU buffers.
#pragma once
#include <cstddef>

namespace tsv {

// Returns nullptr on failure. Sizes are rounded up to whole pages by the caller.
void* host_alloc(size_t size);
void host_free(void* p, size_t size);

}  // namespace tsv
