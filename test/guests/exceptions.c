/*
 * exceptions: delivery of the architectural exceptions in long mode — the
 * vector, the error code, the saved RIP (faults: the faulting instruction;
 * traps: the next one) and CR2 — plus software interrupts, a double fault
 * on the IST stack and an exception raised inside a handler.
 */
#include "guest.h"

#define TEST_VA 0x8000000000ull     /* PML4 slot 1: nothing else maps here */
#define UNKNOWN_MSR 0x60000000u    /* outside every architectural, AMD, Hyper-V and KVM range */

extern const char de_div_insn[], de_idiv_insn[], ud2_insn[], ud_op_insn[];
extern const char int3_after[], intn_after[];

static void check_fault(const char *what, int want_vec, u64 want_err, const void *want_rip)
{
    report(caught_vec == want_vec && caught_err == want_err && caught_rip == (u64)want_rip,
           "%s: vector %d error 0x%lx rip %s (got vector %d error 0x%lx)", what, want_vec, want_err,
           caught_rip == (u64)want_rip ? "ok" : "WRONG", caught_vec, caught_err);
}

static void divide_errors(void)
{
    u32 a = 1234, d = 0, zero = 0;
    catch_begin();
    asm volatile(".globl de_div_insn\nde_div_insn: 1: divl %2\n2:\n\t" EX_FIXUP("1b", "2b")
                 : "+a"(a), "+d"(d) : "r"(zero));
    check_fault("#DE on DIV by zero", 0, 0, de_div_insn);

    /* INT_MIN / -1 does not fit in 32 bits: #DE, not a wrong quotient. */
    u32 lo = 0x80000000u, hi = 0xFFFFFFFFu, m1 = 0xFFFFFFFFu;
    catch_begin();
    asm volatile(".globl de_idiv_insn\nde_idiv_insn: 1: idivl %2\n2:\n\t" EX_FIXUP("1b", "2b")
                 : "+a"(lo), "+d"(hi) : "r"(m1));
    check_fault("#DE on IDIV overflow", 0, 0, de_idiv_insn);
}

