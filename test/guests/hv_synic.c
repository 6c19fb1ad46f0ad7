/*
 * hv_synic: the Hyper-V SynIC driven through -device hyperv-testdev (port
 * 0x3000) and the hypercall page. Run with -cpu hv-vpindex,hv-synic.
 *
 * Every scenario runs on VP 0 and then again on VP 1 (with -smp 2), each on
 * its own SynIC, message page and event-flag page while the other VP's counts
 * must not move: SynIC MSRs (SVERSION, reserved bits, SINT vectors below 16);
 * all 16 SINTs raised through testdev routes, auto-EOI on the odd ones (no
 * ISR bit, no EOI write); a masked SINT delivers nothing; HvSignalEvent
 * through an event connection (flag set once, SINT raised once);
 * HvPostMessage through a message connection with the busy slot ->
 * msg_pending -> EOM redelivery path and every HV_STATUS of both hypercalls;
 * a message to a masked SINT waiting for the unmask; a polling SINT (messages
 * and event flags arrive, no interrupt, EOM still redelivers). Then VP 0
 * posts into VP 1's slot, finds it busy (INSUFFICIENT_BUFFERS) and VP 1's
 * EOM delivers the waiting message.
 */
#include "guest.h"
#include "apic.h"
#include "ap_boot.h"

#define HV_X64_MSR_GUEST_OS_ID 0x40000000u
#define HV_X64_MSR_HYPERCALL 0x40000001u
#define HV_X64_MSR_SCONTROL 0x40000080u
#define HV_X64_MSR_SVERSION 0x40000081u
#define HV_X64_MSR_SIEFP 0x40000082u
#define HV_X64_MSR_SIMP 0x40000083u
#define HV_X64_MSR_EOM 0x40000084u
#define HV_X64_MSR_SINT0 0x40000090u

#define HV_STATUS_SUCCESS 0
#define HV_STATUS_INVALID_HYPERCALL_INPUT 3
#define HV_STATUS_INVALID_PARAMETER 5
#define HV_STATUS_INVALID_CONNECTION_ID 0x12
#define HV_STATUS_INSUFFICIENT_BUFFERS 0x13
#define HVCALL_POST_MESSAGE 0x005c
#define HVCALL_SIGNAL_EVENT 0x005d
#define HV_HYPERCALL_FAST (1ull << 16)
#define SINT_MASKED (1ull << 16)
#define SINT_AUTO_EOI (1ull << 17)
#define SINT_POLLING (1ull << 18)

#define TESTDEV 0x3000
enum { ROUTE_CREATE = 1, ROUTE_DESTROY, ROUTE_SET_SINT, MSG_CONN_CREATE, MSG_CONN_DESTROY, EVT_CONN_CREATE, EVT_CONN_DESTROY };
#define VEC(sint) (0x50 + (sint))
#define NSINT 16

/* Connection IDs of a VP's scenarios: each VP uses its own, 16 apart. */
#define CONN(vp, n) ((vp) * 16 + (n))
enum { EVT = 5, EVT_UNKNOWN = 6, MSG = 7, MSG_UNKNOWN = 9, MSG_MASKED = 10, MSG_POLL = 11, EVT_POLL = 12 };

static u8 hc_page[4096] __attribute__((aligned(4096)));

/* What the scenarios keep per VP: its own pages, hypercall input and counts. */
struct vp_state {
    u8 simp[4096];
    u8 siefp[4096];
    u8 input[4096];
    volatile unsigned hits[NSINT], isr_set[NSINT];
} __attribute__((aligned(4096)));
static struct vp_state vps[2];
static struct vp_state *self(void) { return &vps[apic_id() & 1]; }   /* APIC ID = VP index */
static u8 *slot_of(struct vp_state *st, unsigned sint) { return st->simp + sint * 256; }
static volatile u32 *type_of(struct vp_state *st, unsigned sint) { return (volatile u32 *)slot_of(st, sint); }
static unsigned total_hits(struct vp_state *st)
{
    unsigned n = 0;
    for (unsigned s = 0; s < NSINT; s++) n += st->hits[s];
    return n;
}

static void testdev(unsigned conn, unsigned ctl, unsigned vp, unsigned sint)
{
    outl(TESTDEV, (conn << 24) | (ctl << 16) | (vp << 8) | sint);
}

