/*
 * SSE/SSE2 floating-point instruction cases shared by the sse_fp guest and
 * the host program that computed its expected values
 * (test/sse-fp/gen-guest-expect.cc, run on the reference x86-64 host).
 *
 * Each instruction form runs CASES_PER_FORM times on operands drawn by a fixed
 * PRNG from a pool of interesting values (zeros, denormals, infinities, QNaN
 * and SNaN, the edges of the normal range, near-ties, integers, random bits)
 * under a drawn MXCSR (rounding control, DAZ, FTZ, sometimes unmasked
 * exceptions). A case's outcome is the exception vector (#XM = 19 or none),
 * MXCSR, and when the instruction completed the destination register, RAX and
 * RFLAGS (a faulting one leaves them unchanged); the outcomes of a form
 * are folded into one FNV-1a hash, which the guest compares with the host's.
 *
 * The includer defines CASE_FIXUP(from, to) (the guest's EX_FIXUP; empty on
 * the host, which catches #XM as SIGFPE) and CASE_XMM_CLOBBERS (empty in the
 * guest, which is compiled for general registers only, so the compiler keeps
 * nothing in XMM registers; `, "xmm0", "xmm1"` on the host) and likewise
 * CASE_MMX_CLOBBERS (`, "mm2"`) before including this file.
 */
#ifndef SSE_FP_CASES_H
#define SSE_FP_CASES_H

#define CASES_PER_FORM 64

/* io block: [0..1] destination xmm0, [2..3] source xmm1 (and the memory
 * source), [4] MXCSR in/out, [5] RAX in/out, [6] RFLAGS out */
struct sse_io {
    u64 x[2], s[2];
    u64 mxcsr, rax, rflags;
} __attribute__((aligned(16)));

#define SSE_FORM_FN(fn, text)                                                                \
    static void fn(struct sse_io *io)                                                        \
    {                                                                                        \
        asm volatile("movups 0(%0), %%xmm0\n\tmovups 16(%0), %%xmm1\n\tldmxcsr 32(%0)\n\t" \
                     "movq 40(%0), %%rax\n\t"                                                \
                     "cmp %%rsp, %%rsp\n\t"  /* known RFLAGS: ZF PF */                   \
                     "1: " text "\n2:\n\t" CASE_FIXUP("1b", "2b")                            \
                     "pushfq\n\tpopq 48(%0)\n\t"                                             \
                     "movups %%xmm0, 0(%0)\n\tstmxcsr 32(%0)\n\tmovq %%rax, 40(%0)"         \
                     : : "r"(io) : "rax", "memory", "cc" CASE_XMM_CLOBBERS);                   \
    }

/* The conversions with an MMX operand: mm2 is loaded from and stored to the
 * RAX slot, then EMMS */
#define SSE_MMX_FORM_FN(fn, text)                                                            \
    static void fn(struct sse_io *io)                                                        \
    {                                                                                        \
        asm volatile("movups 0(%0), %%xmm0\n\tmovups 16(%0), %%xmm1\n\tldmxcsr 32(%0)\n\t" \
                     "movq 40(%0), %%mm2\n\t"                                               \
                     "cmp %%rsp, %%rsp\n\t"                                                  \
                     "1: " text "\n2:\n\t" CASE_FIXUP("1b", "2b")                            \
                     "pushfq\n\tpopq 48(%0)\n\t"                                             \
                     "movups %%xmm0, 0(%0)\n\tstmxcsr 32(%0)\n\tmovq %%mm2, 40(%0)\n\temms"  \
                     : : "r"(io) : "memory", "cc" CASE_XMM_CLOBBERS CASE_MMX_CLOBBERS);      \
    }

/* Operand kinds: what goes into the source/destination elements */
enum { K_F32, K_F64, K_I32, K_I64 };

