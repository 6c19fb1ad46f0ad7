/*
 * Multiboot v1 entry: the loader drops us in 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = multiboot info. We load our own GDT, clear .bss,
 * give a guest the chance to run 32-bit/real-mode code (pre_long_mode_hook),
 * identity-map the first 4 GiB with 2 MiB pages, enable long mode and call
 * runtime_start64 (C) on a 64-bit stack.
 */
#include "segments.h"
#include "long_mode.h"

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000003   /* bit 0: page-align modules, bit 1: memory info */

    .section .multiboot, "a"
    .balign 4
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, mb_magic
    movl %ebx, mb_info
    movl $boot_stack_top, %esp

    lgdtl gdt_desc
    ljmpl $SEL_CODE32, $1f
1:  movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs

    /* Zero .bss ourselves: not every loader clears memsz beyond filesz. */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* Optional 32-bit work (modes guest, demo) before paging is on. */
    movl $pre_long_mode_hook, %eax
    testl %eax, %eax
    jz 2f
    call *%eax
2:
    /* PML4[0] -> PDPT; PDPT[0..3] -> 4 page directories of 2 MiB pages.
     * U/S is set at every level so user-mode tests can run anywhere;
     * tests that need supervisor-only pages clear it on their own mappings. */
    movl $boot_pdpt, %eax
    orl $0x7, %eax
    movl %eax, boot_pml4

    movl $boot_pd, %eax
    orl $0x7, %eax
    xorl %ecx, %ecx
3:  movl %eax, boot_pdpt(,%ecx,8)
    addl $0x1000, %eax
    incl %ecx
    cmpl $4, %ecx
    jne 3b

    movl $0x87, %eax          /* P | RW | US | PS */
    xorl %ecx, %ecx
4:  movl %eax, boot_pd(,%ecx,8)
    addl $0x200000, %eax
    incl %ecx
    cmpl $2048, %ecx
    jne 4b

    movl %cr4, %eax
    orl $(1 << 5), %eax       /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3

    movl $0xC0000080, %ecx    /* IA32_EFER */
    rdmsr
    orl $(1 << 8), %eax       /* LME */
    wrmsr

    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax   /* PG | WP | PE */
    movl %eax, %cr0
    ljmpl $SEL_CODE64, $long_entry

    .code64
long_entry:
    LONG_MODE_DATA_SEGMENTS
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    call runtime_start64
5:  cli
    hlt
    jmp 5b

    .weak pre_long_mode_hook

    .section .data
    .balign 16
    .globl gdt
gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF   /* 0x08 code64 */
    .quad 0x00CF92000000FFFF   /* 0x10 data */
    .quad 0x00CF9A000000FFFF   /* 0x18 code32 */
    .quad 0x00CFF2000000FFFF   /* 0x20 user data */
    .quad 0x00AFFA000000FFFF   /* 0x28 user code64 */
    .quad 0x00009A000000FFFF   /* 0x30 code16 */
    .quad 0x000092000000FFFF   /* 0x38 data16 */
    .quad 0, 0                 /* 0x40 TSS, filled by tss_init() */
    .quad 0x00CF12000000FFFF   /* 0x50 data, not present */
gdt_end:
    .globl gdt_desc
gdt_desc:
    .word gdt_end - gdt - 1
    .quad gdt

    .globl mb_magic, mb_info
mb_magic: .long 0
mb_info:  .long 0

    .section .bss.pagetables, "aw", @nobits
    .balign 4096
    .globl boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096 * 4

    .section .bss, "aw", @nobits
    .balign 16
    .globl boot_stack_top
boot_stack: .skip 65536
boot_stack_top:
