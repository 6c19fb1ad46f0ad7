/*
 * cpuid_msr: what CPUID advertises must be true, and the architectural MSRs
 * behave: EFER, STAR/LSTAR, FS/GS bases (checked through real %fs/%gs
 * accesses), KERNEL_GS_BASE with SWAPGS, the TSC (monotonic, writable via
 * IA32_TSC), PAT, TSC_AUX with RDTSCP, and #GP for unknown MSRs and reserved
 * bits. The same binary runs under every -cpu model: the MSRs and CR4 bits of
 * a feature CPUID hides are #GP, those it shows work (MTRRs with their
 * reserved bits, CR4.MCE, x2APIC mode, TSC-deadline).
 */
#include "guest.h"

#define UNKNOWN_MSR 0x60000000u

static struct cpuid_regs l1, e1;
static u32 max_ext;

static int printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++)
        if (s[i] < 0x20 || s[i] > 0x7E)
            return 0;
    return 1;
}

static void identification(void)
{
    struct cpuid_regs r = cpuid(0, 0);
    char vendor[13];
    memcpy(vendor, &r.b, 4);
    memcpy(vendor + 4, &r.d, 4);
    memcpy(vendor + 8, &r.c, 4);
    vendor[12] = 0;
    printf("vendor: %s, max leaf 0x%x\n", vendor, r.a);
    report(printable(vendor, 12) && vendor[0], "CPUID.0 vendor string is printable");
    report(r.a >= 1, "CPUID.0 max leaf >= 1");

    l1 = cpuid(1, 0);
    u32 fam = (l1.a >> 8) & 0xF, model = (l1.a >> 4) & 0xF, stepping = l1.a & 0xF;
    if (fam == 0xF)
        fam += (l1.a >> 20) & 0xFF;
    if (fam == 6 || fam >= 0xF)
        model |= ((l1.a >> 16) & 0xF) << 4;
    printf("family %u model %u stepping %u\n", fam, model, stepping);
    report(fam >= 6, "family >= 6 (a long-mode capable CPU)");

    static const struct { int bit; const char *name; } need[] = {
        { 3, "PSE" }, { 4, "TSC" }, { 5, "MSR" }, { 6, "PAE" }, { 8, "CX8" }, { 13, "PGE" }, { 15, "CMOV" },
    };
    for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        report((l1.d >> need[i].bit) & 1, "CPUID.1:EDX.%s advertised", need[i].name);

    max_ext = cpuid(0x80000000, 0).a;
    printf("max extended leaf 0x%x\n", max_ext);
    report(max_ext >= 0x80000001 && max_ext < 0x80000100, "CPUID.80000000 max extended leaf sane");
    e1 = cpuid(0x80000001, 0);
    report((e1.d >> 29) & 1, "CPUID.80000001:EDX.LM advertised");
    report((rdmsr(MSR_EFER) & (EFER_LMA | EFER_LME)) == (EFER_LMA | EFER_LME), "EFER.LME and LMA set: we are in long mode");

    if (max_ext >= 0x80000004) {
        char brand[49];
        for (u32 i = 0; i < 3; i++) {
            struct cpuid_regs b = cpuid(0x80000002 + i, 0);
            memcpy(brand + 16 * i, &b, 16);
        }
        brand[48] = 0;
        const char *p = brand;
        while (*p == ' ')
            p++;
        printf("brand: %s\n", p);
        report(printable(brand, 48), "brand string printable");
    }

    /* CMOV and CMPXCHG8B really work. */
    u64 a = 1, b = 2;
    asm volatile("cmp %1, %0; cmovb %1, %0" : "+r"(a) : "r"(b) : "cc");
    u64 mem = 5;
    u32 lo = 5, hi = 0;
    asm volatile("lock cmpxchg8b %0" : "+m"(mem), "+a"(lo), "+d"(hi) : "b"(7), "c"(0) : "cc");
    report(a == 2 && mem == 7, "CMOV and CMPXCHG8B work");
}

/* "A feature bit is a promise": what is advertised executes, and SSE code
 * is #UD when it is not advertised. XMM0 is not listed as clobbered (gcc
 * refuses under -mgeneral-regs-only); nothing compiled here uses it. */
