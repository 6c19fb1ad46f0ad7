/*
 * Wake entries for the acpi_s3 guest. The machine leaving S3 starts the BSP
 * at the waking vector the guest left in the FACS:
 *  - s3_wake16 (copied below 1 MiB by acpi_s3.c; the vector points a few
 *    bytes into the copy so that IP is not 0): real mode, CS = vector >> 4,
 *    IP = vector & 0xF. It records CS, the IP it runs at, the MSW and FLAGS
 *    in the copy's record, then goes to protected mode on the runtime's GDT;
 *  - s3_wake32 (X_Firmware_Waking_Vector, in the image): 32-bit protected
 *    mode with flat segments and paging off. It records CR0, EFLAGS and that
 *    a flat store through DS and SS works.
 * Both go on through s3_wake_pm32 to long mode on the boot page tables and
 * call s3_resumed() on a stack of their own, with the IDT the guest saved.
 */
#include "segments.h"
#include "long_mode.h"

    .section .rodata
    .code16
    .globl s3_wake16, s3_wake16_entry, s3_wake16_probe, s3_wake16_rec, s3_wake16_gdt_desc, s3_wake16_end
s3_wake16:
    /* Entering at IP 0 instead of the vector's IP would halt here (interrupts off). */
    cli
    hlt
    jmp s3_wake16
s3_wake16_entry:
    movw %cs, %ax
    movw %ax, %ds
    call s3_wake16_probe
s3_wake16_probe:
    popw %bx                        /* the IP of s3_wake16_probe as the CPU sees it */
    movw %ax, s3_wake16_rec - s3_wake16 + 0
    movw %bx, s3_wake16_rec - s3_wake16 + 2
    smsw %ax
    movw %ax, s3_wake16_rec - s3_wake16 + 4
    pushfw
    popw %ax
    movw %ax, s3_wake16_rec - s3_wake16 + 6
    movw $1, s3_wake16_rec - s3_wake16 + 8
    lgdtl s3_wake16_gdt_desc - s3_wake16
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $SEL_CODE32, $s3_wake_pm32

    .balign 8
s3_wake16_gdt_desc:                 /* filled by acpi_s3.c: limit and 32-bit base of the runtime GDT */
    .word 0
    .long 0
    .balign 2
s3_wake16_rec:                      /* cs, ip, msw, flags, entered */
    .word 0, 0, 0, 0, 0
s3_wake16_end:

    .text
    .code32
    .globl s3_wake32
s3_wake32:
    movl $s3_stack_top, %esp        /* ESP is 0 after the INIT the sleep was */
    movl %cr0, %eax
    movl %eax, s3_wake32_cr0
    pushfl
    popl %eax
    movl %eax, s3_wake32_eflags
    movl $1, s3_wake32_entered
    lgdtl gdt_desc                  /* the low 32 bits of its base: the GDT is below 4 GiB */
    ljmpl $SEL_CODE32, $s3_wake_pm32

s3_wake_pm32:
    PM32_TO_LONG_MODE s3_wake64

    .code64
s3_wake64:
    LONG_MODE_DATA_SEGMENTS
    leaq s3_stack_top(%rip), %rsp
    lidt s3_idtr(%rip)
    xorl %ebp, %ebp
    call s3_resumed
1:  cli
    hlt
    jmp 1b

    .data
    .balign 8
    .globl s3_wake32_cr0, s3_wake32_eflags, s3_wake32_entered, s3_idtr
s3_wake32_cr0: .long 0
s3_wake32_eflags: .long 0
s3_wake32_entered: .long 0
    .balign 8
    .word 0, 0, 0
s3_idtr: .word 0
    .quad 0

    .bss
    .balign 16
s3_stack: .skip 16384
s3_stack_top:
