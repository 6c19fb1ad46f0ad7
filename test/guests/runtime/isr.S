/*
 * 64-bit interrupt entry: 256 stubs of 16 bytes each (isr_stubs + 16*vector).
 * Each pushes a zero error code when the CPU does not push one, then the
 * vector, and joins isr_common, which saves the general registers into a
 * struct trap_frame (runtime/guest.h) and calls isr_dispatch(frame).
 */
#include "segments.h"

    .text
    .code64
    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp isr_common
    .set vec, vec + 1
    .endr

isr_common:
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rbx
    pushq %rbp
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp          /* SysV alignment for the C handler */
    call isr_dispatch
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rbp
    popq %rbx
    popq %rdx
    popq %rcx
    popq %rax
    addq $16, %rsp           /* vector, error code */
    iretq

/*
 * run_user(fn, user_stack_top): iretq to CPL 3 at user_trampoline, which calls
 * fn and then raises INT 0x80; the runtime's 0x80 handler sends the CPU back
 * to user_return on the saved kernel stack.
 */
    .globl run_user, user_return, user_trampoline
run_user:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, user_saved_rsp(%rip)
    pushq $(SEL_UDATA | 3)
    pushq %rsi
    pushfq
    pushq $(SEL_UCODE64 | 3)
    leaq user_trampoline(%rip), %rax
    pushq %rax
    iretq
user_return:
    movq user_saved_rsp(%rip), %rsp
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

user_trampoline:
    andq $-16, %rsp
    call *%rdi
    int $0x80
    ud2

    .section .data
    .globl user_saved_rsp
    .balign 8
user_saved_rsp: .quad 0