static void advertised_units(void)
{
    if (l1.d & 1) {
        write_cr0(read_cr0() & ~((1ull << 2) | (1ull << 3)));   /* EM=0, TS=0 */
        u16 cw = 0, sw = 0xFFFF;
        catch_begin();
        asm volatile("1: fninit\n\tfnstcw %0\n\tfnstsw %1\n2:\n\t" EX_FIXUP("1b", "2b") : "=m"(cw), "=m"(sw));
        report(caught_vec == -1 && cw == 0x037F && sw == 0, "FPU advertised: FNINIT gives control word 0x37f (0x%x)", cw);
    } else {
        report_info("FPU not advertised");
    }

    int sse = (l1.d >> 25) & 1, sse2 = (l1.d >> 26) & 1, fxsr = (l1.d >> 24) & 1;
    if (sse && fxsr) {
        write_cr4(read_cr4() | (1ull << 9) | (1ull << 10));      /* OSFXSR, OSXMMEXCPT */
        u64 out = 0;
        catch_begin();
        if (sse2)
            asm volatile("1: movq %1, %%xmm0\n\tmovq %%xmm0, %0\n2:\n\t" EX_FIXUP("1b", "2b")
                         : "+r"(out) : "r"(0x0123456789ABCDEFull));
        else
            asm volatile("1: xorps %%xmm0, %%xmm0\n2:\n\t" EX_FIXUP("1b", "2b") ::: "memory");
        report(caught_vec == -1 && (!sse2 || out == 0x0123456789ABCDEFull), "SSE%s advertised and working", sse2 ? "2" : "");
    } else {
        catch_begin();
        asm volatile("1: xorps %%xmm0, %%xmm0\n2:\n\t" EX_FIXUP("1b", "2b") ::: "memory");
        report(caught_vec == 6, "SSE not advertised: XORPS is #UD (got vector %d)", caught_vec);
    }

    if ((l1.d >> 9) & 1) {
        u64 base = 0;
        int vec = rdmsr_safe(0x1B, &base);
        report(vec == -1 && (base & ~0xFFFull) == 0xFEE00000ull && (base & (1u << 8)) && (base & (1u << 11)),
               "APIC advertised: IA32_APIC_BASE = 0x%lx (0xfee00000, BSP, enabled)", base);
    }
}

static void efer(void)
{
    u64 e = rdmsr(MSR_EFER);
    int nx_adv = (e1.d >> 20) & 1;
    int vec = wrmsr_safe(MSR_EFER, e | EFER_NXE);
    if (nx_adv)
        report(vec == -1 && (rdmsr(MSR_EFER) & EFER_NXE), "NX advertised and EFER.NXE settable");
    else
        report(vec == 13, "NX not advertised: setting EFER.NXE is #GP");
    if ((e1.d >> 11) & 1) {
        vec = wrmsr_safe(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
        report(vec == -1 && (rdmsr(MSR_EFER) & EFER_SCE), "SYSCALL advertised and EFER.SCE settable");
    }
    e = rdmsr(MSR_EFER);
    vec = wrmsr_safe(MSR_EFER, e | (1ull << 1));
    report_sdm(vec == 13 && caught_err == 0, vec == -1, "#GP(0) setting reserved EFER bit 1 (got vector %d)", vec);
    vec = wrmsr_safe(MSR_EFER, e | (1ull << 63));
    report_sdm(vec == 13, vec == -1, "#GP setting reserved EFER bit 63 (got vector %d)", vec);
    report(rdmsr(MSR_EFER) == e, "EFER unchanged after the refused writes");
}

static void syscall_msrs(void)
{
    u64 star = 0x0023001000000000ull;
    wrmsr(MSR_STAR, star);
    report(rdmsr(MSR_STAR) == star, "STAR reads back 0x%lx", rdmsr(MSR_STAR));
    wrmsr(MSR_LSTAR, 0xFFFFFFFF81000000ull);
    report(rdmsr(MSR_LSTAR) == 0xFFFFFFFF81000000ull, "LSTAR reads back");
    int vec = wrmsr_safe(MSR_LSTAR, 0x8000000000000000ull);
    report_sdm(vec == 13 && rdmsr(MSR_LSTAR) == 0xFFFFFFFF81000000ull, vec == -1, "#GP writing a non-canonical LSTAR (got vector %d)", vec);
}

static u64 fs_data[2] = { 0x1111111111111111ull, 0x2222222222222222ull };
static u64 gs_data[2] = { 0x3333333333333333ull, 0x4444444444444444ull };

static u64 read_fs8(void) { u64 v; asm volatile("mov %%fs:8, %0" : "=r"(v)); return v; }
static u64 read_gs0(void) { u64 v; asm volatile("mov %%gs:0, %0" : "=r"(v)); return v; }

static void segment_bases(void)
{
    wrmsr(MSR_FS_BASE, (u64)fs_data);
    report(rdmsr(MSR_FS_BASE) == (u64)fs_data && read_fs8() == 0x2222222222222222ull,
           "FS_BASE moves what %%fs:8 addresses");
    wrmsr(MSR_GS_BASE, (u64)gs_data);
    report(read_gs0() == 0x3333333333333333ull, "GS_BASE moves what %%gs:0 addresses");

    wrmsr(MSR_KERNEL_GS_BASE, (u64)fs_data);
    asm volatile("swapgs" ::: "memory");
    int swapped = rdmsr(MSR_GS_BASE) == (u64)fs_data && rdmsr(MSR_KERNEL_GS_BASE) == (u64)gs_data &&
                  read_gs0() == 0x1111111111111111ull;
    asm volatile("swapgs" ::: "memory");
    report(swapped, "SWAPGS exchanges GS_BASE and KERNEL_GS_BASE");
    report(read_gs0() == 0x3333333333333333ull, "a second SWAPGS swaps back");

    /* The segment-base MSRs hold linear addresses: non-canonical is #GP (this value is neither
     * 48- nor 57-bit canonical; with LA57 offered the MSRs take 57-bit values: la57 guest). */
    int vec = wrmsr_safe(MSR_FS_BASE, 0x0100000000000000ull);
    report_sdm(vec == 13, vec == -1, "#GP writing a non-canonical FS_BASE (got vector %d)", vec);
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_GS_BASE, 0);
}

