/*
 * pre_long_mode_hook for the modes and demo guests. Called by entry.S in
 * 32-bit protected mode (flat segments, paging off, interrupts off):
 *   1. 32-bit arithmetic and a #DE delivered through a 32-bit IDT;
 *   2. a round trip to real mode: the 16-bit code is copied to RM_BASE, we
 *      go through a 16-bit protected-mode segment, clear CR0.PE, do
 *      segment arithmetic, an INT through the IVT and a #DE in real mode,
 *      then set CR0.PE and far-jump back to 32-bit code.
 * Results land in mode_results (mode_probe.h) for the C side to check.
 */
#include "segments.h"
#include "mode_probe.h"

#define RM_OFF(sym) ((sym) - rm_blob_start)

    .text
    .code32
    .globl pre_long_mode_hook
pre_long_mode_hook:
    pushal

    /* ---- 32-bit protected mode ---- */
    movl $1, mode_results + 0
    movl $0x12345678, %eax
    movl $0x10, %ecx
    mull %ecx
    movl %eax, mode_results + 4
    movl %edx, mode_results + 8
    movl %esp, %ebx
    pushl $0
    subl %esp, %ebx
    popl %eax
    movl %ebx, mode_results + 12

    /* 32-bit IDT with only vector 0: a 32-bit interrupt gate to de32_handler. */
    movl $de32_handler, %eax
    movw %ax, idt32
    movw $SEL_CODE32, idt32 + 2
    movw $0x8E00, idt32 + 4
    shrl $16, %eax
    movw %ax, idt32 + 6
    lidtl idt32_desc
    movl $de32_insn, mode_results + 24
    movl $100, %eax
    xorl %edx, %edx
    xorl %ecx, %ecx
de32_insn:
    divl %ecx
de32_resume:

    /* ---- real mode round trip ---- */
    movl $rm_blob_start, %esi
    movl $RM_BASE, %edi
    movl $(rm_blob_end - rm_blob_start), %ecx
    cld
    rep movsb
    movl %esp, saved_esp32
    ljmpl $SEL_CODE16, $(RM_BASE + RM_OFF(pm16_entry))

pm32_return:
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl saved_esp32, %esp
    movl $(RM_BASE + RM_OFF(rm_results)), %esi
    movl $(mode_results + 32), %edi
    movl $(rm_results_end - rm_results), %ecx
    rep movsb
    popal
    ret

de32_handler:
    /* Frame: EIP, CS, EFLAGS (no error code for #DE). */
    incl mode_results + 16
    movl (%esp), %eax
    movl %eax, mode_results + 20
    movl 4(%esp), %eax
    movl %eax, mode_results + 28
    movl $de32_resume, (%esp)
    iretl

/* ---- the blob copied to RM_BASE: position-dependent only via RM_OFF ---- */
    .code16
rm_blob_start:
pm16_entry:
    /* 16-bit protected mode: real-mode-like segment limits before PE=0. */
    movw $SEL_DATA16, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    lidtw RM_BASE + RM_OFF(rm_idtr)
    movl %cr0, %eax
    andl $~1, %eax
    movl %eax, %cr0
    ljmpw $(RM_BASE >> 4), $RM_OFF(rm_entry)

rm_entry:
    movw %cs, %ax
    movw %ax, %ds                    /* DS = CS: blob data by offset */
    xorw %ax, %ax
    movw %ax, %ss
    movw $RM_STACK_TOP, %sp
    movw $1, RM_OFF(rm_results)
    movw %cs, %ax
    movw %ax, RM_OFF(rm_results) + 2

    /* Segment arithmetic: 0x0800:0x0010 and 0x0000:0x8010 are one byte. */
    movw $(RM_SCRATCH >> 4) - 1, %ax
    movw %ax, %es
    movw $0xBEEF, %es:(RM_SCRATCH & 0xF) + 0x10
    xorw %ax, %ax
    movw %ax, %es
    movw %es:RM_SCRATCH, %ax
    movw %ax, RM_OFF(rm_results) + 4

    /* 16-bit arithmetic wraps and sets CF. */
    movw $0xFFFF, %ax
    addw $1, %ax
    sbbw %dx, %dx
    movw %ax, RM_OFF(rm_results) + 6
    movw %dx, RM_OFF(rm_results) + 8

    /* INT 0x30 and #DE through the IVT at 0:0. */
    movw $RM_OFF(rm_int30), %es:(0x30 * 4)
    movw $(RM_BASE >> 4), %es:(0x30 * 4 + 2)
    movw $RM_OFF(rm_de), %es:0
    movw $(RM_BASE >> 4), %es:2
    int $0x30
    movw $RM_OFF(rm_div), RM_OFF(rm_results) + 16
    movw $7, %ax
    xorw %dx, %dx
    xorw %cx, %cx
rm_div:
    divw %cx                          /* 2 bytes: F7 F1 */

    movw %sp, %bx
    pushw $0
    subw %sp, %bx
    popw %ax
    movw %bx, RM_OFF(rm_results) + 18

    /* Back to protected mode. */
    cli
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $SEL_CODE32, $pm32_return

rm_int30:
    incw %cs:RM_OFF(rm_results) + 10
    iretw

rm_de:
    /* Frame: IP, CS, FLAGS. Record IP, skip the 2-byte DIV. */
    pushw %bp
    movw %sp, %bp
    incw %cs:RM_OFF(rm_results) + 12
    movw 2(%bp), %ax
    movw %ax, %cs:RM_OFF(rm_results) + 14
    addw $2, 2(%bp)
    popw %bp
    iretw

    .balign 4
rm_idtr:
    .word 0x3FF
    .long 0
rm_results:
    .skip 20
rm_results_end:
rm_blob_end:

    .code32
    .data
    .balign 8
    .globl mode_results
mode_results:
    .skip 32 + 20
saved_esp32: .long 0
    .balign 8
idt32:
    .quad 0
idt32_desc:
    .word 7
    .long idt32
