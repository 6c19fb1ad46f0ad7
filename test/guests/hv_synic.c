/*
 * hv_synic: the Hyper-V SynIC driven through -device hyperv-testdev (port
 * 0x3000) and the hypercall page. Run with -cpu hv-vpindex,hv-synic.
 *
 * SynIC MSRs (SVERSION, reserved bits, SINT vectors below 16); all 16 SINTs
 * raised through testdev routes, auto-EOI on the odd ones (no ISR bit, no EOI
 * write); a masked SINT delivers nothing; HvSignalEvent through an event
 * connection (flag set once, SINT raised once); HvPostMessage through a
 * message connection with the busy slot -> msg_pending -> EOM redelivery
 * path and every HV_STATUS of both hypercalls.
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

#define TESTDEV 0x3000
enum { ROUTE_CREATE = 1, ROUTE_DESTROY, ROUTE_SET_SINT, MSG_CONN_CREATE, MSG_CONN_DESTROY, EVT_CONN_CREATE, EVT_CONN_DESTROY };
#define VEC(sint) (0x50 + (sint))

static u8 hc_page[4096] __attribute__((aligned(4096)));
static u8 simp[4096] __attribute__((aligned(4096)));
static u8 siefp[4096] __attribute__((aligned(4096)));
static u8 input[4096] __attribute__((aligned(4096)));

static volatile unsigned hits[16];

/* VP 1 (the AP, with -smp 2): its own SynIC, SINT 2 on vector 0x62 with auto-EOI. */
#define AP_VECTOR 0x62
static u8 ap_simp[4096] __attribute__((aligned(4096)));
static volatile unsigned ap_ready, ap_stop, ap_hits, ap_last_type;

static int ap_handler(struct trap_frame *f)
{
    (void)f;
    volatile u32 *type = (volatile u32 *)(ap_simp + 2 * 256);
    if (*type) {
        ap_last_type = *type;
        *type = 0;
    }
    ap_hits++;
    return 1;   /* auto-EOI: no EOI write */
}

static void ap_main(unsigned slot)
{
    (void)slot;
    apic_write(APIC_SVR, 0x1ff);
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    wrmsr(HV_X64_MSR_SIMP, (u64)ap_simp | 1);
    wrmsr(HV_X64_MSR_SINT0 + 2, AP_VECTOR | SINT_AUTO_EOI);
    __atomic_store_n(&ap_ready, 1, __ATOMIC_SEQ_CST);
    asm volatile("sti");
    while (!ap_stop) cpu_pause();
    asm volatile("cli");
    for (;;) asm volatile("hlt");
}

static int wait_for(volatile unsigned *v, unsigned want)
{
    for (unsigned i = 0; i < 20000000 && *v < want; i++) cpu_pause();
    return *v >= want;
}

static u64 post(unsigned conn, u32 type, u32 size, u8 fill);
static void testdev(unsigned conn, unsigned ctl, unsigned vp, unsigned sint);

static void second_vp(void)
{
    if (((cpuid(1, 0).b >> 16) & 0xff) < 2) return;
    set_trap_handler(AP_VECTOR, ap_handler);
    ap_boot_prepare(ap_main);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);
    for (int i = 0; i < 2; i++) apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    report(wait_for(&ap_ready, 1), "VP 1 set up its own SynIC");
    memset(simp + 2 * 256, 0, 256);
    unsigned bsp_before = hits[2];
    testdev(0, ROUTE_CREATE, 1, 2);
    testdev(0, ROUTE_SET_SINT, 1, 2);
    report(wait_for(&ap_hits, 1) && hits[2] == bsp_before, "a route to VP 1 SINT 2 interrupts VP 1 only (vector 0x62, auto-EOI)");
    testdev(11, MSG_CONN_CREATE, 1, 2);
    u64 s = post(11, 0x777, 8, 0x11);
    report(s == 0 && wait_for(&ap_hits, 2) && ap_last_type == 0x777 && *(volatile u32 *)(simp + 2 * 256) == 0,
           "HvPostMessage from VP 0 lands in VP 1's message page (status 0x%lx, type 0x%x)", s, ap_last_type);
    testdev(11, MSG_CONN_DESTROY, 1, 2);
    testdev(0, ROUTE_DESTROY, 1, 2);
    ap_stop = 1;
}