static void tsc(void)
{
    u64 prev = rdtsc(), first = prev;
    int mono = 1;
    for (int i = 0; i < 1000; i++) {
        u64 t = rdtsc();
        if (t < prev)
            mono = 0;
        prev = t;
    }
    report(mono, "RDTSC monotonic over 1000 reads");
    for (volatile int i = 0; i < 100000; i++)
        ;
    report(rdtsc() > first, "TSC advances");
    u64 m = rdmsr(MSR_TSC), t = rdtsc();
    report(t >= m, "RDMSR(IA32_TSC) agrees with RDTSC");

    u64 target = 1ull << 44;
    wrmsr(MSR_TSC, target);
    u64 after = rdtsc();
    /* QEMU TCG stores the value but keeps counting from the host clock. */
    report_sdm(after >= target && after - target < (1ull << 36), 1, "writing IA32_TSC moves the counter (0x%lx)", after);
    wrmsr(MSR_TSC, 1000);
    after = rdtsc();
    report_sdm(after >= 1000 && after < target, 1, "writing a smaller IA32_TSC moves it back");

    if ((e1.d >> 27) & 1) {
        wrmsr(MSR_TSC_AUX, 0x2A);
        u32 aux, lo, hi;
        asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        report(aux == 0x2A && rdmsr(MSR_TSC_AUX) == 0x2A, "RDTSCP returns TSC_AUX in ECX (0x%x)", aux);
        report((((u64)hi << 32) | lo) >= after, "RDTSCP returns the TSC");
    } else {
        catch_begin();
        asm volatile("1: rdtscp\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "rdx", "rcx");
        report(caught_vec == 6, "RDTSCP not advertised: #UD (got vector %d)", caught_vec);
        report_info("RDTSCP not advertised");
    }
}

static void pat(void)
{
    if (!((l1.d >> 16) & 1))
        return;   /* model_features() checks that the MSR is absent */
    u64 pat = rdmsr(MSR_PAT);
    printf("PAT 0x%016lx\n", pat);
    report(pat == 0x0007040600070406ull, "PAT holds its power-on value");
    u64 v = 0x0000000500070406ull;     /* WP in PA4, UC in PA5..7 */
    report(wrmsr_safe(MSR_PAT, v) == -1 && rdmsr(MSR_PAT) == v, "PAT accepts valid memory types");
    int vec = wrmsr_safe(MSR_PAT, 0x0007040600070402ull);   /* type 2 is reserved */
    report_sdm(vec == 13 && rdmsr(MSR_PAT) == v, vec == -1, "#GP writing reserved type 2 into PAT (got vector %d)", vec);
    vec = wrmsr_safe(MSR_PAT, 0x0007040600070408ull);       /* bits 3..7 of an entry are reserved */
    report_sdm(vec == 13, vec == -1, "#GP writing a reserved PAT bit (got vector %d)", vec);
    wrmsr(MSR_PAT, pat);
}

static void unknown(void)
{
    u64 v;
    int vec = rdmsr_safe(UNKNOWN_MSR, &v);
    report_sdm(vec == 13 && caught_err == 0, vec == -1, "#GP(0) on RDMSR 0x%x (unknown) (got vector %d)", UNKNOWN_MSR, vec);
    vec = wrmsr_safe(UNKNOWN_MSR, 0);
    report_sdm(vec == 13 && caught_err == 0, vec == -1, "#GP(0) on WRMSR 0x%x (unknown) (got vector %d)", UNKNOWN_MSR, vec);
}

/* Each instruction-level feature bit is a promise: run the instruction. */
static void advertised_instructions(void)
{
    struct cpuid_regs l7 = cpuid(7, 0);

    if ((l1.c >> 23) & 1) {
        u64 n = 0;
        catch_begin();
        asm volatile("1: popcnt %1, %0\n2:\n\t" EX_FIXUP("1b", "2b") : "=r"(n) : "r"(0xF0F0000000000001ull));
        report(caught_vec == -1 && n == 9, "POPCNT advertised and working (%lu)", n);
    }
    if ((e1.c >> 5) & 1) {
        u64 a = 0, b = 0;
        catch_begin();
        asm volatile("1: lzcnt %2, %0\n\tlzcnt %3, %1\n2:\n\t" EX_FIXUP("1b", "2b")
                     : "=&r"(a), "=&r"(b) : "r"(0x0000100000000000ull), "r"(0ull));
        report(caught_vec == -1 && a == 19 && b == 64, "ABM advertised: LZCNT counts (%lu, %lu)", a, b);
    }
    if ((l1.c >> 22) & 1) {
        static u32 word = 0x11223344;
        u32 v = 0;
        catch_begin();
        asm volatile("1: movbe %1, %0\n2:\n\t" EX_FIXUP("1b", "2b") : "=r"(v) : "m"(word));
        report(caught_vec == -1 && v == 0x44332211, "MOVBE advertised and working (0x%x)", v);
    }
    if ((l1.d >> 19) & 1) {
        static volatile u64 line = 5;
        catch_begin();
        asm volatile("1: clflush %0\n2:\n\t" EX_FIXUP("1b", "2b") : "+m"(line));
        report(caught_vec == -1 && line == 5, "CLFSH advertised: CLFLUSH keeps the data");
    }
    if ((l1.d >> 11) & 1) {
        wrmsr(0x174, 0x10);
        wrmsr(0x175, 0xFFFF800000001000ull);
        wrmsr(0x176, 0xFFFF800000002000ull);
        report(rdmsr(0x174) == 0x10 && rdmsr(0x175) == 0xFFFF800000001000ull && rdmsr(0x176) == 0xFFFF800000002000ull,
               "SEP advertised: SYSENTER_CS/ESP/EIP read back");
    }
    if ((l7.b >> 1) & 1) {
        u64 before = rdtsc();
        wrmsr(0x3B, 1ull << 40);
        u64 after = rdtsc();
        report(rdmsr(0x3B) == (1ull << 40) && after - before >= (1ull << 40), "TSC_ADJUST advertised: writing it moves the TSC");
        wrmsr(0x3B, 0);
    }
}

static int write_cr4_safe(u64 v)
{
    catch_begin();
    asm volatile("1: mov %0, %%cr4\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(v) : "memory");
    return caught_vec;
}

/* An MSR of a hidden feature does not exist: RDMSR and WRMSR are #GP(0). */
static void msr_absent(u32 msr, const char *feature)
{
    u64 v = 0;
    int r = rdmsr_safe(msr, &v), w = wrmsr_safe(msr, 0);
    report(r == 13 && w == 13, "%s not advertised: RDMSR/WRMSR 0x%x are #GP (%d, %d)", feature, msr, r, w);
}

/* A CR4 bit is reserved unless CPUID offers its feature. */
static void cr4_bit(int advertised, int bit, const char *feature)
{
    u64 cr4 = read_cr4();
    int vec = write_cr4_safe(cr4 | (1ull << bit));
    if (advertised) {
        report(vec == -1 && (read_cr4() & (1ull << bit)), "%s advertised: CR4 bit %d settable", feature, bit);
        write_cr4(cr4);
    } else {
        /* KVM checks CR4 writes against CPUID only for the features it tracks, and MCE is not one. */
        report_kvm(vec == 13 && read_cr4() == cr4, bit == 6, "%s not advertised: setting CR4 bit %d is #GP (got %d)", feature, bit, vec);
        if (vec == -1) write_cr4(cr4);
    }
}

static void model_features(void)
{
    struct cpuid_regs l7 = cpuid(7, 0);
    int mtrr = (l1.d >> 12) & 1;
    if (mtrr) {
        u64 cap = 0;
        report(rdmsr_safe(0xFE, &cap) == -1 && (cap & 0xFF) >= 1, "MTRR advertised: MTRRCAP has %lu variable ranges", cap & 0xFF);
        u64 base0 = rdmsr(0x200);
        report(wrmsr_safe(0x200, 0x80000006ull) == -1 && rdmsr(0x200) == 0x80000006ull, "MTRR: PHYSBASE0 takes a WB range");
        report(wrmsr_safe(0x200, 0x80000106ull) == 13, "MTRR: reserved PHYSBASE0 bit 8 is #GP");
        report(wrmsr_safe(0x200, 0x80000002ull) == 13, "MTRR: reserved type 2 in PHYSBASE0 is #GP");
        report(wrmsr_safe(0x201, 0x0000010000000800ull) == 13, "MTRR: PHYSMASK0 above MAXPHYADDR is #GP");
        report(wrmsr_safe(0x250, 0x0606060606060607ull) == 13, "MTRR: UC- (7) in a fixed range is #GP");
        wrmsr(0x200, base0);
    } else {
        msr_absent(0xFE, "MTRR");
        msr_absent(0x2FF, "MTRR");
    }
    if (!((l1.d >> 16) & 1)) msr_absent(0x277, "PAT");
    if (!((l1.d >> 11) & 1)) msr_absent(0x174, "SEP");
    if (!((l7.b >> 1) & 1)) msr_absent(0x3B, "TSC_ADJUST");
    if ((l7.d >> 29) & 1) {
        /* RDCL_NO, SSB_NO, MDS_NO, PSCHANGE_MC_NO, TAA_NO, SBDR_SSDP_NO, FBSDP_NO, PSDP_NO, BHI_NO,
         * PBRSB_NO, GDS_NO, RFDS_NO: nothing speculates; no control MSR is enumerated */
        const u64 want = 0x0D10E171ull;
        u64 cap = 0;
        int r = rdmsr_safe(0x10A, &cap);
        /* Under KVM the host CPU speculates: KVM answers with what the host's CPU is and is not
         * affected by, in the kernel, which is right for a guest running there. */
        report_kvm(r == -1 && cap == want, r == -1, "ARCH_CAPABILITIES advertised: IA32_ARCH_CAPABILITIES reads 0x%lx (got %d)", cap, r);
        report(wrmsr_safe(0x10A, cap) == 13, "ARCH_CAPABILITIES: the MSR is read-only (WRMSR is #GP)");
    } else {
        msr_absent(0x10A, "ARCH_CAPABILITIES");
    }
    if (!((e1.d >> 27) & 1)) msr_absent(0xC0000103, "RDTSCP");
    if ((l1.c >> 24) & 1) {
        u64 v = 1;
        report(rdmsr_safe(0x6E0, &v) == -1, "TSC_DEADLINE advertised: IA32_TSC_DEADLINE readable");
    } else {
        msr_absent(0x6E0, "TSC_DEADLINE");
    }
    u64 apic_base = rdmsr(0x1B);
    if (!((l1.c >> 21) & 1)) {
        int vec = wrmsr_safe(0x1B, apic_base | (1ull << 10));
        report(vec == 13 && rdmsr(0x1B) == apic_base, "x2APIC not advertised: setting IA32_APIC_BASE.EXTD is #GP (got %d)", vec);
        msr_absent(0x802, "x2APIC");
    }

    if (cpuid(0, 0).b == 0x68747541u) {   /* "Auth"enticAMD: SYSCFG and INT_PENDING_MSG exist, read 0 */
        u64 v = 1, w = 1;
        report(rdmsr_safe(0xC0010010, &v) == -1 && v == 0 && rdmsr_safe(0xC0010055, &w) == -1 && w == 0,
               "AMD: SYSCFG and INT_PENDING_MSG read 0");
        report(wrmsr_safe(0xC0010010, 1ull << 19) == 13, "AMD: SYSCFG.MtrrFixDramModEn (not offered) is #GP");
    } else {
        msr_absent(0xC0010010, "AMD vendor");
    }

    cr4_bit((l1.d >> 7) & 1, 6, "MCE");
    cr4_bit((l1.d >> 2) & 1, 3, "DE");
    if (!((l7.b >> 7) & 1)) cr4_bit(0, 20, "SMEP");   /* set, it would stop this code if its pages are user pages */
    cr4_bit((l7.c >> 2) & 1, 11, "UMIP");
    cr4_bit((l1.c >> 26) & 1, 18, "XSAVE");
    if (!((l1.c >> 17) & 1)) cr4_bit(0, 17, "PCID");
}

int main(void)
{
    identification();
    advertised_units();
    advertised_instructions();
    efer();
    syscall_msrs();
    segment_bases();
    tsc();
    pat();
    unknown();
    model_features();
    return 0;
}
