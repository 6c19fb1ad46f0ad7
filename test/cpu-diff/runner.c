/*
 * Host side of the differential CPU test: runs instruction snippets on the
 * real CPU, which is the reference the interpreter is compared with.
 *
 * Usage: runner <64|32> <code.bin> <cases.bin> <results.bin>
 *
 * code.bin is copied to CODE_BASE; every snippet in it already ends with a
 * `jmp rel32` to EXIT_JUMP, where this program writes an indirect jump to its
 * exit stub. Each case loads the general registers and the flags, jumps to
 * its snippet and records registers, flags and two memory windows (scratch
 * data and stack) -- or, when the snippet faults, the CPU exception vector
 * the kernel reports in the signal context (trapno). The x87/MMX/SSE state
 * is loaded with FXRSTOR64 from the case's image before the snippet and
 * stored with FXSAVE64 after it, or taken from the signal context's fpstate
 * after a fault (#MF is trapno 16, #XM 19); the runner's own state is
 * restored before any C code runs again. 32-bit snippets run in
 * compatibility mode: a far return to Linux's 32-bit user code selector, so
 * no 32-bit toolchain is needed. Kernels booted with ia32_emulation off have
 * no such selector; there the runner installs its own flat 32-bit code
 * segment in the process's LDT (modify_ldt) and uses that. Must be built with -no-pie so that the stubs
 * and the globals they use sit below 4 GiB.
 *
 * Record layouts are mirrored in layout.ts.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <asm/ldt.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_BASE 0x100000UL
#define CODE_SIZE 0x100000UL
#define EXIT_JUMP (CODE_BASE + CODE_SIZE - 0x1000)
#define DATA_PAGE 0x200000UL
#define STACK_PAGE 0x300000UL
#define DATA_WIN (DATA_PAGE + 0x780)
#define STACK_WIN (STACK_PAGE + 0x780)
#define WIN_SIZE 256
#define OPERAND_AREA (DATA_PAGE + 0x800)
#define OPERAND_SIZE 32
#define SLOT_SIZE 64
#define FX_SIZE 416 /* the compared prefix of an FXSAVE image: header, ST0-7, XMM0-15 */

struct case_in {
  uint32_t slot, mem_seed;
  uint64_t flags;
  uint64_t regs[16];
  uint8_t operand[OPERAND_SIZE];
  uint8_t fx[FX_SIZE];
};

struct case_out {
  int32_t vector; /* -1: the snippet completed */
  uint32_t error_code;
  uint64_t flags; /* RFLAGS, or CR2 after a fault */
  uint64_t regs[16];
  uint8_t data[WIN_SIZE];
  uint8_t stack[WIN_SIZE];
  uint8_t fx[FX_SIZE];
};

/* Shared with the assembly stubs below (absolute / RIP-relative addresses). */
uint64_t g_in_regs[16];
uint64_t g_in_flags;
uint64_t g_entry;
uint64_t g_out_regs[16];
uint64_t g_out_flags;
uint64_t g_host_rsp;
uint32_t g_in32[9];  /* eax..edi, eflags */
uint32_t g_out32[9];
uint32_t g_entry32;
uint64_t g_cs32 = 0x23; /* Linux's 32-bit user code selector, or our LDT one (see use_ldt_code32) */
static uint8_t g_low_stack[4096] __attribute__((aligned(16)));
uint64_t g_low_stack_top;
/* FXSAVE images: the case's input, the snippet's result, the runner's own state */
uint8_t g_fx_in[512] __attribute__((aligned(16)));
uint8_t g_fx_out[512] __attribute__((aligned(16)));
uint8_t g_fx_host[512] __attribute__((aligned(16)));

void run_case64(void);
void run_case32(void);
extern char exit64[], exit32[];

