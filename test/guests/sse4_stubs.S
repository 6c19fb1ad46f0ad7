/*
 * sse4_stubs.S: one tiny stub per instruction form of the sse4 guest
 * (SSE3, SSSE3 in mm and xmm forms, SSE4.1, SSE4.2, AES-NI, PCLMULQDQ) and the runner that
 * executes a stub on a prepared register state. The same object is linked
 * into the guest and into tools/sse4_reference.c, which runs it on the host
 * CPU to produce the expected results (sse4_expected.h).
 *
 * A form is a table of `variants` stubs, 16 bytes apart: variant n carries
 * imm8 = n (the symbol `imm`). Each stub is `insn; ret` with a fault-table
 * entry: a faulting instruction resumes at its `ret`, and the vector is
 * recorded by the caller (guest: EX_FIXUP table; host: a signal handler).
 *
 * Registers in a stub: xmm1 destination, xmm2 or (%rsi) source, xmm0 the
 * implicit operand, xmm9/xmm10 for REX forms; rax/rcx/rdx/r8 general
 * operands. (%rsi) is 16-byte aligned; 1(%rsi) is the misaligned operand.
 */
#ifdef SSE4_HOST
#define EXTAB_SECTION sse4_extab
#else
#define EXTAB_SECTION .ex_table
#endif

/* struct sse4_state (sse4_harness.h) */
#define ST_GPR 512
#define ST_FLAGS 544
#define ST_MEM 560

.macro STUB insn:vararg
  .balign 16
3:
1: \insn
2: ret
  .pushsection EXTAB_SECTION, "a"
  .balign 8
  .quad 1b, 2b
  .popsection
  .if (. - 3b) > 16
  .error "stub longer than 16 bytes"
  .endif
.endm

/* FORM name, variants, flags, instruction (may use `imm`) */
.macro FORM name, variants, flags, insn:vararg
  .pushsection .rodata.sse4names, "a"
9: .asciz "\name"
  .popsection
  .pushsection .rodata.sse4forms, "a"
  .balign 8
  .quad 9b, 8f
  .long \variants, \flags
  .popsection
  .balign 16
8:
  .set imm, 0
  .rept \variants
  STUB \insn
  .set imm, imm + 1
  .endr
.endm

#define F_STR 1   /* string-compare input patterns */
#define F_MMX 2   /* MMX operands */
#define F_FP 4    /* floating point: varied MXCSR, IEEE special values */

/* xmm1, xmm2/m128: register, aligned memory, misaligned memory, REX registers, same register */
.macro OPX name, mn
  FORM \name, 1, 0, \mn %xmm2, %xmm1
  FORM \name\()_m, 1, 0, \mn (%rsi), %xmm1
  FORM \name\()_u, 1, 0, \mn 1(%rsi), %xmm1
  FORM \name\()_hi, 1, 0, \mn %xmm10, %xmm9
  FORM \name\()_same, 1, 0, \mn %xmm1, %xmm1
.endm
/* xmm1, xmm2/m128, imm8: every imm8 value (n of them) in the register and memory forms */
.macro OPXI name, mn, n=256, flags=0, uimm=0x5a
  FORM \name, \n, \flags, \mn $imm, %xmm2, %xmm1
  FORM \name\()_m, \n, \flags, \mn $imm, (%rsi), %xmm1
  FORM \name\()_u, 1, \flags, \mn $\uimm, 1(%rsi), %xmm1
  FORM \name\()_hi, 1, \flags, \mn $\uimm, %xmm10, %xmm9
.endm

  .text
/* void sse4_run(struct sse4_state *s, const void *stub) */
  .globl sse4_run
sse4_run:
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rdi, %r12
  mov %rsi, %r13
  fxrstor64 (%r12)
  mov ST_GPR(%r12), %rax
  mov ST_GPR+8(%r12), %rcx
  mov ST_GPR+16(%r12), %rdx
  mov ST_GPR+24(%r12), %r8
  lea ST_MEM(%r12), %rsi
  pushq ST_FLAGS(%r12)
  popfq
  call *%r13
  pushfq
  popq ST_FLAGS(%r12)
  mov %rax, ST_GPR(%r12)
  mov %rcx, ST_GPR+8(%r12)
  mov %rdx, ST_GPR+16(%r12)
  mov %r8, ST_GPR+24(%r12)
  fxsave64 (%r12)
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret

  .pushsection .rodata.sse4forms, "a"
  .balign 8
  .globl sse4_forms
