/*
 * protect: the CR4 protection features. SMEP (supervisor fetch from a user
 * page is #PF with I/D), SMAP (supervisor data access to a user page is #PF
 * unless RFLAGS.AC, with STAC/CLAC and POPF changing AC between accesses to
 * the same page), UMIP (SGDT/SIDT/SLDT/STR/SMSW at CPL 3 are #GP(0)), PCID
 * (CR4.PCIDE rules, the PCID in CR3 bits 11:0, bit 63 of MOV to CR3 not
 * stored) and INVPCID (every type, its faults, and that it really drops a
 * stale translation).
 *
 * While SMEP/SMAP are tested the runtime's identity map is made supervisor
 * (PML4 entry 0 without U), so the test code, stack and handlers are
 * supervisor pages; the user pages live under PML4 entry 1.
 */
#include "guest.h"

#define CR4_UMIP (1ull << 11)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define RFLAGS_AC (1ull << 18)

#define USER_CODE 0x8000000000ull
#define USER_DATA 0x8000001000ull
#define ALIAS 0x8000002000ull

static u8 code_page[4096] __attribute__((aligned(4096)));
static u8 data_page[4096] __attribute__((aligned(4096)));
static u8 other_page[4096] __attribute__((aligned(4096)));
static u8 user_stack[4096] __attribute__((aligned(16)));

static void flush_all(void) { write_cr3(read_cr3()); }

/* #PF at the user code page: return to the caller as `ret` would have. */
static int smep_fault(struct trap_frame *f)
{
    if (f->rip != USER_CODE)
        return 0;
    caught_vec = 14;
    caught_err = f->error;
    caught_cr2 = read_cr2();
    f->rip = *(u64 *)f->rsp;
    f->rsp += 8;
    return 1;
}

