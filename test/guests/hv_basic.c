/*
 * hv_basic: the Hyper-V enlightenments a guest finds first. Run with
 * `-cpu ...,hv-passthrough,hv-spinlocks=0x1fff -smp 2` (icount).
 *
 * Identification leaves 0x40000000-0x4000000A; GUEST_OS_ID and the
 * hypercall page (contents, memory around it intact, the locked bit);
 * hypercalls through the page and every HV_STATUS this partition returns;
 * #UD for a hypercall through the page at CPL 3 (and for a direct VMCALL
 * there where the page uses VMCALL: the interpreter's page; the kvm backend's
 * page traps with OUT 0x7e, docs/backends.md); VP_INDEX on every vCPU
 * (read-only); VP_RUNTIME;
 * the frequency MSRs; TIME_REF_COUNT monotonic on and across vCPUs; the
 * reference TSC page agreeing with it, and reading back 0 once disabled;
 * the re-enlightenment MSRs.
 *
 * Cmdline: action=1 writes CRASH_P0-P4 and CRASH_CTL (the machine must
 * stop before the next line); action=2 writes the RESET MSR; minimal=1
 * checks a machine with only hv-relaxed (no hv MSR but the hypercall pair).
 */
#include "guest.h"
#include "apic.h"
#include "ap_boot.h"

#define HV_X64_MSR_GUEST_OS_ID 0x40000000u
#define HV_X64_MSR_HYPERCALL 0x40000001u
#define HV_X64_MSR_VP_INDEX 0x40000002u
#define HV_X64_MSR_RESET 0x40000003u
#define HV_X64_MSR_VP_RUNTIME 0x40000010u
#define HV_X64_MSR_TIME_REF_COUNT 0x40000020u
#define HV_X64_MSR_REFERENCE_TSC 0x40000021u
#define HV_X64_MSR_TSC_FREQUENCY 0x40000022u
#define HV_X64_MSR_APIC_FREQUENCY 0x40000023u
#define HV_X64_MSR_CRASH_P0 0x40000100u
#define HV_X64_MSR_CRASH_CTL 0x40000105u
#define HV_X64_MSR_REENLIGHTENMENT_CONTROL 0x40000106u
#define HV_X64_MSR_TSC_EMULATION_CONTROL 0x40000107u

#define HV_STATUS_SUCCESS 0
#define HV_STATUS_INVALID_HYPERCALL_CODE 2
#define HV_STATUS_INVALID_HYPERCALL_INPUT 3
#define HV_STATUS_INVALID_ALIGNMENT 4
#define HV_STATUS_INVALID_PARAMETER 5
#define HV_STATUS_ACCESS_DENIED 6

#define HVCALL_NOTIFY_LONG_SPIN_WAIT 0x0008
#define HVCALL_POST_MESSAGE 0x005c
#define HV_HYPERCALL_FAST (1ull << 16)

#define GUEST_OS_ID_VALUE 0x8100000000000000ull   /* "open source" bit 63, vendor 1 */

static u8 hc_pages[3 * 4096] __attribute__((aligned(4096)));
static u8 ref_pages[2 * 4096] __attribute__((aligned(4096)));
static u8 params[2 * 4096] __attribute__((aligned(4096)));
static void *hc_page;
static int page_uses_vmcall;
/* The two pages tsvisor writes (lib/hypervisor/hypercall-trap.ts): VMCALL; RET on the
 * interpreter; on kvm, OUT 0x7e behind a CPL check that ends in UD2. */
static const u8 VMCALL_PAGE[] = { 0x0f, 0x01, 0xc1, 0xc3 };
static const u8 PORT_PAGE[] = { 0x50, 0x8c, 0xc8, 0xa8, 0x03, 0x58, 0x75, 0x03, 0xe6, 0x7e, 0xc3, 0x0f, 0x0b };

struct ref_tsc_page { volatile u32 seq; u32 reserved; volatile u64 scale; volatile s64 offset; };

