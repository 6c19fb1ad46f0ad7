/*
 * bench_hv: Hyper-V figures for `npm run bench` (real-time clock; times from
 * the guest's TSC and reference counter, i.e. host time).
 *   mode=1 iters=N  N hypercalls through the page (an unknown code: the exit round trip)
 *   mode=2 iters=N  N reads of TIME_REF_COUNT
 *   mode=3          a 1 ms periodic synthetic timer, 1000 expiries: mean period and p99 lateness,
 *                   the guest halted between expiries (the run loop's idle wake-up)
 *   mode=4          the same with the guest computing between expiries (the slice's deadline)
 * Prints "BENCH mode=M ..." lines. Run with -cpu hv-passthrough.
 */
#include "guest.h"
#include "apic.h"

#define HV_X64_MSR_GUEST_OS_ID 0x40000000u
#define HV_X64_MSR_HYPERCALL 0x40000001u
#define HV_X64_MSR_TIME_REF_COUNT 0x40000020u
#define HV_X64_MSR_TSC_FREQUENCY 0x40000022u
#define HV_X64_MSR_SCONTROL 0x40000080u
#define HV_X64_MSR_SIMP 0x40000083u
#define HV_X64_MSR_SINT0 0x40000090u
#define STIMER0_CONFIG 0x400000b0u
#define STIMER0_COUNT 0x400000b1u
#define TICKS 1000

static u8 hc_page[4096] __attribute__((aligned(4096)));
static u8 simp[4096] __attribute__((aligned(4096)));
static volatile unsigned ticks;
static u64 late[TICKS], at[TICKS];

static int timer_handler(struct trap_frame *f)
{
    (void)f;
    volatile u32 *type = (volatile u32 *)(simp + 2 * 256);
    u64 exp = *(volatile u64 *)(simp + 2 * 256 + 24);
    u64 now = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    if (ticks < TICKS) { late[ticks] = now - exp; at[ticks] = now; }
    ticks++;
    if (ticks == TICKS) wrmsr(STIMER0_CONFIG, 0);
    *type = 0;
    apic_eoi();
    return 1;
}

static void sort(u64 *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        u64 v = a[i];
        unsigned j = i;
        for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
        a[j] = v;
    }
}

int main(void)
{
    u64 mode = cmdline_u64("mode", 1), iters = cmdline_u64("iters", 100000);
    u64 tsc_hz = rdmsr(HV_X64_MSR_TSC_FREQUENCY);
    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0x8100000000000000ull);
    wrmsr(HV_X64_MSR_HYPERCALL, (u64)hc_page | 1);
    if (mode == 1 || mode == 2) {
        u64 t0 = rdtsc();
        for (u64 i = 0; i < iters; i++) {
            if (mode == 1) {
                u64 status, control = 0x7777, in = 0;
                register u64 r8 asm("r8") = 0;
                void *page = hc_page;
                asm volatile("call *%[p]" : "=a"(status), "+c"(control), "+d"(in), "+r"(r8) : [p] "r"(page) : "memory", "r9", "r10", "r11");
            } else {
                (void)rdmsr(HV_X64_MSR_TIME_REF_COUNT);
            }
        }
        u64 ns = (rdtsc() - t0) * 1000000000ull / tsc_hz;
        printf("BENCH mode=%lu iters=%lu ns=%lu\n", mode, iters, ns);
        return 0;
    }
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    apic_write(APIC_SVR, 0x1ff);
    set_trap_handler(0xF1, timer_handler);
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    wrmsr(HV_X64_MSR_SIMP, (u64)simp | 1);
    wrmsr(HV_X64_MSR_SINT0 + 2, 0xF1);
    wrmsr(STIMER0_COUNT, 10000);
    wrmsr(STIMER0_CONFIG, 1 | 2 | (2ull << 16));
    if (mode == 4) {
        /* Busy: arithmetic with interrupts on, no exits, until the last expiry. */
        asm volatile("sti");
        for (volatile u64 x = 1; ticks < TICKS; x = x * 6364136223846793005ull + 1442695040888963407ull) { }
        asm volatile("cli");
    } else {
        while (ticks < TICKS) asm volatile("sti; hlt; cli");
    }
    u64 mean_period_100ns_x1000 = (at[TICKS - 1] - at[0]) * 1000 / (TICKS - 1);
    sort(late, TICKS);
    printf("BENCH mode=%lu ticks=%u mean_period_ns=%lu p99_late_ns=%lu max_late_ns=%lu\n", mode, TICKS, mean_period_100ns_x1000 / 10,
           late[TICKS * 99 / 100] * 100, late[TICKS - 1] * 100);
    return 0;
}
