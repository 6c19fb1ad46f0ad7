/*
 * Local APIC on the real CPU core: registers, self-IPIs, TPR/PPR masking,
 * ESR (write-before-read) and the error LVT, the timer in one-shot,
 * periodic and TSC-deadline modes, x2APIC MSRs and the APIC_BASE enable
 * bits. Meant for icount mode (the test runs it with -icount shift=0), where
 * timer interrupt counts are exact; with realtime=1 on the command line (KVM,
 * which has no icount) the timer checks allow for exits that take long on a
 * slow or nested host, without accepting a wrong answer.
 */
#include "guest.h"
#include "apic.h"

#define V_SELF 0x50
#define V_MASKED 0x55
#define V_HIGH 0x70
#define V_ERROR 0x60
#define V_TIMER 0x40

static volatile unsigned hits[256];
static int realtime;   /* cmdline realtime=1: guest time is host time (a slow exit lets the timer run on) */
static volatile u64 timer_tsc;

static int count_and_eoi(struct trap_frame *f)
{
    hits[f->vector]++;
    if (f->vector == V_TIMER) timer_tsc = rdtsc();
    apic_eoi();
    return 1;
}

static void x2apic_eoi_handler_setup(void);

static void wait_hits(unsigned vector, unsigned n)
{
    /* HLT with interrupts on: in icount mode a halted CPU warps to the next timer. */
    for (unsigned spins = 0; hits[vector] < n && spins < 1000; spins++)
        asm volatile("sti; hlt; cli" ::: "memory");
}

/* Lets interrupts in for a while: delivery of an IPI is not instantaneous on every implementation. */
static void let_in(unsigned vector, unsigned want)
{
    for (int i = 0; i < 2000 && hits[vector] < want; i++)
        asm volatile("sti; nop; cli" ::: "memory");
}

static void basics(void)
{
    struct cpuid_regs l1 = cpuid(1, 0);
    report((l1.d >> 9) & 1, "CPUID.1:EDX.APIC");
    /* Optional features: their sections below run only when advertised. */
    report_info("CPUID.1:ECX.x2APIC %u, TSC-deadline %u", (l1.c >> 21) & 1, (l1.c >> 24) & 1);
    u64 base = rdmsr(MSR_APIC_BASE);
    report(base == (APIC_MMIO_BASE | APIC_BASE_EN | APIC_BASE_BSP), "IA32_APIC_BASE = 0x%lx", base);
    report(apic_id() == 0 && (l1.b >> 24) == 0, "BSP APIC ID 0 (register and CPUID)");
    u32 ver = apic_read(APIC_VERSION);
    report((ver & 0xff) == 0x14 && ((ver >> 16) & 0xff) == 5, "version 0x%x: integrated APIC, 6 LVTs", ver);
    report((apic_read(APIC_LVT_LINT0) & 0x10700) == 0x700 && (apic_read(APIC_LVT_LINT1) & 0x10700) == 0x400,
           "virtual-wire mode at hand-off: LINT0 ExtINT 0x%x, LINT1 NMI 0x%x", apic_read(APIC_LVT_LINT0), apic_read(APIC_LVT_LINT1));
    report((apic_read(APIC_SVR) & 0x1ff) == 0x1ff, "SVR 0x%x: enabled, spurious vector 0xff", apic_read(APIC_SVR));
    apic_write(APIC_SVR, 0x1ef);
    report(apic_read(APIC_SVR) == 0x1ef, "spurious vector is writable (0x%x)", apic_read(APIC_SVR));
    apic_write(APIC_SVR, 0x0ef);
    apic_write(APIC_LVT_ERROR, V_ERROR);
    int still_masked = (apic_read(APIC_LVT_ERROR) & APIC_LVT_MASKED) != 0;
    report_sdm(still_masked, !still_masked, "software-disabled: LVT writes stay masked");
    apic_write(APIC_SVR, 0x1ff);
    apic_write(APIC_DFR, 0xffffffff);
    apic_write(APIC_LDR, 0x01000000);
    report(apic_read(APIC_LDR) == 0x01000000 && apic_read(APIC_DFR) == 0xffffffff, "LDR/DFR flat model");
}

