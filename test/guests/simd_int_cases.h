/*
 * The MMX / SSE2 integer instruction cases that simd_int.c checks in the guest
 * and that simd_int_ref.c runs natively on an x86-64 host to produce the
 * expected values (simd_int_expected.h). Both include this file, so the guest
 * executes exactly the instructions and operands the host CPU answered for.
 *
 * Each operation is wrapped in small functions: xmm register and m128 source
 * forms, and (where the instruction has one) mm register and m64 source forms.
 */
#ifndef SIMD_INT_CASES_H
#define SIMD_INT_CASES_H

typedef unsigned long long q64;

/* ---- operand sets ---- */
/* pairs {a.lo, a.hi, b.lo, b.hi}: sign and saturation edges, then mixed patterns */
static const q64 simd_pairs[][4] __attribute__((aligned(16))) = {
    {0x80007fff0001ff80ull, 0x7f80000080017ffeull, 0x8000000100017f81ull, 0x7f81ffff80017fffull},
    {0xff00ff807f7f0102ull, 0x00ff80017fff8000ull, 0x01ff80807f810203ull, 0xff0180ff00018000ull},
    {0x0123456789abcdefull, 0xfedcba9876543210ull, 0x1111222233334444ull, 0xf0e1d2c3b4a59687ull},
    {0xffffffffffffffffull, 0x0000000000000000ull, 0x0000000000000001ull, 0xffffffffffffffffull},
    {0x8000000080000000ull, 0x7fffffff7fffffffull, 0x8000000080000000ull, 0x0000000100000001ull},
    {0x3c5a96e1f00f55aaull, 0xa55a0ff0c33c9669ull, 0xc3a5691e0ff0aa55ull, 0x5aa5f00f3cc36996ull},
};
#define SIMD_NPAIRS (sizeof(simd_pairs) / sizeof(simd_pairs[0]))

/* shift counts (low quadword of the count operand; the high one is ignored) */
static const q64 simd_counts[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 0x100000001ull};
#define SIMD_NCOUNTS (sizeof(simd_counts) / sizeof(simd_counts[0]))
static const q64 simd_shift_val[2] __attribute__((aligned(16))) = {0x8001f00f7ffe0180ull, 0xc0de12345678fedcull};
#define SIMD_COUNT_HIGH 0xdeadbeefcafef00dull  /* the count operand's ignored high quadword */

/* ---- two-operand instructions with an mm form and an xmm form ---- */
#define SIMD_BIN_BOTH(X) \
    X(paddb) X(paddw) X(paddd) X(paddq) X(psubb) X(psubw) X(psubd) X(psubq) \
    X(paddsb) X(paddsw) X(paddusb) X(paddusw) X(psubsb) X(psubsw) X(psubusb) X(psubusw) \
    X(pmullw) X(pmulhw) X(pmulhuw) X(pmuludq) X(pmaddwd) X(pavgb) X(pavgw) \
    X(pminub) X(pmaxub) X(pminsw) X(pmaxsw) X(psadbw) \
    X(pcmpeqb) X(pcmpeqw) X(pcmpeqd) X(pcmpgtb) X(pcmpgtw) X(pcmpgtd) \
    X(pand) X(pandn) X(por) X(pxor) \
    X(punpcklbw) X(punpcklwd) X(punpckldq) X(punpckhbw) X(punpckhwd) X(punpckhdq) \
    X(packsswb) X(packssdw) X(packuswb)
/* xmm only */
#define SIMD_BIN_XMM(X) X(punpcklqdq) X(punpckhqdq)
/* shifts by a register / memory count */
#define SIMD_SHIFT(X) X(psllw) X(pslld) X(psllq) X(psrlw) X(psrld) X(psrlq) X(psraw) X(psrad)

/* immediate shifts (groups 12/13/14) and the xmm-only byte shifts */
#define SIMD_IMMS(X, op) X(op, 0) X(op, 1) X(op, 3) X(op, 7) X(op, 8) X(op, 15) X(op, 16) X(op, 17) X(op, 31) \
    X(op, 32) X(op, 63) X(op, 64) X(op, 200) X(op, 255)