sse4_forms:
  .popsection

/* ---------------------------------------------------------------- SSE3 moves */
  OPX movsldup, movsldup
  OPX movshdup, movshdup
  FORM movddup, 1, 0, movddup %xmm2, %xmm1
  FORM movddup_m, 1, 0, movddup (%rsi), %xmm1
  FORM movddup_u, 1, 0, movddup 1(%rsi), %xmm1
  FORM movddup_hi, 1, 0, movddup %xmm10, %xmm9
  FORM lddqu_m, 1, 0, lddqu (%rsi), %xmm1
  FORM lddqu_u, 1, 0, lddqu 1(%rsi), %xmm9
  FORM lddqu_reg, 1, 0, .byte 0xf2, 0x0f, 0xf0, 0xca     /* mod = 3: #UD */

/* ---------------------------------------------------------------- SSE3 arithmetic (F_FP: varied MXCSR) */
.macro OPF name, mn
  FORM \name, 1, F_FP, \mn %xmm2, %xmm1
  FORM \name\()_m, 1, F_FP, \mn (%rsi), %xmm1
  FORM \name\()_u, 1, F_FP, \mn 1(%rsi), %xmm1
  FORM \name\()_hi, 1, F_FP, \mn %xmm10, %xmm9
.endm
  OPF addsubps, addsubps
  OPF addsubpd, addsubpd
  OPF haddps, haddps
  OPF haddpd, haddpd
  OPF hsubps, hsubps
  OPF hsubpd, hsubpd

/* ---------------------------------------------------------------- SSE4.1 floating point */
  OPXI roundps, roundps, 16, F_FP, 0x04
  OPXI roundpd, roundpd, 16, F_FP, 0x04
  FORM roundss, 16, F_FP, roundss $imm, %xmm2, %xmm1
  FORM roundss_m, 16, F_FP, roundss $imm, 1(%rsi), %xmm1
  FORM roundsd, 16, F_FP, roundsd $imm, %xmm2, %xmm1
  FORM roundsd_m, 16, F_FP, roundsd $imm, 1(%rsi), %xmm1
  OPXI dpps, dpps, 256, F_FP, 0xf1
  OPXI dppd, dppd, 256, F_FP, 0x33

/* ---------------------------------------------------------------- SSSE3 (xmm) */
  OPX pshufb, pshufb
  OPX phaddw, phaddw
  OPX phaddd, phaddd
  OPX phaddsw, phaddsw
  OPX pmaddubsw, pmaddubsw
  OPX phsubw, phsubw
  OPX phsubd, phsubd
  OPX phsubsw, phsubsw
  OPX psignb, psignb
  OPX psignw, psignw
  OPX psignd, psignd
  OPX pmulhrsw, pmulhrsw
  OPX pabsb, pabsb
  OPX pabsw, pabsw
  OPX pabsd, pabsd
  OPXI palignr, palignr
/* mm forms: register, memory (no alignment rule), misaligned memory */
.macro OPM name, mn
  FORM \name\()_mm, 1, F_MMX, \mn %mm2, %mm1
  FORM \name\()_mm_m, 1, F_MMX, \mn 1(%rsi), %mm1
.endm
  OPM pshufb, pshufb
  OPM phaddw, phaddw
  OPM phaddd, phaddd
  OPM phaddsw, phaddsw
  OPM pmaddubsw, pmaddubsw
  OPM phsubw, phsubw
  OPM phsubd, phsubd
  OPM phsubsw, phsubsw
  OPM psignb, psignb
  OPM psignw, psignw
  OPM psignd, psignd
  OPM pmulhrsw, pmulhrsw
  OPM pabsb, pabsb
  OPM pabsw, pabsw
  OPM pabsd, pabsd
  FORM palignr_mm, 256, F_MMX, palignr $imm, %mm2, %mm1
  FORM palignr_mm_m, 256, F_MMX, palignr $imm, 1(%rsi), %mm1
  FORM pshufb_mm_same, 1, F_MMX, pshufb %mm1, %mm1
  FORM pshufb_lock, 1, 0, .byte 0xf0, 0x66, 0x0f, 0x38, 0x00, 0x0e   /* LOCK: #UD */

