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
#define SINT_MASKED (1ull << 16)
#define SINT_POLLING (1ull << 18)
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

#define NSINT 16
/* What the scenarios keep per VP: its own message page, counts and expectations. */
struct vp_state {
    u8 simp[4096];
    volatile unsigned hits[NSINT], bad[NSINT], direct_hits;
    volatile u64 last_exp[NSINT], first_exp[NSINT], timer_of[NSINT];
    volatile int hold[NSINT];        /* leave the slot busy (busy-slot test) */
    volatile unsigned limit[NSINT];  /* non-zero: the handler disables the timer after this many expiries */
} __attribute__((aligned(4096)));   /* each VP's message page starts a page */
static struct vp_state vps[2];
static struct vp_state *self(void) { return &vps[apic_id() & 1]; }   /* APIC ID = VP index */
static struct timer_msg *slot(struct vp_state *st, unsigned sint) { return (struct timer_msg *)(st->simp + sint * 256); }

static u64 now(void) { return rdmsr(HV_X64_MSR_TIME_REF_COUNT); }

static void consume(struct vp_state *st, unsigned sint)
{
    struct timer_msg *m = slot(st, sint);
    int pending = m->flags & 1;
    m->type = 0;
    asm volatile("" ::: "memory");
    if (pending) wrmsr(HV_X64_MSR_EOM, 0);
}