/* 64-bit: load state, jump to the snippet; exit64 stores state and returns. */
__asm__(
    ".text\n"
    ".globl run_case64\n"
    "run_case64:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  mov %rsp, g_host_rsp(%rip)\n"
    "  fxrstor64 g_fx_in(%rip)\n"
    "  pushq g_in_flags(%rip); popfq\n"
    "  mov g_in_regs+0(%rip), %rax\n"
    "  mov g_in_regs+8(%rip), %rcx\n"
    "  mov g_in_regs+16(%rip), %rdx\n"
    "  mov g_in_regs+24(%rip), %rbx\n"
    "  mov g_in_regs+40(%rip), %rbp\n"
    "  mov g_in_regs+48(%rip), %rsi\n"
    "  mov g_in_regs+56(%rip), %rdi\n"
    "  mov g_in_regs+64(%rip), %r8\n"
    "  mov g_in_regs+72(%rip), %r9\n"
    "  mov g_in_regs+80(%rip), %r10\n"
    "  mov g_in_regs+88(%rip), %r11\n"
    "  mov g_in_regs+96(%rip), %r12\n"
    "  mov g_in_regs+104(%rip), %r13\n"
    "  mov g_in_regs+112(%rip), %r14\n"
    "  mov g_in_regs+120(%rip), %r15\n"
    "  mov g_in_regs+32(%rip), %rsp\n"
    "  jmp *g_entry(%rip)\n"
    ".globl exit64\n"
    "exit64:\n"
    "  mov %rax, g_out_regs+0(%rip)\n"
    "  mov %rcx, g_out_regs+8(%rip)\n"
    "  mov %rdx, g_out_regs+16(%rip)\n"
    "  mov %rbx, g_out_regs+24(%rip)\n"
    "  mov %rsp, g_out_regs+32(%rip)\n"
    "  mov %rbp, g_out_regs+40(%rip)\n"
    "  mov %rsi, g_out_regs+48(%rip)\n"
    "  mov %rdi, g_out_regs+56(%rip)\n"
    "  mov %r8, g_out_regs+64(%rip)\n"
    "  mov %r9, g_out_regs+72(%rip)\n"
    "  mov %r10, g_out_regs+80(%rip)\n"
    "  mov %r11, g_out_regs+88(%rip)\n"
    "  mov %r12, g_out_regs+96(%rip)\n"
    "  mov %r13, g_out_regs+104(%rip)\n"
    "  mov %r14, g_out_regs+112(%rip)\n"
    "  mov %r15, g_out_regs+120(%rip)\n"
    "  mov g_host_rsp(%rip), %rsp\n"
    "  pushfq; popq g_out_flags(%rip); cld\n"
    "  fxsave64 g_fx_out(%rip)\n"
    "  fxrstor64 g_fx_host(%rip)\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n");

/*
 * 32-bit: switch to a stack below 4 GiB, load DS/ES with the flat user data
 * selector (64-bit processes run with null DS/ES), far-return to CS 0x23
 * (compatibility mode), load state and jump; exit32 stores state and far
 * jumps back to CS 0x33.
 */
__asm__(
    ".text\n"
    ".globl run_case32\n"
    "run_case32:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  mov %rsp, g_host_rsp(%rip)\n"
    "  mov $0x2b, %eax; mov %eax, %ds; mov %eax, %es\n"
    "  mov g_low_stack_top(%rip), %rsp\n"
    "  fxrstor64 g_fx_in(%rip)\n"
    "  pushq g_cs32(%rip)\n"
    "  lea enter32(%rip), %rax; pushq %rax\n"
    "  lretq\n"
    ".code32\n"
    "enter32:\n"
    "  pushl g_in32+32; popfl\n"
    "  movl g_in32+0, %eax\n"
    "  movl g_in32+4, %ecx\n"
    "  movl g_in32+8, %edx\n"
    "  movl g_in32+12, %ebx\n"
    "  movl g_in32+20, %ebp\n"
    "  movl g_in32+24, %esi\n"
    "  movl g_in32+28, %edi\n"
    "  movl g_in32+16, %esp\n"
    "  jmp *g_entry32\n"
    ".globl exit32\n"
    "exit32:\n"
    "  movl %eax, g_out32+0\n"
    "  movl %ecx, g_out32+4\n"
    "  movl %edx, g_out32+8\n"
    "  movl %ebx, g_out32+12\n"
    "  movl %esp, g_out32+16\n"
    "  movl %ebp, g_out32+20\n"
    "  movl %esi, g_out32+24\n"
    "  movl %edi, g_out32+28\n"
    "  movl g_low_stack_top, %esp\n"
    "  pushfl; popl g_out32+32; cld\n"
    "  ljmp $0x33, $back64\n"
    ".code64\n"
    "back64:\n"
    "  fxsave64 g_fx_out(%rip)\n"
    "  fxrstor64 g_fx_host(%rip)\n"
    "  mov g_host_rsp(%rip), %rsp\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n");