/* X(name, asm text, operand kind) */
#define SSE_FP_FORMS(X)                                                   \
    X(addps, "addps %%xmm1, %%xmm0", K_F32)                               \
    X(addss, "addss %%xmm1, %%xmm0", K_F32)                               \
    X(addpd, "addpd %%xmm1, %%xmm0", K_F64)                               \
    X(addsd, "addsd %%xmm1, %%xmm0", K_F64)                               \
    X(subps, "subps %%xmm1, %%xmm0", K_F32)                               \
    X(subss, "subss %%xmm1, %%xmm0", K_F32)                               \
    X(subpd, "subpd %%xmm1, %%xmm0", K_F64)                               \
    X(subsd, "subsd %%xmm1, %%xmm0", K_F64)                               \
    X(mulps, "mulps %%xmm1, %%xmm0", K_F32)                               \
    X(mulss, "mulss %%xmm1, %%xmm0", K_F32)                               \
    X(mulpd, "mulpd %%xmm1, %%xmm0", K_F64)                               \
    X(mulsd, "mulsd %%xmm1, %%xmm0", K_F64)                               \
    X(divps, "divps %%xmm1, %%xmm0", K_F32)                               \
    X(divss, "divss %%xmm1, %%xmm0", K_F32)                               \
    X(divpd, "divpd %%xmm1, %%xmm0", K_F64)                               \
    X(divsd, "divsd %%xmm1, %%xmm0", K_F64)                               \
    X(minps, "minps %%xmm1, %%xmm0", K_F32)                               \
    X(minss, "minss %%xmm1, %%xmm0", K_F32)                               \
    X(minpd, "minpd %%xmm1, %%xmm0", K_F64)                               \
    X(minsd, "minsd %%xmm1, %%xmm0", K_F64)                               \
    X(maxps, "maxps %%xmm1, %%xmm0", K_F32)                               \
    X(maxss, "maxss %%xmm1, %%xmm0", K_F32)                               \
    X(maxpd, "maxpd %%xmm1, %%xmm0", K_F64)                               \
    X(maxsd, "maxsd %%xmm1, %%xmm0", K_F64)                               \
    X(sqrtps, "sqrtps %%xmm1, %%xmm0", K_F32)                             \
    X(sqrtss, "sqrtss %%xmm1, %%xmm0", K_F32)                             \
    X(sqrtpd, "sqrtpd %%xmm1, %%xmm0", K_F64)                             \
    X(sqrtsd, "sqrtsd %%xmm1, %%xmm0", K_F64)                             \
    X(addps_m, "addps 16(%0), %%xmm0", K_F32)                             \
    X(mulsd_m, "mulsd 16(%0), %%xmm0", K_F64)                             \
    X(sqrtss_m, "sqrtss 16(%0), %%xmm0", K_F32)                           \
    X(rcpps, "rcpps %%xmm1, %%xmm0", K_F32)                               \
    X(rcpss, "rcpss %%xmm1, %%xmm0", K_F32)                               \
    X(rsqrtps, "rsqrtps %%xmm1, %%xmm0", K_F32)                           \
    X(rsqrtss, "rsqrtss %%xmm1, %%xmm0", K_F32)                           \
    X(andps, "andps %%xmm1, %%xmm0", K_F32)                               \
    X(andnps, "andnps %%xmm1, %%xmm0", K_F32)                             \
    X(orps, "orps %%xmm1, %%xmm0", K_F32)                                 \
    X(xorps, "xorps %%xmm1, %%xmm0", K_F32)                               \
    X(andpd, "andpd %%xmm1, %%xmm0", K_F64)                               \
    X(andnpd, "andnpd %%xmm1, %%xmm0", K_F64)                             \
    X(orpd, "orpd %%xmm1, %%xmm0", K_F64)                                 \
    X(xorpd, "xorpd %%xmm1, %%xmm0", K_F64)                               \
    X(cmpps0, "cmpps $0, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpps1, "cmpps $1, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpps2, "cmpps $2, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpps3, "cmpps $3, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpps4, "cmpps $4, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpps5, "cmpps $5, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpps6, "cmpps $6, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpps7, "cmpps $7, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpss1, "cmpss $1, %%xmm1, %%xmm0", K_F32)                          \
    X(cmpss4, "cmpss $4, %%xmm1, %%xmm0", K_F32)                          \
    X(cmppd2, "cmppd $2, %%xmm1, %%xmm0", K_F64)                          \
    X(cmppd3, "cmppd $3, %%xmm1, %%xmm0", K_F64)                          \
    X(cmpsd0, "cmpsd $0, %%xmm1, %%xmm0", K_F64)                          \
    X(cmpsd6, "cmpsd $6, %%xmm1, %%xmm0", K_F64)                          \
    X(comiss, "comiss %%xmm1, %%xmm0", K_F32)                             \
    X(ucomiss, "ucomiss %%xmm1, %%xmm0", K_F32)                           \
    X(comisd, "comisd %%xmm1, %%xmm0", K_F64)                             \
    X(ucomisd, "ucomisd %%xmm1, %%xmm0", K_F64)                           \
    X(cvtsi2ss_32, "cvtsi2ssl %%eax, %%xmm0", K_I32)                      \
    X(cvtsi2ss_64, "cvtsi2ssq %%rax, %%xmm0", K_I64)                      \
    X(cvtsi2sd_32, "cvtsi2sdl %%eax, %%xmm0", K_I32)                      \
    X(cvtsi2sd_64, "cvtsi2sdq %%rax, %%xmm0", K_I64)                      \
    X(cvtsi2ss_m, "cvtsi2ssl 16(%0), %%xmm0", K_I32)                      \
    X(cvtss2si_32, "cvtss2si %%xmm1, %%eax", K_F32)                       \
    X(cvtss2si_64, "cvtss2si %%xmm1, %%rax", K_F32)                       \
    X(cvttss2si_32, "cvttss2si %%xmm1, %%eax", K_F32)                     \
    X(cvttss2si_64, "cvttss2si %%xmm1, %%rax", K_F32)                     \
    X(cvtsd2si_32, "cvtsd2si %%xmm1, %%eax", K_F64)                       \
    X(cvtsd2si_64, "cvtsd2si %%xmm1, %%rax", K_F64)                       \
    X(cvttsd2si_32, "cvttsd2si %%xmm1, %%eax", K_F64)                     \
    X(cvttsd2si_64, "cvttsd2si %%xmm1, %%rax", K_F64)                     \
    X(cvttsd2si_m, "cvttsd2si 16(%0), %%eax", K_F64)                      \
    X(cvtps2pd, "cvtps2pd %%xmm1, %%xmm0", K_F32)                         \
    X(cvtpd2ps, "cvtpd2ps %%xmm1, %%xmm0", K_F64)                         \
    X(cvtss2sd, "cvtss2sd %%xmm1, %%xmm0", K_F32)                         \
    X(cvtsd2ss, "cvtsd2ss %%xmm1, %%xmm0", K_F64)                         \
    X(cvtdq2ps, "cvtdq2ps %%xmm1, %%xmm0", K_I32)                         \
    X(cvtps2dq, "cvtps2dq %%xmm1, %%xmm0", K_F32)                         \
    X(cvttps2dq, "cvttps2dq %%xmm1, %%xmm0", K_F32)                       \
    X(cvtdq2pd, "cvtdq2pd %%xmm1, %%xmm0", K_I32)                         \
    X(cvtpd2dq, "cvtpd2dq %%xmm1, %%xmm0", K_F64)                         \
    X(cvttpd2dq, "cvttpd2dq %%xmm1, %%xmm0", K_F64)                       \
    X(unpcklps, "unpcklps %%xmm1, %%xmm0", K_F32)                         \
    X(unpckhps, "unpckhps %%xmm1, %%xmm0", K_F32)                         \
    X(unpcklpd, "unpcklpd %%xmm1, %%xmm0", K_F64)                         \
    X(unpckhpd, "unpckhpd %%xmm1, %%xmm0", K_F64)                         \
    X(shufps, "shufps $0x1b, %%xmm1, %%xmm0", K_F32)                      \
    X(shufps_m, "shufps $0xd2, 16(%0), %%xmm0", K_F32)                    \
    X(shufpd, "shufpd $1, %%xmm1, %%xmm0", K_F64)                         \
    X(shufpd2, "shufpd $2, %%xmm1, %%xmm0", K_F64)                        \
    X(movss_rr, "movss %%xmm1, %%xmm0", K_F32)                            \
    X(movss_m, "movss 16(%0), %%xmm0", K_F32)                             \
    X(movsd_rr, "movsd %%xmm1, %%xmm0", K_F64)                            \
    X(movsd_m, "movsd 16(%0), %%xmm0", K_F64)                             \
    X(movhlps, "movhlps %%xmm1, %%xmm0", K_F32)                           \
    X(movlhps, "movlhps %%xmm1, %%xmm0", K_F32)                           \
    X(movlps_m, "movlps 16(%0), %%xmm0", K_F32)                           \
    X(movhps_m, "movhps 16(%0), %%xmm0", K_F32)                           \
    X(movlpd_m, "movlpd 16(%0), %%xmm0", K_F64)                           \
    X(movhpd_m, "movhpd 16(%0), %%xmm0", K_F64)                           \
    X(movups_m, "movups 16(%0), %%xmm0", K_F32)                           \
    X(movapd_rr, "movapd %%xmm1, %%xmm0", K_F64)                          \
    X(movmskps, "movmskps %%xmm1, %%eax", K_F32)                          \
    X(movmskpd, "movmskpd %%xmm1, %%rax", K_F64)