static u64 hv_call(u64 control, u64 in, u64 out)
{
    u64 status;
    register u64 r8 asm("r8") = out;
    asm volatile("call *%[page]"
                 : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
                 : [page] "r"(hc_page)
                 : "memory", "r9", "r10", "r11");
    return status;
}

static u64 mulhi(u64 a, u64 b) { return (u64)(((unsigned __int128)a * b) >> 64); }

/* Reference time from the page, under its seqlock; 0 with *valid = 0 when the sequence is 0. */
static u64 ref_page_time(const struct ref_tsc_page *p, int *valid)
{
    for (;;) {
        u32 seq = p->seq;
        if (seq == 0) { *valid = 0; return 0; }
        asm volatile("" ::: "memory");
        u64 v = mulhi(rdtsc(), p->scale) + (u64)p->offset;
        asm volatile("" ::: "memory");
        if (p->seq == seq) { *valid = 1; return v; }
    }
}

static void identification(void)
{
    struct cpuid_regs r = cpuid(0x40000000, 0);
    char vendor[13];
    memcpy(vendor, &r.b, 4);
    memcpy(vendor + 4, &r.c, 4);
    memcpy(vendor + 8, &r.d, 4);
    vendor[12] = 0;
    report(strcmp(vendor, "Microsoft Hv") == 0, "0x40000000 vendor '%s'", vendor);
    report(r.a == 0x4000000a, "0x40000000 max leaf 0x%x", r.a);
    r = cpuid(0x40000001, 0);
    report(r.a == 0x31237648, "0x40000001 interface 'Hv#1' (0x%x)", r.a);
    r = cpuid(0x40000002, 0);
    report(r.a != 0 && (r.b >> 16) >= 6, "0x40000002 build %u version %u.%u", r.a, r.b >> 16, r.b & 0xffff);
    r = cpuid(0x40000003, 0);
    u32 want = (1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 9) | (1u << 11) | (1u << 13);
    report(r.a == want, "0x40000003 EAX privileges 0x%x (want 0x%x)", r.a, want);
    report(r.b == ((1u << 4) | (1u << 5)), "0x40000003 EBX: PostMessages and SignalEvents with the SynIC (0x%x)", r.b);
    report(r.d == ((1u << 8) | (1u << 10) | (1u << 19)), "0x40000003 EDX: frequency and crash MSRs, direct timers (0x%x)", r.d);
    r = cpuid(0x40000004, 0);
    u32 hints = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 5) | (1u << 10) | (1u << 11);
    report(r.a == hints, "0x40000004 EAX: TLB flush, APIC MSRs, relaxed timing, cluster IPI, Ex masks (0x%x)", r.a);
    report(r.b == 0x1fff, "0x40000004 EBX: spinlock retries 0x%x", r.b);
    r = cpuid(0x40000005, 0);
    report(r.a == 2 && r.b == 2, "0x40000005 limits: %u VPs, %u LPs", r.a, r.b);
    r = cpuid(0x4000000a, 0);
    report(r.a == 0 && r.b == 0, "0x4000000A: no nested features");
}