/* ---------------------------------------------------------------- SSE4.1 */
  FORM pblendvb, 1, 0, pblendvb %xmm0, %xmm2, %xmm1
  FORM pblendvb_m, 1, 0, pblendvb %xmm0, (%rsi), %xmm1
  FORM pblendvb_u, 1, 0, pblendvb %xmm0, 1(%rsi), %xmm1
  FORM pblendvb_hi, 1, 0, pblendvb %xmm0, %xmm10, %xmm9
  FORM blendvps, 1, 0, blendvps %xmm0, %xmm2, %xmm1
  FORM blendvps_m, 1, 0, blendvps %xmm0, (%rsi), %xmm1
  FORM blendvps_u, 1, 0, blendvps %xmm0, 1(%rsi), %xmm1
  FORM blendvpd, 1, 0, blendvpd %xmm0, %xmm2, %xmm1
  FORM blendvpd_m, 1, 0, blendvpd %xmm0, (%rsi), %xmm1
  FORM blendvpd_u, 1, 0, blendvpd %xmm0, 1(%rsi), %xmm1
  FORM blendvpd_x0, 1, 0, blendvpd %xmm0, %xmm0, %xmm1
  OPX ptest, ptest
  OPX pmovsxbw, pmovsxbw
  OPX pmovsxbd, pmovsxbd
  OPX pmovsxbq, pmovsxbq
  OPX pmovsxwd, pmovsxwd
  OPX pmovsxwq, pmovsxwq
  OPX pmovsxdq, pmovsxdq
  OPX pmovzxbw, pmovzxbw
  OPX pmovzxbd, pmovzxbd
  OPX pmovzxbq, pmovzxbq
  OPX pmovzxwd, pmovzxwd
  OPX pmovzxwq, pmovzxwq
  OPX pmovzxdq, pmovzxdq
  OPX pmuldq, pmuldq
  OPX pcmpeqq, pcmpeqq
  OPX packusdw, packusdw
  OPX pminsb, pminsb
  OPX pminsd, pminsd
  OPX pminuw, pminuw
  OPX pminud, pminud
  OPX pmaxsb, pmaxsb
  OPX pmaxsd, pmaxsd
  OPX pmaxuw, pmaxuw
  OPX pmaxud, pmaxud
  OPX pmulld, pmulld
  OPX phminposuw, phminposuw
  FORM movntdqa_m, 1, 0, movntdqa (%rsi), %xmm1
  FORM movntdqa_u, 1, 0, movntdqa 1(%rsi), %xmm1
  FORM movntdqa_hi, 1, 0, movntdqa (%rsi), %xmm9
  FORM movntdqa_reg, 1, 0, .byte 0x66, 0x0f, 0x38, 0x2a, 0xca    /* mod = 3: #UD */
  OPXI blendps, blendps
  OPXI blendpd, blendpd
  OPXI pblendw, pblendw
  OPXI mpsadbw, mpsadbw