#define SIMD_SHIFT_IMM(X) \
    SIMD_IMMS(X, psllw) SIMD_IMMS(X, pslld) SIMD_IMMS(X, psllq) SIMD_IMMS(X, psrlw) SIMD_IMMS(X, psrld) \
    SIMD_IMMS(X, psrlq) SIMD_IMMS(X, psraw) SIMD_IMMS(X, psrad)
#define SIMD_BYTESHIFT_IMM(X) SIMD_IMMS(X, pslldq) SIMD_IMMS(X, psrldq)

/* shuffles by imm8 */
#define SIMD_SHUF_IMMS(X, op) X(op, 0x00) X(op, 0x1b) X(op, 0xe4) X(op, 0x4e) X(op, 0xff) X(op, 0x39) X(op, 0xd8)
#define SIMD_SHUF_MMX(X) SIMD_SHUF_IMMS(X, pshufw)
#define SIMD_SHUF_XMM(X) SIMD_SHUF_IMMS(X, pshufd) SIMD_SHUF_IMMS(X, pshufhw) SIMD_SHUF_IMMS(X, pshuflw)

/* ---- the wrappers ----
 * Vectors live in memory (q64[2]) and move through explicit registers inside the
 * asm, so the C code around them never needs a vector instruction of its own.
 * xmm: the result of OP xmm0, xmm1 (register source) or OP xmm0, m128; mm: OP mm0, mm1 or OP mm0, m64.
 */
#define NOINL __attribute__((noinline))
#define V128(p) (*(q64(*)[2])(p))
#define C128(p) (*(const q64(*)[2])(p))
#define DEF_BIN_X(op) \
    static NOINL void op##_xr(q64 *r, const q64 *a, const q64 *b) { \
        asm volatile("movdqu %1, %%xmm0\n\tmovdqu %2, %%xmm1\n\t" #op " %%xmm1, %%xmm0\n\tmovdqu %%xmm0, %0" \
                     : "=m"(V128(r)) : "m"(C128(a)), "m"(C128(b)) : "xmm0", "xmm1"); } \
    static NOINL void op##_xm(q64 *r, const q64 *a, const q64 *b) { \
        asm volatile("movdqu %1, %%xmm0\n\t" #op " %2, %%xmm0\n\tmovdqu %%xmm0, %0" \
                     : "=m"(V128(r)) : "m"(C128(a)), "m"(C128(b)) : "xmm0"); }
#define DEF_BIN_M(op) \
    static NOINL q64 op##_mr(q64 a, q64 b) { \
        asm volatile("movq %1, %%mm0\n\tmovq %2, %%mm1\n\t" #op " %%mm1, %%mm0\n\tmovq %%mm0, %0" : "=r"(a) : "r"(a), "r"(b) : "mm0", "mm1"); \
        return a; } \
    static NOINL q64 op##_mm(q64 a, const q64 *b) { \
        asm volatile("movq %1, %%mm0\n\t" #op " %2, %%mm0\n\tmovq %%mm0, %0" : "=r"(a) : "r"(a), "m"(*b) : "mm0"); \
        return a; }
#define DEF_BIN_BOTH(op) DEF_BIN_X(op) DEF_BIN_M(op)
SIMD_BIN_BOTH(DEF_BIN_BOTH)
SIMD_BIN_XMM(DEF_BIN_X)
SIMD_SHIFT(DEF_BIN_BOTH)