static void hypercall_page(void)
{
    memset(hc_pages, 0x5a, sizeof(hc_pages));
    u8 *page = hc_pages + 4096;
    u64 v;
    report(rdmsr(HV_X64_MSR_GUEST_OS_ID) == 0 && rdmsr(HV_X64_MSR_HYPERCALL) == 0, "GUEST_OS_ID and HYPERCALL start at 0");
    wrmsr(HV_X64_MSR_HYPERCALL, (u64)page | 1);
    v = rdmsr(HV_X64_MSR_HYPERCALL);
    report(!(v & 1) && page[0] == 0x5a, "HYPERCALL cannot be enabled while GUEST_OS_ID is 0 (0x%lx)", v);
    wrmsr(HV_X64_MSR_GUEST_OS_ID, GUEST_OS_ID_VALUE);
    report(rdmsr(HV_X64_MSR_GUEST_OS_ID) == GUEST_OS_ID_VALUE, "GUEST_OS_ID reads back");
    wrmsr(HV_X64_MSR_HYPERCALL, (u64)page | 1);
    v = rdmsr(HV_X64_MSR_HYPERCALL);
    report(v == ((u64)page | 1), "HYPERCALL enabled at 0x%lx (0x%lx)", (u64)page, v);
    report(memcmp(page, VMCALL_PAGE, sizeof(VMCALL_PAGE)) == 0 || memcmp(page, PORT_PAGE, sizeof(PORT_PAGE)) == 0,
           "hypercall page holds VMCALL; RET or the OUT 0x7e trap (%02x %02x %02x %02x)", page[0], page[1], page[2], page[3]);
    page_uses_vmcall = memcmp(page, VMCALL_PAGE, sizeof(VMCALL_PAGE)) == 0;
    report_info("hypercall page: %s", page_uses_vmcall ? "VMCALL; RET" : "OUT 0x7e trap");
    int intact = 1;
    for (unsigned i = 0; i < 4096; i++) intact &= hc_pages[i] == 0x5a && hc_pages[2 * 4096 + i] == 0x5a;
    report(intact, "memory before and after the hypercall page is intact");
    hc_page = page;

    /* Writing 0 to GUEST_OS_ID disables the page; enabling again rewrites it. */
    u8 first = page[0];
    page[0] = 0x90;
    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
    report(!(rdmsr(HV_X64_MSR_HYPERCALL) & 1), "GUEST_OS_ID = 0 disables the hypercall page");
    wrmsr(HV_X64_MSR_GUEST_OS_ID, GUEST_OS_ID_VALUE);
    wrmsr(HV_X64_MSR_HYPERCALL, (u64)page | 1);
    report(page[0] == first && first != 0x90, "re-enabling rewrites the page");
    /* Fresh code in the page must run (the CPU's decoded copy is dropped). */
    report(hv_call(0x7777, 0, 0) == HV_STATUS_INVALID_HYPERCALL_CODE, "a call through the page reaches the hypervisor");

    /* Locked: later writes are ignored. */
    wrmsr(HV_X64_MSR_HYPERCALL, (u64)page | 3);
    wrmsr(HV_X64_MSR_HYPERCALL, 0);
    v = rdmsr(HV_X64_MSR_HYPERCALL);
    report(v == ((u64)page | 3), "locked HYPERCALL ignores a disabling write (0x%lx)", v);
    report(rdmsr_safe(HV_X64_MSR_HYPERCALL, &v) == -1, "HYPERCALL stays readable");
}

static u8 user_stack[4096] __attribute__((aligned(16)));
static void user_vmcall(void)
{
    asm volatile("1: vmcall\n2:\n\t" EX_FIXUP("1b", "2b") ::: "memory");
}

extern void user_return(void);
extern volatile u64 user_saved_rsp;
static volatile u64 user_ud_rip;
static volatile int user_page_returned;

/* #UD at CPL 3 (inside the hypercall page): note where, and go back to run_user's caller. */
static int user_ud_handler(struct trap_frame *f)
{
    if ((f->cs & 3) != 3) return 0;
    user_ud_rip = f->rip;
    f->rip = (u64)user_return;
    f->cs = SEL_CODE64;
    f->ss = SEL_DATA;
    f->rsp = user_saved_rsp;
    return 1;
}

static void user_page_call(void)
{
    hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST, 100, 0);
    user_page_returned = 1;
}