static u64 hv_call(u64 control, u64 in, u64 out)
{
    u64 status;
    register u64 r8 asm("r8") = out;
    void *page = hc_page;
    asm volatile("call *%[page]" : "=a"(status), "+c"(control), "+d"(in), "+r"(r8) : [page] "r"(page) : "memory", "r9", "r10", "r11");
    return status;
}

static int sint_handler(struct trap_frame *f)
{
    struct vp_state *st = self();
    unsigned sint = (unsigned)f->vector - VEC(0);
    st->hits[sint]++;
    st->isr_set[sint] = apic_isr_bit((unsigned)f->vector);
    if (!(sint & 1)) apic_eoi();   /* odd SINTs are auto-EOI */
    return 1;
}

/* A self-directed SINT is injected at the next instruction boundary; a short loop lets it arrive. */
static void settle(void)
{
    for (volatile int i = 0; i < 2000; i++) { }
}

static u64 post(unsigned conn, u32 type, u32 size, u8 fill)
{
    u8 *input = self()->input;
    memset(input, 0, 256);
    *(u32 *)(input + 0) = conn;
    *(u32 *)(input + 8) = type;
    *(u32 *)(input + 12) = size;
    memset(input + 16, fill, size > 240 ? 240 : size);
    return hv_call(HVCALL_POST_MESSAGE, (u64)input, 0);
}

static u64 signal_event(unsigned conn, unsigned flag)
{
    return hv_call(HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST, (u64)conn | ((u64)flag << 32), 0);
}

/* The guest's side of a message: free the slot and, if msg_pending was set, tell the SynIC (EOM). */
static void consume(struct vp_state *st, unsigned sint)
{
    int pending = slot_of(st, sint)[5] & 1;
    *type_of(st, sint) = 0;
    asm volatile("" ::: "memory");
    if (pending) wrmsr(HV_X64_MSR_EOM, 0);
}

/* A check of the scenarios, named after the VP that runs them. */
#define vreport(cond, fmt, ...) report((cond), "VP %u: " fmt, vp, ##__VA_ARGS__)

static void msr_checks(unsigned vp, struct vp_state *st)
{
    u64 v;
    vreport(rdmsr(HV_X64_MSR_SVERSION) == 1, "SVERSION = 1");
    vreport(wrmsr_safe(HV_X64_MSR_SVERSION, 2) == 13, "SVERSION is read-only");
    vreport(rdmsr(HV_X64_MSR_SINT0) == SINT_MASKED, "SINT0 starts masked");
    vreport(wrmsr_safe(HV_X64_MSR_SINT0, 0x0f) == 13, "unmasked SINT with vector 15: #GP");
    vreport(wrmsr_safe(HV_X64_MSR_SINT0, SINT_MASKED | 0x0f) == -1, "masked SINT with vector 15 is accepted");
    vreport(wrmsr_safe(HV_X64_MSR_SCONTROL, 2) == 13, "SCONTROL reserved bit: #GP");
    vreport(wrmsr_safe(HV_X64_MSR_SIMP, (u64)st->simp | 2) == 13, "SIMP reserved bit: #GP");
    vreport(rdmsr_safe(HV_X64_MSR_EOM, &v) == -1 && v == 0, "EOM reads 0");
}