static int call_user_code(void)
{
    catch_begin();
    asm volatile("call *%0" :: "r"(USER_CODE) : "memory", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11");
    return caught_vec;
}
static int read_user(u64 *v)
{
    catch_begin();
    asm volatile("1: mov (%1), %0\n2:\n\t" EX_FIXUP("1b", "2b") : "=r"(*v) : "r"(USER_DATA) : "memory");
    return caught_vec;
}
static int write_user(u64 v)
{
    catch_begin();
    asm volatile("1: mov %0, (%1)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(v), "r"(USER_DATA) : "memory");
    return caught_vec;
}

static void smep_smap(void)
{
    code_page[0] = 0xc3; /* ret */
    map_4k(USER_CODE, (u64)code_page, PTE_P | PTE_U);
    map_4k(USER_DATA, (u64)data_page, PTE_P | PTE_W | PTE_U);
    *(volatile u64 *)data_page = 0x1122334455667788ull;
    set_trap_handler(14, smep_fault);
    boot_pml4[0] &= ~PTE_U;
    flush_all();

    u64 v = 0;
    report(call_user_code() == -1, "without SMEP the kernel may run a user page");
    write_cr4(read_cr4() | CR4_SMEP);
    int vec = call_user_code();
    report(vec == 14 && caught_err == (PF_P | PF_I) && caught_cr2 == USER_CODE,
           "SMEP: supervisor fetch from a user page is #PF with P|I/D (vector %d, error 0x%lx)", vec, caught_err);
    report(read_user(&v) == -1 && v == 0x1122334455667788ull, "SMEP leaves data accesses to user pages alone");
    write_cr4(read_cr4() & ~CR4_SMEP);
    report(call_user_code() == -1, "clearing SMEP allows the fetch again");

    write_cr4(read_cr4() | CR4_SMAP);
    asm volatile("clac");
    vec = read_user(&v);
    report(vec == 14 && caught_err == PF_P && caught_cr2 == USER_DATA, "SMAP: supervisor read of a user page with AC=0 is #PF (error 0x%lx)", caught_err);
    vec = write_user(5);
    report(vec == 14 && caught_err == (PF_P | PF_W), "SMAP: supervisor write with AC=0 is #PF with W (error 0x%lx)", caught_err);
    asm volatile("stac");
    report(read_user(&v) == -1 && write_user(0xabcd) == -1 && *(volatile u64 *)data_page == 0xabcd, "STAC: AC=1 permits the accesses");
    asm volatile("clac");
    report(read_user(&v) == 14, "CLAC: the same page faults again (no stale permission)");
    asm volatile("pushfq; orq %0, (%%rsp); popfq" :: "i"(RFLAGS_AC) : "memory", "cc");
    report(read_user(&v) == -1, "POPF setting AC permits the access");
    asm volatile("pushfq; andq %0, (%%rsp); popfq" :: "i"(~RFLAGS_AC) : "memory", "cc");
    report(read_user(&v) == 14, "POPF clearing AC forbids it again");
    write_cr4(read_cr4() & ~CR4_SMAP);
    report(read_user(&v) == -1, "clearing SMAP allows the access with AC=0");

    boot_pml4[0] |= PTE_U;
    flush_all();
    set_trap_handler(14, 0);
}

/* ---- UMIP: the store-descriptor-table family at CPL 3 */
static volatile int umip_op;
static u8 umip_buf[16];
static void umip_user(void)
{
    switch (umip_op) {
    case 0: asm volatile("1: sgdt %0\n2:\n\t" EX_FIXUP("1b", "2b") : "=m"(umip_buf)); break;
    case 1: asm volatile("1: sidt %0\n2:\n\t" EX_FIXUP("1b", "2b") : "=m"(umip_buf)); break;
    case 2: asm volatile("1: sldt %%ax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax"); break;
    case 3: asm volatile("1: str %%ax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax"); break;
    default: asm volatile("1: smsw %%eax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax"); break;
    }
}
static int umip_try(int op)
{
    umip_op = op;
    catch_begin();
    run_user(umip_user, user_stack + sizeof(user_stack));
    return caught_vec;
}
static void umip(void)
{
    static const char *names[] = { "SGDT", "SIDT", "SLDT", "STR", "SMSW" };
    for (int op = 0; op < 5; op++)
        report(umip_try(op) == -1, "without UMIP, %s runs at CPL 3", names[op]);
    write_cr4(read_cr4() | CR4_UMIP);
    for (int op = 0; op < 5; op++) {
        int vec = umip_try(op);
        report(vec == 13 && caught_err == 0, "UMIP: %s at CPL 3 is #GP(0) (vector %d)", names[op], vec);
    }
    u8 buf[10];
    catch_begin();
    asm volatile("1: sgdt %0\n2:\n\t" EX_FIXUP("1b", "2b") : "=m"(buf));
    report(caught_vec == -1, "UMIP: SGDT at CPL 0 still runs (vector %d)", caught_vec);
    write_cr4(read_cr4() & ~CR4_UMIP);
}

/* ---- PCID and INVPCID */
static int write_cr4_safe(u64 v)
{
    catch_begin();
    asm volatile("1: mov %0, %%cr4\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(v) : "memory");
    return caught_vec;
}
static int invpcid_safe(u64 type, u64 pcid, u64 addr)
{
    struct { u64 pcid, addr; } __attribute__((aligned(16))) d = { pcid, addr };
    catch_begin();
    asm volatile("1: invpcid %1, %0\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(type), "m"(d) : "memory");
    return caught_vec;
}
static void pcid(void)
{
    u64 cr3 = read_cr3();
    write_cr3((cr3 & ~0xfffull) | 5);
    report(write_cr4_safe(read_cr4() | CR4_PCIDE) == 13, "CR4.PCIDE with a non-zero PCID in CR3 is #GP");
    write_cr3(cr3 & ~0xfffull);
    report(write_cr4_safe(read_cr4() | CR4_PCIDE) == -1, "CR4.PCIDE set with PCID 0");
    write_cr3((cr3 & ~0xfffull) | 0x123 | (1ull << 63));
    report(read_cr3() == ((cr3 & ~0xfffull) | 0x123), "MOV to CR3: PCID kept in bits 11:0, bit 63 (no-flush) not stored (0x%lx)", read_cr3());
    write_cr3(cr3 & ~0xfffull);

    /* a stale translation: ALIAS maps data_page, then other_page without a flush */
    *(volatile u64 *)data_page = 1;
    *(volatile u64 *)other_page = 2;
    u64 *pte = map_4k(ALIAS, (u64)data_page, PTE_P | PTE_W);
    flush_all();
    report(*(volatile u64 *)ALIAS == 1, "ALIAS maps the first page");
    *pte = (u64)other_page | PTE_P | PTE_W;
    report(invpcid_safe(0, 0, ALIAS) == -1 && *(volatile u64 *)ALIAS == 2, "INVPCID type 0 drops the address's translation");
    *pte = (u64)data_page | PTE_P | PTE_W;
    report(invpcid_safe(1, 0, 0) == -1 && *(volatile u64 *)ALIAS == 1, "INVPCID type 1 (single context)");
    *pte = (u64)other_page | PTE_P | PTE_W | PTE_G;
    report(invpcid_safe(2, 0, 0) == -1 && *(volatile u64 *)ALIAS == 2, "INVPCID type 2 (all contexts, globals too)");
    *pte = (u64)data_page | PTE_P | PTE_W;
    report(invpcid_safe(2, 0, 0) == -1 && *(volatile u64 *)ALIAS == 1, "INVPCID type 2 drops the global page");
    report(invpcid_safe(3, 0, 0) == -1, "INVPCID type 3 (all contexts but globals)");
    report(invpcid_safe(4, 0, 0) == 13, "INVPCID type 4 is #GP");
    report(invpcid_safe(0, 1ull << 12, ALIAS) == 13, "INVPCID with reserved descriptor bits is #GP");
    report(invpcid_safe(0, 0, 0x8000000000000000ull) == 13, "INVPCID type 0 with a non-canonical address is #GP");
    write_cr4(read_cr4() & ~CR4_PCIDE);
    report(invpcid_safe(0, 7, ALIAS) == 13, "INVPCID types 0/1 with a PCID while CR4.PCIDE=0 are #GP");
    report(invpcid_safe(1, 0, 0) == -1, "INVPCID type 1 with PCID 0 while CR4.PCIDE=0");
}

int main(void)
{
    struct cpuid_regs l1 = cpuid(1, 0), l7 = cpuid(7, 0);
    int smep = (l7.b >> 7) & 1, smap = (l7.b >> 20) & 1, umip_bit = (l7.c >> 2) & 1;
    int pcid_bit = (l1.c >> 17) & 1, invpcid_bit = (l7.b >> 10) & 1;
    /* The default model offers all five; on KVM the machine offers only what the host's KVM can
     * (docs/backends.md), and then what is not offered must be refused. */
    report_kvm(smep && smap && umip_bit && pcid_bit && invpcid_bit, 1, "CPUID: SMEP %d, SMAP %d, UMIP %d, PCID %d, INVPCID %d", smep, smap, umip_bit, pcid_bit, invpcid_bit);
    if (smep && smap)
        smep_smap();
    if (umip_bit)
        umip();
    if (pcid_bit && invpcid_bit)
        pcid();
    if (!pcid_bit)
        report(write_cr4_safe(read_cr4() | CR4_PCIDE) == 13, "PCID not offered: setting CR4.PCIDE is #GP");
    if (!invpcid_bit)
        report(invpcid_safe(2, 0, 0) == 6, "INVPCID not offered: INVPCID is #UD");
    return report_summary();
}