static sigjmp_buf g_fault_jmp;
static volatile int g_fault_vector;
static volatile uint32_t g_fault_error;
static volatile uint64_t g_fault_cr2;
static volatile uint64_t g_fault_regs[16];
static uint8_t g_fault_fx[FX_SIZE];
/* ucontext gregs index of each GPR in encoding order (rax, rcx, ... r15) */
static const int k_greg_of[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                  REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static void on_fault(int sig, siginfo_t *info, void *ctx_) {
  (void)sig;
  (void)info;
  ucontext_t *ctx = (ucontext_t *)ctx_;
  g_fault_vector = (int)ctx->uc_mcontext.gregs[REG_TRAPNO];
  g_fault_error = (uint32_t)ctx->uc_mcontext.gregs[REG_ERR];
  g_fault_cr2 = (uint64_t)ctx->uc_mcontext.gregs[REG_CR2];
  for (int k = 0; k < 16; k++) g_fault_regs[k] = (uint64_t)ctx->uc_mcontext.gregs[k_greg_of[k]];
  /* the x87/SSE state at the fault, as the kernel saved it (FXSAVE layout) */
  if (ctx->uc_mcontext.fpregs) memcpy(g_fault_fx, ctx->uc_mcontext.fpregs, FX_SIZE);
  else memset(g_fault_fx, 0, FX_SIZE);
  siglongjmp(g_fault_jmp, 1);
}

static void *map_fixed(unsigned long addr, unsigned long size, int prot) {
  void *p = mmap((void *)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p != (void *)addr) {
    fprintf(stderr, "runner: cannot map 0x%lx\n", addr);
    exit(2);
  }
  return p;
}

/* Same generator as layout.ts fillWindows(): xorshift32 over both windows, zeros in the rest of both pages. */
static void fill_windows(uint32_t seed, const uint8_t *operand) {
  uint32_t x = seed ? seed : 0x9e3779b9u;
  memset((void *)DATA_PAGE, 0, 0x1000);
  memset((void *)STACK_PAGE, 0, 0x1000);
  uint8_t *wins[2] = {(uint8_t *)DATA_WIN, (uint8_t *)STACK_WIN};
  for (int w = 0; w < 2; w++) {
    for (int k = 0; k < WIN_SIZE; k += 4) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      memcpy(wins[w] + k, &x, 4);
    }
  }
  memcpy((void *)OPERAND_AREA, operand, OPERAND_SIZE);
}

/* Zeroes what is not compared (mirrors layout.ts canonicalFx). */
static void canonical_fx(uint8_t *fx, int mode32) {
  memset(fx + 5, 0, 24 - 5);
  memset(fx + 28, 0, 4);
  for (int i = 0; i < 8; i++) memset(fx + 32 + 16 * i + 10, 0, 6);
  if (mode32) memset(fx + 160 + 128, 0, 128);
}

/* The signal handler ran with the kernel's initial FPU state and siglongjmp kept it: back to the runner's. */
static void restore_host_fpu(void) { __asm__ volatile("fxrstor64 %0" : : "m"(g_fx_host)); }