static void sint_routes(unsigned vp, struct vp_state *st)
{
    for (unsigned s = 0; s < NSINT; s++) {
        testdev(0, ROUTE_CREATE, vp, s);
        testdev(0, ROUTE_SET_SINT, vp, s);
        settle();
    }
    int all_once = 1, isr_ok = 1;
    for (unsigned s = 0; s < NSINT; s++) {
        all_once &= st->hits[s] == 1;
        isr_ok &= st->isr_set[s] == ((s & 1) ? 0u : 1u);
    }
    vreport(all_once, "16 SINTs raised through testdev routes, one interrupt each");
    vreport(isr_ok, "auto-EOI SINTs (odd) are taken without an ISR bit, the others with one");
    vreport(apic_isr_bit(VEC(1)) == 0 && apic_isr_bit(VEC(0)) == 0, "no ISR bit left behind");
    for (unsigned s = 0; s < NSINT; s++) testdev(0, ROUTE_SET_SINT, vp, s);
    settle();
    all_once = 1;
    for (unsigned s = 0; s < NSINT; s++) all_once &= st->hits[s] == 2;
    vreport(all_once, "a second round: two interrupts each");

    wrmsr(HV_X64_MSR_SINT0 + 4, VEC(4) | SINT_MASKED);
    testdev(0, ROUTE_SET_SINT, vp, 4);
    settle();
    vreport(st->hits[4] == 2, "a masked SINT delivers nothing (%u)", st->hits[4]);
    wrmsr(HV_X64_MSR_SINT0 + 4, VEC(4));
    testdev(0, ROUTE_DESTROY, vp, 5);
    testdev(0, ROUTE_SET_SINT, vp, 5);
    settle();
    vreport(st->hits[5] == 2, "a destroyed route raises nothing (%u)", st->hits[5]);
}

/* Event flags through an event connection (-> SINT 3 of this VP). */
static void event_connection(unsigned vp, struct vp_state *st)
{
    unsigned conn = CONN(vp, EVT);
    testdev(conn, EVT_CONN_CREATE, vp, 3);
    unsigned before = st->hits[3];
    u64 s = signal_event(conn, 10);
    settle();
    vreport(s == HV_STATUS_SUCCESS && (st->siefp[3 * 256 + 1] & (1 << 2)) && st->hits[3] == before + 1,
            "HvSignalEvent: flag 10 of SINT 3 set, SINT raised (status 0x%lx, hits %u)", s, st->hits[3] - before);
    s = signal_event(conn, 10);
    settle();
    vreport(s == HV_STATUS_SUCCESS && st->hits[3] == before + 1, "the same flag again (still set): SUCCESS, no second interrupt");
    st->siefp[3 * 256 + 1] &= (u8)~(1 << 2);   /* the guest takes the flag */
    s = signal_event(conn, 10);
    settle();
    vreport(s == HV_STATUS_SUCCESS && (st->siefp[3 * 256 + 1] & (1 << 2)) && st->hits[3] == before + 2, "taken and signalled again: a second interrupt");
    s = signal_event(CONN(vp, EVT_UNKNOWN), 1);
    vreport(s == HV_STATUS_INVALID_CONNECTION_ID, "HvSignalEvent to an unknown connection: INVALID_CONNECTION_ID (0x%lx)", s);
    s = signal_event(conn, 2048);
    vreport(s == HV_STATUS_INVALID_PARAMETER, "HvSignalEvent flag 2048: INVALID_PARAMETER (0x%lx)", s);
    s = hv_call(HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST, conn | (1ull << 48), 0);
    vreport(s == HV_STATUS_INVALID_HYPERCALL_INPUT, "HvSignalEvent reserved field: INVALID_HYPERCALL_INPUT (0x%lx)", s);
    testdev(conn, EVT_CONN_DESTROY, vp, 3);
    s = signal_event(conn, 11);
    vreport(s == HV_STATUS_INVALID_CONNECTION_ID, "destroyed event connection: INVALID_CONNECTION_ID (0x%lx)", s);
}

