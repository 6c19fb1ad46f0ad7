/*
 * bench_x87: an x87 arithmetic loop for `npm run bench`.
 * Command line: iters=N (default 10^7). One iteration is exactly 10
 * instructions: FADD, FMUL, FSUB, FDIV, FADD, FSUB, FMUL, FDIV between stack
 * registers, DEC, JNZ (the accumulator stays finite, near 1 + 1e-7 * N).
 */
#include "guest.h"

#define INSNS_PER_ITER 10

int main(void)
{
    u64 iters = cmdline_u64("iters", 10000000ull);
    printf("bench_x87: iterations: %lu\n", iters);
    printf("insns-per-iter: %u\n", INSNS_PER_ITER);
    if (!iters)
        return report(0, "iters must be > 0");
    write_cr0(read_cr0() & ~((1ull << 2) | (1ull << 3)));  /* CR0.EM and TS clear */

    u64 n = iters;
    struct { u64 m; u16 se; } __attribute__((packed)) out;
    static const double k1 = 1.0000001, k2 = 0.9999999;
    u64 t0 = rdtsc();
    asm volatile("fninit\n\t"
                 "fldl %[k2]\n\t"         /* ST(2) */
                 "fldl %[k1]\n\t"         /* ST(1) */
                 "fld1\n"                 /* ST(0): the accumulator */
                 "1:\n\t"
                 "fadd %%st(1), %%st\n\t"
                 "fmul %%st(2), %%st\n\t"
                 "fsub %%st(1), %%st\n\t"
                 "fdiv %%st(2), %%st\n\t"
                 "fadd %%st(1), %%st\n\t"
                 "fsub %%st(1), %%st\n\t"
                 "fmul %%st(2), %%st\n\t"
                 "fdiv %%st(2), %%st\n\t"
                 "dec %[n]\n\t"
                 "jnz 1b\n\t"
                 "fstpt %[out]\n\t"
                 "fninit"
                 : [n] "+r"(n), [out] "=m"(out) : [k1] "m"(k1), [k2] "m"(k2) : "cc");
    u64 t1 = rdtsc();
    printf("result: %04x:%016lx\n", out.se, out.m);
    printf("tsc-delta: %lu\n", t1 - t0);
    report(n == 0, "bench_x87 ran %lu iterations", iters);
    return 0;
}
