/*
 * debug: the debug registers in long mode (Intel SDM vol. 3, ch. 18) —
 * instruction breakpoints as faults before the instruction (RF pushed clear,
 * RF set by the handler lets the instruction run once), data breakpoints as
 * traps after the access for every R/W and LEN, I/O breakpoints under CR4.DE,
 * single-step with DR6.BS, DR7.GD general detect, MOV DR4/DR5 aliasing and
 * #UD, #GP for reserved bits, the MOV SS shadow holding debug traps over the
 * next instruction, RF pushed by faults and by a REP stopped between
 * iterations.
 */
#include "guest.h"

#define RF (1ull << 16)
#define TF (1ull << 8)
#define CR4_DE (1ull << 3)
#define DR6_INIT 0xffff0ff0ull
#define DR6_BD (1ull << 13)
#define DR6_BS (1ull << 14)
#define DR7_GD (1ull << 13)
/* DR7 for breakpoint n: local enable, R/W (0 exec, 1 write, 2 I/O, 3 read/write), LEN code (0 1, 1 2, 2 8, 3 4) */
#define DR7_BP(n, rw, len) ((1ull << (2 * (n))) | ((u64)(rw) << (16 + 4 * (n))) | ((u64)(len) << (18 + 4 * (n))))
#define DR7_GLOBAL(n) (1ull << (2 * (n) + 1))


/* What the #DB handler saw on its last entry. */
static volatile int db_count;
static volatile u64 db_rip, db_rflags, db_dr6, db_dr7, db_rcx;
/* The handler clears TF in the frame after this many single-steps. */
static volatile int db_steps_left;

static int db_handler(struct trap_frame *f)
{
    db_count++;
    db_rip = f->rip;
    db_rflags = f->rflags;
    db_dr7 = read_dr7();   /* GD is clear on entry, so this does not fault */
    db_dr6 = read_dr6();
    db_rcx = f->rcx;
    write_dr6(DR6_INIT);
    /* resume: an instruction breakpoint must not fire again on the same instruction */
    f->rflags |= RF;
    if (db_steps_left > 0 && --db_steps_left == 0)
        f->rflags &= ~TF;
    return 1;
}

static void db_reset(void)
{
    db_count = 0;
    db_rip = db_rflags = db_dr6 = db_dr7 = db_rcx = 0;
    db_steps_left = 0;
}

static void disarm(void)
{
    write_dr7(0x400);
    write_dr6(DR6_INIT);
}

/* ---- register semantics --------------------------------------------------- */

