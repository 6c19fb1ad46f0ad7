/*
 * hv_stimer: Hyper-V synthetic timers. Run with
 * -cpu hv-vpindex,hv-time,hv-synic,hv-stimer,hv-stimer-direct.
 *
 * The seed scenario: two 1 ms periodic timers, SINT 2 (vector 0xF1) and
 * SINT 3 (vector 0xF2, auto-EOI), each firing 1000 times, every
 * HVMSG_TIMER_EXPIRED checked (timer index, expiration time advancing by the
 * period, delivery time not before it); then a one-shot, an auto-enabled
 * one-shot, an auto-enabled periodic timer and a one-shot already in the
 * past; the busy-slot path (a message waits for EOM, missed periods merge,
 * the phase is kept); direct mode (an APIC vector, no message).
 */
#include "guest.h"
#include "apic.h"
#include "ap_boot.h"

#define HV_X64_MSR_GUEST_OS_ID 0x40000000u
#define HV_X64_MSR_TIME_REF_COUNT 0x40000020u
#define HV_X64_MSR_SCONTROL 0x40000080u
#define HV_X64_MSR_SIMP 0x40000083u
#define HV_X64_MSR_EOM 0x40000084u
#define HV_X64_MSR_SINT0 0x40000090u
#define STIMER_CONFIG(i) (0x400000b0u + 2 * (i))
#define STIMER_COUNT(i) (0x400000b1u + 2 * (i))

#define CFG_ENABLE (1ull << 0)
#define CFG_PERIODIC (1ull << 1)
#define CFG_AUTOENABLE (1ull << 3)
#define CFG_DIRECT (1ull << 12)
#define CFG_VECTOR(v) ((u64)(v) << 4)
#define CFG_SINT(s) ((u64)(s) << 16)
#define SINT_AUTO_EOI (1ull << 17)
#define HVMSG_TIMER_EXPIRED 0x80000010u
#define PERIOD 10000ull   /* 1 ms in 100 ns units */

struct timer_msg {
    volatile u32 type;
    volatile u8 size, flags;
    u16 reserved;
    u64 sender;
    volatile u32 timer_index, pad;
    volatile u64 expiration, delivery;
};

static u8 simp[4096] __attribute__((aligned(4096)));
static struct timer_msg *slot(unsigned sint) { return (struct timer_msg *)(simp + sint * 256); }

#define NSINT 16
static volatile unsigned hits[NSINT], bad[NSINT], direct_hits;
static volatile u64 last_exp[NSINT], first_exp[NSINT], timer_of[NSINT];
static volatile int hold[NSINT];   /* leave the slot busy (busy-slot test) */
static volatile unsigned limit[NSINT];   /* non-zero: the handler disables the timer after this many expiries */

static u64 now(void) { return rdmsr(HV_X64_MSR_TIME_REF_COUNT); }

static void consume(unsigned sint)
{
    struct timer_msg *m = slot(sint);
    int pending = m->flags & 1;
    m->type = 0;
    asm volatile("" ::: "memory");
    if (pending) wrmsr(HV_X64_MSR_EOM, 0);
}

static int sint_handler(struct trap_frame *f)
{
    unsigned sint = (unsigned)f->vector - 0xF0 + 1;   /* 0xF1 -> SINT 2, 0xF2 -> 3, 0xF4 -> 5, 0xF5 -> 6 */
    if (f->vector == 0xF3) {
        direct_hits++;
        apic_eoi();
        return 1;
    }
    struct timer_msg *m = slot(sint);
    if (m->type != HVMSG_TIMER_EXPIRED || m->size != 24 || m->delivery < m->expiration || m->timer_index != timer_of[sint] ||
        (hits[sint] && m->expiration <= last_exp[sint]))
        bad[sint]++;
    if (!hits[sint]) first_exp[sint] = m->expiration;
    last_exp[sint] = m->expiration;
    hits[sint]++;
    if (limit[sint] && hits[sint] == limit[sint]) wrmsr(STIMER_CONFIG(timer_of[sint]), 0);
    if (!hold[sint]) consume(sint);
    if (sint != 3) apic_eoi();   /* SINT 3 is auto-EOI */
    return 1;
}

/* Spinning, not HLT: with no timer armed a halted guest would wait forever (nothing else wakes it). */
static int realtime;  /* real-time clock (cmdline realtime=1): host scheduling may stretch waits */

