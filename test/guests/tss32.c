/*
 * tss: 32-bit hardware task switches, run as pre_long_mode_hook in 32-bit
 * protected mode (paging off). Compiled for i386 and assembled as .code32
 * into the 64-bit image (see the Makefile); results go to tss_results for
 * the 64-bit checks in tss.c.
 *
 * Tasks: "main" (this code), A (entered by CALL, a GDT task gate and INT n;
 * returns with IRET), B (JMP there and back), C (a 16-bit TSS), "bad" (a
 * TSS whose selectors fault after the commit point), and one fault-handler
 * task per vector (#TS, #NP, #SS, #GP) behind IDT task gates. A fault
 * handler records the error code the switch pushed on its stack, applies
 * the fix-up the scenario asked for and returns to the faulting task.
 */
#include "tss32.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

struct tss_results tss_results;

struct tss32 {
    u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
    u32 es, cs, ss, ds, fs, gs, ldt;
    u16 trap, iomap;
};
_Static_assert(sizeof(struct tss32) == 0x68, "32-bit TSS layout");

struct tss16 {
    u16 link, sp0, ss0, sp1, ss1, sp2, ss2, ip, flags;
    u16 ax, cx, dx, bx, sp, bp, si, di;
    u16 es, cs, ss, ds, ldt;
} __attribute__((packed));

enum {
    S_CODE = 0x08, S_DATA = 0x10, S_TSS_MAIN = 0x18, S_TSS_A = 0x20, S_TSS_B = 0x28, S_GATE_A = 0x30,
    S_TSS_C = 0x38, S_CODE_C = 0x40, S_LDT = 0x48, S_DATA_NP = 0x50, S_TSS_BAD = 0x58, S_TSS_SHORT = 0x60,
    S_TSS_NP = 0x68, S_TSS_F10 = 0x70, S_TSS_F11 = 0x78, S_TSS_F12 = 0x80, S_TSS_F13 = 0x88, S_DATA16 = 0x90,
    GDT_N = 19,
};
#define LDT_DATA_SEL 0x0c   /* LDT entry 1, TI = 1 */

static u64 gdt32[GDT_N] __attribute__((aligned(8)));
static u64 ldt32[2] __attribute__((aligned(8)));
static u64 idt32[0x41] __attribute__((aligned(8)));
static struct tss32 t_main, t_a, t_b, t_bad, t_short, t_np, t_fault[4] __attribute__((aligned(128)));
static struct tss16 t_c __attribute__((aligned(64)));
static u32 pd_main[1024] __attribute__((aligned(4096)));   /* two identical identity maps (4 MiB pages) */
static u32 pd_a[1024] __attribute__((aligned(4096)));
static u8 stack_a[4096] __attribute__((aligned(16)));
static u8 stack_b[4096] __attribute__((aligned(16)));
static u8 stack_bad[4096] __attribute__((aligned(16)));
u8 stack_fault[4][4096] __attribute__((aligned(16)));   /* also read by tss.c */
#define STACK_C_TOP 0x6f00   /* the 16-bit task's SP: below 64 KiB */

/* fix-up a fault handler applies before returning: *fix_addr = fix_val, or += fix_skip */
static volatile u32 *volatile fix_addr;
static volatile u32 fix_val, fix_skip;
/* written by the asm of the 16-bit task and the #DB handler */
u32 c_eax_v, c_eflags_v, c_count_v, db_dr6_v, db_eip_v, db_count_v;
u16 c_tr_v;

extern const char task_a_entry[], task_a_after_iret[], task_b_entry[], task_b_after_jmp[], task_c_entry[];
extern const char task_bad_entry[], fault_entry[], db_handler32[], main_after_jmp[];
extern const char abort_point[];

static u64 seg_desc(u32 base, u32 limit, u32 access, u32 flags)
{
    return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)access << 40) | ((u64)((limit >> 16) & 0xf) << 48) |
           ((u64)flags << 52) | ((u64)(base >> 24) << 56);
}
static u64 task_gate(u16 tss_sel, u32 dpl) { return ((u64)tss_sel << 16) | ((u64)(0x85 | (dpl << 5)) << 40); }
static u64 int_gate(u32 off) { return (off & 0xffff) | ((u64)S_CODE << 16) | (0x8eull << 40) | ((u64)(off >> 16) << 48); }
static u64 tss_desc(const void *t, u32 limit, u32 type) { return seg_desc((u32)t, limit, 0x80 | type, 0); }

