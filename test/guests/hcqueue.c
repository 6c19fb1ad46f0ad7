/*
 * The batched hypercall queue (docs/hypercall-queue.md), guest side: lazy
 * mode appends operations to the queue, a full queue flushes implicitly,
 * HC_TSVISOR_QUEUE_FLUSH runs the batch in one exit. Page-table updates
 * are verified through the page tables; every error path is checked.
 * bench=N: N page-table updates one hypercall each, then N batched.
 */
#include "guest.h"
#include "apic.h"

#define MSR_HCQUEUE 0x4b564dff
#define HC_FLUSH 0x54530001ull
#define QOP_MMU_WRITE 0x80000001ull
#define QOP_SET_CR 0x80000002ull
#define QOP_INVLPG 0x80000003ull
#define QOP_FLUSH_TLB 0x80000004ull
#define QOP_SEND_IPI 0x80000005ull
#define QUEUE_MAX 4096
#define WINDOW 0x8000000000ull   /* PML4 slot 1: nothing else lives there */
#define WINDOW_PAGES 256
#define FRAMES 16
#define V_SELF 0x60

struct ctrl { u64 queue_gpa; u32 max_entries, index; int32_t status; u32 done; u64 pad; } __attribute__((packed));
struct entry { u64 nr, a0, a1, a2, a3; } __attribute__((packed));

static struct ctrl ctrl __attribute__((aligned(32)));
static struct entry queue[QUEUE_MAX] __attribute__((aligned(4096)));
static u64 *ptes[WINDOW_PAGES];
static void *frames[FRAMES];
static unsigned implicit_flushes;
static volatile unsigned self_ipis;

static long hypercall(u64 nr)
{
    long r;
    asm volatile("vmcall" : "=a"(r) : "a"(nr) : "memory");
    return r;
}

static long queue_flush(void) { return hypercall(HC_FLUSH); }