static void wait_hits(volatile unsigned *v, unsigned want, unsigned max_ms)
{
    /* In real time a loaded host may deschedule the machine for a while: wait longer
     * before giving up (a passing run returns as soon as the expiries arrived). */
    if (realtime)
        max_ms *= 50;
    u64 end = now() + (u64)max_ms * 10000;
    while (*v < want && now() < end) asm volatile("sti; nop; cli");
}

static void idle_ms(unsigned ms)
{
    u64 end = now() + (u64)ms * 10000;
    while (now() < end) asm volatile("sti; nop; cli");
}

static void reset_counts(void)
{
    for (unsigned i = 0; i < NSINT; i++) { hits[i] = 0; bad[i] = 0; last_exp[i] = 0; hold[i] = 0; limit[i] = 0; }
}

/* VP 1 (with -smp 2): its own SynIC and a 1 ms periodic timer, 1000 expiries, while VP 0 waits. */
#define AP_VECTOR 0xF6
#define DONE_VECTOR 0xF7
static int done_handler(struct trap_frame *f) { (void)f; apic_eoi(); return 1; }
static u8 ap_simp[4096] __attribute__((aligned(4096)));
static volatile unsigned ap_hits, ap_bad, ap_done;
static volatile u64 ap_last;

static int ap_timer_handler(struct trap_frame *f)
{
    (void)f;
    struct timer_msg *m = (struct timer_msg *)(ap_simp + 2 * 256);
    if (m->type != HVMSG_TIMER_EXPIRED || m->timer_index != 0 || m->delivery < m->expiration || (ap_hits && m->expiration <= ap_last))
        ap_bad++;
    ap_last = m->expiration;
    if (++ap_hits == 1000) wrmsr(STIMER_CONFIG(0), 0);
    m->type = 0;
    if (m->flags & 1) wrmsr(HV_X64_MSR_EOM, 0);
    apic_eoi();
    return 1;
}

static void ap_main(unsigned slot)
{
    (void)slot;
    apic_write(APIC_SVR, 0x1ff);
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    wrmsr(HV_X64_MSR_SIMP, (u64)ap_simp | 1);
    wrmsr(HV_X64_MSR_SINT0 + 2, AP_VECTOR);
    wrmsr(STIMER_COUNT(0), PERIOD);
    wrmsr(STIMER_CONFIG(0), CFG_ENABLE | CFG_PERIODIC | CFG_SINT(2));
    while (ap_hits < 1000) asm volatile("sti; hlt; cli");
    ap_done = 1;
    apic_send_ipi(0, ICR_FIXED | DONE_VECTOR);   /* wake VP 0 from HLT */
    for (;;) asm volatile("hlt");
}

static void second_vp(void)
{
    if (((cpuid(1, 0).b >> 16) & 0xff) < 2) return;
    u64 mine = rdmsr(STIMER_CONFIG(0)), mine_count = rdmsr(STIMER_COUNT(0));
    set_trap_handler(AP_VECTOR, ap_timer_handler);
    ap_boot_prepare(ap_main);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);
    for (int i = 0; i < 2; i++) apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    set_trap_handler(DONE_VECTOR, done_handler);
    /* Halt rather than spin: under -icount a halted machine warps to the next timer deadline. */
    while (!ap_done) asm volatile("sti; hlt; cli");
    report(ap_done && ap_hits == 1000 && ap_bad == 0, "VP 1: its own 1 ms periodic timer, 1000 well-formed expiries (%u, bad %u)", ap_hits, ap_bad);
    report(rdmsr(STIMER_CONFIG(0)) == mine && rdmsr(STIMER_COUNT(0)) == mine_count, "VP 0's STIMER0 is its own (untouched by VP 1)");
}