/* Messages through a message connection (-> SINT 2 of this VP): free slot, busy slot, EOM, statuses. */
static void message_connection(unsigned vp, struct vp_state *st)
{
    unsigned conn = CONN(vp, MSG);
    testdev(conn, MSG_CONN_CREATE, vp, 2);
    u8 *slot = slot_of(st, 2);
    unsigned before = st->hits[2];
    u64 s = post(conn, 0x1234, 16, 0xab);
    settle();
    vreport(s == HV_STATUS_SUCCESS && *type_of(st, 2) == 0x1234 && slot[4] == 16 && slot[16] == 0xab && slot[31] == 0xab &&
            *(volatile u64 *)(slot + 8) == conn && st->hits[2] == before + 1,
            "HvPostMessage into a free slot: delivered (sender = connection), SINT raised");
    s = post(conn, 0x1235, 8, 0xcd);
    settle();
    vreport(s == HV_STATUS_SUCCESS && *type_of(st, 2) == 0x1234 && (slot[5] & 1) && st->hits[2] == before + 1,
            "slot busy: message queued, msg_pending set, no interrupt");
    s = post(conn, 0x1236, 8, 0xef);
    vreport(s == HV_STATUS_INSUFFICIENT_BUFFERS, "one already waiting: INSUFFICIENT_BUFFERS (0x%lx)", s);
    consume(st, 2);
    settle();
    vreport(*type_of(st, 2) == 0x1235 && slot[4] == 8 && slot[16] == 0xcd && !(slot[5] & 1) && st->hits[2] == before + 2,
            "after EOM the queued message is delivered and the SINT raised again");
    s = post(conn, 0x1236, 8, 0xef);
    vreport(s == HV_STATUS_SUCCESS && (slot[5] & 1), "the queue has room again: the retry is accepted (0x%lx)", s);
    /* An EOI of the SINT's vector also retries: free the slot without EOM, then EOI (SINT 2 is not auto-EOI). */
    *type_of(st, 2) = 0;
    testdev(0, ROUTE_SET_SINT, vp, 2);   /* any interrupt on the vector: its EOI retires it */
    settle();
    vreport(*type_of(st, 2) == 0x1236 && slot[16] == 0xef && st->hits[2] == before + 4, "an EOI of the SINT's vector delivers the waiting message too");
    consume(st, 2);
    s = post(conn, 0x1237, 241, 0);
    vreport(s == HV_STATUS_INVALID_PARAMETER, "payload of 241 bytes: INVALID_PARAMETER (0x%lx)", s);
    s = post(conn, 0x80000001u, 8, 0);
    vreport(s == HV_STATUS_INVALID_PARAMETER, "hypervisor message type: INVALID_PARAMETER (0x%lx)", s);
    s = post(conn, 0, 8, 0);
    vreport(s == HV_STATUS_INVALID_PARAMETER, "message type 0: INVALID_PARAMETER (0x%lx)", s);
    s = post(CONN(vp, MSG_UNKNOWN), 0x1238, 8, 0);
    vreport(s == HV_STATUS_INVALID_CONNECTION_ID, "unknown message connection: INVALID_CONNECTION_ID (0x%lx)", s);
    s = hv_call(HVCALL_POST_MESSAGE | HV_HYPERCALL_FAST, conn, 0);
    vreport(s == HV_STATUS_INVALID_HYPERCALL_INPUT, "HvPostMessage in the fast form: INVALID_HYPERCALL_INPUT (0x%lx)", s);
    testdev(conn, MSG_CONN_DESTROY, vp, 2);
    s = post(conn, 0x1239, 8, 0);
    vreport(s == HV_STATUS_INVALID_CONNECTION_ID, "destroyed message connection: INVALID_CONNECTION_ID (0x%lx)", s);
    vreport(*type_of(st, 2) == 0 && st->hits[2] == before + 4, "nothing else arrived");
}

/* A message to a masked SINT waits (SUCCESS) and arrives when the SINT is unmasked. */
static void masked_sint(unsigned vp, struct vp_state *st)
{
    unsigned conn = CONN(vp, MSG_MASKED);
    wrmsr(HV_X64_MSR_SINT0 + 8, VEC(8) | SINT_MASKED);
    testdev(conn, MSG_CONN_CREATE, vp, 8);
    unsigned before = st->hits[8];
    u64 s = post(conn, 0x3001, 4, 0x31);
    settle();
    vreport(s == HV_STATUS_SUCCESS && *type_of(st, 8) == 0 && st->hits[8] == before, "a message to a masked SINT waits (0x%lx)", s);
    s = post(conn, 0x3002, 4, 0x32);
    vreport(s == HV_STATUS_INSUFFICIENT_BUFFERS, "a second one: INSUFFICIENT_BUFFERS (0x%lx)", s);
    wrmsr(HV_X64_MSR_SINT0 + 8, VEC(8));
    settle();
    vreport(*type_of(st, 8) == 0x3001 && slot_of(st, 8)[16] == 0x31 && st->hits[8] == before + 1, "unmasking delivers it and raises the SINT");
    consume(st, 8);
    testdev(conn, MSG_CONN_DESTROY, vp, 8);
}