static u32 busy(u16 sel) { return (gdt32[sel >> 3] >> 41) & 1; }
static u32 read_eflags(void) { u32 v; asm volatile("pushfl; popl %0" : "=r"(v)); return v; }
static u16 str(void) { u16 v; asm volatile("str %0" : "=r"(v)); return v; }

static void task_init(struct tss32 *t, const void *entry, u8 *stack, u32 stack_size)
{
    for (u32 k = 0; k < sizeof(*t); k++)
        ((u8 *)t)[k] = 0;
    u32 cr3;
    asm volatile("mov %%cr3, %0" : "=r"(cr3));
    t->cr3 = cr3;
    t->eip = (u32)entry;
    t->eflags = 0x2;
    t->esp = (u32)stack + stack_size;
    t->cs = S_CODE;
    t->ss = t->ds = t->es = t->fs = t->gs = S_DATA;
    t->iomap = sizeof(*t);
}

static struct tss32 *tss_of(u32 sel)
{
    switch (sel) {
    case S_TSS_MAIN: return &t_main;
    case S_TSS_A: return &t_a;
    case S_TSS_B: return &t_b;
    case S_TSS_BAD: return &t_bad;
    default: return 0;
    }
}

/* ---- task bodies (called from the asm entries below) ---- */

void task_a_body(u32 eax, u32 esi);
void task_a_body(u32 eax, u32 esi)
{
    struct tss_results *r = &tss_results;
    r->a_last_eflags = read_eflags();
    if (r->a_count++)
        return;   /* the first entry (a CALL) is the one checked in detail */
    r->a_eax = eax;
    r->a_esi = esi;
    r->a_tr = str();
    r->a_eflags = read_eflags();
    r->a_link = t_a.link;
    r->a_main_busy = busy(S_TSS_MAIN);
    r->a_self_busy = busy(S_TSS_A);
    asm volatile("mov %%cr0, %0" : "=r"(r->a_cr0));
    asm volatile("mov %%cr3, %0" : "=r"(r->a_cr3));
    asm volatile("mov %%dr7, %0" : "=r"(r->a_dr7));
}

void task_b_body(void);
void task_b_body(void)
{
    struct tss_results *r = &tss_results;
    r->b_count++;
    r->b_eflags = read_eflags();
    r->b_link = t_b.link;
    r->b_main_busy = busy(S_TSS_MAIN);
    r->b_self_busy = busy(S_TSS_B);
}

void task_bad_body(void);
void task_bad_body(void)
{
    struct tss_results *r = &tss_results;
    u16 ldtr, fs;
    u32 v;
    r->bad_count++;
    asm volatile("sldt %0" : "=r"(ldtr));
    asm volatile("mov %%fs, %0" : "=r"(fs));
    asm volatile("movl %%fs:0, %0" : "=r"(v));
    r->bad_ldtr = ldtr;
    r->bad_fs = fs;
    r->bad_fs_read = v;
}

void fault_body(u32 vector, u32 error, u32 esp);
void fault_body(u32 vector, u32 error, u32 esp)
{
    struct tss_results *r = &tss_results;
    struct tss32 *self = &t_fault[vector - 10];
    if (r->nfaults < sizeof(r->fault) / sizeof(r->fault[0])) {
        struct tss_fault *f = &r->fault[r->nfaults];
        struct tss32 *from = tss_of(self->link);
        f->vector = vector;
        f->error = error;
        f->link = self->link;
        f->esp = esp;
        f->saved_eip = from ? from->eip : 0;
        f->saved_eflags = from ? from->eflags : 0;
    }
    if (++r->nfaults > 30)
        asm volatile("outb %%al, %%dx" :: "a"(1), "d"(0xf4));   /* runaway: isa-debug-exit, failure */
    if (fix_addr) {
        if (fix_skip)
            *fix_addr += fix_skip;
        else
            *fix_addr = fix_val;
        fix_addr = 0;
        fix_skip = 0;
    } else {
        /* a fault nobody expected: main gives up the scenarios */
        t_main.eip = (u32)abort_point;
    }
}