/* insert / extract */
  FORM pextrb, 256, 0, pextrb $imm, %xmm1, %eax
  FORM pextrb_r8, 1, 0, pextrb $0x37, %xmm9, %r8d
  FORM pextrb_w, 16, 0, .byte 0x66, 0x48, 0x0f, 0x3a, 0x14, 0xc8, imm   /* REX.W: r64 */
  FORM pextrb_m, 256, 0, pextrb $imm, %xmm1, 1(%rsi)
  FORM pextrw, 256, 0, .byte 0x66, 0x0f, 0x3a, 0x15, 0xc8, imm           /* 66 0F 3A 15 reg form */
  FORM pextrw_m, 256, 0, pextrw $imm, %xmm1, 1(%rsi)
  FORM pextrd, 256, 0, pextrd $imm, %xmm1, %eax
  FORM pextrd_m, 256, 0, pextrd $imm, %xmm1, 1(%rsi)
  FORM pextrd_r8, 1, 0, pextrd $3, %xmm10, %r8d
  FORM pextrq, 256, 0, pextrq $imm, %xmm1, %rax
  FORM pextrq_m, 256, 0, pextrq $imm, %xmm1, 1(%rsi)
  FORM extractps, 256, 0, extractps $imm, %xmm1, %eax
  FORM extractps_w, 4, 0, .byte 0x66, 0x48, 0x0f, 0x3a, 0x17, 0xc8, imm  /* REX.W: r64 */
  FORM extractps_m, 256, 0, extractps $imm, %xmm1, 1(%rsi)
  FORM pinsrb, 256, 0, pinsrb $imm, %eax, %xmm1
  FORM pinsrb_r8, 1, 0, pinsrb $9, %r8d, %xmm9
  FORM pinsrb_m, 256, 0, pinsrb $imm, 1(%rsi), %xmm1
  FORM pinsrd, 256, 0, pinsrd $imm, %eax, %xmm1
  FORM pinsrd_m, 256, 0, pinsrd $imm, 1(%rsi), %xmm1
  FORM pinsrq, 256, 0, pinsrq $imm, %rax, %xmm1
  FORM pinsrq_m, 256, 0, pinsrq $imm, 1(%rsi), %xmm1
  FORM pinsrq_hi, 1, 0, pinsrq $1, %r8, %xmm10
  FORM insertps, 256, 0, insertps $imm, %xmm2, %xmm1
  FORM insertps_m, 256, 0, insertps $imm, 1(%rsi), %xmm1
  FORM insertps_hi, 1, 0, insertps $0x9a, %xmm10, %xmm9

/* ---------------------------------------------------------------- SSE4.2 */
  OPX pcmpgtq, pcmpgtq
  OPXI pcmpestri, pcmpestri, 128, F_STR, 0x0c
  OPXI pcmpestrm, pcmpestrm, 128, F_STR, 0x4c
  OPXI pcmpistri, pcmpistri, 128, F_STR, 0x0c
  OPXI pcmpistrm, pcmpistrm, 128, F_STR, 0x4c
  FORM pcmpestri_w, 128, F_STR, .byte 0x66, 0x48, 0x0f, 0x3a, 0x61, 0xca, imm  /* REX.W: RAX/RDX lengths */
  FORM pcmpestrm_w, 128, F_STR, .byte 0x66, 0x48, 0x0f, 0x3a, 0x60, 0xca, imm
  FORM crc32b, 1, 0, crc32b %cl, %eax
  FORM crc32b_ah, 1, 0, crc32b %ch, %eax
  FORM crc32b_r8, 1, 0, crc32b %r8b, %eax
  FORM crc32b_q, 1, 0, crc32b %cl, %rax
  FORM crc32b_66, 1, 0, .byte 0x66, 0xf2, 0x0f, 0x38, 0xf0, 0xc1     /* 66 on the byte form */
  FORM crc32b_m, 1, 0, crc32b 1(%rsi), %eax
  FORM crc32w, 1, 0, crc32w %cx, %eax
  FORM crc32w_m, 1, 0, crc32w 1(%rsi), %eax
  FORM crc32l, 1, 0, crc32l %ecx, %eax
  FORM crc32l_m, 1, 0, crc32l 1(%rsi), %eax
  FORM crc32l_r8, 1, 0, crc32l %r8d, %edx
  FORM crc32q, 1, 0, crc32q %rcx, %rax
  FORM crc32q_m, 1, 0, crc32q 1(%rsi), %rax
  FORM crc32_lock, 1, 0, .byte 0xf0, 0xf2, 0x0f, 0x38, 0xf1, 0x06   /* LOCK: #UD */
  FORM crc32_f3, 1, 0, .byte 0xf3, 0x0f, 0x38, 0xf1, 0xc1           /* F3: #UD */

/* ---------------------------------------------------------------- AES-NI, PCLMULQDQ */
  OPX aesenc, aesenc
  OPX aesenclast, aesenclast
  OPX aesdec, aesdec
  OPX aesdeclast, aesdeclast
  OPX aesimc, aesimc
  OPXI aeskeygenassist, aeskeygenassist
  OPXI pclmulqdq, pclmulqdq

  .pushsection .rodata.sse4forms, "a"
  .balign 8
  .globl sse4_forms_end
sse4_forms_end:
  .popsection
  .section .note.GNU-stack, "", @progbits