static void self_ipi(void)
{
    apic_send_ipi(0, ICR_SELF | ICR_FIXED | V_SELF);
    let_in(V_SELF, 1);
    report(hits[V_SELF] == 1, "self-IPI (shorthand) delivered once (%u)", hits[V_SELF]);
    apic_send_ipi(0, ICR_FIXED | V_SELF);   /* physical destination 0 = this CPU */
    let_in(V_SELF, 2);
    report(hits[V_SELF] == 2, "IPI to own APIC ID delivered (%u)", hits[V_SELF]);
    apic_write(APIC_LDR, 0x01000000);
    apic_send_ipi(0x01, ICR_LOGICAL | ICR_FIXED | V_SELF);
    let_in(V_SELF, 3);
    report(hits[V_SELF] == 3, "logical (flat) destination matches LDR (%u)", hits[V_SELF]);
    apic_send_ipi(0x02, ICR_LOGICAL | ICR_FIXED | V_SELF);
    let_in(V_SELF, 4);
    report(hits[V_SELF] == 3, "logical destination not in LDR: not delivered");
    report(!apic_isr_bit(V_SELF) && !apic_irr_bit(V_SELF), "EOI cleared ISR");
}

static void tpr_masking(void)
{
    apic_write(APIC_TPR, 0x60);
    report(apic_read(APIC_PPR) == 0x60, "PPR follows TPR (0x%x)", apic_read(APIC_PPR));
    apic_send_ipi(0, ICR_SELF | V_MASKED);
    let_in(V_MASKED, 1);
    report(hits[V_MASKED] == 0 && apic_irr_bit(V_MASKED), "vector 0x55 held in IRR under TPR 0x60");
    apic_send_ipi(0, ICR_SELF | V_HIGH);
    let_in(V_HIGH, 1);
    report(hits[V_HIGH] == 1, "vector 0x70 above TPR delivered");
    apic_write(APIC_TPR, 0);
    let_in(V_MASKED, 1);
    report(hits[V_MASKED] == 1 && !apic_irr_bit(V_MASKED), "lowering TPR delivers the held vector");
    /* CR8 writes are the TPR too */
    asm volatile("mov %0, %%cr8" :: "r"(7ull));
    report(apic_read(APIC_TPR) == 0x70, "MOV to CR8 sets TPR (0x%x)", apic_read(APIC_TPR));
    asm volatile("mov %0, %%cr8" :: "r"(0ull));
    report(apic_read(APIC_TPR) == 0 && apic_read(APIC_PPR) == 0, "TPR back to 0");
}

static void esr(void)
{
    apic_write(APIC_ESR, 0);
    (void)apic_read(APIC_ESR);
    apic_write(APIC_LVT_ERROR, V_ERROR);
    apic_send_ipi(0, ICR_SELF | 5);   /* vectors 0-15 are illegal */
    let_in(V_ERROR, 1);
    report(apic_read(APIC_ESR) == 0, "ESR reads 0 until written (write-before-read)");
    apic_write(APIC_ESR, 0);
    u32 e = apic_read(APIC_ESR);
    report_sdm((e & (1u << 5)) != 0, e == 0, "send illegal vector latched into ESR (0x%x)", e);
    report_sdm(hits[V_ERROR] == 1, hits[V_ERROR] == 0, "error LVT interrupt (%u)", hits[V_ERROR]);
    report_sdm(hits[5] == 0, hits[5] == 1, "illegal vector not delivered");
    apic_write(APIC_ESR, 0);
    report(apic_read(APIC_ESR) == 0, "next write clears it");
    apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED | V_ERROR);
}

