/*
 * Protected-mode part of a tiny bzImage for the Linux boot protocol tests:
 * the test wraps this flat binary (linked at 0, position-independent) in a
 * setup header. The loader enters it at offset 0x200 in 64-bit mode with
 * RSI = boot_params. It checks what the protocol promises, prints the
 * command line and the initrd's first line on COM1 and exits through
 * isa-debug-exit (0 = pass, else the number of the failed check).
 */
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

	.code64
	.text
	.globl _start
_start:
	/* Offset 0: where a 32-bit entry would be; unused (the loader takes the 64-bit one). */
	hlt
	.org 0x200
entry64:
	mov $1, %edi
	cmpl $0x53726448, 0x202(%rsi)	/* the setup header was copied: "HdrS" */
	jne fail
	mov $2, %edi
	cmpb $0xff, 0x210(%rsi)		/* type_of_loader: undefined loader */
	jne fail
	mov $3, %edi
	cmpb $2, 0x1e8(%rsi)		/* at least two E820 entries */
	jb fail
	mov $4, %edi
	cmpl $1, 0x2d0 + 16(%rsi)	/* first E820 entry is RAM */
	jne fail
	mov $5, %edi
	lea _start(%rip), %rax		/* we run where code32_start says */
	mov 0x214(%rsi), %ecx
	cmp %rax, %rcx
	jne fail
	mov $6, %edi
	mov %cr0, %rax			/* paging and protection on */
	bt $31, %rax
	jnc fail
	mov $7, %edi
	mov %cr4, %rax			/* PAE, as long mode needs */
	bt $5, %rax
	jnc fail
	mov $8, %edi
	testb $0x80, 0x211(%rsi)	/* loadflags: CAN_USE_HEAP */
	jz fail

	lea msg_cmdline(%rip), %rbx
	call puts
	mov 0x228(%rsi), %ebx		/* cmd_line_ptr */
	call puts
	mov $'\n', %al
	call putc

	mov 0x218(%rsi), %ebx		/* ramdisk_image */
	test %ebx, %ebx
	jz done
	mov $9, %edi
	cmpl $0, 0x21c(%rsi)		/* ramdisk_size */
	je fail
	lea msg_initrd(%rip), %rbx
	call puts
	mov 0x218(%rsi), %ebx
1:	mov (%rbx), %al			/* the initrd's first line */
	cmp $'\n', %al
	je 2f
	call putc
	inc %rbx
	jmp 1b
2:	mov $'\n', %al
	call putc
done:
	lea msg_ok(%rip), %rbx
	call puts
	xor %eax, %eax
	out %al, $DEBUG_EXIT
	hlt

fail:
	lea msg_fail(%rip), %rbx
	call puts
	mov %edi, %eax
	add $'0', %al
	call putc
	mov $'\n', %al
	call putc
	mov %edi, %eax
	out %al, $DEBUG_EXIT
	hlt

/* putc(al), puts(rbx = NUL-terminated string) */
putc:
	mov $COM1, %dx
	out %al, %dx
	ret
puts:
	mov (%rbx), %al
	test %al, %al
	jz 1f
	call putc
	inc %rbx
	jmp puts
1:	ret

msg_cmdline: .asciz "linux-probe: cmdline="
msg_initrd: .asciz "linux-probe: initrd="
msg_ok: .asciz "linux-probe: ok\n"
msg_fail: .asciz "linux-probe: FAIL check "