static void hypercalls(void)
{
    u64 s;
    s = hv_call(0x7777, 0, 0);
    report((s & 0xffff) == HV_STATUS_INVALID_HYPERCALL_CODE, "unknown call code: INVALID_HYPERCALL_CODE (0x%lx)", s);
    s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST, 100, 0);
    report(s == HV_STATUS_SUCCESS, "HvNotifyLongSpinWait (fast): SUCCESS (0x%lx)", s);
    *(volatile u64 *)params = 100;
    s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT, (u64)params, 0);
    report(s == HV_STATUS_SUCCESS, "HvNotifyLongSpinWait (memory): SUCCESS (0x%lx)", s);
    s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST | (1ull << 28), 100, 0);
    report(s == HV_STATUS_INVALID_HYPERCALL_INPUT, "reserved input bit 28: INVALID_HYPERCALL_INPUT (0x%lx)", s);
    s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST | (1ull << 62), 100, 0);
    report(s == HV_STATUS_INVALID_HYPERCALL_INPUT, "reserved input bit 62: INVALID_HYPERCALL_INPUT (0x%lx)", s);
    s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST | (3ull << 32), 100, 0);
    report(s == HV_STATUS_INVALID_HYPERCALL_INPUT, "rep count on a simple call: INVALID_HYPERCALL_INPUT (0x%lx)", s);
    s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT, (u64)params + 4, 0);
    report(s == HV_STATUS_INVALID_ALIGNMENT, "misaligned input GPA: INVALID_ALIGNMENT (0x%lx)", s);
    s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | (1ull << 17) * 511, (u64)params + 8, 0);
    report(s == HV_STATUS_INVALID_ALIGNMENT, "input block crossing a page: INVALID_ALIGNMENT (0x%lx)", s);
    s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT, multiboot_ram_top() + 0x10000, 0);
    report(s == HV_STATUS_INVALID_PARAMETER, "input GPA beyond RAM: INVALID_PARAMETER (0x%lx)", s);
    /* Result in RAX only: RCX/RDX/R8 are inputs and come back as they were. */
    u64 rcx = HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST, rdx = 5;
    register u64 r8 asm("r8") = 0x1234;
    asm volatile("call *%[page]" : "=a"(s), "+c"(rcx), "+d"(rdx), "+r"(r8) : [page] "r"(hc_page) : "memory", "r9", "r10", "r11");
    report(s == 0 && rcx == (HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST) && rdx == 5 && r8 == 0x1234,
           "through the page: status in RAX, input registers preserved");
    /* Hypercalls are for CPL 0: through the page at CPL 3, #UD inside the page. */
    user_ud_rip = 0;
    user_page_returned = 0;
    set_trap_handler(6, user_ud_handler);
    run_user(user_page_call, user_stack + sizeof(user_stack));
    set_trap_handler(6, 0);
    report(!user_page_returned && user_ud_rip >= (u64)hc_page && user_ud_rip < (u64)hc_page + 4096,
           "hypercall page at CPL 3: #UD in the page (RIP 0x%lx, page 0x%lx)", user_ud_rip, (u64)hc_page);
    if (page_uses_vmcall) {
        /* The interpreter's page is VMCALL itself: the instruction gives the same answers directly. */
        rcx = HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST, rdx = 5;
        r8 = 0x1234;
        asm volatile("vmcall" : "=a"(s), "+c"(rcx), "+d"(rdx), "+r"(r8) :: "memory");
        report(s == 0 && rcx == (HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST) && rdx == 5 && r8 == 0x1234,
               "direct VMCALL: status in RAX, input registers preserved");
        catch_begin();
        run_user(user_vmcall, user_stack + sizeof(user_stack));
        report(caught_vector() == 6, "VMCALL at CPL 3: #UD (vector %d)", caught_vector());
    }
}

static volatile unsigned arrived, ap_vp_index, ap_apic, ap_bad_time, ap_done;
static volatile u64 last_ref;