/* A polling SINT (TLFS: unmasked, but no interrupt is generated): the guest finds messages and flags by looking. */
static void polling_sint(unsigned vp, struct vp_state *st)
{
    unsigned mconn = CONN(vp, MSG_POLL), econn = CONN(vp, EVT_POLL);
    u8 *slot = slot_of(st, 6);
    wrmsr(HV_X64_MSR_SINT0 + 6, VEC(6) | SINT_MASKED | SINT_POLLING);
    vreport(rdmsr(HV_X64_MSR_SINT0 + 6) == (VEC(6) | SINT_MASKED | SINT_POLLING), "SINT 6 in polling mode reads back");
    testdev(mconn, MSG_CONN_CREATE, vp, 6);
    testdev(econn, EVT_CONN_CREATE, vp, 6);
    testdev(0, ROUTE_CREATE, vp, 6);
    unsigned before = total_hits(st), h6 = st->hits[6];
    u64 s = post(mconn, 0x2001, 8, 0x21);
    settle();
    vreport(s == HV_STATUS_SUCCESS && *type_of(st, 6) == 0x2001 && slot[16] == 0x21, "polling SINT: the message lands in the slot (0x%lx)", s);
    s = post(mconn, 0x2002, 8, 0x22);
    settle();
    vreport(s == HV_STATUS_SUCCESS && *type_of(st, 6) == 0x2001 && (slot[5] & 1), "the polled slot busy: queued, msg_pending set");
    s = post(mconn, 0x2003, 8, 0x23);
    vreport(s == HV_STATUS_INSUFFICIENT_BUFFERS, "and a third: INSUFFICIENT_BUFFERS (0x%lx)", s);
    consume(st, 6);
    settle();
    vreport(*type_of(st, 6) == 0x2002 && slot[16] == 0x22 && !(slot[5] & 1), "EOM on the polled slot delivers the waiting message");
    consume(st, 6);
    s = signal_event(econn, 100);
    settle();
    vreport(s == HV_STATUS_SUCCESS && (st->siefp[6 * 256 + 12] & (1 << 4)), "HvSignalEvent on the polling SINT sets flag 100 (0x%lx)", s);
    testdev(0, ROUTE_SET_SINT, vp, 6);
    settle();
    vreport(total_hits(st) == before, "no interrupt for any of it (%u)", total_hits(st) - before);
    wrmsr(HV_X64_MSR_SINT0 + 6, VEC(6));
    s = post(mconn, 0x2004, 8, 0x24);
    settle();
    vreport(s == HV_STATUS_SUCCESS && *type_of(st, 6) == 0x2004 && st->hits[6] == h6 + 1 && total_hits(st) == before + 1,
            "polling off: the next message interrupts");
    consume(st, 6);
    testdev(mconn, MSG_CONN_DESTROY, vp, 6);
    testdev(econn, EVT_CONN_DESTROY, vp, 6);
    testdev(0, ROUTE_DESTROY, vp, 6);
}

/* Every scenario, on the calling VP (its own SynIC and pages). */
static void scenarios(unsigned vp)
{
    struct vp_state *st = &vps[vp];
    for (unsigned s = 0; s < NSINT; s++) st->hits[s] = st->isr_set[s] = 0;
    msr_checks(vp, st);
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    wrmsr(HV_X64_MSR_SIMP, (u64)st->simp | 1);
    wrmsr(HV_X64_MSR_SIEFP, (u64)st->siefp | 1);
    vreport(rdmsr(HV_X64_MSR_SIMP) == ((u64)st->simp | 1) && rdmsr(HV_X64_MSR_SIEFP) == ((u64)st->siefp | 1), "SIMP and SIEFP enabled");
    for (unsigned s = 0; s < NSINT; s++) wrmsr(HV_X64_MSR_SINT0 + s, VEC(s) | ((s & 1) ? SINT_AUTO_EOI : 0));
    asm volatile("sti");
    sint_routes(vp, st);
    event_connection(vp, st);
    message_connection(vp, st);
    masked_sint(vp, st);
    polling_sint(vp, st);
    asm volatile("cli");
}

/* VP 1 (with -smp 2): every scenario on its own SynIC while VP 0 halts, then it serves VP 0's posts. */
#define DONE_VECTOR 0x62
static volatile unsigned ap_done, ap_stop, ap_eom_request;
static int done_handler(struct trap_frame *f) { (void)f; apic_eoi(); return 1; }