/* Lazy mode: append; a full queue is flushed first. */
static void queue_op(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
{
    if (ctrl.index == ctrl.max_entries) { queue_flush(); implicit_flushes++; }
    queue[ctrl.index] = (struct entry){ nr, a0, a1, a2, a3 };
    ctrl.index++;
}

static u64 frame_pte(unsigned f) { return (u64)(uintptr_t)frames[f] | PTE_P | PTE_W; }
static u32 window_word(unsigned page) { return *(volatile u32 *)(uintptr_t)(WINDOW + (u64)page * 4096); }

void hq_ipi(void) { self_ipis++; apic_eoi(); }
asm(".text\n.globl hq_ipi_stub\nhq_ipi_stub:\n"
    "  pushq %rax; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi\n"
    "  pushq %r8; pushq %r9; pushq %r10; pushq %r11\n"
    "  call hq_ipi\n"
    "  popq %r11; popq %r10; popq %r9; popq %r8\n"
    "  popq %rdi; popq %rsi; popq %rdx; popq %rcx; popq %rax\n  iretq\n");
extern char hq_ipi_stub[];

static void setup_window(void)
{
    for (unsigned f = 0; f < FRAMES; f++) {
        frames[f] = page_alloc();
        *(u32 *)frames[f] = 0xf0000 + f;
    }
    for (unsigned p = 0; p < WINDOW_PAGES; p++) ptes[p] = map_4k(WINDOW + (u64)p * 4096, (u64)(uintptr_t)frames[0], PTE_P | PTE_W);
    write_cr3(read_cr3());
}

static void test_batch(void)
{
    /* Every window page to frame (p % FRAMES) (p + 1 for the second pass), in batches of 64. */
    ctrl.max_entries = 64;
    implicit_flushes = 0;
    for (unsigned p = 0; p < WINDOW_PAGES; p++) queue_op(QOP_MMU_WRITE, (u64)(uintptr_t)ptes[p], frame_pte(p % FRAMES), 8, 0);
    queue_op(QOP_FLUSH_TLB, 0, 0, 0, 0);
    long r = queue_flush();
    report(r == 0 && ctrl.status == 0 && ctrl.index == 0, "flush: status 0, index reset (%ld)", r);
    report(implicit_flushes == WINDOW_PAGES / 64, "a full queue flushed implicitly %u times", implicit_flushes);
    int ok = 1;
    for (unsigned p = 0; p < WINDOW_PAGES; p++) ok &= window_word(p) == 0xf0000 + p % FRAMES;
    report(ok, "%u PTE updates visible through the page tables", WINDOW_PAGES);

    /* INVLPG entry after one PTE update. */
    queue_op(QOP_MMU_WRITE, (u64)(uintptr_t)ptes[5], frame_pte(9), 8, 0);
    queue_op(QOP_INVLPG, WINDOW + 5 * 4096, 0, 0, 0);
    report(queue_flush() == 0 && window_word(5) == 0xf0009, "MMU_WRITE + INVLPG: the page now maps frame 9");
    /* A 4-byte PTE-half write (low dword). */
    queue_op(QOP_MMU_WRITE, (u64)(uintptr_t)ptes[6], (u32)frame_pte(3), 4, 0);
    queue_op(QOP_INVLPG, WINDOW + 6 * 4096, 0, 0, 0);
    report(queue_flush() == 0 && window_word(6) == 0xf0003, "4-byte MMU_WRITE");
}

static void test_cr_and_ipi(void)
{
    u64 cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
    queue_op(QOP_SET_CR, 3, cr3, 0, 0);
    queue_op(QOP_SET_CR, 4, cr4 ^ (1ull << 7), 0, 0);   /* toggle PGE */
    long r = queue_flush();
    report(r == 0 && read_cr4() == (cr4 ^ (1ull << 7)), "SET_CR: CR3 reload and CR4.PGE toggle (%ld)", r);
    queue_op(QOP_SET_CR, 4, cr4, 0, 0);
    queue_op(QOP_SET_CR, 0, cr0, 0, 0);
    report(queue_flush() == 0 && read_cr4() == cr4 && read_cr0() == cr0, "SET_CR: CR4 back, CR0 rewritten");
    struct { u64 cr, value; const char *what; } bad[] = {
        { 0, cr0 & ~(1ull << 31), "CR0 clearing PG" },
        { 0, cr0 | (1ull << 29) | (0ull), "CR0 NW without CD" },
        { 0, cr0 | (1ull << 40), "CR0 bits 63:32" },
        { 3, cr3 | (1ull << 50), "CR3 beyond MAXPHYADDR" },
        { 4, cr4 & ~(1ull << 5), "CR4 clearing PAE" },
        { 2, 0, "CR2" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bad[i].cr == 0 && i == 1 && (cr0 & (1ull << 30))) continue;
        queue_op(QOP_SET_CR, bad[i].cr, bad[i].value, 0, 0);
        r = queue_flush();
        report(r == -22 && ctrl.status == -22 && ctrl.done == 0, "SET_CR %s: -KVM_EINVAL (%ld)", bad[i].what, r);
        ctrl.index = 0;
    }
    report(read_cr0() == cr0 && read_cr3() == cr3 && read_cr4() == cr4, "rejected SET_CRs changed nothing");

    idt_set_gate(V_SELF, (u64)hq_ipi_stub, 0, 0);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    queue_op(QOP_SEND_IPI, 0, V_SELF, 0, 0);
    queue_op(QOP_SEND_IPI, 0, V_SELF + 1, 0, 0);
    idt_set_gate(V_SELF + 1, (u64)hq_ipi_stub, 0, 0);
    r = queue_flush();
    asm volatile("sti; nop; nop; cli" ::: "memory");
    report(r == 0 && self_ipis == 2, "SEND_IPI entries: %u interrupts taken", self_ipis);
    queue_op(QOP_SEND_IPI, 7, V_SELF, 0, 0);
    report(queue_flush() == -22, "SEND_IPI to a missing APIC ID: -KVM_EINVAL");
    ctrl.index = 0;
    queue_op(QOP_SEND_IPI, 0, 3, 0, 0);
    report(queue_flush() == -22, "SEND_IPI with vector 3: -KVM_EINVAL");
    ctrl.index = 0;
}

static void test_errors(u64 ram_top)
{
    /* KVM hypercalls as entries. */
    queue_op(1, 0, 0, 0, 0);   /* KVM_HC_VAPIC_POLL_IRQ */
    report(queue_flush() == 0, "KVM hypercall entry (VAPIC_POLL_IRQ): 0");
    /* The first failure stops the batch: entries 0 and 1 ran, 2 failed, 3 did not run. */
    u32 before = window_word(0);
    queue_op(QOP_MMU_WRITE, (u64)(uintptr_t)ptes[0], frame_pte(1), 8, 0);
    queue_op(QOP_INVLPG, WINDOW, 0, 0, 0);
    queue_op(0x80000099ull, 0, 0, 0, 0);
    queue_op(QOP_MMU_WRITE, (u64)(uintptr_t)ptes[0], frame_pte(2), 8, 0);
    long r = queue_flush();
    report(r == -1000 && ctrl.status == -1000 && ctrl.done == 2 && ctrl.index == 4, "unknown op at index 2: -KVM_ENOSYS, done 2, index kept (%ld, %u, %u)", r, ctrl.done, ctrl.index);
    report(before == 0xf0000 && window_word(0) == 0xf0001, "entries before the failure took effect (and the INVLPG), the one after did not");
    ctrl.index = 0;
    queue_op(9999, 0, 0, 0, 0);
    report(queue_flush() == -1000, "unknown KVM hypercall entry: -KVM_ENOSYS");
    ctrl.index = 0;
    queue_op(QOP_MMU_WRITE, ram_top + 0x1000, 0, 8, 0);
    report(queue_flush() == -14 && ctrl.status == -14, "MMU_WRITE outside RAM: -KVM_EFAULT");
    ctrl.index = 0;
    queue_op(QOP_MMU_WRITE, (u64)(uintptr_t)ptes[0] + 4, 0, 8, 0);
    report(queue_flush() == -22, "misaligned MMU_WRITE: -KVM_EINVAL");
    ctrl.index = 0;
    queue_op(QOP_MMU_WRITE, (u64)(uintptr_t)ptes[0], 0, 2, 0);
    report(queue_flush() == -22, "MMU_WRITE of size 2: -KVM_EINVAL");
    ctrl.index = ctrl.max_entries + 1;
    report(queue_flush() == -7 && ctrl.status == -7 && ctrl.done == 0, "index beyond max_entries: -KVM_E2BIG");
    u32 max = ctrl.max_entries;
    ctrl.max_entries = 5000;
    ctrl.index = 0;
    report(queue_flush() == -7, "max_entries above 4096: -KVM_E2BIG");
    ctrl.max_entries = max;
    u64 q = ctrl.queue_gpa;
    ctrl.queue_gpa = ram_top - 40;
    report(queue_flush() == -14, "queue running past RAM: -KVM_EFAULT");
    ctrl.queue_gpa = q + 4;
    report(queue_flush() == -14, "misaligned queue: -KVM_EFAULT");
    ctrl.queue_gpa = q;
    report(wrmsr_safe(MSR_HCQUEUE, (u64)(uintptr_t)&ctrl + 8 + 1) == 13, "control area not 32-byte aligned: WRMSR #GP");
    report(wrmsr_safe(MSR_HCQUEUE, ram_top | 1) == 13, "control area outside RAM: WRMSR #GP");
    wrmsr(MSR_HCQUEUE, 0);
    report(queue_flush() == -22, "flush with no control area registered: -KVM_EINVAL");
    wrmsr(MSR_HCQUEUE, (u64)(uintptr_t)&ctrl | 1);
    report(rdmsr(MSR_HCQUEUE) == ((u64)(uintptr_t)&ctrl | 1), "MSR reads back");
}

static u64 ticks_to_us(u64 t) { return t / 2000; }   /* 2 GHz TSC */

/* mode 1: one hypercall per update; mode 2: batched, QUEUE_MAX entries per flush. Times from the TSC (host time in realtime mode). */
static void bench(unsigned long n, unsigned mode)
{
    u64 t0 = rdtsc();
    if (mode == 1) {
        ctrl.max_entries = 1;
        for (unsigned long i = 0; i < n; i++) {
            queue[0] = (struct entry){ QOP_MMU_WRITE, (u64)(uintptr_t)ptes[i % WINDOW_PAGES], frame_pte(i % FRAMES), 8, 0 };
            ctrl.index = 1;
            queue_flush();
        }
    } else {
        ctrl.max_entries = QUEUE_MAX;
        implicit_flushes = 0;
        for (unsigned long i = 0; i < n; i++) queue_op(QOP_MMU_WRITE, (u64)(uintptr_t)ptes[i % WINDOW_PAGES], frame_pte((i + 1) % FRAMES), 8, 0);
        queue_flush();
    }
    u64 t1 = rdtsc();
    printf("BENCH mode=%u updates=%lu guest_us=%lu\n", mode, n, (unsigned long)ticks_to_us(t1 - t0));
}

int main(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    u32 features = cpuid(0x40000001, 0).a;
    report((features >> 30) & 1, "CPUID 0x40000001 EAX bit 30: the hypercall queue (0x%x)", features);
    if (!((features >> 30) & 1)) {
        u64 v;
        report(rdmsr_safe(MSR_HCQUEUE, &v) == 13, "no queue: MSR 0x4b564dff is #GP");
        report(hypercall(HC_FLUSH) == -1000, "no queue: the flush hypercall is -KVM_ENOSYS");
        return 0;
    }
    setup_window();
    ctrl.queue_gpa = (u64)(uintptr_t)queue;
    ctrl.max_entries = 64;
    wrmsr(MSR_HCQUEUE, (u64)(uintptr_t)&ctrl | 1);
    unsigned long n = cmdline_u64("bench", 0);
    if (n) { bench(n, (unsigned)cmdline_u64("benchmode", 2)); return 0; }
    test_batch();
    test_cr_and_ipi();
    test_errors(multiboot_ram_top());
    return 0;
}