/* Every vCPU: TIME_REF_COUNT never goes below what any vCPU saw before, and the page agrees. */
static unsigned time_walk(unsigned rounds)
{
    const struct ref_tsc_page *p = (const struct ref_tsc_page *)ref_pages;
    unsigned bad = 0;
    for (unsigned i = 0; i < rounds; i++) {
        u64 seen = last_ref;
        asm volatile("" ::: "memory");
        u64 a = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
        int valid;
        u64 pg = ref_page_time(p, &valid);
        u64 b = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
        if (a < seen || !valid || pg < a || pg > b) bad++;
        u64 cur = last_ref;
        while (cur < b && !__atomic_compare_exchange_n(&last_ref, &cur, b, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) { }
        if (i % 16 == 0) cpu_pause();
    }
    return bad;
}

static void ap_main(unsigned slot)
{
    (void)slot;
    ap_vp_index = (unsigned)rdmsr(HV_X64_MSR_VP_INDEX);
    ap_apic = apic_id();
    apic_write(APIC_SVR, 0x1ff);
    __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
    asm volatile("sti");   /* IPIs from the BSP's hypercalls arrive while waiting */
    while (!ap_done) cpu_pause();
    asm volatile("cli");
    ap_bad_time = time_walk(2000);
    __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
    for (;;) asm volatile("cli; hlt");
}

static int wait_for(volatile unsigned *v, unsigned want)
{
    for (unsigned i = 0; i < 50000000 && *v < want; i++) cpu_pause();
    return *v >= want;
}

static void vp_registers(void)
{
    u64 v;
    report(rdmsr(HV_X64_MSR_VP_INDEX) == apic_id(), "BSP VP_INDEX = APIC ID 0");
    report(wrmsr_safe(HV_X64_MSR_VP_INDEX, 1) == 13, "VP_INDEX is read-only (#GP)");
    u64 r1 = rdmsr(HV_X64_MSR_VP_RUNTIME);
    for (volatile int i = 0; i < 10000; i++) { }
    u64 r2 = rdmsr(HV_X64_MSR_VP_RUNTIME);
    u64 now = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    report(r2 > r1 && r2 <= now, "VP_RUNTIME advances (%lu -> %lu) and stays below TIME_REF_COUNT (%lu)", r1, r2, now);
    report(wrmsr_safe(HV_X64_MSR_VP_RUNTIME, 0) == 13, "VP_RUNTIME is read-only (#GP)");
    u64 tsc_hz = rdmsr(HV_X64_MSR_TSC_FREQUENCY), apic_hz = rdmsr(HV_X64_MSR_APIC_FREQUENCY);
    report(tsc_hz >= 1000000 && apic_hz >= 1000000, "TSC_FREQUENCY %lu Hz, APIC_FREQUENCY %lu Hz", tsc_hz, apic_hz);
    /* Each counter read is bracketed by two RDTSCs, so host delays in the MSR exit cannot blur the comparison. */
    u64 t1 = rdtsc(), c1 = rdmsr(HV_X64_MSR_TIME_REF_COUNT), t1b = rdtsc();
    for (volatile int i = 0; i < 200000; i++) { }
    u64 t2 = rdtsc(), c2 = rdmsr(HV_X64_MSR_TIME_REF_COUNT), t2b = rdtsc();
    u64 lo = (t2 - t1b) * 10000000ull / tsc_hz, hi = (t2b - t1) * 10000000ull / tsc_hz, counted = c2 - c1;
    report(counted > 0 && counted + 2 >= lo && counted <= hi + 2,
           "TIME_REF_COUNT advances with the TSC at TSC_FREQUENCY (%lu within %lu..%lu)", counted, lo, hi);
    report(wrmsr_safe(HV_X64_MSR_TIME_REF_COUNT, 0) == 13, "TIME_REF_COUNT is read-only (#GP)");
    report(wrmsr_safe(HV_X64_MSR_REENLIGHTENMENT_CONTROL, (1ull << 16) | 0xe0) == -1 &&
           rdmsr(HV_X64_MSR_REENLIGHTENMENT_CONTROL) == ((1ull << 16) | 0xe0), "REENLIGHTENMENT_CONTROL holds vector and enable");
    report(wrmsr_safe(HV_X64_MSR_REENLIGHTENMENT_CONTROL, 1ull << 20) == 13, "REENLIGHTENMENT_CONTROL reserved bit: #GP");
    report(wrmsr_safe(HV_X64_MSR_TSC_EMULATION_CONTROL, 1) == -1 && rdmsr(HV_X64_MSR_TSC_EMULATION_CONTROL) == 1,
           "TSC_EMULATION_CONTROL holds its enable bit");
    report(rdmsr(HV_X64_MSR_CRASH_CTL) == (1ull << 63), "CRASH_CTL offers CrashNotify");
    report(rdmsr_safe(HV_X64_MSR_RESET, &v) == -1 && v == 0, "RESET reads 0");
}

static void reference_tsc(void)
{
    memset(ref_pages, 0x77, sizeof(ref_pages));
    const struct ref_tsc_page *p = (const struct ref_tsc_page *)ref_pages;
    wrmsr(HV_X64_MSR_REFERENCE_TSC, (u64)ref_pages | 1);
    report(rdmsr(HV_X64_MSR_REFERENCE_TSC) == ((u64)ref_pages | 1), "REFERENCE_TSC enabled");
    report(p->seq != 0 && p->seq != 0xffffffffu && p->scale != 0, "page: sequence %u, scale 0x%lx, offset %ld", p->seq, p->scale, p->offset);
    int intact = 1;
    for (unsigned i = 4096; i < sizeof(ref_pages); i++) intact &= ref_pages[i] == 0x77;
    report(intact, "memory after the reference TSC page is intact");
    report(time_walk(2000) == 0, "BSP: TIME_REF_COUNT monotonic, page time between two counter reads");
}

#define HV_X64_MSR_EOI 0x40000070u
#define HV_X64_MSR_ICR 0x40000071u
#define HV_X64_MSR_TPR 0x40000072u
#define HV_X64_MSR_VP_ASSIST_PAGE 0x40000073u
#define VAPIC_VECTOR 0xE0
static volatile unsigned vapic_hits, vapic_isr;
static u8 assist_page[4096] __attribute__((aligned(4096)));

static int vapic_handler(struct trap_frame *f)
{
    (void)f;
    vapic_hits++;
    vapic_isr = apic_isr_bit(VAPIC_VECTOR);
    wrmsr(HV_X64_MSR_EOI, 0);   /* EOI through the synthetic MSR */
    return 1;
}

/* hv-vapic: EOI/ICR/TPR through MSRs, the VP assist page. */
static void vapic(void)
{
    u64 v;
    apic_write(APIC_SVR, 0x1ff);
    wrmsr(HV_X64_MSR_TPR, 0x20);
    report(apic_read(APIC_TPR) == 0x20, "TPR MSR write reaches the APIC's TPR (0x%x)", apic_read(APIC_TPR));
    apic_write(APIC_TPR, 0x30);
    report(rdmsr(HV_X64_MSR_TPR) == 0x30, "APIC TPR reads back through the TPR MSR");
    report(wrmsr_safe(HV_X64_MSR_TPR, 0x100) == 13, "TPR MSR bits above 7: #GP");
    wrmsr(HV_X64_MSR_TPR, 0);
    report(rdmsr_safe(HV_X64_MSR_EOI, &v) == 13, "EOI MSR is write-only (#GP on read)");
    set_trap_handler(VAPIC_VECTOR, vapic_handler);
    wrmsr(HV_X64_MSR_ICR, ((u64)apic_id() << 56) | VAPIC_VECTOR);   /* fixed, physical, to ourselves */
    report(rdmsr(HV_X64_MSR_ICR) == (((u64)apic_id() << 56) | VAPIC_VECTOR), "ICR MSR reads back");
    asm volatile("sti; nop; nop; cli");
    for (volatile int i = 0; i < 1000 && !vapic_hits; i++) asm volatile("sti; nop; cli");
    report(vapic_hits == 1 && vapic_isr == 1, "ICR MSR self-IPI delivered (hits %u, in service %u)", vapic_hits, vapic_isr);
    report(apic_isr_bit(VAPIC_VECTOR) == 0, "EOI MSR retired it");
    memset(assist_page, 0x55, sizeof(assist_page));
    wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, (u64)assist_page | 1);
    int zero = 1;
    for (unsigned i = 0; i < sizeof(assist_page); i++) zero &= assist_page[i] == 0;
    report(rdmsr(HV_X64_MSR_VP_ASSIST_PAGE) == ((u64)assist_page | 1) && zero, "VP assist page enabled and cleared");
    report(wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE, (u64)assist_page | 4) == 13, "VP assist page reserved bit: #GP");
    wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, 0);
}