/* Entries: each task loops, so the next switch to it resumes after its IRET/JMP. */
asm(".text\n"
    ".globl task_a_entry, task_a_after_iret\n"
    "task_a_entry:\n"
    "  pushl %esi\n  pushl %eax\n  call task_a_body\n  addl $8, %esp\n"
    "  iret\n"
    "task_a_after_iret:\n"
    "  jmp task_a_entry\n"
    ".globl task_b_entry, task_b_after_jmp\n"
    "task_b_entry:\n"
    "  call task_b_body\n"
    "  ljmp $0x18, $0\n"
    "task_b_after_jmp:\n"
    "  jmp task_b_entry\n"
    ".globl task_bad_entry\n"
    "task_bad_entry:\n"
    "  call task_bad_body\n"
    "  iret\n"
    "  jmp task_bad_entry\n"
    /* the fault tasks: EDI holds the vector (from their TSS), the error code is on top of the stack */
    ".globl fault_entry\n"
    "fault_entry:\n"
    "  movl %esp, %eax\n  pushl %eax\n  pushl 4(%esp)\n  pushl %edi\n  call fault_body\n  addl $12, %esp\n"
    "  addl $4, %esp\n"
    "  iret\n"
    "  jmp fault_entry\n"
    /* the 16-bit task: 32-bit code in a segment based at its page, a 16-bit stack; no calls */
    ".balign 4096\n"
    ".globl task_c_entry\n"
    "task_c_entry:\n"
    "  movl %eax, c_eax_v\n"
    "  pushfl\n  popl c_eflags_v\n"
    "  str c_tr_v\n"
    "  incl c_count_v\n"
    "  iret\n"
    "  jmp task_c_entry\n"
    /* #DB (T bit): an interrupt gate in the entered task */
    ".globl db_handler32\n"
    "db_handler32:\n"
    "  pushl %eax\n  movl %dr6, %eax\n  movl %eax, db_dr6_v\n"
    "  movl 4(%esp), %eax\n  movl %eax, db_eip_v\n"
    "  incl db_count_v\n  popl %eax\n  iret\n");

/* ---- scenarios ---- */

static void call_task(u16 sel) { asm volatile("lcall %0, $0" :: "i"(sel) : "memory", "cc"); }

/* CALL to a task whose selector faults after the commit point; the fault task fixes the field. */
static void bad_task_case(volatile u32 *field, u32 bad, u32 good)
{
    task_init(&t_bad, task_bad_entry, stack_bad, sizeof(stack_bad));
    *field = bad;
    fix_addr = field;
    fix_val = good;
    gdt32[S_TSS_BAD >> 3] = tss_desc(&t_bad, sizeof(struct tss32) - 1, 0x9);
    asm volatile("lcall $0x58, $0" ::: "memory", "cc");
    fix_addr = 0;
}