static void invalid_opcodes(void)
{
    catch_begin();
    asm volatile(".globl ud2_insn\nud2_insn: 1: ud2\n2:\n\t" EX_FIXUP("1b", "2b"));
    check_fault("#UD on UD2", 6, 0, ud2_insn);

    /* 0x06 (PUSH ES) does not exist in 64-bit mode. */
    catch_begin();
    asm volatile(".globl ud_op_insn\nud_op_insn: 1: .byte 0x06\n2:\n\t" EX_FIXUP("1b", "2b"));
    check_fault("#UD on opcode 0x06 in 64-bit mode", 6, 0, ud_op_insn);

    /* LOCK on a register operand is #UD. */
    catch_begin();
    asm volatile("1: .byte 0xf0, 0x01, 0xc0\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "cc");
    report(caught_vec == 6, "#UD on LOCK ADD reg,reg (got vector %d)", caught_vec);
}

static void load_ds(u16 sel)
{
    catch_begin();
    asm volatile("1: mov %0, %%ds\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(sel) : "memory");
    u16 flat = SEL_DATA;
    asm volatile("mov %0, %%ds" :: "r"(flat));
}

static void general_protection(void)
{
    u16 beyond = 8 * GDT_ENTRIES + 8;     /* past the GDT limit */
    load_ds(beyond);
    report(caught_vec == 13 && caught_err == beyond, "#GP loading DS with selector 0x%x beyond the GDT: error 0x%lx",
           beyond, caught_err);
    load_ds(SEL_TSS);
    report(caught_vec == 13 && caught_err == SEL_TSS, "#GP loading DS with the TSS selector: error 0x%lx (want 0x%x)",
           caught_err, SEL_TSS);
    load_ds(SEL_NOTPRESENT);
    report(caught_vec == 11 && caught_err == SEL_NOTPRESENT, "#NP loading DS with a not-present segment: error 0x%lx (want 0x%x)",
           caught_err, SEL_NOTPRESENT);
    load_ds(SEL_UDATA);   /* RPL 0 < DPL 3 is fine for data; loading must succeed */
    report(caught_vec == -1, "loading DS with a DPL 3 data segment at CPL 0 succeeds");

    volatile u64 *noncanon = (volatile u64 *)0x8000000000000000ull;
    u64 v = 0;
    catch_begin();
    asm volatile("1: mov (%1), %0\n2:\n\t" EX_FIXUP("1b", "2b") : "+r"(v) : "r"(noncanon) : "memory");
    report(caught_vec == 13 && caught_err == 0, "#GP(0) on a non-canonical load (got vector %d error 0x%lx)",
           caught_vec, caught_err);

    /* A non-canonical address through RSP/RBP uses SS: #SS(0), not #GP. */
    catch_begin();
    asm volatile("push %%rbp\n\tmov %1, %%rbp\n1:\tmov (%%rbp), %0\n2:\n\tpop %%rbp\n\t" EX_FIXUP("1b", "2b")
                 : "+a"(v) : "S"(noncanon) : "memory");
    report_sdm(caught_vec == 12 && caught_err == 0, caught_vec == 13 && caught_err == 0,
               "#SS(0) on a non-canonical RBP-based load (got vector %d error 0x%lx)", caught_vec, caught_err);

    int vec = wrmsr_safe(UNKNOWN_MSR, 1);   /* not an MSR of any model we advertise */
    /* SDM: accessing an unimplemented MSR is #GP(0); QEMU TCG ignores the
     * write and reads 0. */
    report_sdm(vec == 13 && caught_err == 0, vec == -1, "#GP(0) on WRMSR to an unknown MSR (got vector %d error 0x%lx)", vec,
           caught_err);
    u64 val;
    vec = rdmsr_safe(UNKNOWN_MSR, &val);
    report_sdm(vec == 13 && caught_err == 0, vec == -1, "#GP(0) on RDMSR of an unknown MSR (got vector %d)", vec);
}

/* ---- page faults --------------------------------------------------------- */
static volatile u64 *user_ptr;
static int user_write;
static u8 user_stack[4096] __attribute__((aligned(16)));

static void user_access(void)
{
    if (user_write)
        asm volatile("1: movq $1, (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(user_ptr) : "memory");
    else
        asm volatile("1: mov (%0), %%rax\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(user_ptr) : "rax", "memory");
}

static void pf_access(const char *what, volatile u64 *p, int write, int user, u32 want_err)
{
    if (user) {
        user_ptr = p;
        user_write = write;
        catch_begin();
        run_user(user_access, user_stack + sizeof(user_stack));
    } else {
        catch_begin();
        if (write)
            asm volatile("1: movq $1, (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(p) : "memory");
        else
            asm volatile("1: mov (%0), %%rax\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(p) : "rax", "memory");
    }
    report(caught_vec == 14 && caught_err == want_err && caught_cr2 == (u64)p,
           "#PF %s: error 0x%x cr2 ok (got vector %d error 0x%lx cr2 0x%lx)", what, want_err, caught_vec,
           caught_err, caught_cr2);
}

static void page_faults(void)
{
    int nx = enable_nx();
    u8 *ro = page_alloc(), *sup = page_alloc(), *nxpage = page_alloc();
    volatile u64 *absent = (volatile u64 *)(TEST_VA + 0x10);
    volatile u64 *ro_va = (volatile u64 *)(TEST_VA + 0x1000 + 0x20);
    volatile u64 *sup_va = (volatile u64 *)(TEST_VA + 0x2000 + 0x30);
    u64 nx_va = TEST_VA + 0x3000;
    map_4k(TEST_VA + 0x1000, (u64)ro, PTE_P | PTE_U);
    map_4k(TEST_VA + 0x2000, (u64)sup, PTE_P | PTE_W);
    map_4k(TEST_VA + 0x4000, (u64)nxpage, PTE_P | PTE_W | PTE_U);   /* makes sure the PT exists */
    u64 *absent_pte = page_entry(TEST_VA, 1);
    report(absent_pte && !(*absent_pte & PTE_P), "test page table built, first page not present");

    pf_access("read of a not-present page", absent, 0, 0, 0);
    pf_access("write to a not-present page", absent, 1, 0, PF_W);
    pf_access("supervisor write to a read-only page (CR0.WP=1)", ro_va, 1, 0, PF_P | PF_W);
    pf_access("user read of a supervisor page", sup_va, 0, 1, PF_P | PF_U);
    pf_access("user write to a supervisor page", sup_va, 1, 1, PF_P | PF_W | PF_U);
    pf_access("user write to a read-only user page", ro_va, 1, 1, PF_P | PF_W | PF_U);
    pf_access("user read of a not-present page", absent, 0, 1, PF_U);

    if (nx) {
        nxpage[0] = 0xC3;    /* RET */
        map_4k(nx_va, (u64)nxpage, PTE_P | PTE_W | PTE_NX);
        catch_begin();
        /* CALL into the page: the fetch faults at nx_va (RIP = CR2 = nx_va); the
         * fixup for nx_va drops the pushed return address. */
        asm volatile("call *%0\n\tjmp 2f\n3:\tadd $8, %%rsp\n2:\n\t" EX_FIXUP("0x8000003000", "3b")
                     :: "r"(nx_va) : "rax", "memory");
        report(caught_vec == 14 && caught_err == (PF_P | PF_I) && caught_cr2 == nx_va,
               "#PF on instruction fetch from an NX page: error 0x%x (got vector %d error 0x%lx cr2 0x%lx)",
               PF_P | PF_I, caught_vec, caught_err, caught_cr2);
    } else {
        report(0, "NX not available: cannot test the I/D bit");
    }
}

/* ---- traps and software interrupts ---------------------------------------- */
static void traps(void)
{
    exc_log_clear();
    asm volatile("int3\n.globl int3_after\nint3_after:");
    const volatile struct exc_record *r = exc_last();
    report(r && r->vector == 3 && r->rip == (u64)int3_after, "#BP from INT3 saves the RIP after INT3");

    exc_log_clear();
    asm volatile("int $0x41\n.globl intn_after\nintn_after:");
    r = exc_last();
    report(r && r->vector == 0x41 && r->rip == (u64)intn_after && r->error == 0,
           "INT 0x41 delivered to vector 0x41 with the RIP after it");
}

/* INT n through a DPL 0 gate from CPL 3 is #GP(vector*8+2). */
static u8 user_stack2[4096] __attribute__((aligned(16)));
static void user_int41(void)
{
    asm volatile("1: int $0x41\n2:\n\t" EX_FIXUP("1b", "2b"));
}

static void int_gate_privilege(void)
{
    catch_begin();
    run_user(user_int41, user_stack2 + sizeof(user_stack2));
    /* SDM: the error code holds the IDT index (vector) in bits 3-15 and IDT=1;
     * QEMU TCG scales the vector by the 16-byte gate size instead. */
    report_sdm(caught_vec == 13 && caught_err == (0x41 * 8 + 2), caught_vec == 13 && caught_err == (0x41 * 16 + 2),
           "INT 0x41 from CPL 3 through a DPL 0 gate: #GP error 0x%x (got vector %d error 0x%lx)", 0x41 * 8 + 2,
           caught_vec, caught_err);
}

/* ---- double fault ------------------------------------------------------- */
static volatile u64 df_frame_at;
static int df_probe(struct trap_frame *f)
{
    df_frame_at = (u64)f;
    return 0;      /* let the runtime resume at df_resume_rip */
}

static void double_fault(void)
{
    /* #PF whose gate is not present: delivering it raises #NP (contributory),
     * and a contributory fault while delivering #PF is a double fault. */
    set_trap_handler(8, df_probe);
    idt_set_present(14, 0);
    exc_log_clear();
    catch_begin();
    asm volatile("lea 1f(%%rip), %%rax\n\t"
                 "mov %%rax, df_resume_rip(%%rip)\n\t"
                 "mov %%rsp, df_resume_rsp(%%rip)\n\t"
                 "mov (%0), %%rax\n"
                 "1:" :: "r"(TEST_VA + 0x10) : "rax", "memory");
    idt_set_present(14, 1);
    set_trap_handler(8, 0);
    const volatile struct exc_record *r = exc_last();
    report(caught_vec == 8 && r && r->vector == 8 && r->error == 0,
           "#PF with a not-present #PF gate becomes #DF with error 0 (got vector %d)", caught_vec);
    u64 ist_top = (u64)tss_ist1_stack_top_ptr;
    report(df_frame_at < ist_top && df_frame_at > ist_top - 16384, "#DF ran on IST1 stack");
    report(exc_count == 1, "only the #DF was delivered (%u events)", exc_count);
}

/* ---- nested delivery ---------------------------------------------------- */
static volatile unsigned nested_depth_seen;
static int int42_handler(struct trap_frame *f)
{
    (void)f;
    catch_begin();
    asm volatile("1: ud2\n2:\n\t" EX_FIXUP("1b", "2b"));
    nested_depth_seen = exc_last()->depth;
    return caught_vec == 6;
}

static void nested(void)
{
    set_trap_handler(0x42, int42_handler);
    exc_log_clear();
    asm volatile("int $0x42");
    set_trap_handler(0x42, 0);
    report(exc_count == 2 && exc_log[0].vector == 0x42 && exc_log[0].depth == 1 && exc_log[1].vector == 6 &&
               exc_log[1].depth == 2 && nested_depth_seen == 2,
           "#UD inside the INT 0x42 handler is delivered nested and both return");
}

int main(void)
{
    divide_errors();
    invalid_opcodes();
    general_protection();
    page_faults();
    traps();
    int_gate_privilege();
    double_fault();
    nested();
    return 0;
}