#define IPI_VECTOR 0xE1
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE 0x0002
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST 0x0003
#define HVCALL_SEND_IPI 0x000b
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX 0x0013
#define HVCALL_SEND_IPI_EX 0x0015
#define VARHEAD(n) ((u64)(n) << 17)
#define REPS(n) ((u64)(n) << 32)
static volatile unsigned ipi_hits[2];

static int ipi_handler(struct trap_frame *f)
{
    (void)f;
    ipi_hits[apic_id() & 1]++;
    apic_eoi();
    return 1;
}

static int wait_for(volatile unsigned *v, unsigned want);

/* hv-ipi and hv-tlbflush hypercalls, with the AP waiting (interrupts on). */
static void ipi_and_flush(void)
{
    u64 s;
    set_trap_handler(IPI_VECTOR, ipi_handler);
    struct cpuid_regs r = cpuid(0x40000004, 0);
    report((r.a & ((1u << 1) | (1u << 2) | (1u << 10) | (1u << 11))) == ((1u << 1) | (1u << 2) | (1u << 10) | (1u << 11)),
           "0x40000004: TLB flush, cluster IPI and Ex masks recommended (0x%x)", r.a);
    asm volatile("sti");
    s = hv_call(HVCALL_SEND_IPI | HV_HYPERCALL_FAST, IPI_VECTOR, 3);   /* VPs 0 and 1 */
    int both = wait_for(&ipi_hits[1], 1) && wait_for(&ipi_hits[0], 1);
    report(s == 0 && both && ipi_hits[0] == 1 && ipi_hits[1] == 1, "HvSendSyntheticClusterIpi (fast) to VPs 0 and 1 (status 0x%lx, hits %u/%u)", s, ipi_hits[0], ipi_hits[1]);
    u64 *in = (u64 *)params;
    in[0] = IPI_VECTOR;        /* vector, vtl 0 */
    in[1] = 0;                 /* HV_GENERIC_SET_SPARSE_4K */
    in[2] = 1;                 /* bank 0 valid */
    in[3] = 2;                 /* VP 1 */
    s = hv_call(HVCALL_SEND_IPI_EX | VARHEAD(1), (u64)params, 0);
    report(s == 0 && wait_for(&ipi_hits[1], 2) && ipi_hits[0] == 1, "HvSendSyntheticClusterIpiEx (sparse set) to VP 1 only (0x%lx)", s);
    s = hv_call(HVCALL_SEND_IPI_EX, (u64)params, 0);
    report(s == HV_STATUS_INVALID_PARAMETER, "Ex set whose banks miss the variable header: INVALID_PARAMETER (0x%lx)", s);
    s = hv_call(HVCALL_SEND_IPI | HV_HYPERCALL_FAST, 5, 3);
    report(s == HV_STATUS_INVALID_PARAMETER, "IPI vector 5: INVALID_PARAMETER (0x%lx)", s);
    asm volatile("cli");

    in[0] = 0; in[1] = 1; in[2] = 0;        /* address space, HV_FLUSH_ALL_PROCESSORS, mask */
    s = hv_call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, (u64)params, 0);
    report(s == 0, "HvFlushVirtualAddressSpace, all processors: SUCCESS (0x%lx)", s);
    in[1] = 0; in[2] = 3; in[3] = 0x1000; in[4] = 0x2000; in[5] = 0x3000;
    s = hv_call(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST | REPS(3), (u64)params, 0);
    report(s == REPS(3), "HvFlushVirtualAddressList, 3 reps: SUCCESS, 3 reps completed (0x%lx)", s);
    s = hv_call(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, (u64)params, 0);
    report(s == HV_STATUS_INVALID_HYPERCALL_INPUT, "a rep call with rep count 0: INVALID_HYPERCALL_INPUT (0x%lx)", s);
    in[0] = 0; in[1] = 0; in[2] = 1; in[3] = 0;   /* flags 0, HV_GENERIC_SET_ALL */
    s = hv_call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX, (u64)params, 0);
    report(s == 0, "HvFlushVirtualAddressSpaceEx, set = all: SUCCESS (0x%lx)", s);
    in[2] = 7;
    s = hv_call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX, (u64)params, 0);
    report(s == HV_STATUS_INVALID_PARAMETER, "unknown VP set format: INVALID_PARAMETER (0x%lx)", s);
}

