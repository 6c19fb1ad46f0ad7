// Checks RCPPS/RSQRTPS (native/cpu/insn/sse_fp_approx.h) against the host CPU
// for binary32 inputs: every pattern (no argument), or every fraction at every
// 16th exponent plus all specials (`quick`). x86-64 hosts only; run by
// test/sse-fp/core.test.ts. Exits 1 on any difference.
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "cpu/insn/sse_fp_approx.h"

static void host(const uint32_t in[4], uint32_t rcp[4], uint32_t rsq[4]) {
  asm volatile("movups (%2), %%xmm0\n\trcpps %%xmm0, %%xmm1\n\trsqrtps %%xmm0, %%xmm2\n\t"
               "movups %%xmm1, (%0)\n\tmovups %%xmm2, (%1)"
               : : "r"(rcp), "r"(rsq), "r"(in) : "xmm0", "xmm1", "xmm2", "memory");
}

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "quick") == 0;
  uint64_t bad = 0, checked = 0;
  uint32_t in[4], hr[4], hs[4];
  for (uint64_t base = 0; base < (1ull << 32); base += 4) {
    uint32_t x = (uint32_t)base;
    if (quick) {
      unsigned e = (x >> 23) & 0xff;
      if (e % 16 != 1 && e != 0 && e != 0xff && e != 0xfe && e != 0xfd && e != 0x7f) {
        base += (1ull << 23) - 4;  // skip this exponent
        continue;
      }
    }
    for (int k = 0; k < 4; k++) in[k] = x + k;
    host(in, hr, hs);
    for (int k = 0; k < 4; k++) {
      uint32_t r = tsv::rcp_approx(in[k]), s = tsv::rsqrt_approx(in[k]);
      if (r != hr[k] || s != hs[k]) {
        if (bad < 10)
          std::printf("%08x: host rcp %08x rsqrt %08x, ours %08x %08x\n", in[k], hr[k], hs[k], r, s);
        bad++;
      }
    }
    checked += 4;
  }
  std::printf("%s: %" PRIu64 " inputs, %" PRIu64 " differ\n", bad ? "FAIL" : "ok", checked, bad);
  return bad ? 1 : 0;
}
