/*
 * bench_sse: an SSE/SSE2 floating-point loop for `npm run bench`.
 * Command line: iters=N (default 10^7). One iteration is exactly 10
 * instructions (mulps, addps, subps, maxps, sqrtps, mulpd, addpd, divsd,
 * dec, jnz) on values that stay normal and near 1, as real code's do; the
 * final lanes are printed, so a wrong result shows.
 */
#include "guest.h"

#define INSNS_PER_ITER 10
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_MP (1ull << 1)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

/* 0.999f x4, 0.001f x4, 0.0005f x4, 0.25f x4, 0.999 x2, 0.001 x2, 1.0000001 */
static const u32 k_ps[16] __attribute__((aligned(16))) = {
    0x3f7fbe77, 0x3f7fbe77, 0x3f7fbe77, 0x3f7fbe77, 0x3a83126f, 0x3a83126f, 0x3a83126f, 0x3a83126f,
    0x3a03126f, 0x3a03126f, 0x3a03126f, 0x3a03126f, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000,
};
static const u64 k_pd[5] __attribute__((aligned(16))) = {
    0x3feff7ced916872bull, 0x3feff7ced916872bull, 0x3f50624dd2f1a9fcull, 0x3f50624dd2f1a9fcull,
    0x3ff000001ad7f29bull,
};
static u64 out[4] __attribute__((aligned(16)));

int main(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    u64 iters = cmdline_u64("iters", 10000000ull);
    printf("bench_sse: iterations: %lu\n", iters);
    printf("insns-per-iter: %u\n", INSNS_PER_ITER);
    if (!iters)
        return report(0, "iters must be > 0");

    u64 n = iters;
    u64 t0 = rdtsc();
    /* xmm0: float lanes, xmm5: double lanes; xmm1-4 and xmm6-8 constants */
    asm volatile("movaps 0(%1), %%xmm1\n\tmovaps 16(%1), %%xmm2\n\tmovaps 32(%1), %%xmm3\n\t"
                 "movaps 48(%1), %%xmm4\n\tmovaps %%xmm1, %%xmm0\n\t"
                 "movapd 0(%2), %%xmm6\n\tmovapd 16(%2), %%xmm7\n\tmovsd 32(%2), %%xmm8\n\t"
                 "movapd %%xmm6, %%xmm5\n\t"
                 "1:\n\t"
                 "mulps %%xmm1, %%xmm0\n\t"
                 "addps %%xmm2, %%xmm0\n\t"
                 "subps %%xmm3, %%xmm0\n\t"
                 "maxps %%xmm4, %%xmm0\n\t"
                 "sqrtps %%xmm0, %%xmm0\n\t"
                 "mulpd %%xmm6, %%xmm5\n\t"
                 "addpd %%xmm7, %%xmm5\n\t"
                 "divsd %%xmm8, %%xmm5\n\t"
                 "dec %0\n\t"
                 "jnz 1b\n\t"
                 "movaps %%xmm0, 0(%3)\n\tmovapd %%xmm5, 16(%3)"
                 : "+c"(n) : "r"(k_ps), "r"(k_pd), "r"(out) : "cc", "memory");
    u64 t1 = rdtsc();
    printf("lanes: %016lx %016lx %016lx %016lx\n", out[0], out[1], out[2], out[3]);
    printf("tsc-delta: %lu\n", t1 - t0);
    report(n == 0, "bench_sse ran %lu iterations", iters);
    return 0;
}