/* One case; its own frame so that nothing live across sigsetjmp changes before a siglongjmp. */
static __attribute__((noinline)) void run_one(const struct case_in *c, struct case_out *r, int mode32) {
  memset(r, 0, sizeof *r);
  fill_windows(c->mem_seed, c->operand);
  uint64_t entry = CODE_BASE + (uint64_t)c->slot * SLOT_SIZE;
  memcpy(g_fx_in, g_fx_host, sizeof g_fx_in);
  memcpy(g_fx_in, c->fx, FX_SIZE);
  g_fault_vector = -1;
  if (sigsetjmp(g_fault_jmp, 1) == 0) {
    if (mode32) {
      for (int k = 0; k < 8; k++) g_in32[k] = (uint32_t)c->regs[k];
      g_in32[8] = (uint32_t)c->flags;
      g_entry32 = (uint32_t)entry;
      run_case32();
      for (int k = 0; k < 8; k++) r->regs[k] = g_out32[k];
      r->flags = g_out32[8];
    } else {
      memcpy(g_in_regs, c->regs, sizeof g_in_regs);
      g_in_flags = c->flags;
      g_entry = entry;
      run_case64();
      memcpy(r->regs, g_out_regs, sizeof r->regs);
      r->flags = g_out_flags;
    }
    memcpy(r->fx, g_fx_out, FX_SIZE);
    r->vector = -1;
  } else {
    r->vector = g_fault_vector;
    r->error_code = g_fault_error;
    r->flags = g_fault_cr2; /* after a fault the flags slot holds CR2 */
    for (int k = 0; k < 16; k++) r->regs[k] = mode32 ? (uint32_t)g_fault_regs[k] : g_fault_regs[k];
    memcpy(r->fx, g_fault_fx, FX_SIZE);
    restore_host_fpu();
  }
  canonical_fx(r->fx, mode32);
  memcpy(r->data, (void *)DATA_WIN, WIN_SIZE);
  memcpy(r->stack, (void *)STACK_WIN, WIN_SIZE);
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n ? (size_t)n : 1);
  if (n && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    perror(path);
    exit(2);
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* Runs an empty 32-bit snippet; false when it faults (no usable 32-bit code segment). */
static int probe32(uint8_t *ej) {
  uint8_t *probe = ej + 0x40;
  int32_t rel = (int32_t)(EXIT_JUMP - (EXIT_JUMP + 0x40 + 5));
  probe[0] = 0xe9;
  memcpy(probe + 1, &rel, 4);
  g_fault_vector = -1;
  if (sigsetjmp(g_fault_jmp, 1) == 0) {
    memset(g_in32, 0, sizeof g_in32);
    g_in32[4] = (uint32_t)(STACK_PAGE + 0x800);
    g_in32[8] = 0x202;
    g_entry32 = (uint32_t)(EXIT_JUMP + 0x40);
    run_case32();
    return 1;
  }
  return 0;
}

/* A flat 4 GiB 32-bit code segment in LDT entry 0 (selector 0x7: TI=1, RPL=3). */
static int use_ldt_code32(void) {
  struct user_desc d;
  memset(&d, 0, sizeof d);
  d.entry_number = 0;
  d.base_addr = 0;
  d.limit = 0xfffff;
  d.seg_32bit = 1;
  d.contents = 2; /* MODIFY_LDT_CONTENTS_CODE */
  d.read_exec_only = 0;
  d.limit_in_pages = 1;
  d.seg_not_present = 0;
  d.useable = 1;
  if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0) {
    perror("runner: modify_ldt");
    return 0;
  }
  g_cs32 = 0x7;
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 5 || (strcmp(argv[1], "64") && strcmp(argv[1], "32"))) {
    fprintf(stderr, "usage: runner <64|32> code.bin cases.bin results.bin\n");
    return 2;
  }
  int mode32 = argv[1][0] == '3';
  size_t code_len, cases_len;
  uint8_t *code = read_file(argv[2], &code_len);
  uint8_t *cases = read_file(argv[3], &cases_len);
  if (code_len > EXIT_JUMP - CODE_BASE || cases_len % sizeof(struct case_in)) {
    fprintf(stderr, "runner: bad input sizes\n");
    return 2;
  }
  uint8_t *text = map_fixed(CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
  map_fixed(DATA_PAGE, 0x1000, PROT_READ | PROT_WRITE);
  map_fixed(STACK_PAGE, 0x1000, PROT_READ | PROT_WRITE);
  memcpy(text, code, code_len);
  uint8_t *ej = (uint8_t *)EXIT_JUMP;
  if (mode32) { /* jmp *(EXIT_JUMP+8) with the 32-bit exit stub's address there */
    uint32_t slot = (uint32_t)(EXIT_JUMP + 8), target = (uint32_t)(uintptr_t)exit32;
    ej[0] = 0xff, ej[1] = 0x25;
    memcpy(ej + 2, &slot, 4);
    memcpy(ej + 8, &target, 4);
  } else { /* jmp *0(%rip) followed by the 64-bit target */
    uint64_t target = (uint64_t)(uintptr_t)exit64;
    ej[0] = 0xff, ej[1] = 0x25;
    memset(ej + 2, 0, 4);
    memcpy(ej + 6, &target, 8);
  }
  g_low_stack_top = (uint64_t)(uintptr_t)(g_low_stack + sizeof g_low_stack - 16);
  __asm__ volatile("fxsave64 %0" : "=m"(g_fx_host));
  memcpy(g_fx_in, g_fx_host, sizeof g_fx_in);
  if (g_low_stack_top >> 32 || (uintptr_t)exit32 >> 32) {
    fprintf(stderr, "runner: must be linked below 4 GiB (-no-pie)\n");
    return 2;
  }

  static uint8_t altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGFPE, SIGSEGV, SIGILL, SIGBUS, SIGTRAP};
  for (unsigned k = 0; k < sizeof sigs / sizeof sigs[0]; k++) sigaction(sigs[k], &sa, NULL);
  alarm(600); /* a runaway snippet must not hang the test */

  if (mode32 && !probe32(ej)) { /* no usable GDT selector: try a code segment of our own in the LDT */
    int vec = g_fault_vector;
    if (!use_ldt_code32() || !probe32(ej)) {
      fprintf(stderr, "runner: 32-bit compatibility mode is unavailable (vector %d with the GDT selector, %d with an LDT code segment)\n",
              vec, g_fault_vector);
      return 3;
    }
  }
  FILE *out = fopen(argv[4], "wb");
  if (!out) {
    perror(argv[4]);
    return 2;
  }
  size_t n = cases_len / sizeof(struct case_in);
  for (size_t i = 0; i < n; i++) {
    struct case_in c;
    memcpy(&c, cases + i * sizeof c, sizeof c);
    struct case_out r;
    run_one(&c, &r, mode32);
    fwrite(&r, sizeof r, 1, out);
  }
  fclose(out);
  return 0;
}