static volatile unsigned isr_set[16];

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
    unsigned sint = (unsigned)f->vector - VEC(0);
    hits[sint]++;
    isr_set[sint] = apic_isr_bit((unsigned)f->vector);
    if (!(sint & 1)) apic_eoi();   /* odd SINTs are auto-EOI */
    return 1;
}

static void settle(void)
{
    for (volatile int i = 0; i < 2000; i++) { }
}

static u64 post(unsigned conn, u32 type, u32 size, u8 fill)
{
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

int main(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    apic_write(APIC_SVR, 0x1ff);
    for (unsigned s = 0; s < 16; s++) set_trap_handler(VEC(s), sint_handler);

    struct cpuid_regs r = cpuid(0x40000003, 0);
    report((r.a & (1u << 2)) && (r.b & (1u << 4)) && (r.b & (1u << 5)), "CPUID: SynIC MSRs, PostMessages and SignalEvents (0x%x, 0x%x)", r.a, r.b);

    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0x8100000000000000ull);
    wrmsr(HV_X64_MSR_HYPERCALL, (u64)hc_page | 1);

    u64 v;
    report(rdmsr(HV_X64_MSR_SVERSION) == 1, "SVERSION = 1");
    report(wrmsr_safe(HV_X64_MSR_SVERSION, 2) == 13, "SVERSION is read-only");
    report(rdmsr(HV_X64_MSR_SINT0) == SINT_MASKED, "SINT0 starts masked");
    report(wrmsr_safe(HV_X64_MSR_SINT0, 0x0f) == 13, "unmasked SINT with vector 15: #GP");
    report(wrmsr_safe(HV_X64_MSR_SINT0, SINT_MASKED | 0x0f) == -1, "masked SINT with vector 15 is accepted");
    report(wrmsr_safe(HV_X64_MSR_SCONTROL, 2) == 13, "SCONTROL reserved bit: #GP");
    report(wrmsr_safe(HV_X64_MSR_SIMP, (u64)simp | 2) == 13, "SIMP reserved bit: #GP");
    report(rdmsr_safe(HV_X64_MSR_EOM, &v) == -1 && v == 0, "EOM reads 0");

    memset(simp, 0, sizeof(simp));
    memset(siefp, 0, sizeof(siefp));
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    wrmsr(HV_X64_MSR_SIMP, (u64)simp | 1);
    wrmsr(HV_X64_MSR_SIEFP, (u64)siefp | 1);
    report(rdmsr(HV_X64_MSR_SIMP) == ((u64)simp | 1) && rdmsr(HV_X64_MSR_SIEFP) == ((u64)siefp | 1), "SIMP and SIEFP enabled");
    for (unsigned s = 0; s < 16; s++) wrmsr(HV_X64_MSR_SINT0 + s, VEC(s) | ((s & 1) ? SINT_AUTO_EOI : 0));

    /* All 16 SINTs through testdev routes. */
    asm volatile("sti");
    for (unsigned s = 0; s < 16; s++) {
        testdev(0, ROUTE_CREATE, 0, s);
        testdev(0, ROUTE_SET_SINT, 0, s);
        settle();
    }
    int all_once = 1, isr_ok = 1;
    for (unsigned s = 0; s < 16; s++) {
        all_once &= hits[s] == 1;
        isr_ok &= isr_set[s] == ((s & 1) ? 0u : 1u);
    }
    report(all_once, "16 SINTs raised through testdev routes, one interrupt each");
    report(isr_ok, "auto-EOI SINTs (odd) are taken without an ISR bit, the others with one");
    report(apic_isr_bit(VEC(1)) == 0 && apic_isr_bit(VEC(0)) == 0, "no ISR bit left behind");
    for (unsigned s = 0; s < 16; s++) testdev(0, ROUTE_SET_SINT, 0, s);
    settle();
    all_once = 1;
    for (unsigned s = 0; s < 16; s++) all_once &= hits[s] == 2;
    report(all_once, "a second round: two interrupts each");

    wrmsr(HV_X64_MSR_SINT0 + 4, VEC(4) | SINT_MASKED);
    testdev(0, ROUTE_SET_SINT, 0, 4);
    settle();
    report(hits[4] == 2, "a masked SINT delivers nothing (%u)", hits[4]);
    wrmsr(HV_X64_MSR_SINT0 + 4, VEC(4));
    testdev(0, ROUTE_DESTROY, 0, 5);
    testdev(0, ROUTE_SET_SINT, 0, 5);
    settle();
    report(hits[5] == 2, "a destroyed route raises nothing (%u)", hits[5]);

    /* Event flags through an event connection (conn 5 -> SINT 3). */
    testdev(5, EVT_CONN_CREATE, 0, 3);
    unsigned before = hits[3];
    u64 s = signal_event(5, 10);
    settle();
    report(s == HV_STATUS_SUCCESS && (siefp[3 * 256 + 1] & (1 << 2)) && hits[3] == before + 1,
           "HvSignalEvent: flag 10 of SINT 3 set, SINT raised (status 0x%lx, hits %u)", s, hits[3] - before);
    s = signal_event(5, 10);
    settle();
    report(s == HV_STATUS_SUCCESS && hits[3] == before + 1, "the same flag again: SUCCESS, no second interrupt");
    s = signal_event(6, 1);
    report(s == HV_STATUS_INVALID_CONNECTION_ID, "HvSignalEvent to an unknown connection: INVALID_CONNECTION_ID (0x%lx)", s);
    s = signal_event(5, 2048);
    report(s == HV_STATUS_INVALID_PARAMETER, "HvSignalEvent flag 2048: INVALID_PARAMETER (0x%lx)", s);
    s = hv_call(HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST, 5 | (1ull << 48), 0);
    report(s == HV_STATUS_INVALID_HYPERCALL_INPUT, "HvSignalEvent reserved field: INVALID_HYPERCALL_INPUT (0x%lx)", s);
    testdev(5, EVT_CONN_DESTROY, 0, 3);
    s = signal_event(5, 11);
    report(s == HV_STATUS_INVALID_CONNECTION_ID, "destroyed event connection: INVALID_CONNECTION_ID (0x%lx)", s);

    /* Messages through a message connection (conn 7 -> SINT 2): free slot, busy slot, EOM. */
    testdev(7, MSG_CONN_CREATE, 0, 2);
    u8 *slot = simp + 2 * 256;
    before = hits[2];
    s = post(7, 0x1234, 16, 0xab);
    settle();
    report(s == HV_STATUS_SUCCESS && *(volatile u32 *)slot == 0x1234 && slot[4] == 16 && slot[16] == 0xab && slot[31] == 0xab &&
           hits[2] == before + 1, "HvPostMessage into a free slot: delivered, SINT raised");
    s = post(7, 0x1235, 8, 0xcd);
    settle();
    report(s == HV_STATUS_SUCCESS && *(volatile u32 *)slot == 0x1234 && (slot[5] & 1) && hits[2] == before + 1,
           "slot busy: message queued, msg_pending set, no interrupt");
    s = post(7, 0x1236, 8, 0xef);
    report(s == HV_STATUS_INSUFFICIENT_BUFFERS, "one already waiting: INSUFFICIENT_BUFFERS (0x%lx)", s);
    /* The guest consumes the message, frees the slot and, seeing msg_pending, writes EOM. */
    int pending = slot[5] & 1;
    *(volatile u32 *)slot = 0;
    if (pending) wrmsr(HV_X64_MSR_EOM, 0);
    settle();
    report(*(volatile u32 *)slot == 0x1235 && slot[4] == 8 && slot[16] == 0xcd && !(slot[5] & 1) && hits[2] == before + 2,
           "after EOM the queued message is delivered and the SINT raised again");
    *(volatile u32 *)slot = 0;
    s = post(7, 0x1237, 241, 0);
    report(s == HV_STATUS_INVALID_PARAMETER, "payload of 241 bytes: INVALID_PARAMETER (0x%lx)", s);
    s = post(7, 0x80000001u, 8, 0);
    report(s == HV_STATUS_INVALID_PARAMETER, "hypervisor message type: INVALID_PARAMETER (0x%lx)", s);
    s = post(9, 0x1238, 8, 0);
    report(s == HV_STATUS_INVALID_CONNECTION_ID, "unknown message connection: INVALID_CONNECTION_ID (0x%lx)", s);
    s = hv_call(HVCALL_POST_MESSAGE | HV_HYPERCALL_FAST, 7, 0);
    report(s == HV_STATUS_INVALID_HYPERCALL_INPUT, "HvPostMessage in the fast form: INVALID_HYPERCALL_INPUT (0x%lx)", s);
    testdev(7, MSG_CONN_DESTROY, 0, 2);
    s = post(7, 0x1239, 8, 0);
    report(s == HV_STATUS_INVALID_CONNECTION_ID, "destroyed message connection: INVALID_CONNECTION_ID (0x%lx)", s);
    asm volatile("cli");
    second_vp();
    return 0;
}
