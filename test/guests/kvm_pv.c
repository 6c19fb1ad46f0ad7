/*
 * KVM's PV EOI, steal time's preempted byte with PV TLB flush, poll control
 * and the MSI extended destination ID bit — and Hyper-V's APIC assist, which
 * is the same lazy EOI through the VP assist page. The guest adapts to
 * CPUID: with Hyper-V's leaves at 0x40000000 it tests APIC assist (KVM's
 * leaves are then at 0x40000100), otherwise KVM's PV EOI.
 *
 * Lazy EOI (either interface): self-IPIs on one vCPU —
 *  - an edge-triggered interrupt with nothing else in service finds the
 *    flag set; the handler clears it with one BTR instead of writing EOI,
 *    and the vector must be out of service before the next interrupt;
 *  - a handler that writes EOI anyway finds the flag withdrawn afterwards;
 *  - a level-triggered one never finds the flag set (the IOAPIC needs the EOI);
 *  - an interrupt arriving while the flag is set withdraws it, the nested
 *    handler and the outer one both write EOI, and both vectors retire;
 *  - only bit 0 of the flag word is ever written;
 *  - disabled, the flag is never set.
 * PV TLB flush (-smp 2): the AP reads a page through a mapping the BSP then
 * moves (without an IPI); the AP's preempted byte shows it not running, the
 * BSP sets KVM_VCPU_FLUSH_TLB there, and the AP must see the new page.
 */
#include "guest.h"
#include "apic.h"
#include "ap_boot.h"

#define MSR_STEAL_TIME 0x4b564d03
#define MSR_PV_EOI_EN 0x4b564d04
#define MSR_POLL_CONTROL 0x4b564d05
#define MSR_HV_GUEST_OS_ID 0x40000000
#define MSR_HV_VP_ASSIST_PAGE 0x40000073
#define F_STEAL_TIME (1u << 5)
#define F_PV_EOI (1u << 6)
#define F_PV_TLB_FLUSH (1u << 9)
#define F_POLL_CONTROL (1u << 12)
#define F_MSI_EXT_DEST_ID (1u << 15)
#define KVM_VCPU_PREEMPTED 1
#define KVM_VCPU_FLUSH_TLB 2
#define V_LOW 0x41
#define V_HIGH 0x61
#define TEST_LINEAR 0x10000000000ull

struct steal_time { u64 steal; u32 version, flags; u8 preempted, pad8[3]; u32 pad[11]; } __attribute__((packed));
static struct steal_time steal[2] __attribute__((aligned(64)));
static volatile u32 pv_eoi_words[4] __attribute__((aligned(16)));
static u8 vp_assist_page[4096] __attribute__((aligned(4096)));
static u8 page_a[4096] __attribute__((aligned(4096)));
static u8 page_b[4096] __attribute__((aligned(4096)));

/* The flag word of the interface under test. */
static volatile u32 *flag;

enum { LAZY, WRITE_EOI, NESTED };
static volatile int mode;
static volatile unsigned low_count, high_count;
static volatile u32 flag_on_entry_low, flag_on_entry_high, flag_after_ipi, flag_after_eoi;

/* The guest side of lazy EOI: clear the flag in one instruction; only if it was clear write EOI. */
static int eoi_lazily(void)
{
    u8 was_set;
    asm volatile("btrl $0, %0; setc %1" : "+m"(*flag), "=q"(was_set) :: "memory", "cc");
    if (!was_set) apic_eoi();
    return was_set;
}

void low_handler(void)
{
    low_count++;
    flag_on_entry_low = *flag;
    switch (mode) {
    case LAZY:
        eoi_lazily();
        break;
    case WRITE_EOI:
        apic_eoi();
        flag_after_eoi = *flag;
        break;
    case NESTED:
        apic_send_ipi(0, ICR_SELF | ICR_FIXED | V_HIGH);
        flag_after_ipi = *flag;
        asm volatile("sti; nop; nop; cli" ::: "memory");   /* the higher vector nests here */
        eoi_lazily();
        break;
    }
}

void high_handler(void)
{
    high_count++;
    flag_on_entry_high = *flag;
    eoi_lazily();
}

#define STUB(name, fn)                                                          \
    asm(".text\n.globl " #name "\n" #name ":\n"                                  \
        "  pushq %rax; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi\n"          \
        "  pushq %r8; pushq %r9; pushq %r10; pushq %r11\n"                        \
        "  call " #fn "\n"                                                         \
        "  popq %r11; popq %r10; popq %r9; popq %r8\n"                            \
        "  popq %rdi; popq %rsi; popq %rdx; popq %rcx; popq %rax\n  iretq\n");
STUB(low_stub, low_handler)
STUB(high_stub, high_handler)
extern char low_stub[], high_stub[];

static int isr_empty(void)
{
    for (int i = 0; i < 8; i++)
        if (apic_read(APIC_ISR + i * 16)) return 0;
    return 1;
}

/* Sends a self-IPI and lets it be taken; returns whether the handler ran. */
static int self_ipi(u32 icr_extra, u32 vector)
{
    unsigned before = low_count + high_count;
    apic_send_ipi(0, ICR_SELF | ICR_FIXED | icr_extra | vector);
    asm volatile("sti; nop; nop; cli" ::: "memory");
    return low_count + high_count != before;
}

static void test_lazy_eoi(const char *name)
{
    *flag = 0xab00;   /* the other bits are the guest's: the host must leave them */
    mode = LAZY;
    report(self_ipi(0, V_LOW), "%s: edge-triggered interrupt taken", name);
    report(flag_on_entry_low == 0xab01, "%s: its flag was set on entry, other bits untouched (0x%x)", name, flag_on_entry_low);
    report(*flag == 0xab00, "%s: the handler cleared it instead of writing EOI (0x%x)", name, *flag);
    /* The same vector again: it is only deliverable if the lazy EOI took the first one out of service. */
    report(self_ipi(0, V_LOW) && low_count == 2, "%s: the same vector is taken again: the lazy EOI retired it", name);
    report(isr_empty(), "%s: nothing in service after lazy EOIs", name);

    mode = WRITE_EOI;
    report(self_ipi(0, V_LOW) && flag_on_entry_low == 0xab01, "%s: flag set for a handler that writes EOI anyway", name);
    report(flag_after_eoi == 0xab00, "%s: the EOI write withdrew the flag (0x%x)", name, flag_after_eoi);
    report(isr_empty(), "%s: one EOI write, one vector retired", name);

    mode = LAZY;
    report(self_ipi(ICR_LEVEL | ICR_ASSERT, V_LOW), "%s: level-triggered interrupt taken", name);
    report(flag_on_entry_low == 0xab00, "%s: no flag for a level-triggered interrupt (0x%x)", name, flag_on_entry_low);
    report(isr_empty(), "%s: its EOI write retired it", name);

    mode = NESTED;
    unsigned highs = high_count;
    report(self_ipi(0, V_LOW) && flag_on_entry_low == 0xab01, "%s: nested case: the outer interrupt got the flag", name);
    report(flag_after_ipi == 0xab00, "%s: a second interrupt arriving withdrew it (0x%x)", name, flag_after_ipi);
    report(high_count == highs + 1 && flag_on_entry_high == 0xab00, "%s: the nested interrupt ran without the flag (two in service)", name);
    report(isr_empty(), "%s: both EOI writes retired both vectors", name);
    mode = LAZY;
}