#define SSE_FP_MMX_FORMS(X)                                               \
    X(cvtpi2ps, "cvtpi2ps %%mm2, %%xmm0", K_I32)                          \
    X(cvtpi2ps_m, "cvtpi2ps 16(%0), %%xmm0", K_I32)                       \
    X(cvtpi2pd, "cvtpi2pd %%mm2, %%xmm0", K_I32)                          \
    X(cvtps2pi, "cvtps2pi %%xmm1, %%mm2", K_F32)                          \
    X(cvttps2pi, "cvttps2pi %%xmm1, %%mm2", K_F32)                        \
    X(cvtpd2pi, "cvtpd2pi %%xmm1, %%mm2", K_F64)                          \
    X(cvttpd2pi, "cvttpd2pi %%xmm1, %%mm2", K_F64)                        \
    X(cvttpd2pi_m, "cvttpd2pi 16(%0), %%mm2", K_F64)

/* ---- operands ---------------------------------------------------------- */
static u64 case_rng = 0x243f6a8885a308d3ull;
static u64 case_rand(void)
{
    case_rng ^= case_rng >> 12;
    case_rng ^= case_rng << 25;
    case_rng ^= case_rng >> 27;
    return case_rng * 0x2545f4914f6cdd1dull;
}
/* A float of M fraction bits and EB exponent bits with an interesting shape. */
static u64 case_fp(int m, int eb)
{
    u64 emax = (1ull << eb) - 1, frac = (1ull << m) - 1, r = case_rand();
    u64 sign = (r & 1) ? 1ull << (m + eb) : 0, f = case_rand() & frac;
    if ((r >> 1) & 1) f &= ~(frac >> (case_rand() % (u64)(m + 1)));
    switch ((r >> 2) % 12) {
    case 0: return sign;
    case 1: return sign | (f ? f : 1);                               /* denormal */
    case 2: return sign | (emax << m);                               /* infinity */
    case 3: return sign | (emax << m) | (1ull << (m - 1)) | f;       /* QNaN */
    case 4: return sign | (emax << m) | ((f >> 1) ? (f >> 1) : 1);   /* SNaN */
    case 5: return sign | ((1 + (r >> 8) % 3) << m) | f;             /* smallest normals */
    case 6: return sign | ((emax - 1 - (r >> 8) % 3) << m) | f;      /* largest */
    case 7: return sign | (((emax >> 1) + (r >> 8) % (u64)(m + 8)) << m) | f; /* integer-sized */
    case 8: return sign | (((emax >> 1) - 2 + (r >> 8) % 5) << m) | f;  /* around 1 */
    default: return sign | ((1 + (r >> 8) % (emax - 1)) << m) | f;  /* any normal */
    }
}
static u64 case_int(int bits)
{
    u64 v = case_rand(), n = 1 + case_rand() % (u64)bits;
    if (n < 64) v &= (1ull << n) - 1;
    if (case_rand() & 1) v = 0 - v;
    return bits == 32 ? (u32)v : v;
}
static u64 case_elements(int kind)
{
    switch (kind) {
    case K_F32: return case_fp(23, 8) | case_fp(23, 8) << 32;
    case K_F64: return case_fp(52, 11);
    case K_I32: return case_int(32) | case_int(32) << 32;
    default: return case_int(64);
    }
}
static u32 case_mxcsr(void)
{
    u64 r = case_rand();
    u32 m = 0x1f80 | (u32)((r & 3) << 13);          /* all masked, drawn rounding */
    if ((r >> 2) % 3 == 0) m |= 0x40;               /* DAZ */
    if ((r >> 4) % 3 == 0) m |= 0x8000;             /* FTZ */
    if ((r >> 6) % 4 == 0) m &= ~(u32)(((r >> 8) & 0x3f) << 7);  /* some exceptions unmasked */
    return m;
}
static void case_draw(struct sse_io *io, int kind)
{
    io->x[0] = case_elements(kind);
    io->x[1] = case_elements(kind);
    io->s[0] = case_elements(kind);
    io->s[1] = case_elements(kind);
    if ((case_rand() & 3) == 0) io->s[0] = io->x[0] ^ (case_rand() & 0x100000003ull);  /* close operands */
    io->mxcsr = case_mxcsr();
    io->rax = io->s[0];
    io->rflags = 0;
}

/* ---- outcome hash -------------------------------------------------------- */
static u64 case_fold(u64 h, u64 v)
{
    for (int k = 0; k < 8; k++) {
        h ^= (v >> (8 * k)) & 0xff;
        h *= 0x100000001b3ull;
    }
    return h;
}
/* RFLAGS bits an SSE instruction defines (or leaves): CF PF AF ZF SF OF */
#define CASE_RFLAGS_MASK 0x8d5ull

static u64 case_outcome(u64 h, const struct sse_io *io, int vector)
{
    h = case_fold(h, (u64)(vector + 1));
    h = case_fold(h, io->mxcsr);
    if (vector >= 0) return h;
    h = case_fold(h, io->x[0]);
    h = case_fold(h, io->x[1]);
    h = case_fold(h, io->rax);
    return case_fold(h, io->rflags & CASE_RFLAGS_MASK);
}
#define CASE_HASH_START 0xcbf29ce484222325ull

#endif