static int sint_handler(struct trap_frame *f)
{
    struct vp_state *st = self();
    unsigned sint = (unsigned)f->vector - 0xF0 + 1;   /* 0xF1 -> SINT 2, 0xF2 -> 3, 0xF4 -> 5, 0xF5 -> 6, 0xF6 -> 7 */
    if (f->vector == 0xF3) {
        st->direct_hits++;
        apic_eoi();
        return 1;
    }
    struct timer_msg *m = slot(st, sint);
    if (m->type != HVMSG_TIMER_EXPIRED || m->size != 24 || m->delivery < m->expiration || m->timer_index != st->timer_of[sint] ||
        (st->hits[sint] && m->expiration <= st->last_exp[sint]))
        st->bad[sint]++;
    if (!st->hits[sint]) st->first_exp[sint] = m->expiration;
    st->last_exp[sint] = m->expiration;
    st->hits[sint]++;
    if (st->limit[sint] && st->hits[sint] == st->limit[sint]) wrmsr(STIMER_CONFIG(st->timer_of[sint]), 0);
    if (!st->hold[sint]) consume(st, sint);
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

static void reset_counts(struct vp_state *st)
{
    for (unsigned i = 0; i < NSINT; i++) { st->hits[i] = 0; st->bad[i] = 0; st->last_exp[i] = 0; st->hold[i] = 0; st->limit[i] = 0; }
}

/* A check of the scenarios, named after the VP that runs them. */
#define vreport(cond, fmt, ...) report((cond), "VP %u: " fmt, vp, ##__VA_ARGS__)

/* Every scenario, on the calling VP (its own SynIC, message page and timers). */
static void scenarios(unsigned vp)
{
    struct vp_state *st = &vps[vp];
    struct cpuid_regs r = cpuid(0x40000003, 0);
    vreport((r.a & (1u << 3)) && (r.d & (1u << 19)), "CPUID: synthetic timers and direct mode (0x%x, 0x%x)", r.a, r.d);

    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0x8100000000000000ull);
    memset(st->simp, 0, sizeof(st->simp));
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    wrmsr(HV_X64_MSR_SIMP, (u64)st->simp | 1);
    wrmsr(HV_X64_MSR_SINT0 + 2, 0xF1);
    wrmsr(HV_X64_MSR_SINT0 + 3, 0xF2 | SINT_AUTO_EOI);
    wrmsr(HV_X64_MSR_SINT0 + 5, 0xF4);
    wrmsr(HV_X64_MSR_SINT0 + 6, 0xF5);

    u64 v;
    vreport(rdmsr(STIMER_CONFIG(0)) == 0 && rdmsr(STIMER_COUNT(3)) == 0, "timers start at 0");
    vreport(wrmsr_safe(STIMER_CONFIG(0), 1ull << 13) == 13, "CONFIG reserved bit: #GP");
    wrmsr(STIMER_CONFIG(1), CFG_ENABLE);   /* SINT 0 in message mode */
    vreport(!(rdmsr(STIMER_CONFIG(1)) & CFG_ENABLE), "a message-mode timer on SINT 0 cannot be enabled");
    wrmsr(STIMER_CONFIG(1), 0);

    /* Seed scenario: two 1 ms periodic timers, 1000 expiries each. */
    reset_counts(st);
    st->timer_of[2] = 0;
    st->timer_of[3] = 1;
    st->limit[2] = st->limit[3] = 1000;
    wrmsr(STIMER_COUNT(0), PERIOD);
    wrmsr(STIMER_COUNT(1), PERIOD);
    u64 t0 = now();
    wrmsr(STIMER_CONFIG(0), CFG_ENABLE | CFG_PERIODIC | CFG_SINT(2));
    wrmsr(STIMER_CONFIG(1), CFG_ENABLE | CFG_PERIODIC | CFG_SINT(3));
    /* Both timers run while the guest halts; each handler disables its timer at the 1000th expiry. */
    /* In real time a loaded host wakes late and periods merge: fewer expiries per second, so allow longer. */
    u64 bound = t0 + (realtime ? 30000 : 3000) * PERIOD;
    while ((st->hits[2] < 1000 || st->hits[3] < 1000) && now() < bound) asm volatile("sti; hlt; cli");
    u64 t1 = now();
    vreport(!(rdmsr(STIMER_CONFIG(0)) & CFG_ENABLE) && !(rdmsr(STIMER_CONFIG(1)) & CFG_ENABLE), "both timers shut down");
    /* In real time the 1000th handler can run while the next expiry already waits as msg_pending: it is
     * delivered after the EOM even though the timer is now off (a message once posted stays posted). */
    idle_ms(3);
    unsigned h2 = st->hits[2], h3 = st->hits[3], most = realtime ? 1001 : 1000;
    vreport(h2 >= 1000 && h2 <= most && h3 >= 1000 && h3 <= most, "two periodic 1 ms timers: %u and %u expiries", h2, h3);
    vreport(st->bad[2] == 0 && st->bad[3] == 0, "every HVMSG_TIMER_EXPIRED well-formed, expirations increasing (bad %u/%u)", st->bad[2], st->bad[3]);
    u64 span2 = st->last_exp[2] - st->first_exp[2], span3 = st->last_exp[3] - st->first_exp[3];
    vreport(span2 >= 999 * PERIOD && span3 >= 999 * PERIOD, "expirations span at least 999 periods (%lu, %lu)", span2, span3);
    vreport(t1 - t0 >= 1000 * PERIOD, "1000 periods of reference time passed (%lu)", t1 - t0);
    vreport(apic_isr_bit(0xF2) == 0, "auto-EOI SINT 3 left no ISR bit");
    idle_ms(3);
    /* In real time a message posted before the shutdown can take longer than 3 ms to arrive on a
     * loaded host: none may have expired after t1, when both timers were off. */
    vreport(realtime ? st->last_exp[2] <= t1 && st->last_exp[3] <= t1 : st->hits[2] == h2 && st->hits[3] == h3, "disabled timers stay quiet");

    /* One-shot: expires once at its absolute time, then disables itself. */
    reset_counts(st);
    u64 when = now() + 5000;
    wrmsr(STIMER_COUNT(2), when);
    st->timer_of[2] = 2;
    wrmsr(STIMER_CONFIG(2), CFG_ENABLE | CFG_SINT(2));
    wait_hits(&st->hits[2], 1, 10);
    idle_ms(2);
    vreport(st->hits[2] == 1 && st->last_exp[2] == when && st->bad[2] == 0, "one-shot: one expiry at its time (%u)", st->hits[2]);
    vreport(!(rdmsr(STIMER_CONFIG(2)) & CFG_ENABLE), "one-shot disabled after expiring");

    /* Auto-enabled one-shot: CONFIG first without enable, COUNT enables it. */
    reset_counts(st);
    st->timer_of[2] = 2;
    wrmsr(STIMER_CONFIG(2), CFG_AUTOENABLE | CFG_SINT(2));
    vreport(!(rdmsr(STIMER_CONFIG(2)) & CFG_ENABLE), "auto-enable timer idle before COUNT");
    /* far enough ahead that the timer cannot expire (and disable itself) before the check */
    when = now() + (realtime ? 500000 : 5000);
    wrmsr(STIMER_COUNT(2), when);
    vreport(rdmsr(STIMER_CONFIG(2)) & CFG_ENABLE, "writing COUNT enabled it");
    wait_hits(&st->hits[2], 1, 10);
    idle_ms(2);
    vreport(st->hits[2] == 1 && st->last_exp[2] == when && st->bad[2] == 0, "auto-enabled one-shot: one expiry (%u)", st->hits[2]);

    /* Auto-enabled periodic on the auto-EOI SINT; COUNT = 0 stops it. */
    reset_counts(st);
    st->timer_of[3] = 3;
    wrmsr(STIMER_CONFIG(3), CFG_AUTOENABLE | CFG_PERIODIC | CFG_SINT(3));
    wrmsr(STIMER_COUNT(3), PERIOD);
    wait_hits(&st->hits[3], 5, 20);
    wrmsr(STIMER_COUNT(3), 0);
    u64 stopped_at = now();
    unsigned got = st->hits[3];
    /* In real time more periods may end between seeing the 5th expiry and the COUNT write
     * (as many as the host delayed the vCPU by). */
    vreport((realtime ? got >= 5 : got == 5) && st->bad[3] == 0, "auto-enabled periodic: 5 expiries (%u)", got);
    vreport(!(rdmsr(STIMER_CONFIG(3)) & CFG_ENABLE), "COUNT = 0 disabled it");
    idle_ms(3);
    /* In real time expiries that came before the COUNT write may still be on their way (a
     * message once posted stays posted, one more waits behind a busy slot; a descheduled vCPU
     * sees several periods end at once): each message says when it expired, and none may be
     * later than the write. */
    vreport(realtime ? st->last_exp[3] <= stopped_at : st->hits[3] == got, "and it stays quiet (%u more, none expired after the stop)", st->hits[3] - got);

    /* A one-shot already in the past expires at once. */
    reset_counts(st);
    st->timer_of[2] = 0;
    when = now() - 100;
    wrmsr(STIMER_COUNT(0), when);
    wrmsr(STIMER_CONFIG(0), CFG_ENABLE | CFG_SINT(2));
    wait_hits(&st->hits[2], 1, 2);
    vreport(st->hits[2] == 1 && st->last_exp[2] == when, "one-shot in the past: expires at once with its own time");

    /* Busy slot: the first message stays, the next waits (msg_pending); periods missed meanwhile merge. */
    reset_counts(st);
    st->timer_of[5] = 1;
    st->hold[5] = 1;
    wrmsr(STIMER_COUNT(1), PERIOD);
    u64 start = now();
    wrmsr(STIMER_CONFIG(1), CFG_ENABLE | CFG_PERIODIC | CFG_SINT(5));
    wait_hits(&st->hits[5], 1, 5);
    if (realtime) {
        /* The guest can read the time before a loaded host has run the timer due at it: give the
         * second expiry a generous bound to arrive; whenever it comes, it must only set msg_pending. */
        u64 end = now() + 200 * 10000ull;
        while (!(slot(st, 5)->flags & 1) && now() < end) asm volatile("sti; nop; cli");
    }
    idle_ms(5);
    vreport(st->hits[5] == 1 && (slot(st, 5)->flags & 1), "slot busy: no second interrupt, msg_pending set (%u)", st->hits[5]);
    u64 first = st->last_exp[5];
    u64 eom_at = now();
    st->hold[5] = 0;
    consume(st, 5);
    wait_hits(&st->hits[5], 2, 5);
    /* In real time a late check may already see the following period's expiry too. */
    vreport((realtime ? st->hits[5] >= 2 : st->hits[5] == 2) && slot(st, 5)->delivery >= eom_at, "after EOM the waiting expiry is delivered (delivery %lu >= EOM %lu)", slot(st, 5)->delivery, eom_at);
    /* Under -icount it is the very next period; in real time a late host may have merged periods already. */
    vreport(realtime ? st->last_exp[5] > first && (st->last_exp[5] - first) % PERIOD == 0 : st->last_exp[5] == first + PERIOD,
           "it is the next period's expiry (%lu after the first)", st->last_exp[5] - first);
    wait_hits(&st->hits[5], 3, 5);
    wrmsr(STIMER_CONFIG(1), 0);
    u64 third = st->last_exp[5];
    /* Under -icount the waits are exact: the EOM comes 5 periods in, so the third expiry is later still. */
    vreport((realtime ? st->hits[5] >= 3 : st->hits[5] == 3) && (third - first) % PERIOD == 0 && (realtime || (third > eom_at && third - start > 5 * PERIOD)),
           "missed periods merged, phase kept (third expiry %lu periods after the first)", (u64)((third - first) / PERIOD));
    vreport(st->bad[5] == 0, "busy-slot messages well-formed");

    /* Direct mode: the APIC vector, no message. */
    reset_counts(st);
    st->direct_hits = 0;
    u32 before_type = slot(st, 2)->type;
    /* Timer 2 still has auto-enable from above: without this write, COUNT would arm it as a
     * message-mode one-shot on SINT 2, which a slow host lets expire before the CONFIG write. */
    wrmsr(STIMER_CONFIG(2), 0);
    wrmsr(STIMER_COUNT(2), now() + 5000);
    wrmsr(STIMER_CONFIG(2), CFG_ENABLE | CFG_DIRECT | CFG_VECTOR(0xF3));
    wait_hits(&st->direct_hits, 1, 5);
    idle_ms(1);
    vreport(st->direct_hits == 1 && slot(st, 2)->type == before_type && st->hits[2] == 0,
            "direct mode: vector 0xF3 once, no message (%u vectors; SINT 2: type 0x%x, was 0x%x, %u interrupts)", st->direct_hits,
            slot(st, 2)->type, before_type, st->hits[2]);

    /* A polling SINT (TLFS: open, but no interrupt): the expiry lands in the slot; the guest finds it by looking. */
    reset_counts(st);
    wrmsr(HV_X64_MSR_SINT0 + 7, 0xF6 | SINT_MASKED | SINT_POLLING);
    struct timer_msg *pm = slot(st, 7);
    pm->type = 0;
    when = now() + 2 * PERIOD;
    wrmsr(STIMER_COUNT(3), when);
    wrmsr(STIMER_CONFIG(3), CFG_ENABLE | CFG_SINT(7));
    u64 poll_end = now() + (realtime ? 1000 : 20) * PERIOD;
    while (pm->type == 0 && now() < poll_end) asm volatile("sti; nop; cli");
    idle_ms(1);
    vreport(pm->type == HVMSG_TIMER_EXPIRED && pm->timer_index == 3 && pm->expiration == when && pm->delivery >= when && st->hits[7] == 0,
            "polling SINT: the expiry message lands in the slot, no interrupt (type 0x%x, hits %u)", pm->type, st->hits[7]);
    vreport(!(rdmsr(STIMER_CONFIG(3)) & CFG_ENABLE), "and the one-shot disabled itself");
    pm->type = 0;
    wrmsr(HV_X64_MSR_SINT0 + 7, SINT_MASKED);
    (void)v;
    wrmsr(STIMER_CONFIG(2), 0);
}