static void ap_main(unsigned slot)
{
    (void)slot;
    apic_write(APIC_SVR, 0x1ff);
    scenarios(1);
    ap_done = 1;
    apic_send_ipi(0, ICR_FIXED | DONE_VECTOR);   /* wake VP 0 from HLT */
    /* Interrupts on: VP 0 raises VP 1's SINTs; on request free SINT 2's slot the guest's way (EOM if pending). */
    while (!ap_stop) {
        asm volatile("sti; pause; cli");
        if (ap_eom_request) {
            consume(&vps[1], 2);
            ap_eom_request = 0;
        }
    }
    for (;;) asm volatile("hlt");
}

static int wait_for(volatile unsigned *v, unsigned want)
{
    for (unsigned i = 0; i < 20000000 && *v < want; i++) cpu_pause();
    return *v >= want;
}

static int wait_zero(volatile unsigned *v)
{
    for (unsigned i = 0; i < 20000000 && *v; i++) cpu_pause();
    return !*v;
}

static void second_vp(void)
{
    if (((cpuid(1, 0).b >> 16) & 0xff) < 2) return;
    struct vp_state *ap = &vps[1];
    unsigned mine = total_hits(&vps[0]);
    set_trap_handler(DONE_VECTOR, done_handler);
    ap_boot_prepare(ap_main);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);
    for (int i = 0; i < 2; i++) apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    while (!ap_done) asm volatile("sti; hlt; cli");
    report(ap_done, "VP 1 ran every scenario");
    report(total_hits(&vps[0]) == mine, "VP 1's SINTs reached VP 1 only (VP 0 counted %u, then %u)", mine, total_hits(&vps[0]));

    /* Across VPs: VP 0 raises and posts, VP 1 takes them. */
    unsigned ap_before = ap->hits[2];
    testdev(0, ROUTE_SET_SINT, 1, 2);
    report(wait_for(&ap->hits[2], ap_before + 1) && total_hits(&vps[0]) == mine, "a route to VP 1 SINT 2 interrupts VP 1 only");
    unsigned conn = 0x77;
    testdev(conn, MSG_CONN_CREATE, 1, 2);
    u64 s = post(conn, 0x777, 8, 0x11);
    report(s == 0 && wait_for(&ap->hits[2], ap_before + 2) && *type_of(ap, 2) == 0x777 && *type_of(&vps[0], 2) == 0,
           "HvPostMessage from VP 0 lands in VP 1's message page (status 0x%lx)", s);
    s = post(conn, 0x778, 8, 0x12);
    report(s == 0 && *type_of(ap, 2) == 0x777 && (slot_of(ap, 2)[5] & 1), "VP 1's slot busy: VP 0's message queued, msg_pending set");
    s = post(conn, 0x779, 8, 0x13);
    report(s == HV_STATUS_INSUFFICIENT_BUFFERS, "VP 0 posts a third: INSUFFICIENT_BUFFERS (0x%lx)", s);
    ap_eom_request = 1;
    report(wait_zero(&ap_eom_request) && wait_for(&ap->hits[2], ap_before + 3) && *type_of(ap, 2) == 0x778 && slot_of(ap, 2)[16] == 0x12,
           "VP 1's EOM delivers VP 0's waiting message and raises VP 1's SINT");
    report(total_hits(&vps[0]) == mine, "VP 0 took none of it");
    testdev(conn, MSG_CONN_DESTROY, 1, 2);
    ap_stop = 1;
}

int main(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    apic_write(APIC_SVR, 0x1ff);
    for (unsigned s = 0; s < NSINT; s++) set_trap_handler(VEC(s), sint_handler);

    struct cpuid_regs r = cpuid(0x40000003, 0);
    report((r.a & (1u << 2)) && (r.b & (1u << 4)) && (r.b & (1u << 5)), "CPUID: SynIC MSRs, PostMessages and SignalEvents (0x%x, 0x%x)", r.a, r.b);
    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0x8100000000000000ull);
    wrmsr(HV_X64_MSR_HYPERCALL, (u64)hc_page | 1);

    scenarios(0);
    second_vp();
    return 0;
}
