/*
 * la57: 5-level paging (CR4.LA57, CPUID.(7,0):ECX[16]). The guest leaves
 * IA-32e mode and enters it again with CR4.LA57 and a PML5 table whose entry
 * 0 holds the runtime's PML4 (la57_switch.S), then checks: linear addresses
 * that differ only in bits 56:48 are different pages (data, TLB and code),
 * #PF error codes and CR2 with 57-bit addresses (both halves), permissions
 * and A/D bits in the PML5 entry like in every other level, INVLPG of a
 * 57-bit address, #GP / #SS for addresses not canonical in 57 bits, FS_BASE
 * and branches to 57-bit addresses, and MOV CR4 rules (LA57 cannot change in
 * IA-32e mode). Back on 4 levels, a 57-bit-only address is #GP again.
 * Without LA57 in CPUID the bit is reserved in CR4 and the MSRs take only
 * 48-bit canonical addresses. Run with -cpu max (LA57) and -cpu max,-la57.
 */
#include "guest.h"

#define CR4_LA57 (1ull << 12)

long la57_reenter(u64 new_cr4, u64 new_cr3);

/* The two slots below share bits 47:0 and differ only in bits 56:48. */
#define VA_X      ((u64)0x0001000000200000)     /* PML5 index 1 */
#define VA_Y      ((u64)0x00aa000000200000)     /* PML5 index 0xaa */
#define VA_HIGH   ((u64)0xff12345678000000)     /* upper half: bits 63:57 copy bit 56 (PML5 index 0x112) */
#define VA_AD     ((u64)0x0033000000400000)     /* fresh tables for the A/D checks (PML5 index 0x33) */
#define VA_USER0  ((u64)0x0044000000000000)     /* PML5 entry with U/S = 0 */
#define VA_RO     ((u64)0x0066000000000000)     /* PML5 entry with R/W = 0 */
#define VA_MID48  ((u64)0x0000800000000000)     /* canonical in 57 bits, not in 48 (PML5 0, PML4 256) */
#define NONCANON  ((u64)0x0100000000000000)     /* bit 56 set, bits 63:57 clear: not canonical in 57 bits */

static u64 *pml5;
static u8 frames[8][4096] __attribute__((aligned(4096)));
static u8 user_stack[4096] __attribute__((aligned(16)));

static unsigned index_at(u64 va, int level) { return (unsigned)(va >> (12 + 9 * (level - 1))) & 511; }

/* The entry at a level (5 = PML5 ... 1 = PT) for va, creating tables down to it. */
static u64 *entry5(u64 va, int level, u64 table_flags)
{
    u64 *t = pml5;
    for (int l = 5; l > level; l--) {
        u64 *e = &t[index_at(va, l)];
        if (!(*e & PTE_P))
            *e = (u64)page_alloc() | table_flags;
        t = (u64 *)(*e & PTE_ADDR_MASK);
    }
    return &t[index_at(va, level)];
}

static u64 *map5(u64 va, void *frame, u64 flags)
{
    u64 *pte = entry5(va, 1, PTE_P | PTE_W | PTE_U);
    *pte = ((u64)frame & PTE_ADDR_MASK) | flags;
    invlpg((void *)va);
    return pte;
}

static int read_at(u64 va, u64 *out)
{
    u64 v = 0;
    catch_begin();
    asm volatile("1: mov (%1), %0\n2:\n\t" EX_FIXUP("1b", "2b") : "+r"(v) : "r"(va) : "memory");
    *out = v;
    return caught_vec;
}

