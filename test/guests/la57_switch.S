/*
 * la57_reenter(new_cr4, new_cr3) for the la57 guest: CR4.LA57 may only change
 * while IA-32e mode is off, so this leaves it (far return to the 32-bit code
 * segment, CR0.PG cleared: EFER.LMA drops) and enters it again (CR0.PG set
 * with EFER.LME still on) with the new CR4 and CR3. Returns -1 when the CR4
 * write went through, else the vector it raised (#GP when LA57 is not
 * offered); then CR4 and CR3 stay as they were. Interrupts are off meanwhile;
 * a 32-bit IDT with one #GP gate stands in for the 64-bit one, which legacy
 * mode cannot read.
 */
#include "segments.h"

    .text
    .code64
    .globl la57_reenter
la57_reenter:
    pushq %rbx
    pushfq
    cli
    sidt saved_idt(%rip)
    movq %rdi, new_cr4(%rip)
    movq %rsi, new_cr3(%rip)
    /* compatibility mode needs usable flat data and stack segments */
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    pushq $SEL_CODE32
    leaq to_compat(%rip), %rax
    pushq %rax
    lretq

    .code32
to_compat:
    /* vector 13 of the 32-bit IDT: a 32-bit interrupt gate to gp32 */
    movl $gp32, %eax
    movw %ax, idt32 + 13 * 8
    movw $SEL_CODE32, idt32 + 13 * 8 + 2
    movw $0x8e00, idt32 + 13 * 8 + 4
    shrl $16, %eax
    movw %ax, idt32 + 13 * 8 + 6
    movl %cr0, %eax
    andl $0x7fffffff, %eax
    movl %eax, %cr0               /* paging off: IA-32e mode off (EFER.LMA = 0) */
    lidtl idt32_desc
    movl $-1, fault_vec
    movl new_cr4, %eax
cr4_write:
    movl %eax, %cr4
cr4_done:
    cmpl $-1, fault_vec
    jne 1f                        /* CR4 unchanged: keep the tables it walks */
    movl new_cr3, %eax
    movl %eax, %cr3
1:  movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0               /* paging on with EFER.LME: IA-32e mode, 4 or 5 levels by CR4.LA57 */
    ljmpl $SEL_CODE64, $back64

    /* #GP in legacy mode: note it and resume after the MOV to CR4 */
gp32:
    movl $13, fault_vec
    addl $4, %esp                 /* the error code */
    movl $cr4_done, (%esp)
    iretl

    .code64
back64:
    lidt saved_idt(%rip)
    movslq fault_vec(%rip), %rax
    popfq
    popq %rbx
    ret

    .data
    .balign 8
new_cr4:   .quad 0
new_cr3:   .quad 0
fault_vec: .long 0
saved_idt: .skip 10
    .balign 8
idt32:     .skip 14 * 8
idt32_desc:
    .word 14 * 8 - 1
    .long idt32
