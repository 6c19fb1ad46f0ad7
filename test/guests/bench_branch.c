/*
 * bench_branch: a branchy integer loop for `npm run bench`. Two conditional
 * branches per iteration go either way at random (bits of a 64-bit LCG), so
 * the loop runs through many short decoded blocks and unpredictable jumps.
 * Command line: iters=N (default 10^7). One iteration is exactly 14
 * instructions whichever way the branches go.
 */
#include "guest.h"

#define INSNS_PER_ITER 14

int main(void)
{
    u64 iters = cmdline_u64("iters", 10000000ull);
    printf("bench_branch: iterations: %lu\n", iters);
    printf("insns-per-iter: %u\n", INSNS_PER_ITER);
    if (!iters)
        return report(0, "iters must be > 0");

    u64 n = iters, x = 1, a = 0, b = 0, t;
    const u64 mul = 6364136223846793005ull;
    u64 t0 = rdtsc();
    asm volatile("1:\n\t"
                 "imul %[m], %[x]\n\t"
                 "add $12345, %[x]\n\t"
                 "mov %[x], %[t]\n\t"
                 "shr $33, %[t]\n\t"
                 "test $1, %[t]\n\t"
                 "jz 2f\n\t"
                 "add %[t], %[a]\n\t"
                 "jmp 3f\n"
                 "2:\n\t"
                 "sub %[t], %[a]\n\t"
                 "xor $5, %[b]\n"
                 "3:\n\t"
                 "test $2, %[t]\n\t"
                 "jz 4f\n\t"
                 "inc %[b]\n\t"
                 "jmp 5f\n"
                 "4:\n\t"
                 "dec %[b]\n\t"
                 "rol $1, %[a]\n"
                 "5:\n\t"
                 "dec %[n]\n\t"
                 "jnz 1b"
                 : [n] "+r"(n), [x] "+r"(x), [a] "+r"(a), [b] "+r"(b), [t] "=&r"(t) : [m] "r"(mul) : "cc");
    u64 t1 = rdtsc();
    printf("checksum: 0x%lx\n", a ^ (b << 32) ^ x);
    printf("tsc-delta: %lu\n", t1 - t0);
    report(n == 0, "bench_branch ran %lu iterations", iters);
    return 0;
}