#define DEF_IMM_X(op, n) \
    static NOINL void op##_x##n(q64 *r, const q64 *a) { \
        asm volatile("movdqu %1, %%xmm2\n\t" #op " %2, %%xmm2\n\tmovdqu %%xmm2, %0" : "=m"(V128(r)) : "m"(C128(a)), "i"(n) : "xmm2"); }
#define DEF_IMM_BOTH(op, n) DEF_IMM_X(op, n) \
    static NOINL q64 op##_m##n(q64 a) { \
        asm volatile("movq %1, %%mm2\n\t" #op " %2, %%mm2\n\tmovq %%mm2, %0" : "=r"(a) : "r"(a), "i"(n) : "mm2"); \
        return a; }
SIMD_SHIFT_IMM(DEF_IMM_BOTH)
SIMD_BYTESHIFT_IMM(DEF_IMM_X)

#define DEF_SHUF_X(op, n) \
    static NOINL void op##_x##n(q64 *r, const q64 *a, const q64 *b) { \
        asm volatile("movdqu %1, %%xmm0\n\tmovdqu %2, %%xmm1\n\t" #op " %3, %%xmm1, %%xmm0\n\tmovdqu %%xmm0, %0" \
                     : "=m"(V128(r)) : "m"(C128(a)), "m"(C128(b)), "i"(n) : "xmm0", "xmm1"); } \
    static NOINL void op##_xm##n(q64 *r, const q64 *a, const q64 *b) { \
        asm volatile("movdqu %1, %%xmm0\n\t" #op " %3, %2, %%xmm0\n\tmovdqu %%xmm0, %0" \
                     : "=m"(V128(r)) : "m"(C128(a)), "m"(C128(b)), "i"(n) : "xmm0"); }
#define DEF_SHUF_M(op, n) \
    static NOINL q64 op##_m##n(q64 a, q64 b) { \
        asm volatile("movq %1, %%mm0\n\tmovq %2, %%mm1\n\t" #op " %3, %%mm1, %%mm0\n\tmovq %%mm0, %0" : "=r"(a) : "r"(a), "r"(b), "i"(n) : "mm0", "mm1"); \
        return a; } \
    static NOINL q64 op##_mm##n(q64 a, const q64 *b) { \
        asm volatile("movq %1, %%mm0\n\t" #op " %3, %2, %%mm0\n\tmovq %%mm0, %0" : "=r"(a) : "r"(a), "m"(*b), "i"(n) : "mm0"); \
        return a; }
SIMD_SHUF_MMX(DEF_SHUF_M)
SIMD_SHUF_XMM(DEF_SHUF_X)

/* ---- tables ---- */
struct simd_bin {
    const char *name;
    void (*xr)(q64 *, const q64 *, const q64 *);
    void (*xm)(q64 *, const q64 *, const q64 *);  /* the source operand must be 16-byte aligned */
    q64 (*mr)(q64, q64);  /* 0: no mm form */
    q64 (*mm)(q64, const q64 *);
};
#define ROW_BOTH(op) {#op, op##_xr, op##_xm, op##_mr, op##_mm},
#define ROW_X(op) {#op, op##_xr, op##_xm, 0, 0},
static const struct simd_bin simd_bins[] = {SIMD_BIN_BOTH(ROW_BOTH) SIMD_BIN_XMM(ROW_X)};
static const struct simd_bin simd_shifts[] = {SIMD_SHIFT(ROW_BOTH)};
#define SIMD_NBINS (sizeof(simd_bins) / sizeof(simd_bins[0]))
#define SIMD_NSHIFTS (sizeof(simd_shifts) / sizeof(simd_shifts[0]))

struct simd_imm {
    const char *name;
    int imm;
    void (*x)(q64 *, const q64 *);
    q64 (*m)(q64);  /* 0: no mm form */
};
#define ROW_IMM_BOTH(op, n) {#op, n, op##_x##n, op##_m##n},
#define ROW_IMM_X(op, n) {#op, n, op##_x##n, 0},
static const struct simd_imm simd_imms[] = {SIMD_SHIFT_IMM(ROW_IMM_BOTH) SIMD_BYTESHIFT_IMM(ROW_IMM_X)};
#define SIMD_NIMMS (sizeof(simd_imms) / sizeof(simd_imms[0]))

struct simd_shuf {
    const char *name;
    int imm;
    void (*x)(q64 *, const q64 *, const q64 *);
    void (*xm)(q64 *, const q64 *, const q64 *);
    q64 (*m)(q64, q64);
    q64 (*mm)(q64, const q64 *);
};
#define ROW_SHUF_X(op, n) {#op, n, op##_x##n, op##_xm##n, 0, 0},
#define ROW_SHUF_M(op, n) {#op, n, 0, 0, op##_m##n, op##_mm##n},
static const struct simd_shuf simd_shufs[] = {SIMD_SHUF_MMX(ROW_SHUF_M) SIMD_SHUF_XMM(ROW_SHUF_X)};
#define SIMD_NSHUFS (sizeof(simd_shufs) / sizeof(simd_shufs[0]))

