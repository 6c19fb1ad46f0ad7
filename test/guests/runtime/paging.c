/* Building 4-level page-table entries on top of the boot identity map. */
#include "guest.h"

#define POOL_PAGES 64
static u8 pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_used;

void *page_alloc(void)
{
    if (pool_used == POOL_PAGES) {
        printf("FAIL: page-table pool exhausted\n");
        report_summary();
        guest_exit(1);
    }
    void *p = pool[pool_used++];
    memset(p, 0, 4096);
    return p;
}

static unsigned index_at(u64 linear, int level)
{
    return (unsigned)(linear >> (12 + 9 * (level - 1))) & 511;
}

/* Returns the table below entry e, creating it if absent; a present
 * large-page entry is split into smaller pages with the same attributes. */
static u64 *next_table(u64 *e, int child_level)
{
    if (!(*e & PTE_P)) {
        u64 *t = page_alloc();
        *e = (u64)t | PTE_P | PTE_W | PTE_U;
        return t;
    }
    if (*e & PTE_PS) {
        u64 *t = page_alloc();
        /* child_level 1 splits a 2 MiB PDE, 2 splits a 1 GiB PDPTE. */
        u64 span = child_level == 1 ? 1ull << 21 : 1ull << 30;
        u64 base = *e & PTE_ADDR_MASK & ~(span - 1);
        u64 attrs = *e & ~PTE_ADDR_MASK & ~PTE_PS;
        u64 step = span / 512;
        for (unsigned i = 0; i < 512; i++)
            t[i] = (base + i * step) | attrs | (child_level == 2 ? PTE_PS : 0);
        *e = (u64)t | PTE_P | PTE_W | PTE_U;
        return t;
    }
    return (u64 *)(*e & PTE_ADDR_MASK);
}

u64 *map_4k(u64 linear, u64 phys, u64 flags)
{
    u64 *t = boot_pml4;
    for (int level = 4; level > 1; level--)
        t = next_table(&t[index_at(linear, level)], level - 1);
    u64 *pte = &t[index_at(linear, 1)];
    *pte = (phys & PTE_ADDR_MASK) | flags;
    invlpg((void *)linear);
    return pte;
}

u64 *map_2m(u64 linear, u64 phys, u64 flags)
{
    u64 *t = boot_pml4;
    for (int level = 4; level > 2; level--)
        t = next_table(&t[index_at(linear, level)], level - 1);
    u64 *pde = &t[index_at(linear, 2)];
    *pde = (phys & PTE_ADDR_MASK) | flags | PTE_PS;
    invlpg((void *)linear);
    return pde;
}

u64 *map_1g(u64 linear, u64 phys, u64 flags)
{
    u64 *pdpt = next_table(&boot_pml4[index_at(linear, 4)], 3);
    u64 *pdpte = &pdpt[index_at(linear, 3)];
    *pdpte = (phys & PTE_ADDR_MASK) | flags | PTE_PS;
    write_cr3(read_cr3());     /* INVLPG covers only one 4 KiB part of the page */
    return pdpte;
}

u64 *page_entry(u64 linear, int level)
{
    u64 *t = boot_pml4;
    for (int l = 4; l >= level; l--) {
        u64 *e = &t[index_at(linear, l)];
        if (l == level)
            return e;
        if (!(*e & PTE_P) || (*e & PTE_PS))
            return 0;
        t = (u64 *)(*e & PTE_ADDR_MASK);
    }
    return 0;
}

int enable_nx(void)
{
    if (cpuid(0x80000000, 0).a < 0x80000001 || !(cpuid(0x80000001, 0).d & (1u << 20)))
        return 0;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    return (rdmsr(MSR_EFER) & EFER_NXE) != 0;
}
