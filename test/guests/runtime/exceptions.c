/*
 * 64-bit IDT and TSS, and the C side of exception delivery: every event is
 * logged; a registered handler, the fixup table (EX_FIXUP) or the #DF resume
 * point decide where execution continues. Anything unexpected is reported as
 * a failure and ends the guest, so a test can never silently run on.
 */
#include "guest.h"

struct idt_gate {
    u16 off0, sel;
    u8 ist, type;
    u16 off1;
    u32 off2, zero;
} __attribute__((packed));

struct tss64 {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3, iomap_base;
} __attribute__((packed));

struct ex_entry { u64 from, to; };
extern const struct ex_entry __ex_table_start[], __ex_table_end[];
extern const u8 isr_stubs[];
extern u64 gdt[];
extern void user_return(void);
extern volatile u64 user_saved_rsp;

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static u8 ist1_stack[16384] __attribute__((aligned(16)));
static u8 rsp0_stack[16384] __attribute__((aligned(16)));
u8 *const tss_ist1_stack_top_ptr = ist1_stack + sizeof(ist1_stack);
static trap_handler handlers[256];

volatile struct exc_record exc_log[EXC_LOG_SIZE];
volatile unsigned exc_count;
volatile int caught_vec = -1;
volatile u64 caught_err, caught_cr2, caught_rip;
volatile u64 df_resume_rip, df_resume_rsp;
static volatile unsigned depth;

u64 isr_stub_address(unsigned vector)
{
    return (u64)isr_stubs + 16 * vector;
}

void idt_set_gate(unsigned vector, u64 handler, unsigned dpl, unsigned ist)
{
    struct idt_gate *g = &idt[vector];
    g->off0 = (u16)handler;
    g->sel = SEL_CODE64;
    g->ist = (u8)ist;
    g->type = (u8)(0x80 | (dpl << 5) | 0xE);   /* present, 64-bit interrupt gate */
    g->off1 = (u16)(handler >> 16);
    g->off2 = (u32)(handler >> 32);
    g->zero = 0;
}

void idt_set_present(unsigned vector, int present)
{
    if (present)
        idt[vector].type |= 0x80;
    else
        idt[vector].type &= 0x7F;
}

void set_trap_handler(unsigned vector, trap_handler h)
{
    handlers[vector & 255] = h;
}

const volatile struct exc_record *exc_last(void)
{
    return exc_count ? &exc_log[(exc_count - 1) % EXC_LOG_SIZE] : 0;
}

void exc_log_clear(void)
{
    exc_count = 0;
}

/* INT 0x80 from user mode: resume the kernel where run_user() left it. */
static int user_exit_handler(struct trap_frame *f)
{
    f->rip = (u64)user_return;
    f->cs = SEL_CODE64;
    f->ss = SEL_DATA;
    f->rsp = user_saved_rsp;
    return 1;
}

static const char *const vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static int apply_fixup(struct trap_frame *f)
{
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->from == f->rip) {
            caught_vec = (int)f->vector;
            caught_err = f->error;
            caught_cr2 = f->vector == 14 ? read_cr2() : 0;
            caught_rip = f->rip;
            f->rip = e->to;
            return 1;
        }
    }
    return 0;
}

/* Raw output for the panic path: no printf, no varargs, so that a CPU under
 * development still gets its failure report out. */
static void put_hex(u64 v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        serial_putc("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void put_field(const char *name, u64 v)
{
    serial_puts(name);
    serial_puts(" 0x");
    put_hex(v, 16);
}

/* An exception no test asked for: report it as a failure with everything an
 * interpreter developer needs (vector, error, RIP, CR2, RSP and the bytes at
 * RIP when they are readable) and end the guest. */
static void __attribute__((noreturn)) panic_unexpected(const struct trap_frame *f, u64 cr2)
{
    serial_puts("\nFAIL: unexpected exception ");
    serial_puts(f->vector < 32 && vector_names[f->vector] ? vector_names[f->vector] : "?");
    put_field(" vector", f->vector);
    put_field(" error", f->error);
    put_field(" rip", f->rip);
    put_field(" cr2", cr2);
    put_field(" rsp", f->rsp);
    put_field(" cs", f->cs);
    if (depth == 1 && f->rip >= 0x100000 && f->rip < 0x100000000ull - 16) {
        serial_puts(" bytes");
        for (int i = 0; i < 16; i++) {
            serial_putc(' ');
            put_hex(((const volatile u8 *)f->rip)[i], 2);
        }
    }
    serial_puts("\n");
    if (depth == 1) {
        report(0, "no unexpected exceptions");
        report_summary();
    }
    guest_exit(1);
}

void isr_dispatch(struct trap_frame *f);
void isr_dispatch(struct trap_frame *f)
{
    depth++;
    if (depth > 4) {
        /* Faulting while handling faults: stop before the stack runs out. */
        serial_puts("\nFAIL: exceptions nested more than 4 deep\n");
        guest_exit(1);
    }
    volatile struct exc_record *r = &exc_log[exc_count % EXC_LOG_SIZE];
    r->vector = f->vector;
    r->error = f->error;
    r->rip = f->rip;
    r->cr2 = f->vector == 14 ? read_cr2() : 0;
    r->depth = depth;
    exc_count++;

    int handled = handlers[f->vector] && handlers[f->vector](f);
    if (!handled && f->vector == 8 && df_resume_rip) {
        caught_vec = 8;
        caught_err = f->error;
        f->rip = df_resume_rip;
        f->rsp = df_resume_rsp;
        f->cs = SEL_CODE64;
        f->ss = SEL_DATA;
        df_resume_rip = 0;
        handled = 1;
    }
    if (!handled)
        handled = apply_fixup(f);
    /* Traps (#BP, #OF) and software/external vectors resume after the
     * instruction by themselves. */
    if (!handled && (f->vector == 3 || f->vector == 4 || f->vector >= 32))
        handled = 1;
    if (!handled)
        panic_unexpected(f, r->cr2);
    depth--;
}

static void tss_init(void)
{
    u64 base = (u64)&tss;
    tss.rsp[0] = (u64)(rsp0_stack + sizeof(rsp0_stack));
    tss.ist[0] = (u64)(ist1_stack + sizeof(ist1_stack));
    tss.iomap_base = sizeof(tss);    /* no I/O bitmap */
    u64 limit = sizeof(tss) - 1;
    gdt[SEL_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
                       (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[SEL_TSS / 8 + 1] = base >> 32;
    asm volatile("ltr %w0" :: "r"(SEL_TSS));
}

void exceptions_init(void);
void exceptions_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set_gate(v, isr_stub_address(v), 0, 0);
    idt_set_gate(8, isr_stub_address(8), 0, 1);          /* #DF on its own stack */
    idt_set_gate(0x80, isr_stub_address(0x80), 3, 0);    /* user-mode exit */
    set_trap_handler(0x80, user_exit_handler);
    struct { u16 limit; u64 base; } __attribute__((packed)) idtr = { sizeof(idt) - 1, (u64)idt };
    asm volatile("lidt %0" :: "m"(idtr));
    tss_init();
}