/* PMOVMSKB, PEXTRW (the destination register starts all ones: the result is zero-extended), PINSRW */
static NOINL unsigned pmovmskb_x(const q64 *a) {
    unsigned r;
    asm volatile("movdqu %1, %%xmm3\n\tpmovmskb %%xmm3, %0" : "=r"(r) : "m"(C128(a)) : "xmm3");
    return r; }
static NOINL unsigned pmovmskb_m(q64 a) {
    unsigned r;
    asm volatile("movq %1, %%mm3\n\tpmovmskb %%mm3, %0" : "=r"(r) : "r"(a) : "mm3");
    return r; }
#define SIMD_WORD_IMMS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(9) X(14)
#define DEF_WORD(n) \
    static NOINL q64 pextrw_x##n(const q64 *a) { \
        q64 r = ~0ull; \
        asm volatile("movdqu %1, %%xmm3\n\tpextrw %2, %%xmm3, %k0" : "+r"(r) : "m"(C128(a)), "i"(n) : "xmm3"); \
        return r; } \
    static NOINL q64 pextrw_m##n(q64 a) { \
        q64 r = ~0ull; \
        asm volatile("movq %1, %%mm3\n\tpextrw %2, %%mm3, %k0" : "+r"(r) : "r"(a), "i"(n) : "mm3"); \
        return r; } \
    static NOINL void pinsrw_x##n(q64 *r, const q64 *a, unsigned w) { \
        asm volatile("movdqu %1, %%xmm3\n\tpinsrw %3, %2, %%xmm3\n\tmovdqu %%xmm3, %0" : "=m"(V128(r)) : "m"(C128(a)), "r"(w), "i"(n) : "xmm3"); } \
    static NOINL void pinsrw_xm##n(q64 *r, const q64 *a, const unsigned short *w) { \
        asm volatile("movdqu %1, %%xmm3\n\tpinsrw %3, %2, %%xmm3\n\tmovdqu %%xmm3, %0" : "=m"(V128(r)) : "m"(C128(a)), "m"(*w), "i"(n) : "xmm3"); } \
    static NOINL q64 pinsrw_m##n(q64 a, unsigned w) { \
        asm volatile("movq %1, %%mm3\n\tpinsrw %3, %2, %%mm3\n\tmovq %%mm3, %0" : "=r"(a) : "r"(a), "r"(w), "i"(n) : "mm3"); \
        return a; } \
    static NOINL q64 pinsrw_mm##n(q64 a, const unsigned short *w) { \
        asm volatile("movq %1, %%mm3\n\tpinsrw %3, %2, %%mm3\n\tmovq %%mm3, %0" : "=r"(a) : "r"(a), "m"(*w), "i"(n) : "mm3"); \
        return a; }
SIMD_WORD_IMMS(DEF_WORD)
struct simd_word {
    int imm;
    q64 (*extr_x)(const q64 *);
    q64 (*extr_m)(q64);
    void (*ins_x)(q64 *, const q64 *, unsigned);
    void (*ins_xm)(q64 *, const q64 *, const unsigned short *);
    q64 (*ins_m)(q64, unsigned);
    q64 (*ins_mm)(q64, const unsigned short *);
};
#define ROW_WORD(n) {n, pextrw_x##n, pextrw_m##n, pinsrw_x##n, pinsrw_xm##n, pinsrw_m##n, pinsrw_mm##n},
static const struct simd_word simd_words[] = {SIMD_WORD_IMMS(ROW_WORD)};
#define SIMD_NWORDS (sizeof(simd_words) / sizeof(simd_words[0]))
#define SIMD_INSERT_DWORD 0x1234a5c3u  /* PINSRW takes the low word of the register, */
#define SIMD_INSERT_WORD 0xa5c3u       /* or this word from memory */

#endif
