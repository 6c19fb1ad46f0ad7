/*
 * bench_string: string instructions without REP for `npm run bench` (MOVSQ,
 * LODSQ, STOSQ, CMPSB, SCASB per iteration, RSI/RDI reset to a buffer each
 * time). Command line: iters=N (default 10^7). One iteration is exactly 9
 * instructions; the buffer's final contents give the checksum.
 */
#include "guest.h"

#define INSNS_PER_ITER 9

static u64 src[4] = {0x0123456789abcdefull, 0xfedcba9876543210ull, 0x1111111111111111ull, 0x2222222222222222ull};
static u64 dst[4];

int main(void)
{
    u64 iters = cmdline_u64("iters", 10000000ull);
    printf("bench_string: iterations: %lu\n", iters);
    printf("insns-per-iter: %u\n", INSNS_PER_ITER);
    if (!iters)
        return report(0, "iters must be > 0");

    u64 n = iters, acc = 0, s, d;
    u64 t0 = rdtsc();
    asm volatile("cld\n"
                 "1:\n\t"
                 "mov %[src], %%rsi\n\t"
                 "mov %[dst], %%rdi\n\t"
                 "movsq\n\t"    /* dst[0] = src[0] */
                 "lodsq\n\t"    /* rax = src[1] */
                 "stosq\n\t"    /* dst[1] = rax */
                 "cmpsb\n\t"    /* src[2] byte vs dst[2] byte */
                 "scasb\n\t"    /* al vs dst[2] byte 1 */
                 "dec %[n]\n\t"
                 "jnz 1b"
                 : [n] "+c"(n), "+a"(acc), "=&S"(s), "=&D"(d)
                 : [src] "r"(src), [dst] "r"(dst)
                 : "cc", "memory");
    u64 t1 = rdtsc();
    printf("checksum: 0x%lx\n", dst[0] ^ dst[1] ^ acc);
    printf("tsc-delta: %lu\n", t1 - t0);
    report(n == 0 && dst[0] == src[0] && dst[1] == src[1], "bench_string ran %lu iterations and copied the buffer", iters);
    return 0;
}