static void smp_part(void)
{
    unsigned ncpus = (cpuid(1, 0).b >> 16) & 0xff;
    report(ncpus == 2, "two vCPUs");
    if (ncpus < 2) return;
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    ap_boot_prepare(ap_main);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);
    for (int i = 0; i < 2; i++) apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    report(wait_for(&arrived, 1), "AP arrived");
    report(ap_vp_index == ap_apic && ap_apic == 1, "AP: VP_INDEX %u = APIC ID %u", ap_vp_index, ap_apic);
    ipi_and_flush();
    ap_done = 1;
    unsigned bad = time_walk(2000);
    report(wait_for(&arrived, 2), "AP finished its time walk");
    report(bad == 0 && ap_bad_time == 0, "both vCPUs: time never behind what the other saw, page agrees (bad %u/%u)", bad, ap_bad_time);
}

static void disable_reference_tsc(void)
{
    const struct ref_tsc_page *p = (const struct ref_tsc_page *)ref_pages;
    wrmsr(HV_X64_MSR_REFERENCE_TSC, 0);
    report(rdmsr(HV_X64_MSR_REFERENCE_TSC) == 0, "REFERENCE_TSC disabled reads back 0");
    int valid = 1;
    ref_page_time(p, &valid);
    report(!valid, "a disabled page says 'use the MSR' (sequence 0)");
}