static void register_semantics(void)
{
    report(read_dr6() == DR6_INIT, "DR6 reads 0x%lx at reset (got 0x%lx)", (unsigned long)DR6_INIT, (unsigned long)read_dr6());
    report(read_dr7() == 0x400, "DR7 reads 0x400 at reset (got 0x%lx)", (unsigned long)read_dr7());

    write_dr6(0);
    report(read_dr6() == DR6_INIT, "DR6: reserved bits stay as they read (wrote 0, got 0x%lx)", (unsigned long)read_dr6());
    write_dr7(0x400 | (1u << 11) | (1u << 12) | (1u << 14) | (1u << 15));
    /* QEMU TCG keeps the reserved bits */
    report_sdm(read_dr7() == 0x400, read_dr7() == 0xdc00, "DR7: bits 11, 12, 14, 15 read as 0 (got 0x%lx)", (unsigned long)read_dr7());
    write_dr0(0x123456789abcull);
    report(read_dr0() == 0x123456789abcull, "DR0 holds a 64-bit address");

    /* DR4/DR5 are DR6/DR7 while CR4.DE = 0 */
    u64 v;
    write_dr6(DR6_INIT | 0x5);
    asm volatile("mov %%dr4, %0" : "=r"(v));
    report(v == (DR6_INIT | 0x5), "MOV from DR4 reads DR6 with CR4.DE=0 (got 0x%lx)", (unsigned long)v);
    asm volatile("mov %0, %%dr5" :: "r"(0x400ull | (1ull << 9)));
    report(read_dr7() == (0x400 | (1u << 9)), "MOV to DR5 writes DR7 with CR4.DE=0 (got 0x%lx)", (unsigned long)read_dr7());
    disarm();

    write_cr4(read_cr4() | CR4_DE);
    catch_begin();
    asm volatile("1: mov %%dr4, %0\n2:\n\t" EX_FIXUP("1b", "2b") : "=r"(v));
    report(caught_vector() == 6, "MOV from DR4 with CR4.DE=1 is #UD (got %d)", caught_vector());
    catch_begin();
    asm volatile("1: mov %0, %%dr5\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(0x400ull));
    report(caught_vector() == 6, "MOV to DR5 with CR4.DE=1 is #UD (got %d)", caught_vector());
    write_cr4(read_cr4() & ~CR4_DE);

    catch_begin();
    asm volatile("1: mov %0, %%dr7\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(0x400ull | (1ull << 32)));
    report(caught_vector() == 13 && caught_err == 0 && read_dr7() == 0x400,
           "MOV to DR7 with bit 32 set is #GP(0), DR7 unchanged (got %d)", caught_vector());
    catch_begin();
    asm volatile("1: mov %0, %%dr6\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(DR6_INIT | (1ull << 40)));
    report(caught_vector() == 13 && caught_err == 0, "MOV to DR6 with bit 40 set is #GP(0) (got %d)", caught_vector());
}

/* ---- instruction breakpoints -------------------------------------------- */

extern const char ib_insn[], ib_after[];

static __attribute__((noinline)) u64 ib_target(void)
{
    u64 v;
    asm volatile("xor %%eax, %%eax\n\t"
                 "add $1, %%eax\n\t"
                 ".globl ib_insn\nib_insn: add $5, %%eax\n\t"
                 "add $7, %%eax\n\t"
                 ".globl ib_after\nib_after: nop" : "=a"(v) :: "cc");
    return v;
}

static void instruction_breakpoints(void)
{
    /* decode and run the code first: a cached block must still stop at the breakpoint */
    u64 sum = 0;
    for (int k = 0; k < 100; k++)
        sum += ib_target();
    report(sum == 1300, "breakpoint target runs without breakpoints");

    db_reset();
    write_dr0((u64)ib_insn);
    write_dr7(0x400 | DR7_BP(0, 0, 0));
    u64 r = ib_target();
    report(db_count == 1 && db_rip == (u64)ib_insn, "instruction breakpoint: #DB with RIP at the instruction (count %d, rip %s)",
           db_count, db_rip == (u64)ib_insn ? "ok" : "WRONG");
    report((db_dr6 & 0xf) == 1 && !(db_dr6 & DR6_BS), "instruction breakpoint: DR6.B0 (DR6 0x%lx)", (unsigned long)db_dr6);
    report(!(db_rflags & RF), "instruction breakpoint: pushed RFLAGS.RF is 0 (0x%lx)", (unsigned long)db_rflags);
    report(r == 13, "instruction breakpoint: with RF set the instruction runs once (result %lu)", (unsigned long)r);

    ib_target();
    report(db_count == 2, "RF lasts one instruction: the breakpoint fires on the next pass (count %d)", db_count);

    write_dr7(0x400 | DR7_GLOBAL(0));   /* G0 with R/W 00 */
    ib_target();
    report(db_count == 3, "G0 enables the breakpoint too (count %d)", db_count);

    write_dr7(0x400);                   /* address still in DR0, not enabled */
    ib_target();
    report(db_count == 3, "a breakpoint DR7 does not enable never fires (count %d)", db_count);

    /* DR3 on the instruction after: B3 only */
    db_reset();
    write_dr3((u64)ib_after - 3);       /* the ADD $7 (3 bytes) before ib_after */
    write_dr7(0x400 | DR7_BP(3, 0, 0));
    ib_target();
    report(db_count == 1 && db_rip == (u64)ib_after - 3 && (db_dr6 & 0xf) == 8, "DR3 instruction breakpoint reports B3 (DR6 0x%lx)",
           (unsigned long)db_dr6);
    disarm();
}

/* ---- data breakpoints ----------------------------------------------------- */

static volatile u32 watch[4] __attribute__((aligned(16)));
static volatile u64 qword __attribute__((aligned(8)));
extern const char dw_store[], dw_after[], dr_load_after[], rep_insn[];

static void data_breakpoints(void)
{
    watch[1] = 0;   /* the page is in the TLB before the breakpoint is set */
    db_reset();
    write_dr1((u64)&watch[1]);
    write_dr7(0x400 | DR7_BP(1, 1, 3));   /* write, 4 bytes */

    u32 x = watch[1];
    report(db_count == 0, "write breakpoint: a read does not trap (count %d)", db_count);
    asm volatile(".globl dw_store\ndw_store: movb $0x5a, (%0)\n.globl dw_after\ndw_after: nop"
                 :: "r"((volatile u8 *)&watch[1] + 2) : "memory");
    report(db_count == 1 && db_rip == (u64)dw_after, "write breakpoint: #DB after the store (count %d, rip %s)", db_count,
           db_rip == (u64)dw_after ? "ok" : "WRONG");
    report((db_dr6 & 0xf) == 2 && !(db_rflags & RF), "write breakpoint: DR6.B1, pushed RF 0 (DR6 0x%lx RFLAGS 0x%lx)",
           (unsigned long)db_dr6, (unsigned long)db_rflags);
    report(watch[1] == 0x5a0000 + x, "write breakpoint: the store happened (0x%x)", watch[1]);
    watch[2] = 1;
    watch[0] = 1;
    report(db_count == 1, "write breakpoint: the neighbouring dwords do not trap (count %d)", db_count);
    asm volatile("movq $0, (%0)" :: "r"(&watch[0]) : "memory");
    report(db_count == 2, "write breakpoint: an 8-byte store overlapping it traps (count %d)", db_count);

    /* read/write, 8 bytes: a load traps */
    db_reset();
    write_dr2((u64)&qword);
    write_dr7(0x400 | DR7_BP(2, 3, 2));
    u64 q;
    asm volatile("mov (%1), %0\n.globl dr_load_after\ndr_load_after: nop" : "=r"(q) : "r"((volatile u8 *)&qword + 5));
    report(db_count == 1 && db_rip == (u64)dr_load_after && (db_dr6 & 0xf) == 4,
           "read/write breakpoint (LEN 8): a byte load inside traps with B2 (count %d, DR6 0x%lx)", db_count, (unsigned long)db_dr6);

    /* LEN 2: the low address bit is ignored, the range is 2 bytes */
    db_reset();
    write_dr3((u64)&watch[2] + 3);         /* aligned down to watch[2] + 2 */
    write_dr7(0x400 | DR7_BP(3, 1, 1));
    *((volatile u8 *)&watch[2] + 2) = 1;
    /* SDM 18.2.5: LEN masks the low address bits (QEMU TCG compares the address as written) */
    report_sdm(db_count == 1 && (db_dr6 & 0xf) == 8, db_count == 0, "LEN 2: a byte store at the aligned-down address traps (count %d)",
               db_count);
    *((volatile u8 *)&watch[2] + 4) = 1;
    *((volatile u8 *)&watch[2] + 1) = 1;
    report_sdm(db_count == 1, db_count == 0, "LEN 2: bytes outside the 2-byte range do not trap (count %d)", db_count);

    /* REP MOVSB writing the watched byte: trap after that iteration, RF pushed 1, the rest resumes */
    static u8 src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static volatile u8 dst[8];
    db_reset();
    write_dr0((u64)&dst[3]);
    write_dr7(0x400 | DR7_BP(0, 1, 0));
    u64 rcx = 8, rsi = (u64)src, rdi = (u64)dst;
    asm volatile(".globl rep_insn\nrep_insn: rep movsb" : "+c"(rcx), "+S"(rsi), "+D"(rdi) :: "memory");
    report(db_count == 1 && db_rip == (u64)rep_insn && db_rcx == 4,
           "REP MOVSB: #DB after the iteration that wrote the byte, RIP at the REP, RCX 4 (count %d, rcx %lu)", db_count,
           (unsigned long)db_rcx);
    report_sdm((db_rflags & RF) != 0, 1, "REP MOVSB: pushed RF is 1 between iterations (0x%lx)", (unsigned long)db_rflags);
    report(rcx == 0 && dst[7] == 8 && dst[3] == 4, "REP MOVSB completes after the handler returns");

    /* a disabled breakpoint leaves the page fast and silent */
    db_reset();
    write_dr7(0x400);
    dst[3] = 0;
    report(db_count == 0, "no trap once DR7 disables the breakpoint");
    disarm();
}

/* ---- I/O breakpoints -------------------------------------------------------- */

extern const char io_out_after[], io_in_after[];

static void io_breakpoints(void)
{
    /* R/W = 10 is undefined without CR4.DE: only set it with CR4.DE */
    db_reset();
    write_cr4(read_cr4() | CR4_DE);
    write_dr2(0x80);
    write_dr7(0x400 | DR7_BP(2, 2, 0));
    asm volatile("outb %%al, $0x80\n.globl io_out_after\nio_out_after: nop" :: "a"(0));
    report(db_count == 1 && db_rip == (u64)io_out_after && (db_dr6 & 0xf) == 4,
           "I/O breakpoint: OUT to port 0x80 traps after the instruction with B2 (count %d, DR6 0x%lx)", db_count,
           (unsigned long)db_dr6);
    u8 v;
    asm volatile("inb $0x80, %%al\n.globl io_in_after\nio_in_after: nop" : "=a"(v));
    report(db_count == 2 && db_rip == (u64)io_in_after, "I/O breakpoint: IN from port 0x80 traps after the instruction (count %d)",
           db_count);
    inb(0x81);
    outw(0x7e, 0);   /* ports 0x7e-0x7f: next to the breakpoint, not on it */
    report(db_count == 2, "I/O breakpoint: other ports do not trap (count %d)", db_count);
    outw(0x7f, 0);   /* 0x7f-0x80 overlaps */
    report(db_count == 3, "I/O breakpoint: a word access overlapping the port traps (count %d)", db_count);
    disarm();
    write_cr4(read_cr4() & ~CR4_DE);
}

/* ---- single-step, general detect, shadows, RF of faults --------------------- */

extern const char ss_nop[], ss_after[], gd_mov[], movss_insn[], movss_next[], movss_after[];
extern const char tfss_after[], ud_insn[], bp_after[];

static volatile u64 fault_rflags;
static int ud_handler(struct trap_frame *f)
{
    fault_rflags = f->rflags;
    return 0;   /* the fixup table resumes */
}
static int bp_handler(struct trap_frame *f)
{
    fault_rflags = f->rflags;
    return 1;
}

static void single_step_and_friends(void)
{
    /* TF set by POPF: the trap follows the next instruction */
    db_reset();
    db_steps_left = 1;
    asm volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n"
                 ".globl ss_nop\nss_nop: nop\n.globl ss_after\nss_after: nop" ::: "memory", "cc");
    report(db_count == 1 && db_rip == (u64)ss_after, "single-step: one #DB, after the instruction that ran with TF (count %d, rip %s)",
           db_count, db_rip == (u64)ss_after ? "ok" : "WRONG");
    report((db_dr6 & DR6_BS) && !(db_dr6 & 0xf), "single-step: DR6.BS (DR6 0x%lx)", (unsigned long)db_dr6);

    /* DR7.GD: MOV DR faults with BD, GD cleared for the handler, RF pushed 1 */
    db_reset();
    write_dr7(0x400 | DR7_GD);
    u64 v;
    asm volatile(".globl gd_mov\ngd_mov: mov %%dr0, %0" : "=r"(v));
    /* QEMU TCG does not implement general detect */
    int no_gd = db_count == 0;
    report_sdm(db_count == 1 && db_rip == (u64)gd_mov, no_gd, "general detect: #DB before the MOV DR (count %d, rip %s)", db_count,
               db_rip == (u64)gd_mov ? "ok" : "WRONG");
    report_sdm((db_dr6 & DR6_BD) != 0, no_gd, "general detect: DR6.BD (DR6 0x%lx)", (unsigned long)db_dr6);
    report_sdm(db_count == 1 && !(db_dr7 & DR7_GD), no_gd, "general detect: the handler sees DR7.GD clear (DR7 0x%lx)",
               (unsigned long)db_dr7);
    report_sdm((db_rflags & RF) != 0, no_gd, "general detect: pushed RF is 1 (a fault)");
    disarm();

    /* MOV SS: a data breakpoint on its source traps only after the next instruction */
    static volatile u16 ss_sel = SEL_DATA;
    db_reset();
    write_dr1((u64)&ss_sel);
    write_dr7(0x400 | DR7_BP(1, 3, 1));
    asm volatile(".globl movss_insn\nmovss_insn: mov (%0), %%ss\n"
                 ".globl movss_next\nmovss_next: nop\n.globl movss_after\nmovss_after: nop" :: "r"(&ss_sel) : "memory");
    /* QEMU TCG delivers it right after MOV SS */
    report_sdm(db_count == 1 && db_rip == (u64)movss_after && (db_dr6 & 0xf) == 2, db_count == 1 && db_rip == (u64)movss_next,
           "MOV SS: the data-breakpoint #DB waits for the next instruction (count %d, rip %s)", db_count,
           db_rip == (u64)movss_after ? "ok" : db_rip == (u64)movss_next ? "after MOV SS" : "WRONG");
    disarm();

    /* MOV SS under TF: one single-step trap, after the instruction that follows it */
    db_reset();
    db_steps_left = 1;
    asm volatile("mov %%ss, %%eax\n\tpushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n"
                 "mov %%eax, %%ss\n\tnop\n.globl tfss_after\ntfss_after: nop" ::: "rax", "memory", "cc");
    report(db_count == 1 && db_rip == (u64)tfss_after && (db_dr6 & DR6_BS),
           "MOV SS under TF: the single-step trap skips the shadowed instruction (count %d)", db_count);

    /* faults push RF = 1, traps push it as it is */
    set_trap_handler(6, ud_handler);
    fault_rflags = 0;
    catch_begin();
    asm volatile(".globl ud_insn\nud_insn: 1: ud2\n2:\n\t" EX_FIXUP("1b", "2b"));
    /* QEMU TCG pushes RF as it is */
    report_sdm(caught_vector() == 6 && (fault_rflags & RF), caught_vector() == 6, "#UD (a fault) pushes RF = 1 (RFLAGS 0x%lx)",
               (unsigned long)fault_rflags);
    set_trap_handler(6, 0);
    set_trap_handler(3, bp_handler);
    fault_rflags = RF;
    asm volatile("int3\n.globl bp_after\nbp_after: nop");
    report(!(fault_rflags & RF), "#BP (a trap) pushes RF = 0 (RFLAGS 0x%lx)", (unsigned long)fault_rflags);
    set_trap_handler(3, 0);
}

int main(void)
{
    set_trap_handler(1, db_handler);
    register_semantics();
    instruction_breakpoints();
    data_breakpoints();
    io_breakpoints();
    single_step_and_friends();
    return 0;
}