/* VP 1 (with -smp 2) runs every scenario again on its own SynIC while VP 0 halts. */
#define DONE_VECTOR 0xF7
static volatile unsigned ap_done;
static int done_handler(struct trap_frame *f) { (void)f; apic_eoi(); return 1; }

static void ap_main(unsigned slot)
{
    (void)slot;
    apic_write(APIC_SVR, 0x1ff);
    scenarios(1);
    ap_done = 1;
    apic_send_ipi(0, ICR_FIXED | DONE_VECTOR);   /* wake VP 0 from HLT */
    for (;;) asm volatile("cli; hlt");
}

static void second_vp(void)
{
    if (((cpuid(1, 0).b >> 16) & 0xff) < 2) return;
    u64 mine = rdmsr(STIMER_CONFIG(0)), mine_count = rdmsr(STIMER_COUNT(0));
    unsigned my_expiries = vps[0].direct_hits;
    for (unsigned i = 0; i < NSINT; i++) my_expiries += vps[0].hits[i];
    set_trap_handler(DONE_VECTOR, done_handler);
    ap_boot_prepare(ap_main);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);
    for (int i = 0; i < 2; i++) apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    /* Halt rather than spin: under -icount a halted machine warps to the next timer deadline. */
    while (!ap_done) asm volatile("sti; hlt; cli");
    report(ap_done, "VP 1 ran every scenario");
    report(rdmsr(STIMER_CONFIG(0)) == mine && rdmsr(STIMER_COUNT(0)) == mine_count, "VP 0's STIMER0 is its own (untouched by VP 1)");
    unsigned now_mine = vps[0].direct_hits;
    for (unsigned i = 0; i < NSINT; i++) now_mine += vps[0].hits[i];
    report(now_mine == my_expiries, "VP 1's expiries reached VP 1 only (VP 0 counted %u, then %u)", my_expiries, now_mine);
}

int main(void)
{
    realtime = cmdline_u64("realtime", 0) != 0;
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    apic_write(APIC_SVR, 0x1ff);
    for (unsigned v = 0xF1; v <= 0xF6; v++) set_trap_handler(v, sint_handler);
    scenarios(0);
    second_vp();
    return 0;
}