void pre_long_mode_hook(void);
void pre_long_mode_hook(void)
{
    struct tss_results *r = &tss_results;
    u16 old_tr = str();
    (void)old_tr;

    /* 32-bit paging with 4 MiB pages, so the CR3 of each TSS is loaded */
    for (u32 k = 0; k < 1024; k++)
        pd_main[k] = pd_a[k] = (k << 22) | 0x83;
    asm volatile("mov %%cr4, %%eax\n\torl $0x10, %%eax\n\tmov %%eax, %%cr4\n\t"   /* PSE */
                 "mov %0, %%cr3\n\t"
                 "mov %%cr0, %%eax\n\torl $0x80000000, %%eax\n\tmov %%eax, %%cr0" :: "r"(pd_main) : "eax", "memory");

    gdt32[S_CODE >> 3] = seg_desc(0, 0xfffff, 0x9a, 0xc);
    gdt32[S_DATA >> 3] = seg_desc(0, 0xfffff, 0x92, 0xc);
    gdt32[S_DATA_NP >> 3] = seg_desc(0, 0xfffff, 0x12, 0xc);
    gdt32[S_DATA16 >> 3] = seg_desc(0, 0xffff, 0x92, 0);
    ldt32[1] = seg_desc((u32)&r->ran, 0xfff, 0x92, 0x4);   /* FS:0 reads tss_results.ran */
    gdt32[S_LDT >> 3] = seg_desc((u32)ldt32, sizeof(ldt32) - 1, 0x82, 0);
    task_init(&t_main, 0, 0, 0);
    task_init(&t_a, task_a_entry, stack_a, sizeof(stack_a));
    task_init(&t_b, task_b_entry, stack_b, sizeof(stack_b));
    t_a.eax = 0x1111a;
    t_a.esi = 0x5151;
    t_a.cr3 = (u32)pd_a;
    r->a_cr3_expected = (u32)pd_a;
    r->call_cr3_expected = (u32)pd_main;
    t_b.link = 0x1234;       /* JMP leaves the link alone */
    for (int k = 0; k < 4; k++) {
        task_init(&t_fault[k], fault_entry, stack_fault[k], sizeof(stack_fault[k]));
        t_fault[k].edi = 10 + k;
        gdt32[(S_TSS_F10 >> 3) + k] = tss_desc(&t_fault[k], sizeof(struct tss32) - 1, 0x9);
    }
    gdt32[S_TSS_MAIN >> 3] = tss_desc(&t_main, sizeof(struct tss32) - 1, 0x9);
    gdt32[S_TSS_A >> 3] = tss_desc(&t_a, sizeof(struct tss32) - 1, 0x9);
    gdt32[S_TSS_B >> 3] = tss_desc(&t_b, sizeof(struct tss32) - 1, 0x9);
    gdt32[S_GATE_A >> 3] = task_gate(S_TSS_A, 0);
    gdt32[S_TSS_SHORT >> 3] = tss_desc(&t_short, 0x50, 0x9);
    gdt32[S_TSS_NP >> 3] = tss_desc(&t_np, sizeof(struct tss32) - 1, 0x9) & ~(1ull << 47);
    idt32[10] = task_gate(S_TSS_F10, 0);
    idt32[11] = task_gate(S_TSS_F11, 0);
    idt32[12] = task_gate(S_TSS_F12, 0);
    idt32[13] = task_gate(S_TSS_F13, 0);
    idt32[1] = int_gate((u32)db_handler32);
    idt32[0x40] = task_gate(S_TSS_A, 0);

    struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof(gdt32) - 1, (u32)gdt32 },
                                                            idtr = { sizeof(idt32) - 1, (u32)idt32 }, saved_gdtr, saved_idtr;
    asm volatile("sgdt %0; sidt %1" : "=m"(saved_gdtr), "=m"(saved_idtr));
    asm volatile("lgdt %0; lidt %1" :: "m"(gdtr), "m"(idtr) : "memory");
    asm volatile("ljmp %0, $1f\n1:\n\tmov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%ss\n\tmov %1, %%fs\n\tmov %1, %%gs"
                 :: "i"(S_CODE), "r"(S_DATA) : "memory");
    asm volatile("ltr %w0" :: "r"(S_TSS_MAIN));
    r->ran = 1;

    /* 1. CALL to a TSS; a local breakpoint enable is cleared by the switch, a global one stays */
    asm volatile("mov %0, %%dr7" :: "r"(0x400 | 0x1 | 0x8));
    u32 ebx_after;
    asm volatile("movl $0xabcd, %%ebx\n\tlcall $0x20, $0\n\tmovl %%ebx, %0" : "=r"(ebx_after) :: "ebx", "memory", "cc");
    asm volatile("mov %0, %%dr7" :: "r"(0x400));
    r->call_ebx_after = ebx_after;
    r->call_a_busy_after = busy(S_TSS_A);
    r->call_main_busy_after = busy(S_TSS_MAIN);
    r->call_main_eflags = read_eflags();
    r->call_a_saved_eip_ok = t_a.eip == (u32)task_a_after_iret;
    u32 cr0;
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    r->call_cr0_ts = (cr0 >> 3) & 1;
    asm volatile("mov %%cr3, %0" : "=r"(r->call_cr3_after));
    asm volatile("clts");
    call_task(S_TSS_A);   /* A resumes after its IRET: a_count 2 */

    /* 2. JMP to a TSS and JMP back */
    asm volatile("ljmp $0x28, $0\n.globl main_after_jmp\nmain_after_jmp:" ::: "memory", "cc");
    r->jmp_main_busy_after = busy(S_TSS_MAIN);
    r->jmp_b_busy_after = busy(S_TSS_B);
    r->jmp_b_saved_eip_ok = t_b.eip == (u32)task_b_after_jmp;

    /* 3. CALL through a task gate in the GDT, INT n through a task gate in the IDT */
    u32 before = r->a_count;
    t_a.link = 0;
    call_task(S_GATE_A);
    r->gate_call_count = r->a_count - before;
    r->gate_call_link = t_a.link;
    before = r->a_count;
    t_a.link = 0;
    asm volatile("int $0x40" ::: "memory", "cc");
    r->int_count = r->a_count - before;
    r->int_link = t_a.link;
    r->int_eflags = r->a_eflags;

    /* 4. #GP(selector) in this task, handled by the #GP task: error code on its stack, RF in the
     * saved EFLAGS; the handler resumes us after the 2-byte MOV */
    fix_addr = &t_main.eip;
    fix_skip = 2;
    asm volatile("movw $0xf8, %%ax\n.globl gp_insn\ngp_insn: movw %%ax, %%ds" ::: "eax", "memory", "cc");

    /* 5. CALL to a busy TSS (our own): #GP(selector) before any switch (resumed after the 7-byte CALL) */
    fix_addr = &t_main.eip;
    fix_skip = 7;
    asm volatile(".globl busy_call\nbusy_call: lcall $0x18, $0" ::: "memory", "cc");

    /* 6. a TSS limit below 0x67: #TS(selector); a TSS not present: #NP(selector) */
    fix_addr = &t_main.eip;
    fix_skip = 7;
    asm volatile(".globl short_call\nshort_call: lcall $0x60, $0" ::: "memory", "cc");
    fix_addr = &t_main.eip;
    fix_skip = 7;
    asm volatile(".globl np_call\nnp_call: lcall $0x68, $0" ::: "memory", "cc");

    /* 7. a 16-bit TSS */
    u32 cbase = (u32)task_c_entry & ~0xfffu;
    gdt32[S_CODE_C >> 3] = seg_desc(cbase, 0xffff, 0x9a, 0x4);
    t_c.ip = (u16)((u32)task_c_entry - cbase);
    t_c.flags = 0x2;
    t_c.ax = 0x2222;
    t_c.sp = STACK_C_TOP;
    t_c.cs = S_CODE_C;
    t_c.ss = S_DATA16;
    t_c.ds = t_c.es = S_DATA;
    gdt32[S_TSS_C >> 3] = tss_desc(&t_c, sizeof(t_c) - 1, 0x1);
    call_task(S_TSS_C);
    r->c_link = t_c.link;
    r->c_eax = c_eax_v;
    r->c_eflags = c_eflags_v;
    r->c_tr = c_tr_v;
    r->c_count = c_count_v;

    /* 8. the T bit: #DB before the new task's first instruction */
    t_a.trap = 1;
    r->db_expected_eip = (u32)task_a_after_iret;   /* where A stopped last time */
    call_task(S_TSS_A);
    t_a.trap = 0;
    r->db_dr6 = db_dr6_v;
    r->db_eip = db_eip_v;
    r->db_count = db_count_v;

    /* 9. faults after the commit point, in the new task: LDT, CS, SS, DS */
    bad_task_case(&t_bad.ldt, S_DATA, 0);
    bad_task_case(&t_bad.cs, S_CODE | 3, S_CODE);
    bad_task_case(&t_bad.ss, S_DATA_NP, S_DATA);
    bad_task_case(&t_bad.ds, S_DATA_NP, S_DATA);
    /* and a good LDT with FS from it */
    task_init(&t_bad, task_bad_entry, stack_bad, sizeof(stack_bad));
    t_bad.ldt = S_LDT;
    t_bad.fs = LDT_DATA_SEL;
    gdt32[S_TSS_BAD >> 3] = tss_desc(&t_bad, sizeof(struct tss32) - 1, 0x9);
    call_task(S_TSS_BAD);

    asm volatile(".globl abort_point\nabort_point:" ::: "memory");
    r->final_tr = str();
    r->final_eflags = read_eflags();
    asm volatile("clts");
    /* paging off again (entry.S sets up long mode), then the runtime's GDT and IDT (its TSS slot is filled in long mode) */
    asm volatile("mov %%cr0, %%eax\n\tandl $0x7fffffff, %%eax\n\tmov %%eax, %%cr0\n\t"
                 "mov %%cr4, %%eax\n\tandl $~0x10, %%eax\n\tmov %%eax, %%cr4" ::: "eax", "memory");
    asm volatile("lgdt %0; lidt %1" :: "m"(saved_gdtr), "m"(saved_idtr) : "memory");
    asm volatile("ljmp $0x18, $1f\n1:\n\tmov %0, %%ds\n\tmov %0, %%es\n\tmov %0, %%ss\n\tmov %0, %%fs\n\tmov %0, %%gs"
                 :: "r"(0x10) : "memory");
}
