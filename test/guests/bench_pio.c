/*
 * bench_pio: OUT to port 0x80 in a loop, for `npm run bench` (every OUT is
 * an exit to the machine). Command line: iters=N (default 10^6). One
 * iteration is exactly 3 instructions (out, dec, jnz).
 */
#include "guest.h"

#define INSNS_PER_ITER 3

int main(void)
{
    u64 iters = cmdline_u64("iters", 1000000ull);
    printf("bench_pio: iterations: %lu\n", iters);
    printf("insns-per-iter: %u\n", INSNS_PER_ITER);
    if (!iters)
        return report(0, "iters must be > 0");

    u64 n = iters;
    u64 t0 = rdtsc();
    asm volatile("1:\n\t"
                 "outb %%al, $0x80\n\t"
                 "dec %0\n\t"
                 "jnz 1b"
                 : "+c"(n) : "a"(0x42) : "cc");
    u64 t1 = rdtsc();
    printf("tsc-delta: %lu\n", t1 - t0);
    report(n == 0, "bench_pio ran %lu iterations", iters);
    return 0;
}