static void test_pv_eoi(u32 features)
{
    u64 v;
    if (!(features & F_PV_EOI)) {
        report(rdmsr_safe(MSR_PV_EOI_EN, &v) == 13, "no kvm-pv-eoi: MSR 0x4b564d04 is #GP");
        return;
    }
    u64 gpa = (u64)(uintptr_t)&pv_eoi_words[1];
    report(rdmsr(MSR_PV_EOI_EN) == 0, "PV EOI MSR is 0 at power-on");
    report(wrmsr_safe(MSR_PV_EOI_EN, (gpa + 2) | 1) == 13, "PV EOI: a GPA that is not 4-byte aligned (bit 1) is #GP");
    report(wrmsr_safe(MSR_PV_EOI_EN, 0x10000000000ull | 1) == 13, "PV EOI: a GPA outside RAM is #GP");
    report(rdmsr(MSR_PV_EOI_EN) == 0, "PV EOI: a refused write changes nothing");
    report(wrmsr_safe(MSR_PV_EOI_EN, gpa | 1) == -1 && rdmsr(MSR_PV_EOI_EN) == (gpa | 1), "PV EOI enabled; the MSR reads back");
    flag = &pv_eoi_words[1];
    test_lazy_eoi("PV EOI");
    wrmsr(MSR_PV_EOI_EN, gpa);
    report(rdmsr(MSR_PV_EOI_EN) == gpa, "PV EOI disabled (GPA kept, bit 0 clear)");
    *flag = 0;
    report(self_ipi(0, V_LOW) && flag_on_entry_low == 0 && *flag == 0, "PV EOI disabled: the flag is never set");
    report(isr_empty(), "PV EOI disabled: the handler's EOI write retired the vector");
}

static void test_apic_assist(void)
{
    wrmsr(MSR_HV_GUEST_OS_ID, 0x8100000000000000ull);
    u64 page = (u64)(uintptr_t)vp_assist_page;
    report(wrmsr_safe(MSR_HV_VP_ASSIST_PAGE, page | 1) == -1, "Hyper-V VP assist page enabled");
    flag = (volatile u32 *)vp_assist_page;
    test_lazy_eoi("APIC assist");
    wrmsr(MSR_HV_VP_ASSIST_PAGE, 0);
    *flag = 0;
    report(self_ipi(0, V_LOW) && flag_on_entry_low == 0 && *flag == 0, "VP assist page off: No EOI required never set");
}

static void test_poll_control(u32 features)
{
    u64 v;
    if (!(features & F_POLL_CONTROL)) {
        report(rdmsr_safe(MSR_POLL_CONTROL, &v) == 13, "no kvm-poll-control: MSR 0x4b564d05 is #GP");
        return;
    }
    report(rdmsr(MSR_POLL_CONTROL) == 1, "poll control is 1 at power-on (host polling allowed)");
    report(wrmsr_safe(MSR_POLL_CONTROL, 0) == -1 && rdmsr(MSR_POLL_CONTROL) == 0, "poll control: 0 written and read back");
    report(wrmsr_safe(MSR_POLL_CONTROL, 2) == 13, "poll control: bit 1 is #GP");
    report(wrmsr_safe(MSR_POLL_CONTROL, 1ull << 63) == 13, "poll control: bit 63 is #GP");
    report(rdmsr(MSR_POLL_CONTROL) == 0, "poll control: a refused write changes nothing");
    report(wrmsr_safe(MSR_POLL_CONTROL, 1) == -1 && rdmsr(MSR_POLL_CONTROL) == 1, "poll control: 1 written and read back");
}

/* ---- PV TLB flush (-smp 2) ---------------------------------------------- */

static volatile unsigned ap_ready, ap_reads;
static volatile u32 ap_value, ap_saw_own_preempted;

static void ap_main(unsigned slot)
{
    (void)slot;
    wrmsr(MSR_STEAL_TIME, (u64)(uintptr_t)&steal[1] | 1);
    ap_ready = 1;
    for (;;) {
        ap_value = *(volatile u32 *)TEST_LINEAR;
        ap_saw_own_preempted |= steal[1].preempted;
        ap_reads++;
        cpu_pause();   /* ends the slice: the BSP runs */
    }
}