static void minimal(void)
{
    u64 v;
    struct cpuid_regs r = cpuid(0x40000003, 0);
    report(r.a == (1u << 5) && r.d == 0, "hv-relaxed only: privileges 0x%x (hypercall MSRs), misc 0x%x", r.a, r.d);
    report(cpuid(0x40000004, 0).a == (1u << 5), "relaxed timing recommended");
    report(rdmsr_safe(HV_X64_MSR_VP_INDEX, &v) == 13, "VP_INDEX without hv-vpindex: #GP");
    report(rdmsr_safe(HV_X64_MSR_TIME_REF_COUNT, &v) == 13, "TIME_REF_COUNT without hv-time: #GP");
    report(rdmsr_safe(HV_X64_MSR_CRASH_P0, &v) == 13, "CRASH_P0 without hv-crash: #GP");
    report(wrmsr_safe(0x40000070u, 0) == 13, "EOI MSR without hv-vapic: #GP");
    report(rdmsr_safe(HV_X64_MSR_GUEST_OS_ID, &v) == -1, "GUEST_OS_ID exists");
    wrmsr(HV_X64_MSR_GUEST_OS_ID, GUEST_OS_ID_VALUE);
    wrmsr(HV_X64_MSR_HYPERCALL, (u64)(hc_pages + 4096) | 1);
    hc_page = hc_pages + 4096;
    u64 s = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST, 1, 0);
    report(s == HV_STATUS_ACCESS_DENIED, "HvNotifyLongSpinWait with 'never notify' retries: ACCESS_DENIED (0x%lx)", s);
    s = hv_call(HVCALL_POST_MESSAGE, (u64)params, 0);
    report(s == HV_STATUS_ACCESS_DENIED, "HvPostMessage without the SynIC privilege: ACCESS_DENIED (0x%lx)", s);
}

int main(void)
{
    if (cmdline_u64("minimal", 0)) {
        minimal();
        return 0;
    }
    u64 action = cmdline_u64("action", 0);
    if (action == 1) {
        for (u32 i = 0; i < 5; i++) wrmsr(HV_X64_MSR_CRASH_P0 + i, 0x1000 + i);
        wrmsr(HV_X64_MSR_CRASH_CTL, 1ull << 63);
        report(0, "the machine still runs after a crash notification");
        return 0;
    }
    if (action == 2) {
        wrmsr(HV_X64_MSR_RESET, 1);
        report(0, "the machine still runs after a RESET write");
        return 0;
    }
    identification();
    hypercall_page();
    hypercalls();
    vp_registers();
    reference_tsc();
    vapic();
    smp_part();
    disable_reference_tsc();
    return 0;
}