static int write_at(u64 va, u64 v)
{
    catch_begin();
    asm volatile("1: mov %1, (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(va), "r"(v) : "memory");
    return caught_vec;
}

static int mov_cr4(u64 v)
{
    catch_begin();
    asm volatile("1: mov %0, %%cr4\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(v) : "memory");
    return caught_vec;
}

static volatile u64 user_va;
static void user_read(void)
{
    asm volatile("1: mov (%0), %%rax\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(user_va) : "rax", "memory");
}

/* Runs while CR4.LA57 = 0: what holds before the switch, on every model. */
static void four_level_checks(int la57)
{
    u64 cr4 = read_cr4();
    int vec = mov_cr4(cr4 | CR4_LA57);
    report(vec == 13 && !(read_cr4() & CR4_LA57),
           "IA-32e mode: setting CR4.LA57 is #GP (got %d)", vec);
    u64 v;
    vec = read_at(VA_MID48, &v);
    report(vec == 13, "4-level paging: 0x%lx (canonical only in 57 bits) is #GP (got %d)", VA_MID48, vec);
    /* MSRs take what the widest linear address the CPU offers allows, whatever CR4.LA57 says */
    int wr = wrmsr_safe(MSR_KERNEL_GS_BASE, VA_MID48);
    if (la57)
        report(wr == -1 && rdmsr(MSR_KERNEL_GS_BASE) == VA_MID48,
               "LA57 offered: KERNEL_GS_BASE takes 0x%lx before 5-level paging is on (got %d)", VA_MID48, wr);
    else
        report(wr == 13, "LA57 not offered: KERNEL_GS_BASE = 0x%lx is #GP (got %d)", VA_MID48, wr);
    wr = wrmsr_safe(MSR_KERNEL_GS_BASE, NONCANON);
    report_sdm(wr == 13, wr == -1, "KERNEL_GS_BASE = 0x%lx (not canonical in 57 bits) is #GP (got %d)", NONCANON, wr);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

static void aliases_in_bits_56_48(void)
{
    u64 *px = (u64 *)frames[0], *py = (u64 *)frames[1];
    map5(VA_X, px, PTE_P | PTE_W);
    map5(VA_Y, py, PTE_P | PTE_W);
    *(volatile u64 *)VA_X = 0x1111;
    *(volatile u64 *)VA_Y = 0x2222;
    report(*(volatile u64 *)VA_X == 0x1111 && *(volatile u64 *)VA_Y == 0x2222 && px[0] == 0x1111 && py[0] == 0x2222,
           "0x%lx and 0x%lx (differ only in bits 56:48) are two pages", VA_X, VA_Y);
    /* alternate many times: both addresses share every TLB / cache index made of bits 47:0 */
    int ok = 1;
    for (int k = 0; k < 64; k++) {
        *(volatile u64 *)(VA_X + 8) = k;
        *(volatile u64 *)(VA_Y + 8) = 1000 + k;
        ok &= *(volatile u64 *)(VA_X + 8) == (u64)k && px[1] == (u64)k && py[1] == 1000u + k;
    }
    report(ok, "alternating stores and loads keep the two pages apart");
    report(*(volatile u32 *)((u64)&mb_magic) == mb_magic, "the identity map (PML5 entry 0) still reads the same");

    /* code: the same bytes 47:0 of RIP, different code */
    u8 *cx = frames[2], *cy = frames[3];
    const u8 ret1[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };   /* mov $1, %eax; ret */
    const u8 ret2[] = { 0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3 };   /* mov $2, %eax; ret */
    memcpy(cx, ret1, sizeof ret1);
    memcpy(cy, ret2, sizeof ret2);
    map5(VA_X + 0x1000, cx, PTE_P | PTE_W);
    map5(VA_Y + 0x1000, cy, PTE_P | PTE_W);
    int (*fx)(void) = (int (*)(void))(VA_X + 0x1000);
    int (*fy)(void) = (int (*)(void))(VA_Y + 0x1000);
    int sum = 0;
    for (int k = 0; k < 16; k++)
        sum += fx() * 10 + fy();
    report(sum == 16 * 12, "code at both addresses runs its own bytes (sum %d, want %d)", sum, 16 * 12);

    /* INVLPG of a 57-bit address drops just that translation */
    u64 *pte = entry5(VA_X, 1, PTE_P | PTE_W | PTE_U);
    ((u64 *)frames[4])[0] = 0x4444;
    *pte = (u64)frames[4] | PTE_P | PTE_W;
    invlpg((void *)VA_X);
    report(*(volatile u64 *)VA_X == 0x4444 && *(volatile u64 *)VA_Y == 0x2222,
           "INVLPG 0x%lx: the new frame shows, 0x%lx keeps its own", VA_X, VA_Y);

    map5(VA_MID48, frames[5], PTE_P | PTE_W);
    u64 v;
    int wr = write_at(VA_MID48, 0x5555);
    int rd = read_at(VA_MID48, &v);
    report(wr == -1 && rd == -1 && v == 0x5555 && ((u64 *)frames[5])[0] == 0x5555,
           "5-level paging: 0x%lx is an ordinary address", VA_MID48);
}

static void faults(void)
{
    u64 v;
    /* not present at the PML5 level, in both halves */
    const u64 absent[] = { 0x00ab000000345000, 0xff54321000abc000 };
    for (unsigned k = 0; k < 2; k++) {
        int vec = read_at(absent[k], &v);
        report(vec == 14 && caught_err == 0 && caught_cr2 == absent[k],
               "#PF at 0x%lx: PML5 entry absent, error 0x%lx, CR2 0x%lx", absent[k], caught_err, caught_cr2);
    }
    /* PML5 entry present, PML4 entry absent */
    u64 below = VA_X + (1ull << 39);
    int vec = read_at(below, &v);
    report(vec == 14 && caught_err == 0 && caught_cr2 == below,
           "#PF at 0x%lx: PML4 entry absent, error 0x%lx, CR2 0x%lx", below, caught_err, caught_cr2);
    /* the upper half maps like the lower */
    map5(VA_HIGH, frames[6], PTE_P | PTE_W);
    int wr = write_at(VA_HIGH + 0x18, 0x6666);
    report(wr == -1 && ((u64 *)frames[6])[3] == 0x6666, "upper half: a store to 0x%lx lands in its frame", VA_HIGH + 0x18);
    map5(VA_HIGH + 0x1000, frames[6], PTE_P);
    wr = write_at(VA_HIGH + 0x1008, 1);
    report(wr == 14 && caught_err == (PF_P | PF_W) && caught_cr2 == VA_HIGH + 0x1008,
           "write to a read-only page at 0x%lx: #PF P|W (error 0x%lx), CR2 0x%lx", VA_HIGH + 0x1008, caught_err, caught_cr2);

    /* R/W and U/S of the PML5 entry count like any level's */
    map5(VA_RO, frames[7], PTE_P | PTE_W);
    *entry5(VA_RO, 5, 0) &= ~PTE_W;
    write_cr3(read_cr3());
    wr = write_at(VA_RO, 1);
    report(wr == 14 && caught_err == (PF_P | PF_W) && caught_cr2 == VA_RO,
           "PML5 entry R/W=0 with CR0.WP: supervisor write is #PF P|W (error 0x%lx)", caught_err);
    map5(VA_USER0, frames[7], PTE_P | PTE_W | PTE_U);
    *entry5(VA_USER0, 5, 0) &= ~PTE_U;
    write_cr3(read_cr3());
    user_va = VA_USER0;
    catch_begin();
    run_user(user_read, user_stack + sizeof user_stack);
    report(caught_vec == 14 && caught_err == (PF_P | PF_U) && caught_cr2 == VA_USER0,
           "PML5 entry U/S=0: user read is #PF P|U (vector %d, error 0x%lx)", caught_vec, caught_err);
    report(read_at(VA_USER0, &v) == -1, "... and a supervisor read of it works");

    /* PS is reserved in a PML5 entry */
    u64 *e5 = entry5(VA_RO, 5, 0);
    u64 saved = *e5;
    *e5 = saved | PTE_PS | PTE_W;
    write_cr3(read_cr3());
    vec = read_at(VA_RO, &v);
    *e5 = saved;
    write_cr3(read_cr3());
    report_sdm(vec == 14 && caught_err == (PF_P | PF_RSVD), vec == 14 && caught_err == PF_RSVD,
               "PS in a PML5 entry: #PF P|RSVD (vector %d, error 0x%lx)", vec, caught_err);

    /* not canonical in 57 bits */
    vec = read_at(NONCANON, &v);
    report(vec == 13 && caught_err == 0, "load from 0x%lx is #GP(0) (vector %d)", NONCANON, vec);
    vec = read_at(0xfe00000000000000ull, &v);
    report(vec == 13, "load from 0xfe00000000000000 (bit 56 clear, bits 63:57 set) is #GP (vector %d)", vec);
    catch_begin();
    asm volatile("push %%rbp\n\tmov %0, %%rbp\n1: mov (%%rbp), %%rax\n2:\n\tpop %%rbp\n\t" EX_FIXUP("1b", "2b")
                 :: "r"(NONCANON) : "rax", "memory");
    report_sdm(caught_vec == 12 && caught_err == 0, caught_vec == 13,
               "RBP-based load from 0x%lx is #SS(0) (vector %d)", NONCANON, caught_vec);
    /* the fault belongs to the JMP (QEMU raises it at the target: the second fixup entry) */
    u64 target = NONCANON + 0x1000;
    u64 at = 0;
    catch_begin();
    asm volatile("lea 1f(%%rip), %0\n1: jmp *%1\n2:\n\t" EX_FIXUP("1b", "2b") EX_FIXUP("0x0100000000001000", "2b")
                 : "=&r"(at) : "r"(target) : "memory");
    report_sdm(caught_vec == 13 && caught_rip == at, caught_vec == 13 && caught_rip == target,
               "JMP to 0x%lx is #GP at the JMP (vector %d, RIP 0x%lx)", target, caught_vec, caught_rip);

    /* FS_BASE with a 57-bit address */
    ((u64 *)frames[0])[2] = 0xf5f5;
    u64 fsb = VA_Y;
    map5(VA_Y, frames[0], PTE_P | PTE_W);
    wr = wrmsr_safe(MSR_FS_BASE, fsb);
    u64 got = 0;
    if (wr == -1)
        asm volatile("mov %%fs:16, %0" : "=r"(got));
    report(wr == -1 && got == 0xf5f5, "FS_BASE 0x%lx: %%fs:16 reads through it (0x%lx)", fsb, got);
    wrmsr(MSR_FS_BASE, 0);
    wr = wrmsr_safe(MSR_FS_BASE, NONCANON);
    report_sdm(wr == 13, wr == -1, "FS_BASE = 0x%lx is #GP (got %d)", NONCANON, wr);
    wrmsr(MSR_FS_BASE, 0);
}

/* Accessed at every level on a read, dirty only in the leaf on a write. */
static void accessed_dirty(void)
{
    map5(VA_AD, frames[7], PTE_P | PTE_W);
    u64 *e[6];
    for (int l = 1; l <= 5; l++) {
        e[l] = entry5(VA_AD, l, 0);
        *e[l] &= ~(PTE_A | PTE_D);
    }
    write_cr3(read_cr3());
    u64 v;
    read_at(VA_AD, &v);
    int a_all = 1, d_none = 1;
    for (int l = 1; l <= 5; l++) {
        a_all &= (*e[l] & PTE_A) != 0;
        d_none &= (*e[l] & PTE_D) == 0;
    }
    report(a_all && d_none, "read: A set at all five levels (PML5 0x%lx, PTE 0x%lx), no D", *e[5], *e[1]);
    write_cr3(read_cr3());
    write_at(VA_AD, 7);
    int d_leaf_only = (*e[1] & PTE_D) != 0;
    for (int l = 2; l <= 5; l++)
        d_leaf_only &= (*e[l] & PTE_D) == 0;
    report(d_leaf_only, "write: D set in the PTE only");
}

int main(void)
{
    int la57 = (cpuid(0, 0).a >= 7) && (cpuid(7, 0).c & (1u << 16));
    unsigned lin_bits = (cpuid(0x80000008, 0).a >> 8) & 0xff;
    printf("INFO: LA57 %s, %u-bit linear addresses\n", la57 ? "offered" : "not offered", lin_bits);
    report(lin_bits == (la57 ? 57u : 48u), "CPUID 0x80000008: %u linear-address bits", lin_bits);
    four_level_checks(la57);

    pml5 = page_alloc();
    pml5[0] = (u64)boot_pml4 | PTE_P | PTE_W | PTE_U;
    u64 cr4 = read_cr4(), cr3 = read_cr3();
    long vec = la57_reenter(cr4 | CR4_LA57, (u64)pml5);
    if (!la57) {
        report(vec == 13 && read_cr4() == cr4 && read_cr3() == cr3,
               "LA57 not offered: CR4.LA57 is reserved (#GP outside IA-32e mode, got %ld)", vec);
        return 0;
    }
    report(vec == -1 && (read_cr4() & CR4_LA57) && read_cr3() == (u64)pml5,
           "outside IA-32e mode CR4.LA57 can be set: 5-level paging on (CR4 0x%lx)", read_cr4());
    int gp = mov_cr4(read_cr4() & ~CR4_LA57);
    report(gp == 13 && (read_cr4() & CR4_LA57), "IA-32e mode: clearing CR4.LA57 is #GP (got %d)", gp);

    aliases_in_bits_56_48();
    faults();
    accessed_dirty();

    vec = la57_reenter(cr4, cr3);
    u64 v;
    int rd = read_at(VA_MID48, &v);
    report(vec == -1 && !(read_cr4() & CR4_LA57) && rd == 13,
           "back on 4 levels: CR4.LA57 clear, 0x%lx is #GP again (got %d)", VA_MID48, rd);
    return 0;
}
