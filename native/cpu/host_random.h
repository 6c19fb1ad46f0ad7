// Random bytes from the host's operating system, for RDRAND/RDSEED.
#pragma once
#include <cstddef>

// Internal to the addon: hidden symbols make calls between the backend's files direct (no PLT).
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace tsv {

// Fills out with n <= 8 bytes from the host's cryptographic random source (getentropy, which
// Linux serves from getrandom(2); rand_s on Windows), drawn in batches. False when the host
// has none to give: the instruction then reports "no random value" (CF = 0), as a CPU whose
// generator is exhausted does.
bool host_random(void* out, size_t n);

}  // namespace tsv
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