/* Waits until the AP has read the test page n more times. */
static int ap_read_more(unsigned n)
{
    unsigned target = ap_reads + n;
    for (unsigned long s = 0; s < 20000000ul; s++) {
        if ((int)(ap_reads - target) >= 0) return 1;
        cpu_pause();
    }
    return 0;
}

static void test_pv_tlb_flush(u32 features)
{
    *(volatile u32 *)page_a = 0xaaaa;
    *(volatile u32 *)page_b = 0xbbbb;
    u64 *pte = map_4k(TEST_LINEAR, (u64)(uintptr_t)page_a, PTE_P | PTE_W);
    wrmsr(MSR_STEAL_TIME, (u64)(uintptr_t)&steal[0] | 1);
    ap_boot_prepare(ap_main);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);
    for (int i = 0; i < 2; i++) apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    for (unsigned long s = 0; s < 50000000ul && !ap_ready; s++) cpu_pause();
    int read = ap_ready && ap_read_more(3);
    u32 value = ap_value;
    report(read && value == 0xaaaa, "AP reads page A through the test mapping (0x%x)", value);
    report(steal[1].preempted == KVM_VCPU_PREEMPTED, "steal time: the AP is preempted while the BSP runs (%u)", steal[1].preempted);
    report(steal[0].preempted == 0, "steal time: the running BSP is not preempted");
    report(ap_saw_own_preempted == 0, "steal time: the AP never saw itself preempted while running");

    /* Move the mapping to page B with a local INVLPG only: the AP's TLB may still hold page A. */
    *pte = (u64)(uintptr_t)page_b | PTE_P | PTE_W;
    invlpg((void *)TEST_LINEAR);
    ap_read_more(3);
    report_info("without a flush the AP reads 0x%x", ap_value);
    if (!(features & F_PV_TLB_FLUSH)) return;

    u8 state = steal[1].preempted;
    int asked = (state & KVM_VCPU_PREEMPTED) && __sync_bool_compare_and_swap(&steal[1].preempted, state, state | KVM_VCPU_FLUSH_TLB);
    report(asked, "KVM_VCPU_FLUSH_TLB set in the preempted AP's byte");
    read = ap_read_more(3);
    value = ap_value;
    report(read && value == 0xbbbb, "the AP's TLB was flushed before it ran: it reads page B (0x%x)", value);
    report(!(steal[1].preempted & KVM_VCPU_FLUSH_TLB), "the request was consumed (preempted byte %u)", steal[1].preempted);
}

int main(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    idt_set_gate(V_LOW, (u64)low_stub, 0, 0);
    idt_set_gate(V_HIGH, (u64)high_stub, 0, 0);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);

    struct cpuid_regs hv = cpuid(0x40000000, 0);
    int hyperv = hv.b == 0x7263694d && hv.c == 0x666f736f && hv.d == 0x76482074;   /* "Microsoft Hv" */
    u32 kvm_base = hyperv ? 0x40000100 : 0x40000000;
    struct cpuid_regs sig = cpuid(kvm_base, 0);
    int kvm = sig.b == 0x4b4d564b && sig.c == 0x564b4d56 && sig.d == 0x4d;
    u32 features = kvm ? cpuid(kvm_base + 1, 0).a : 0;
    report_info("hyperv=%d kvm=%d KVM features 0x%x", hyperv, kvm, features);
    report_info("MSI extended destination ID %s", features & F_MSI_EXT_DEST_ID ? "advertised" : "not advertised");

    if (hyperv) test_apic_assist();
    else test_pv_eoi(features);
    if (!hyperv) test_poll_control(features);

    unsigned ncpus = (cpuid(1, 0).b >> 16) & 0xff;
    if (ncpus >= 2 && (features & F_STEAL_TIME)) test_pv_tlb_flush(features);
    return 0;
}
