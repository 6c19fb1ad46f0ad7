/*
 * kvmclock and the KVM hypercalls on -smp 2 (run with -cpu qemu64 or with
 * flags; the guest adapts to CPUID 0x40000001):
 *  - the KVM signature and feature bits;
 *  - each vCPU registers its pvclock_vcpu_time_info (MSR 0x4b564d01), reads
 *    are taken with the version seqlock, and reads=N cross-vCPU reads (both
 *    CPUs publish into one shared maximum) never go backwards;
 *  - PVCLOCK_TSC_STABLE_BIT follows TSC_ADJUST / IA32_TSC writes;
 *  - the wall clock (MSR 0x4b564d00) is printed for the host to compare;
 *  - hypercalls: VAPIC_POLL_IRQ, CLOCK_PAIRING, SEND_IPI, SCHED_YIELD,
 *    unknown numbers, and their error paths;
 *  - without kvmclock the MSRs are #GP.
 */
#include "guest.h"
#include "apic.h"
#include "ap_boot.h"

#define MSR_IA32_TSC 0x10
#define MSR_TSC_ADJUST 0x3b
#define MSR_WALL_CLOCK_OLD 0x11
#define MSR_SYSTEM_TIME_OLD 0x12
#define MSR_WALL_CLOCK_NEW 0x4b564d00
#define MSR_SYSTEM_TIME_NEW 0x4b564d01
#define STABLE_BIT 1
#define V_PV_IPI 0x50
#define MSR_STEAL_TIME 0x4b564d03

struct pvclock {
    u32 version, pad0;
    u64 tsc_timestamp, system_time;
    u32 mul;
    signed char shift;
    u8 flags, pad[2];
} __attribute__((packed));

struct wall_clock { u32 version, sec, nsec; } __attribute__((packed));
struct clock_pairing { s64 sec, nsec; u64 tsc; u32 flags, pad[9]; } __attribute__((packed));

static struct pvclock pvti[2] __attribute__((aligned(64)));
struct steal_time { u64 steal; u32 version, flags; u8 preempted, pad8[3]; u32 pad[11]; } __attribute__((packed));
static struct steal_time steal[2] __attribute__((aligned(64)));
static struct wall_clock wall __attribute__((aligned(16)));
static struct clock_pairing pairing __attribute__((aligned(64)));
static volatile u64 shared_max;
static volatile unsigned backwards[2];
static volatile unsigned ap_ready, ap_go, ap_done, ipis;
static volatile unsigned ap_halts, ap_wakes, ap_cli_halt, ap_spin;
static unsigned long reads;

static u64 pvclock_read(volatile struct pvclock *p, u8 *flags)
{
    u32 v;
    u64 ns;
    do {
        v = p->version;
        asm volatile("" ::: "memory");
        u64 delta = rdtsc() - p->tsc_timestamp;
        if (p->shift < 0) delta >>= -p->shift; else delta <<= p->shift;
        ns = p->system_time + (u64)(((unsigned __int128)delta * p->mul) >> 32);
        if (flags) *flags = p->flags;
        asm volatile("" ::: "memory");
    } while ((v & 1) || v != p->version);
    return ns;
}

/* Each read is published into shared_max with CMPXCHG; a read below what any CPU had already seen when it began is time going backwards. */
static void cross_reads(unsigned cpu)
{
    for (unsigned long i = 0; i < reads; i++) {
        /* shared_max first: a value published before this read began must not be newer than the read. */
        u64 seen = shared_max;
        asm volatile("" ::: "memory");
        u64 now = pvclock_read(&pvti[cpu], 0);
        if (now < seen) backwards[cpu]++;
        while (now > seen && !__sync_bool_compare_and_swap(&shared_max, seen, now)) seen = shared_max;
    }
}

/* KVM's hypercall instruction is the vendor's, as Linux picks it: VMMCALL on AMD and Hygon,
 * VMCALL otherwise (KVM emulates the other one only at CPL 0: from CPL 3 it is #GP on AMD). */
static int amd_like;

static long hypercall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
{
    long r;
    if (amd_like)
        asm volatile("vmmcall" : "=a"(r) : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
    else
        asm volatile("vmcall" : "=a"(r) : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
    return r;
}

void kvm_ipi(void) { ipis++; apic_eoi(); }
asm(".text\n.globl kvm_ipi_stub\nkvm_ipi_stub:\n"
    "  pushq %rax; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi\n"
    "  pushq %r8; pushq %r9; pushq %r10; pushq %r11\n"
    "  call kvm_ipi\n"
    "  popq %r11; popq %r10; popq %r9; popq %r8\n"
    "  popq %rdi; popq %rsi; popq %rdx; popq %rcx; popq %rax\n  iretq\n");
extern char kvm_ipi_stub[];

static void ap_main(unsigned slot)
{
    (void)slot;
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    if (cpuid(0x40000001, 0).a & 1) wrmsr(MSR_SYSTEM_TIME_NEW, (u64)(uintptr_t)&pvti[1] | 1);
    if (cpuid(0x40000001, 0).a & (1u << 5)) wrmsr(MSR_STEAL_TIME, (u64)(uintptr_t)&steal[1] | 1);
    ap_ready = 1;
    while (!ap_go) cpu_pause();
    cross_reads(1);
    ap_done = 1;
    for (;;) {
        while (ap_spin) cpu_pause();
        ap_halts++;
        if (ap_cli_halt) asm volatile("cli; hlt" ::: "memory");
        else asm volatile("sti; hlt; cli" ::: "memory");
        ap_wakes++;
    }
}

static int wait_for(volatile unsigned *v)
{
    for (unsigned long spins = 0; spins < 50000000ul; spins++) {
        if (*v) return 1;
        cpu_pause();
    }
    return 0;
}

/* The stable bit as this CPU's structure shows it, once a slice boundary has passed (the host publishes there). */
static int stable_after_boundary(void)
{
    for (int i = 0; i < 20; i++) cpu_pause();   /* PAUSE ends the slice with several vCPUs */
    u8 flags;
    pvclock_read(&pvti[0], &flags);
    return flags & STABLE_BIT;
}

static void settle(void) { for (volatile int i = 0; i < 50; i++) cpu_pause(); }

/* PV unhalt: KICK_CPU wakes the AP from HLT with IF=0, and a kick before the HLT ends that HLT at once. */
static void test_unhalt(void)
{
    ap_cli_halt = 1;
    unsigned h = ap_halts;
    apic_send_ipi(1, ICR_FIXED | V_PV_IPI);   /* wake it from its sti;hlt so it halts again with IF=0 */
    for (unsigned long s = 0; s < 5000000ul && ap_halts == h; s++) cpu_pause();
    settle();
    unsigned w = ap_wakes;
    settle();
    report(ap_wakes == w, "AP halted with IF=0 stays halted");
    ap_spin = 1;   /* once woken, the AP spins (runnable) instead of halting again */
    report(hypercall(5, 0, 1, 0, 0) == 0, "KVM_HC_KICK_CPU: 0");
    for (unsigned long s = 0; s < 5000000ul && ap_wakes == w; s++) cpu_pause();
    report(ap_wakes == w + 1, "the kick woke the AP from HLT with IF=0");
    /* Kick first, halt later: the AP spins when kicked, then halts. */
    settle();
    w = ap_wakes;
    unsigned h2 = ap_halts;
    report(hypercall(5, 0, 1, 0, 0) == 0, "KICK_CPU while the AP runs: 0");
    ap_spin = 0;
    for (unsigned long s = 0; s < 5000000ul && ap_wakes == w; s++) cpu_pause();
    report(ap_halts > h2 && ap_wakes == w + 1, "a kick before the HLT ends that HLT at once");
    report(hypercall(5, 0, 200, 0, 0) == 0, "KICK_CPU to a missing APIC ID: 0");
    ap_cli_halt = 0;
}

static void test_no_kvmclock(void)
{
    u64 v;
    report(rdmsr_safe(MSR_SYSTEM_TIME_NEW, &v) == 13, "no kvmclock: RDMSR 0x4b564d01 is #GP");
    report(wrmsr_safe(MSR_WALL_CLOCK_OLD, 0x1000) == 13, "no kvmclock: WRMSR 0x11 is #GP");
}

static u8 user_stack[4096] __attribute__((aligned(16)));
static volatile long user_result;
static void user_vmcall(void)
{
    user_result = hypercall(1, 0, 0, 0, 0);
}

static void test_hypercalls(u32 features)
{
    user_result = 0;
    run_user(user_vmcall, user_stack + sizeof(user_stack));
    report(user_result == -1, "hypercall from CPL 3: -KVM_EPERM (%ld)", user_result);
    report(hypercall(1, 0, 0, 0, 0) == 0, "KVM_HC_VAPIC_POLL_IRQ returns 0");
    report(hypercall(12345, 0, 0, 0, 0) == -1000, "unknown hypercall: -KVM_ENOSYS");
    if (!(features & (1u << 7))) report(hypercall(5, 0, 1, 0, 0) == -1000, "KVM_HC_KICK_CPU without kvm-pv-unhalt: -KVM_ENOSYS");
    if (features & 1) {
        long r = hypercall(9, (u64)(uintptr_t)&pairing, 0, 0, 0);
        report(r == 0, "KVM_HC_CLOCK_PAIRING: 0 (%ld)", r);
        report_info("clock pairing sec=%lu nsec=%lu tsc=%lu", (unsigned long)pairing.sec, (unsigned long)pairing.nsec, (unsigned long)pairing.tsc);
        report(pairing.nsec >= 0 && pairing.nsec < 1000000000 && pairing.tsc > 0 && pairing.tsc <= rdtsc(), "clock pairing fields are sane");
        report(hypercall(9, (u64)(uintptr_t)&pairing, 1, 0, 0) == -95, "KVM_HC_CLOCK_PAIRING unknown clock type: -KVM_EOPNOTSUPP");
        report(hypercall(9, 0xfffffffff000ull, 0, 0, 0) == -14, "KVM_HC_CLOCK_PAIRING outside RAM: -KVM_EFAULT");
    }
    long y = hypercall(11, 1, 0, 0, 0);
    report(y == ((features >> 13) & 1 ? 0 : -1000), "KVM_HC_SCHED_YIELD: %ld", y);
    if (features & (1u << 11)) {
        unsigned before = ipis;
        long r = hypercall(10, 0x2, 0, 0, V_PV_IPI);   /* bit 1 from APIC ID 0: CPU 1 */
        report(r == 1, "KVM_HC_SEND_IPI to APIC ID 1: 1 IPI sent (%ld)", r);
        for (unsigned long s = 0; s < 5000000ul && ipis == before; s++) cpu_pause();
        report(ipis == before + 1, "the AP took the PV IPI");
        report(hypercall(10, 0x1, 0, 1, V_PV_IPI) == 1, "SEND_IPI with min APIC ID 1: bit 0 is CPU 1");
        for (unsigned long s = 0; s < 5000000ul && ipis == before + 1; s++) cpu_pause();
        report(hypercall(10, 0x4, 0, 0, V_PV_IPI) == 0, "SEND_IPI to a missing APIC ID: 0 sent");
        report(hypercall(10, 0x2, 0, 0, (5u << 8) | V_PV_IPI) == -22, "SEND_IPI with delivery mode INIT: -KVM_EINVAL");
    } else {
        report(hypercall(10, 0x2, 0, 0, V_PV_IPI) == -1000, "KVM_HC_SEND_IPI without kvm-pv-ipi: -KVM_ENOSYS");
    }
}

int main(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    reads = cmdline_u64("reads", 100000);
    u32 vendor_ebx = cpuid(0, 0).b;
    amd_like = vendor_ebx == 0x68747541u /* "Auth"enticAMD */ || vendor_ebx == 0x6f677948u /* "Hygo"nGenuine */;
    report_info("hypercall instruction: %s", amd_like ? "VMMCALL" : "VMCALL");
    struct cpuid_regs hv = cpuid(0x40000000, 0);
    char sig[13];
    memcpy(sig, &hv.b, 4); memcpy(sig + 4, &hv.c, 4); memcpy(sig + 8, &hv.d, 4); sig[12] = 0;
    report(memcmp(sig, "KVMKVMKVM\0\0\0", 12) == 0, "CPUID 0x40000000: KVMKVMKVM");
    report(hv.a >= 0x40000001, "max hypervisor leaf 0x%x", hv.a);
    u32 features = cpuid(0x40000001, 0).a;
    report_info("KVM features 0x%x", features);

    unsigned ncpus = (cpuid(1, 0).b >> 16) & 0xff;
    idt_set_gate(V_PV_IPI, (u64)kvm_ipi_stub, 0, 0);
    if (ncpus >= 2) {
        ap_boot_prepare(ap_main);
        apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
        apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);
        for (int i = 0; i < 2; i++) apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    }

    if (!(features & 1)) {
        test_no_kvmclock();
        test_hypercalls(features);
        return 0;
    }
    report((features & (1u << 3)) != 0, "KVM_FEATURE_CLOCKSOURCE2 with CLOCKSOURCE");
    wrmsr(MSR_SYSTEM_TIME_NEW, (u64)(uintptr_t)&pvti[0] | 1);
    report(rdmsr(MSR_SYSTEM_TIME_NEW) == ((u64)(uintptr_t)&pvti[0] | 1), "SYSTEM_TIME_NEW reads back");
    report(!(pvti[0].version & 1) && pvti[0].version != 0, "version is even after the update (%u)", pvti[0].version);
    report_info("mul=%u shift=%d flags=%u tsc_timestamp=%lu system_time=%lu", pvti[0].mul, pvti[0].shift, pvti[0].flags,
                (unsigned long)pvti[0].tsc_timestamp, (unsigned long)pvti[0].system_time);
    int stable_allowed = (features >> 24) & 1;
    report((pvti[0].flags & STABLE_BIT) == (stable_allowed ? STABLE_BIT : 0), "stable bit %s", stable_allowed ? "set" : "clear (not advertised)");
    u64 t0 = pvclock_read(&pvti[0], 0);
    for (volatile int i = 0; i < 100000; i++) {}
    u64 t1 = pvclock_read(&pvti[0], 0);
    report(t1 > t0, "guest time advances (%lu -> %lu ns)", (unsigned long)t0, (unsigned long)t1);

    wrmsr(MSR_WALL_CLOCK_NEW, (u64)(uintptr_t)&wall);
    report(!(wall.version & 1) && wall.nsec < 1000000000u, "wall clock version even, nsec < 1e9");
    report_info("wall clock sec=%u nsec=%u now=%lu", wall.sec, wall.nsec,
                (unsigned long)(wall.sec + pvclock_read(&pvti[0], 0) / 1000000000ull));
    wrmsr(MSR_SYSTEM_TIME_OLD, (u64)(uintptr_t)&pvti[0] | 1);
    report(rdmsr(MSR_SYSTEM_TIME_OLD) == ((u64)(uintptr_t)&pvti[0] | 1), "old SYSTEM_TIME MSR 0x12 works too");
    u64 junk;
    report(rdmsr_safe(0x4b564d02, &junk) == 13, "MSR 0x4b564d02 (not a KVM MSR here) is #GP");

    if (ncpus < 2) return 0;
    report(wait_for(&ap_ready), "AP registered its kvmclock");
    report(pvti[1].version != 0 && !(pvti[1].version & 1), "AP structure published");
    report(pvti[1].system_time == pvti[0].system_time && pvti[1].tsc_timestamp == pvti[0].tsc_timestamp,
           "master clock: both vCPUs carry the same (tsc_timestamp, system_time)");
    int has_steal = (features >> 5) & 1;
    if (has_steal) {
        report(wrmsr_safe(MSR_STEAL_TIME, (u64)(uintptr_t)&steal[0] | 2) == 13, "steal time: reserved MSR bits are #GP");
        wrmsr(MSR_STEAL_TIME, (u64)(uintptr_t)&steal[0] | 1);
        report(rdmsr(MSR_STEAL_TIME) == ((u64)(uintptr_t)&steal[0] | 1), "steal time MSR reads back");
    } else {
        u64 v;
        report(rdmsr_safe(MSR_STEAL_TIME, &v) == 13, "no kvm-steal-time: MSR 0x4b564d03 is #GP");
    }
    u64 start = pvclock_read(&pvti[0], 0);
    ap_go = 1;
    cross_reads(0);
    report(wait_for(&ap_done), "AP finished its reads");
    if (has_steal) {
        u64 elapsed = pvclock_read(&pvti[0], 0) - start;
        report_info("steal: BSP %lu ns, AP %lu ns; %lu ns passed during the reads", (unsigned long)steal[0].steal, (unsigned long)steal[1].steal, (unsigned long)elapsed);
        report(steal[0].steal > 0 && steal[1].steal > 0 && !(steal[0].version & 1), "both vCPUs saw steal time while both were runnable");
        for (volatile int i = 0; i < 20; i++) cpu_pause();   /* let the AP reach HLT */
        u64 s0 = steal[0].steal;
        for (volatile int i = 0; i < 200; i++) cpu_pause();
        report(steal[0].steal == s0, "no steal time while the other vCPU is halted");
    }
    report(backwards[0] == 0 && backwards[1] == 0, "%lu cross-vCPU reads per vCPU never went backwards (%u, %u)", reads, backwards[0], backwards[1]);

    test_hypercalls(features);
    if (features & (1u << 7)) test_unhalt();

    if (stable_allowed && (cpuid(7, 0).b & (1u << 1))) {   /* IA32_TSC_ADJUST exists where CPUID.7:EBX[1] says */
        wrmsr(MSR_TSC_ADJUST, 1000000);
        report(!stable_after_boundary(), "TSC_ADJUST on one vCPU: stable bit cleared");
        report(pvti[0].tsc_timestamp != pvti[1].tsc_timestamp, "the vCPUs' structures carry their own TSC");
        wrmsr(MSR_TSC_ADJUST, 0);
        report(stable_after_boundary(), "TSC_ADJUST back to 0: TSCs match, stable bit set again");
    }
    if (stable_allowed) {
        wrmsr(MSR_IA32_TSC, rdtsc() + 5000000);
        report(!stable_after_boundary(), "WRMSR IA32_TSC on one vCPU: stable bit cleared");
        u64 a = pvclock_read(&pvti[0], 0);
        report(a >= t1, "guest time still sane after the TSC write");
    }
    return 0;
}
