/*
 * SMP on the real CPU core: the BSP starts every AP with INIT-SIPI-SIPI
 * (runtime/ap_boot.S), each AP reports its APIC ID (register and CPUID),
 * IPIs ping-pong between the BSP and each AP, all CPUs take turns on a
 * spinlock with PAUSE in the spin, meet at a barrier, and the BSP exits.
 * The vCPU count comes from CPUID.1:EBX[23:16].
 */
#include "guest.h"
#include "apic.h"
#include "ap_boot.h"

#define V_PING 0x40
#define V_PONG 0x41
#define PINGS 10
#define LOCK_ROUNDS 200

static volatile unsigned arrived;
static volatile u32 ap_apic_id[AP_MAX];
static volatile u32 ap_cpuid_id[AP_MAX];
static volatile unsigned pings[256];
static volatile unsigned pongs;
static volatile unsigned lock_word;
static volatile unsigned shared_counter;
static volatile unsigned at_barrier;
static volatile unsigned go_lock;

/* Interrupt stubs of their own: the runtime's dispatcher keeps global state meant for one CPU. */
void smp_ipi(void);
asm(".text\n"
    ".globl smp_ipi_stub\n"
    "smp_ipi_stub:\n"
    "  pushq %rax; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi\n"
    "  pushq %r8; pushq %r9; pushq %r10; pushq %r11\n"
    "  call smp_ipi\n"
    "  popq %r11; popq %r10; popq %r9; popq %r8\n"
    "  popq %rdi; popq %rsi; popq %rdx; popq %rcx; popq %rax\n"
    "  iretq\n");
extern char smp_ipi_stub[];

static volatile unsigned nmis[256];
void smp_nmi(void);
asm(".text\n"
    ".globl smp_nmi_stub\n"
    "smp_nmi_stub:\n"
    "  pushq %rax; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi\n"
    "  pushq %r8; pushq %r9; pushq %r10; pushq %r11\n"
    "  call smp_nmi\n"
    "  popq %r11; popq %r10; popq %r9; popq %r8\n"
    "  popq %rdi; popq %rsi; popq %rdx; popq %rcx; popq %rax\n"
    "  iretq\n");
extern char smp_nmi_stub[];

/* NMIs need no EOI: count them per APIC ID. */
void smp_nmi(void)
{
    nmis[apic_id()]++;
}

/* Ping at an AP: count it and answer the BSP. Pong at the BSP: count it. */
void smp_ipi(void)
{
    u32 id = apic_id();
    if (id == 0) {
        __atomic_add_fetch(&pongs, 1, __ATOMIC_SEQ_CST);
    } else {
        pings[id]++;
        apic_send_ipi(0, ICR_FIXED | V_PONG);
    }
    apic_eoi();
}

static void spin_lock(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        while (lock_word) cpu_pause();
}
static void spin_unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

/* Increments the shared counter non-atomically inside the lock: a broken lock loses updates. */
static void lock_rounds(void)
{
    for (int i = 0; i < LOCK_ROUNDS; i++) {
        spin_lock();
        unsigned v = shared_counter;
        for (volatile int d = 0; d < 20; d++) { }
        shared_counter = v + 1;
        spin_unlock();
    }
}

static void barrier(unsigned ncpus)
{
    __atomic_add_fetch(&at_barrier, 1, __ATOMIC_SEQ_CST);
    while (at_barrier < ncpus) cpu_pause();
}

static unsigned ncpus_global;
static volatile unsigned restart_phase;
static volatile u32 restarted_id = 0xffffffff;
static volatile u32 restarted_svr;

static void ap_main(unsigned slot)
{
    if (restart_phase) {
        /* Started again by INIT-SIPI-SIPI: the APIC came back in its reset state. */
        restarted_svr = apic_read(APIC_SVR);
        restarted_id = apic_id();
        __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
        for (;;) asm volatile("cli; hlt");
    }
    (void)slot;
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    /* Flat logical model: logical ID bit = APIC ID (IDs 1..7 fit the 8-bit mask). */
    apic_write(APIC_DFR, 0xffffffff);
    apic_write(APIC_LDR, apic_id() < 8 ? (1u << apic_id()) << 24 : 0);
    ap_apic_id[slot] = apic_id();
    ap_cpuid_id[slot] = cpuid(1, 0).b >> 24;
    __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
    while (!go_lock) {
        asm volatile("sti; hlt; cli" ::: "memory");
    }
    lock_rounds();
    barrier(ncpus_global);
    for (;;) asm volatile("cli; hlt");
}

static int wait_until(volatile unsigned *v, unsigned want)
{
    for (unsigned long spins = 0; spins < 20000000ul; spins++) {
        if (*v >= want) return 1;
        cpu_pause();
    }
    return 0;
}