int main(void)
{
    realtime = cmdline_u64("realtime", 0) != 0;
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    apic_write(APIC_SVR, 0x1ff);
    for (unsigned v = 0xF1; v <= 0xF5; v++) set_trap_handler(v, sint_handler);

    struct cpuid_regs r = cpuid(0x40000003, 0);
    report((r.a & (1u << 3)) && (r.d & (1u << 19)), "CPUID: synthetic timers and direct mode (0x%x, 0x%x)", r.a, r.d);

    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0x8100000000000000ull);
    memset(simp, 0, sizeof(simp));
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    wrmsr(HV_X64_MSR_SIMP, (u64)simp | 1);
    wrmsr(HV_X64_MSR_SINT0 + 2, 0xF1);
    wrmsr(HV_X64_MSR_SINT0 + 3, 0xF2 | SINT_AUTO_EOI);
    wrmsr(HV_X64_MSR_SINT0 + 5, 0xF4);
    wrmsr(HV_X64_MSR_SINT0 + 6, 0xF5);

    u64 v;
    report(rdmsr(STIMER_CONFIG(0)) == 0 && rdmsr(STIMER_COUNT(3)) == 0, "timers start at 0");
    report(wrmsr_safe(STIMER_CONFIG(0), 1ull << 13) == 13, "CONFIG reserved bit: #GP");
    wrmsr(STIMER_CONFIG(1), CFG_ENABLE);   /* SINT 0 in message mode */
    report(!(rdmsr(STIMER_CONFIG(1)) & CFG_ENABLE), "a message-mode timer on SINT 0 cannot be enabled");
    wrmsr(STIMER_CONFIG(1), 0);

    /* Seed scenario: two 1 ms periodic timers, 1000 expiries each. */
    reset_counts();
    timer_of[2] = 0;
    timer_of[3] = 1;
    limit[2] = limit[3] = 1000;
    wrmsr(STIMER_COUNT(0), PERIOD);
    wrmsr(STIMER_COUNT(1), PERIOD);
    u64 t0 = now();
    wrmsr(STIMER_CONFIG(0), CFG_ENABLE | CFG_PERIODIC | CFG_SINT(2));
    wrmsr(STIMER_CONFIG(1), CFG_ENABLE | CFG_PERIODIC | CFG_SINT(3));
    /* Both timers run while the guest halts; each handler disables its timer at the 1000th expiry. */
    /* In real time a loaded host wakes late and periods merge: fewer expiries per second, so allow longer. */
    u64 bound = t0 + (realtime ? 30000 : 3000) * PERIOD;
    while ((hits[2] < 1000 || hits[3] < 1000) && now() < bound) asm volatile("sti; hlt; cli");
    u64 t1 = now();
    report(!(rdmsr(STIMER_CONFIG(0)) & CFG_ENABLE) && !(rdmsr(STIMER_CONFIG(1)) & CFG_ENABLE), "both timers shut down");
    report(hits[2] == 1000 && hits[3] == 1000, "two periodic 1 ms timers: %u and %u expiries", hits[2], hits[3]);
    report(bad[2] == 0 && bad[3] == 0, "every HVMSG_TIMER_EXPIRED well-formed, expirations increasing (bad %u/%u)", bad[2], bad[3]);
    u64 span2 = last_exp[2] - first_exp[2], span3 = last_exp[3] - first_exp[3];
    report(span2 >= 999 * PERIOD && span3 >= 999 * PERIOD, "expirations span at least 999 periods (%lu, %lu)", span2, span3);
    report(t1 - t0 >= 1000 * PERIOD, "1000 periods of reference time passed (%lu)", t1 - t0);
    report(apic_isr_bit(0xF2) == 0, "auto-EOI SINT 3 left no ISR bit");
    idle_ms(3);
    report(hits[2] == 1000 && hits[3] == 1000, "disabled timers stay quiet");

    /* One-shot: expires once at its absolute time, then disables itself. */
    reset_counts();
    u64 when = now() + 5000;
    wrmsr(STIMER_COUNT(2), when);
    timer_of[2] = 2;
    wrmsr(STIMER_CONFIG(2), CFG_ENABLE | CFG_SINT(2));
    wait_hits(&hits[2], 1, 10);
    idle_ms(2);
    report(hits[2] == 1 && last_exp[2] == when && bad[2] == 0, "one-shot: one expiry at its time (%u)", hits[2]);
    report(!(rdmsr(STIMER_CONFIG(2)) & CFG_ENABLE), "one-shot disabled after expiring");

    /* Auto-enabled one-shot: CONFIG first without enable, COUNT enables it. */
    reset_counts();
    timer_of[2] = 2;
    wrmsr(STIMER_CONFIG(2), CFG_AUTOENABLE | CFG_SINT(2));
    report(!(rdmsr(STIMER_CONFIG(2)) & CFG_ENABLE), "auto-enable timer idle before COUNT");
    /* far enough ahead that the timer cannot expire (and disable itself) before the check */
    when = now() + (realtime ? 500000 : 5000);
    wrmsr(STIMER_COUNT(2), when);
    report(rdmsr(STIMER_CONFIG(2)) & CFG_ENABLE, "writing COUNT enabled it");
    wait_hits(&hits[2], 1, 10);
    idle_ms(2);
    report(hits[2] == 1 && last_exp[2] == when && bad[2] == 0, "auto-enabled one-shot: one expiry (%u)", hits[2]);

    /* Auto-enabled periodic on the auto-EOI SINT; COUNT = 0 stops it. */
    reset_counts();
    timer_of[3] = 3;
    wrmsr(STIMER_CONFIG(3), CFG_AUTOENABLE | CFG_PERIODIC | CFG_SINT(3));
    wrmsr(STIMER_COUNT(3), PERIOD);
    wait_hits(&hits[3], 5, 20);
    wrmsr(STIMER_COUNT(3), 0);
    unsigned got = hits[3];
    /* In real time more periods may end between seeing the 5th expiry and the COUNT write
     * (as many as the host delayed the vCPU by). */
    report((realtime ? got >= 5 : got == 5) && bad[3] == 0, "auto-enabled periodic: 5 expiries (%u)", got);
    report(!(rdmsr(STIMER_CONFIG(3)) & CFG_ENABLE), "COUNT = 0 disabled it");
    idle_ms(3);
    report(hits[3] == got, "and it stays quiet");

    /* A one-shot already in the past expires at once. */
    reset_counts();
    timer_of[2] = 0;
    when = now() - 100;
    wrmsr(STIMER_COUNT(0), when);
    wrmsr(STIMER_CONFIG(0), CFG_ENABLE | CFG_SINT(2));
    wait_hits(&hits[2], 1, 2);
    report(hits[2] == 1 && last_exp[2] == when, "one-shot in the past: expires at once with its own time");

    /* Busy slot: the first message stays, the next waits (msg_pending); periods missed meanwhile merge. */
    reset_counts();
    timer_of[5] = 1;
    hold[5] = 1;
    wrmsr(STIMER_COUNT(1), PERIOD);
    u64 start = now();
    wrmsr(STIMER_CONFIG(1), CFG_ENABLE | CFG_PERIODIC | CFG_SINT(5));
    wait_hits(&hits[5], 1, 5);
    if (realtime) {
        /* The guest can read the time before a loaded host has run the timer due at it: give the
         * second expiry a generous bound to arrive; whenever it comes, it must only set msg_pending. */
        u64 end = now() + 200 * 10000ull;
        while (!(slot(5)->flags & 1) && now() < end) asm volatile("sti; nop; cli");
    }
    idle_ms(5);
    report(hits[5] == 1 && (slot(5)->flags & 1), "slot busy: no second interrupt, msg_pending set (%u)", hits[5]);
    u64 first = last_exp[5];
    u64 eom_at = now();
    hold[5] = 0;
    consume(5);
    wait_hits(&hits[5], 2, 5);
    /* In real time a late check may already see the following period's expiry too. */
    report((realtime ? hits[5] >= 2 : hits[5] == 2) && slot(5)->delivery >= eom_at, "after EOM the waiting expiry is delivered (delivery %lu >= EOM %lu)", slot(5)->delivery, eom_at);
    /* Under -icount it is the very next period; in real time a late host may have merged periods already. */
    report(realtime ? last_exp[5] > first && (last_exp[5] - first) % PERIOD == 0 : last_exp[5] == first + PERIOD,
           "it is the next period's expiry (%lu after the first)", last_exp[5] - first);
    wait_hits(&hits[5], 3, 5);
    wrmsr(STIMER_CONFIG(1), 0);
    u64 third = last_exp[5];
    /* Under -icount the waits are exact: the EOM comes 5 periods in, so the third expiry is later still. */
    report((realtime ? hits[5] >= 3 : hits[5] == 3) && (third - first) % PERIOD == 0 && (realtime || (third > eom_at && third - start > 5 * PERIOD)),
           "missed periods merged, phase kept (third expiry %lu periods after the first)", (u64)((third - first) / PERIOD));
    report(bad[5] == 0, "busy-slot messages well-formed");

    /* Direct mode: the APIC vector, no message. */
    reset_counts();
    direct_hits = 0;
    u32 before_type = slot(2)->type;
    wrmsr(STIMER_COUNT(2), now() + 5000);
    wrmsr(STIMER_CONFIG(2), CFG_ENABLE | CFG_DIRECT | CFG_VECTOR(0xF3));
    wait_hits(&direct_hits, 1, 5);
    idle_ms(1);
    report(direct_hits == 1 && slot(2)->type == before_type && hits[2] == 0, "direct mode: vector 0xF3 once, no message");
    (void)v;
    wrmsr(STIMER_CONFIG(2), 0);
    second_vp();
    return 0;
}
