/*
 * Assembler macros for the runtime's way into long mode, shared by the boot
 * entry, the AP trampoline and the S3 wake code (include after segments.h).
 */
#ifndef TSV_GUEST_LONG_MODE_H
#define TSV_GUEST_LONG_MODE_H

/*
 * From 32-bit protected mode with paging off: flat data segments, PAE on the
 * runtime's identity-mapped boot_pml4, EFER.LME, then PG|WP, which activates
 * IA-32e mode; the far jump loads the 64-bit code segment at `target`.
 */
.macro PM32_TO_LONG_MODE target
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax             /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx          /* IA32_EFER.LME */
    rdmsr
    orl $(1 << 8), %eax
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16)), %eax   /* PG | WP */
    movl %eax, %cr0
    ljmpl $SEL_CODE64, $\target
.endm

/* First thing in 64-bit code: flat DS/ES/SS, null FS/GS (their bases stay 0). */
.macro LONG_MODE_DATA_SEGMENTS
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
.endm

#endif
