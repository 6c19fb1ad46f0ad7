/*
 * A tiny PVH kernel for the loader tests: an ELF with the Xen
 * PHYS32_ENTRY note. Entered in 32-bit protected mode, paging off,
 * EBX = hvm_start_info; checks the start info, prints the command line and
 * the module's first line on COM1, exits through isa-debug-exit
 * (0 = pass, else the number of the failed check).
 */
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

	.section .note.Xen, "a", @note
	.balign 4
	.long 4			/* namesz */
	.long 4			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.code32
	.text
	.globl pvh_start
pvh_start:
	mov $stack_top, %esp		/* PVH gives no stack */
	mov $1, %edi
	cmpl $0x336ec578, (%ebx)	/* magic */
	jne fail
	mov $2, %edi
	cmpl $1, 4(%ebx)		/* version */
	jb fail
	mov $3, %edi
	mov %cr0, %eax			/* protected mode, paging off */
	test $1, %eax
	jz fail
	bt $31, %eax
	jc fail
	mov $4, %edi
	cmpl $2, 48(%ebx)		/* memmap_entries */
	jb fail
	mov 40(%ebx), %esi		/* memmap_paddr: first entry RAM */
	cmpl $1, 16(%esi)
	jne fail

	mov %ebx, %ebp
	mov $msg_cmdline, %esi
	call puts
	mov 24(%ebp), %esi		/* cmdline_paddr */
	call puts
	mov $'\n', %al
	call putc
	cmpl $0, 12(%ebp)		/* nr_modules */
	je done
	mov $msg_module, %esi
	call puts
	mov 16(%ebp), %esi		/* modlist_paddr -> module 0 paddr */
	mov (%esi), %esi
1:	mov (%esi), %al
	cmp $'\n', %al
	je 2f
	call putc
	inc %esi
	jmp 1b
2:	mov $'\n', %al
	call putc
done:
	mov $msg_ok, %esi
	call puts
	xor %eax, %eax
	out %al, $DEBUG_EXIT
	hlt

fail:
	mov $msg_fail, %esi
	call puts
	mov %edi, %eax
	add $'0', %al
	call putc
	mov $'\n', %al
	call putc
	mov %edi, %eax
	out %al, $DEBUG_EXIT
	hlt

putc:
	mov $COM1, %dx
	out %al, %dx
	ret
puts:
	mov (%esi), %al
	test %al, %al
	jz 1f
	call putc
	inc %esi
	jmp puts
1:	ret

	/* Paging is off: this "text" space is as writable as any RAM. */
	.balign 16
	.space 256
stack_top:

	.section .rodata
msg_cmdline: .asciz "pvh-probe: cmdline="
msg_module: .asciz "pvh-probe: module="
msg_ok: .asciz "pvh-probe: ok\n"
msg_fail: .asciz "pvh-probe: FAIL check "