int main(void)
{
    /* Firmware may leave 8259 inputs (the PIT on IRQ 0, at vector 8) unmasked: mask both controllers. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    struct cpuid_regs l1 = cpuid(1, 0);
    unsigned ncpus = (l1.b >> 16) & 0xff;
    ncpus_global = ncpus;
    report(ncpus >= 2 && ncpus <= AP_MAX, "CPUID.1:EBX[23:16]: %u logical processors", ncpus);
    report((l1.d >> 28) & 1, "CPUID.1:EDX.HTT with more than one CPU");
    report(apic_id() == 0 && (l1.b >> 24) == 0, "BSP has APIC ID 0");
    if (ncpus < 2 || ncpus > AP_MAX) return 0;

    idt_set_gate(V_PING, (u64)smp_ipi_stub, 0, 0);
    idt_set_gate(V_PONG, (u64)smp_ipi_stub, 0, 0);
    idt_set_gate(2, (u64)smp_nmi_stub, 0, 0);
    ap_boot_prepare(ap_main);

    /* INIT, then two startup IPIs, to every AP (all-excluding-self shorthand). */
    apic_write(APIC_ESR, 0);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);   /* INIT level de-assert */
    for (int i = 0; i < 2; i++)
        apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    report(wait_until(&arrived, ncpus - 1), "%u of %u APs arrived in long mode", arrived, ncpus - 1);
    apic_write(APIC_ESR, 0);
    report(apic_read(APIC_ESR) == 0, "no APIC errors while starting APs");

    unsigned seen[AP_MAX] = {0};
    int cpuid_ok = 1, ids_ok = 1;
    for (unsigned s = 0; s < arrived; s++) {
        if (ap_apic_id[s] < AP_MAX) seen[ap_apic_id[s]]++;
        cpuid_ok &= ap_cpuid_id[s] == ap_apic_id[s];
        report_info("AP slot %u: APIC ID %u, CPUID initial APIC ID %u", s, ap_apic_id[s], ap_cpuid_id[s]);
    }
    for (unsigned id = 0; id < ncpus; id++) ids_ok &= seen[id] == (id == 0 ? 0u : 1u);
    report(ids_ok, "APs report APIC IDs 1..%u, each once", ncpus - 1);
    report(cpuid_ok, "each AP's CPUID shows its own initial APIC ID");

    /* Ping-pong: the BSP pings each AP by physical ID; the AP's handler pongs back. */
    asm volatile("sti");
    for (unsigned round = 0; round < PINGS; round++) {
        for (unsigned id = 1; id < ncpus; id++) {
            unsigned want = pongs + 1;
            apic_send_ipi(id, ICR_FIXED | V_PING);
            if (!wait_until(&pongs, want)) break;
        }
    }
    int pp_ok = pongs == PINGS * (ncpus - 1);
    for (unsigned id = 1; id < ncpus; id++) pp_ok &= pings[id] == PINGS;
    report(pp_ok, "IPI ping-pong: %u pongs for %u pings to each of %u APs", pongs, PINGS, ncpus - 1);

    /* A broadcast fixed IPI (all excluding self) reaches every AP once. (Their pongs may merge in
     * the BSP's IRR: one vector pending twice is one interrupt, so count pings.) */
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_FIXED | V_PING);
    int bc_ok = 1;
    for (unsigned id = 1; id < ncpus; id++) bc_ok &= wait_until(&pings[id], PINGS + 1) && pings[id] == PINGS + 1;
    report(bc_ok, "broadcast IPI reached every AP once");

    /* Logical (flat) destination: APs 1 and 2 only (where present). */
    unsigned pl1 = pings[1], pl2 = pings[2], pl3 = pings[3];
    apic_send_ipi(0x06, ICR_LOGICAL | ICR_FIXED | V_PING);
    int lg_ok = wait_until(&pings[1], pl1 + 1) && (ncpus < 3 || wait_until(&pings[2], pl2 + 1));
    for (volatile int d = 0; d < 2000; d++) { }
    lg_ok &= pings[3] == pl3;
    report(lg_ok, "logical destination 0x06 reaches APIC IDs 1 and 2 only");

    /* NMI by physical destination, to every AP in turn. */
    int nmi_ok = 1;
    for (unsigned id = 1; id < ncpus; id++) {
        apic_send_ipi(id, ICR_NMI);
        nmi_ok &= wait_until(&nmis[id], 1) && nmis[id] == 1;
    }
    report(nmi_ok && nmis[0] == 0, "NMI IPI reaches exactly its target");
    asm volatile("cli");

    go_lock = 1;
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_FIXED | V_PING);   /* wake the APs from HLT */
    asm volatile("sti");
    lock_rounds();
    barrier(ncpus);
    report(at_barrier == ncpus, "all %u CPUs reached the barrier", ncpus);
    report(shared_counter == LOCK_ROUNDS * ncpus, "spinlock: counter %u (want %u)", shared_counter, LOCK_ROUNDS * ncpus);

    /* INIT-SIPI-SIPI again to the last AP, which sits in cli;hlt: INIT resets it, SIPI restarts it. */
    unsigned last = ncpus - 1, before_restart = arrived;
    restart_phase = 1;
    apic_send_ipi(last, ICR_ASSERT | ICR_INIT);
    for (int i = 0; i < 2; i++)
        apic_send_ipi(last, ICR_STARTUP | AP_SIPI_VECTOR);
    int back = wait_until(&arrived, before_restart + 1);
    u32 rid = restarted_id;
    report(back && rid == last, "INIT-SIPI-SIPI restarts a halted AP (APIC ID %u)", rid);
    report((restarted_svr & APIC_SVR_ENABLE) == 0, "INIT left its APIC software-disabled (SVR 0x%x)", restarted_svr);
    return 0;
}
