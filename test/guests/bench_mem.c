/*
 * bench_mem: loads and stores over a 16 MiB buffer mapped with 4 KiB pages,
 * for `npm run bench`. Command line: iters=N (default 2*10^7). One iteration
 * is exactly 7 instructions (load, lea, store, add, and, dec, jnz) and moves
 * 4160 bytes on, i.e. to the next 4 KiB page, so the TLB is exercised.
 */
#include "guest.h"

#define INSNS_PER_ITER 7
#define BUF_VA   0x8000000000ull      /* PML4 slot 1, away from the identity map */
#define BUF_PHYS 0x1000000ull         /* physical 16 MiB .. 32 MiB */
#define BUF_SIZE (16ull << 20)

int main(void)
{
    u64 iters = cmdline_u64("iters", 20000000ull);
    printf("bench_mem: iterations: %lu\n", iters);
    printf("insns-per-iter: %u\n", INSNS_PER_ITER);
    if (!report(multiboot_ram_top() >= BUF_PHYS + BUF_SIZE, "RAM reaches 32 MiB for the 16 MiB buffer") || !iters)
        return report(0, "cannot run (needs -m 64 or more and iters > 0)");

    u64 flags = PTE_P | PTE_W | (enable_nx() ? PTE_NX : 0);
    for (u64 off = 0; off < BUF_SIZE; off += 4096)
        map_4k(BUF_VA + off, BUF_PHYS + off, flags);
    report(page_entry(BUF_VA + BUF_SIZE - 1, 1) && (*page_entry(BUF_VA + BUF_SIZE - 1, 1) & PTE_P),
           "16 MiB buffer mapped with 4096 4 KiB pages");

    u64 n = iters, off = 0, acc = 0, base = BUF_VA, tmp;
    u64 t0 = rdtsc();
    asm volatile("1:\n\t"
                 "mov (%4,%2), %3\n\t"
                 "lea 1(%1,%3), %1\n\t"
                 "mov %1, 8(%4,%2)\n\t"
                 "add $4160, %2\n\t"
                 "and $0xFFFFF0, %2\n\t"
                 "dec %0\n\t"
                 "jnz 1b"
                 : "+c"(n), "+r"(acc), "+r"(off), "=&r"(tmp) : "r"(base) : "cc", "memory");
    u64 t1 = rdtsc();
    printf("checksum: 0x%lx\n", acc);
    printf("tsc-delta: %lu\n", t1 - t0);
    report(n == 0, "bench_mem ran %lu iterations", iters);
    return 0;
}
