/*
 * AP start-up trampoline. ap_boot_prepare() copies ap_trampoline..ap_trampoline_end
 * to AP_TRAMPOLINE_BASE and fills in its GDT descriptor. A startup IPI starts the
 * AP there in real mode (CS = base >> 4, IP = 0); it loads the runtime's GDT,
 * enters 32-bit protected mode, turns on PAE paging with the BSP's identity map
 * and long mode, and jumps to ap_long_entry in the image, which takes a slot
 * number and a stack and calls the guest's entry.
 */
#include "segments.h"
#include "long_mode.h"

#define AP_TRAMPOLINE_BASE 0x8000
#define AP_STACK_SIZE 16384
#define AP_MAX 64
#define AT(sym) (AP_TRAMPOLINE_BASE + (sym) - ap_trampoline)

    .section .rodata
    .code16
    .globl ap_trampoline, ap_trampoline_end, ap_tramp_gdt_desc
ap_trampoline:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl ap_tramp_gdt_desc - ap_trampoline
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $SEL_CODE32, $AT(ap_tramp_pm32)

    .code32
ap_tramp_pm32:
    PM32_TO_LONG_MODE ap_long_entry

    .balign 8
ap_tramp_gdt_desc:
    .word 0
    .long 0
ap_trampoline_end:

    .text
    .code64
ap_long_entry:
    LONG_MODE_DATA_SEGMENTS
    movl $1, %eax
    lock xaddl %eax, ap_next_slot(%rip)
    cmpl $AP_MAX, %eax
    jae 2f
    movl %eax, %edi               /* entry(slot) */
    leaq 1(%rax), %rcx
    imulq $AP_STACK_SIZE, %rcx
    leaq ap_stacks(%rip), %rsp
    addq %rcx, %rsp
    lidt ap_idtr(%rip)
    xorl %ebp, %ebp
    movq ap_entry(%rip), %rax
    call *%rax
2:  cli
    hlt
    jmp 2b

    .data
    .balign 8
    .globl ap_entry, ap_idtr, ap_next_slot
ap_entry: .quad 0
ap_next_slot: .long 0
    .balign 8
    .word 0, 0, 0
ap_idtr: .word 0
    .quad 0

    .bss
    .balign 16
ap_stacks: .skip AP_STACK_SIZE * AP_MAX
