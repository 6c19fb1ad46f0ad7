/*
 * bench_alu: a register-only integer loop for `npm run bench`.
 * Command line: iters=N (default 10^8). One iteration is exactly 10
 * instructions (add, xor, sub, shl, add, shr, xor, inc, dec, jnz).
 */
#include "guest.h"

#define INSNS_PER_ITER 10

int main(void)
{
    u64 iters = cmdline_u64("iters", 100000000ull);
    printf("bench_alu: iterations: %lu\n", iters);
    printf("insns-per-iter: %u\n", INSNS_PER_ITER);
    if (!iters)
        return report(0, "iters must be > 0");

    u64 n = iters, a = 1, b = 2, c = 3, d = 4;
    u64 t0 = rdtsc();
    asm volatile("1:\n\t"
                 "add %1, %2\n\t"
                 "xor %2, %3\n\t"
                 "sub %3, %4\n\t"
                 "shl $3, %1\n\t"
                 "add %4, %1\n\t"
                 "shr $1, %3\n\t"
                 "xor %1, %4\n\t"
                 "inc %2\n\t"
                 "dec %0\n\t"
                 "jnz 1b"
                 : "+c"(n), "+r"(a), "+r"(b), "+r"(c), "+r"(d) :: "cc");
    u64 t1 = rdtsc();
    printf("checksum: 0x%lx\n", a ^ b ^ c ^ d);
    printf("tsc-delta: %lu\n", t1 - t0);
    report(n == 0, "bench_alu ran %lu iterations", iters);
    return 0;
}