static void timer_one_shot(void)
{
    apic_write(APIC_TIMER_DIVIDE, 0xb);   /* divide by 1 */
    apic_write(APIC_LVT_TIMER, V_TIMER);
    /* A count that outlasts two register reads on any host (2^31 ns): each read is an exit,
     * and an exit on a nested KVM under an emulator takes hundreds of microseconds. */
    apic_write(APIC_TIMER_INITIAL, 0x80000000u);
    u32 c1 = apic_read(APIC_TIMER_CURRENT);
    u32 c2 = apic_read(APIC_TIMER_CURRENT);
    report(c1 <= 0x80000000u && c2 < c1, "current count runs down (%u ticks to the first read, %u to the second)", 0x80000000u - c1, c1 - c2);
    apic_write(APIC_TIMER_INITIAL, 200000);   /* restarts the count */
    wait_hits(V_TIMER, 1);
    report(hits[V_TIMER] == 1, "one-shot fired once");
    report(apic_read(APIC_TIMER_CURRENT) == 0, "current count 0 after expiry");
    for (volatile int i = 0; i < 100000; i++) { }
    report(hits[V_TIMER] == 1, "one-shot does not repeat");
    apic_write(APIC_TIMER_DIVIDE, 0x3);   /* divide by 16 */
    apic_write(APIC_TIMER_INITIAL, 10000);
    report(apic_read(APIC_TIMER_DIVIDE) == 3, "divide configuration reads back");
    wait_hits(V_TIMER, 2);
    report(hits[V_TIMER] == 2, "one-shot with divide 16 fired");
}

static void timer_periodic(void)
{
    unsigned start = hits[V_TIMER];
    apic_write(APIC_TIMER_DIVIDE, 0xb);
    apic_write(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | V_TIMER);
    /* 100 us under icount. In real time the period must outlast the handler, whose EOI is an
     * exit (about a millisecond on a nested KVM under an emulator): with a shorter one, the next
     * interrupt is pending at every IRET and the loop below never runs again (as on hardware). */
    apic_write(APIC_TIMER_INITIAL, realtime ? 20000000 : 100000);
    wait_hits(V_TIMER, start + 5);
    apic_write(APIC_TIMER_INITIAL, 0);   /* stops the timer */
    unsigned got = hits[V_TIMER] - start;
    /* In real time a period may end between the 5th interrupt and the write: it is in IRR and
     * still comes (one at most, IRR holds one), but nothing after it. Under icount none does. */
    let_in(V_TIMER, start + got + 1);
    unsigned stopped = hits[V_TIMER];
    report(realtime ? got >= 5 && stopped - start - got <= 1 : got == 5 && stopped == start + got, "periodic: 5 ticks counted (%u)", got);
    for (volatile int i = 0; i < 300000; i++) { }
    let_in(V_TIMER, stopped + 1);
    report(hits[V_TIMER] == stopped, "writing 0 to the initial count stops it");
    apic_write(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | APIC_LVT_MASKED | V_TIMER);
    apic_write(APIC_TIMER_INITIAL, 1000);
    for (volatile int i = 0; i < 30000; i++) { }
    let_in(V_TIMER, stopped + 1);
    report(hits[V_TIMER] == stopped, "masked timer delivers nothing");
    apic_write(APIC_TIMER_INITIAL, 0);
}

/*
 * CPUID.15H: the TSC runs at EBX/EAX times the core crystal clock, and the timer (divide by 1)
 * counts at the crystal clock; CPUID.16H gives the base frequency in MHz. Linux takes the TSC
 * and timer rates from these leaves instead of measuring them, so they must be what the
 * hardware does.
 */
