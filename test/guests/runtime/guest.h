/* The guest runtime's API: everything a guest program needs. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "segments.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* ---- entry points ---------------------------------------------------- */
/* Each guest defines main(); its return value is ignored: the runtime
 * prints the summary and exits through isa-debug-exit (0 if no failures). */
int main(void);
void runtime_start64(void);

/* ---- serial, printf, reporting, exit (console.c, printf.c, report.c) -- */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int report(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int report_summary(void);       /* prints SUMMARY, returns failure count */
int report_sdm(int sdm_ok, int qemu_ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int report_kvm(int ok, int kvm_ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
unsigned report_failures(void);
void guest_exit(int code) __attribute__((noreturn));   /* isa-debug-exit */

/* ---- string helpers (string.c) ---------------------------------------- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- multiboot (multiboot.c) ------------------------------------------ */
struct multiboot_info {
    u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
} __attribute__((packed));
struct multiboot_module { u32 start, end, string, reserved; } __attribute__((packed));
#define MBI_FLAG_MEM     (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS    (1u << 3)
extern u32 mb_magic, mb_info;
const struct multiboot_info *multiboot(void);
const char *multiboot_cmdline(void);                  /* "" if none */
u64 cmdline_u64(const char *key, u64 def);            /* key=N (decimal or 0x) */
u64 multiboot_ram_top(void);                          /* 1 MiB + mem_upper KiB */

/* ---- exceptions (exceptions.c) ----------------------------------------- */
struct trap_frame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rdi, rsi, rbp, rbx, rdx, rcx, rax;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss;           /* pushed by the CPU */
};
struct exc_record { u64 vector, error, rip, cr2, depth; };

/* Every exception/interrupt is appended to this log (ring of EXC_LOG_SIZE). */
#define EXC_LOG_SIZE 16
extern volatile struct exc_record exc_log[EXC_LOG_SIZE];
extern volatile unsigned exc_count;
const volatile struct exc_record *exc_last(void);
void exc_log_clear(void);

/* A handler returns nonzero when it dealt with the event (possibly editing the
 * frame); zero falls through to the default: fixup table, trap, or panic. */
typedef int (*trap_handler)(struct trap_frame *f);
void set_trap_handler(unsigned vector, trap_handler h);
void idt_set_gate(unsigned vector, u64 handler, unsigned dpl, unsigned ist);
void idt_set_present(unsigned vector, int present);
u64 isr_stub_address(unsigned vector);
extern u8 *const tss_ist1_stack_top_ptr;   /* #DF runs on this stack */

/* Fault catching: an instruction at label 1 in an asm statement that has
 * EX_FIXUP("1b", "2b") resumes at label 2 when it faults. catch_begin()
 * arms, caught_vector() returns the vector taken (-1 if none). */
#define EX_FIXUP(from, to) \
    ".pushsection .ex_table, \"a\"\n\t.balign 8\n\t.quad " from ", " to "\n\t.popsection\n\t"
extern volatile int caught_vec;
extern volatile u64 caught_err, caught_cr2, caught_rip;
static inline void catch_begin(void) { caught_vec = -1; caught_err = 0; caught_cr2 = 0; caught_rip = 0; }
static inline int caught_vector(void) { return caught_vec; }

/* Double-fault recovery: the saved RIP of #DF is undefined, so a test that
 * provokes one names where to resume (and with which stack). */
extern volatile u64 df_resume_rip, df_resume_rsp;

/* User mode (isr.S): runs fn at CPL 3 on the given stack, returns when fn
 * returns. fn must only touch U=1 memory. */
void run_user(void (*fn)(void), void *user_stack_top);

/* ---- CPU helpers -------------------------------------------------------- */
static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

struct cpuid_regs { u32 a, b, c, d; };
static inline struct cpuid_regs cpuid(u32 leaf, u32 sub)
{
    struct cpuid_regs r;
    asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
    return r;
}

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
    asm volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}
/* Return -1 on success, else the exception vector (normally 13). */
static inline int rdmsr_safe(u32 msr, u64 *v)
{
    u32 lo = 0, hi = 0;
    catch_begin();
    asm volatile("1: rdmsr\n2:\n\t" EX_FIXUP("1b", "2b")
                 : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *v = ((u64)hi << 32) | lo;
    return caught_vec;
}
static inline int wrmsr_safe(u32 msr, u64 v)
{
    catch_begin();
    asm volatile("1: wrmsr\n2:\n\t" EX_FIXUP("1b", "2b")
                 :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
    return caught_vec;
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

#define DEFINE_CR(n) \
    static inline u64 read_cr##n(void) { u64 v; asm volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_cr##n(u64 v) { asm volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

#define DEFINE_DR(n) \
    static inline u64 read_dr##n(void) { u64 v; asm volatile("mov %%dr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_dr##n(u64 v) { asm volatile("mov %0, %%dr" #n :: "r"(v) : "memory"); }
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
DEFINE_DR(7)
#undef DEFINE_DR

static inline void invlpg(const volatile void *p) { asm volatile("invlpg (%0)" :: "r"(p) : "memory"); }
static inline u64 read_rflags(void) { u64 v; asm volatile("pushfq; popq %0" : "=r"(v)); return v; }
static inline u16 read_cs(void) { u16 v; asm volatile("mov %%cs, %0" : "=r"(v)); return v; }

#define MSR_EFER           0xC0000080
#define MSR_STAR           0xC0000081
#define MSR_LSTAR          0xC0000082
#define MSR_FS_BASE        0xC0000100
#define MSR_GS_BASE        0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_TSC_AUX        0xC0000103
#define MSR_TSC            0x10
#define MSR_PAT            0x277
#define EFER_SCE  (1ull << 0)
#define EFER_LME  (1ull << 8)
#define EFER_LMA  (1ull << 10)
#define EFER_NXE  (1ull << 11)
#define CR0_WP    (1ull << 16)
#define CR0_PG    (1ull << 31)
#define CR4_PAE   (1ull << 5)
#define CR4_PGE   (1ull << 7)

/* ---- paging (paging.c) -------------------------------------------------- */
#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I    (1u << 4)

/* The runtime's top-level table (CR3 of every guest). */
extern u64 boot_pml4[512];
void *page_alloc(void);           /* zeroed 4 KiB page from a static pool */
/* Map one 4 KiB page (creating intermediate tables, flags on the leaf;
 * intermediate entries get P|W|U). Returns the PTE. */
u64 *map_4k(u64 linear, u64 phys, u64 flags);
/* Map one 2 MiB page (PS); returns the PDE. */
u64 *map_2m(u64 linear, u64 phys, u64 flags);
/* Map one 1 GiB page (PS in the PDPTE; needs CPUID Page1GB); returns the PDPTE. */
u64 *map_1g(u64 linear, u64 phys, u64 flags);
/* Pointer to the entry at a level (4 = PML4 ... 1 = PT) for linear, or 0. */
u64 *page_entry(u64 linear, int level);
int enable_nx(void);              /* 1 if CPUID has NX and EFER.NXE is now set */

#endif