static void timer_crystal(void)
{
    if (cpuid(0, 0).a < 0x16) {
        report_info("CPUID.15H/16H not offered: skipped");
        return;
    }
    struct cpuid_regs r = cpuid(0x15, 0);
    if (!r.a || !r.b || !r.c) {
        report_info("CPUID.15H: no TSC/crystal ratio enumerated");
        return;
    }
    report(1, "CPUID.15H: TSC = crystal x %u/%u, crystal %u Hz", r.b, r.a, r.c);
    apic_write(APIC_TIMER_DIVIDE, 0xb);   /* divide by 1 */
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | V_TIMER);
    apic_write(APIC_TIMER_INITIAL, 0xffffffff);
    /* long enough that the time an MMIO exit takes (real time: KVM) stays far below 1 % */
    u64 span = realtime ? 40000000 : 2000000;
    u32 c0 = apic_read(APIC_TIMER_CURRENT);
    u64 t0 = rdtsc();
    while (rdtsc() - t0 < span) { }
    u32 c1 = apic_read(APIC_TIMER_CURRENT);
    u64 t1 = rdtsc();
    apic_write(APIC_TIMER_INITIAL, 0);
    /* TSC ticks x EAX = timer ticks x EBX, within 1 % (the reads of the two counters are a few instructions apart) */
    u64 ticks = c0 - c1, tsc = t1 - t0;
    u64 lhs = tsc * r.a, rhs = ticks * r.b;
    u64 diff = lhs > rhs ? lhs - rhs : rhs - lhs;
    report(ticks > 0 && diff * 100 <= rhs, "timer ticks %lu x %u/%u match TSC ticks %lu", ticks, r.b, r.a, tsc);
    struct cpuid_regs f = cpuid(0x16, 0);
    report((u64)f.a * 1000000 == (u64)r.c * r.b / r.a && f.b >= f.a,
           "CPUID.16H: base %u MHz (max %u, bus %u) is the TSC rate", f.a, f.b, f.c);
}

static void timer_tsc_deadline(void)
{
    unsigned start = hits[V_TIMER];
    if (!((cpuid(1, 0).c >> 24) & 1)) {
        report_info("TSC-deadline mode not advertised: skipped");
        return;
    }
    apic_write(APIC_LVT_TIMER, APIC_TIMER_TSC_DEADLINE | V_TIMER);
    report(rdmsr(MSR_TSC_DEADLINE) == 0, "TSC deadline starts disarmed");
    /* read back from a deadline no exit outlasts (2^40 TSC ticks), then armed for real */
    u64 far = rdtsc() + (1ull << 40);
    wrmsr(MSR_TSC_DEADLINE, far);
    report(rdmsr(MSR_TSC_DEADLINE) == far, "TSC deadline reads back");
    u64 deadline = rdtsc() + 400000;
    wrmsr(MSR_TSC_DEADLINE, deadline);
    wait_hits(V_TIMER, start + 1);
    report(hits[V_TIMER] - start == 1 && timer_tsc >= deadline, "TSC-deadline interrupt at TSC %lu >= %lu", timer_tsc, deadline);
    report(rdmsr(MSR_TSC_DEADLINE) == 0, "deadline reads 0 after firing");
    /* Disarm a deadline 100000 ticks ahead. Only an attempt whose two writes both came before
     * that deadline (the TSC read after them says so) shows anything: on a host where the exits
     * take longer, the margin grows until one does. A deadline that passed first fires (drained). */
    u64 margin = 100000, t0, t1;
    unsigned before;
    for (;;) {
        before = hits[V_TIMER];
        t0 = rdtsc();
        wrmsr(MSR_TSC_DEADLINE, t0 + margin);
        wrmsr(MSR_TSC_DEADLINE, 0);
        t1 = rdtsc();
        if (t1 - t0 < margin || margin >= (1ull << 40)) break;
        let_in(V_TIMER, before + 1);
        margin *= 16;
    }
    for (volatile int i = 0; i < 100000; i++) { }
    let_in(V_TIMER, before + 1);
    report(t1 - t0 < margin && hits[V_TIMER] == before, "writing 0 disarms (a deadline %lu ticks ahead)", margin);
    apic_write(APIC_TIMER_INITIAL, 1);
    report(apic_read(APIC_TIMER_CURRENT) == 0, "initial count ignored in TSC-deadline mode");
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | V_TIMER);
}

static void x2apic(void)
{
    u64 base = rdmsr(MSR_APIC_BASE);
    u64 v;
    if (!((cpuid(1, 0).c >> 21) & 1)) {
        report_info("x2APIC not advertised: skipped");
        return;
    }
    report(rdmsr_safe(0x802, &v) == 13, "x2APIC MSRs #GP in xAPIC mode");
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
    report(rdmsr(0x802) == 0, "x2APIC ID MSR = 0");
    report((rdmsr(0x803) & 0xff) == 0x14, "x2APIC version MSR");
    report(rdmsr(0x80D) == 1, "x2APIC LDR derived from the ID (0x%lx)", rdmsr(0x80D));
    report(rdmsr_safe(0x80E, &v) == 13, "no DFR in x2APIC mode (#GP)");
    report(wrmsr_safe(0x802, 5) == 13, "ID is read-only in x2APIC mode (#GP)");
    report(*(volatile u32 *)(APIC_MMIO_BASE + APIC_VERSION) != 0x50014, "MMIO page gone in x2APIC mode");
    unsigned before = hits[V_SELF];
    x2apic_eoi_handler_setup();
    wrmsr(0x83F, V_SELF);   /* SELF IPI */
    let_in(V_SELF, before + 1);
    report(hits[V_SELF] == before + 1, "x2APIC SELF IPI delivered");
    wrmsr(0x830, ((u64)0 << 32) | V_SELF);   /* ICR, physical destination 0 */
    let_in(V_SELF, before + 2);
    report(hits[V_SELF] == before + 2, "x2APIC ICR IPI delivered");
    report(rdmsr_safe(0x80B, &v) == 13, "EOI is write-only (#GP on read)");
    wrmsr(MSR_APIC_BASE, base & ~(u64)(APIC_BASE_EN | APIC_BASE_EXTD));
    report((rdmsr(MSR_APIC_BASE) & APIC_BASE_EN) == 0, "APIC globally disabled");
    report(*(volatile u32 *)(APIC_MMIO_BASE + APIC_VERSION) != 0x50014, "no MMIO page while disabled");
    wrmsr(MSR_APIC_BASE, base);
    report(apic_read(APIC_VERSION) == 0x50014 && (apic_read(APIC_SVR) & APIC_SVR_ENABLE) == 0,
           "re-enabled in xAPIC mode, registers in reset state (SVR 0x%x)", apic_read(APIC_SVR));
}

/* IA32_APIC_BASE moves the xAPIC page (to 0xFEB00000, free on this machine and on QEMU's pc). */
static void relocation(void)
{
    u64 base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, (base & 0xfff) | 0xFEB00000ull);
    u32 moved = *(volatile u32 *)(0xFEB00000ull + APIC_VERSION);
    u32 old = *(volatile u32 *)(APIC_MMIO_BASE + APIC_VERSION);
    wrmsr(MSR_APIC_BASE, base);
    /* QEMU TCG keeps the APIC page at 0xFEE00000 whatever IA32_APIC_BASE says. */
    report_sdm(moved == 0x50014, moved != 0x50014, "relocated APIC answers at 0xFEB00000 (0x%x)", moved);
    report_sdm(old != 0x50014, old == 0x50014, "old page no longer the APIC (0x%x)", old);
    report(apic_read(APIC_VERSION) == 0x50014, "moved back");
}

static int x2_count_and_eoi(struct trap_frame *f)
{
    hits[f->vector]++;
    wrmsr(0x80B, 0);
    return 1;
}

static void x2apic_eoi_handler_setup(void)
{
    set_trap_handler(V_SELF, x2_count_and_eoi);
}

int main(void)
{
    realtime = cmdline_u64("realtime", 0) != 0;
    /* Firmware may leave 8259 inputs (the PIT on IRQ 0, at vector 8) unmasked: mask both controllers. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    set_trap_handler(V_SELF, count_and_eoi);
    set_trap_handler(V_MASKED, count_and_eoi);
    set_trap_handler(V_HIGH, count_and_eoi);
    set_trap_handler(V_ERROR, count_and_eoi);
    set_trap_handler(V_TIMER, count_and_eoi);
    set_trap_handler(5, count_and_eoi);
    basics();
    self_ipi();
    tpr_masking();
    esr();
    timer_one_shot();
    timer_periodic();
    timer_crystal();
    timer_tsc_deadline();
    relocation();
    x2apic();
    return 0;
}
