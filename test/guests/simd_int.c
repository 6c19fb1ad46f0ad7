/*
 * simd_int: the MMX and SSE2 integer instructions. Every arithmetic, compare,
 * logic, shift, pack/unpack and shuffle instruction runs in its mm and xmm
 * forms, register and memory source, over operand sets whose results the host
 * CPU computed (simd_int_expected.h, from simd_int_ref.c). Then the moves
 * (MOVD/MOVQ in every direction, MOVDQA/MOVDQU, MOVQ2DQ/MOVDQ2Q, the
 * non-temporal and masked stores), the MMX state transitions (TOP=0, tags
 * valid, exponent all ones, EMMS) and the architectural faults (#UD with
 * CR0.EM or without CR4.OSFXSR, #NM with CR0.TS, #MF for a pending x87
 * exception, #GP for a misaligned m128, #UD for register-only forms with memory).
 */
#include "guest.h"
#include "simd_int_cases.h"
#include "simd_int_expected.h"

#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

static q64 vmem[2] __attribute__((aligned(16)));
static q64 qmem;

static void emms(void) { asm volatile("emms"); }
static int eq128(const q64 *r, const q64 *e) { return r[0] == e[0] && r[1] == e[1]; }

/* ---- table-driven checks against the host's answers ---- */
static void check_bins(void)
{
    static q64 xr[2], xm[2];
    for (unsigned o = 0; o < SIMD_NBINS; o++) {
        const struct simd_bin *b = &simd_bins[o];
        int ok = 1;
        unsigned bad = 0;
        for (unsigned p = 0; p < SIMD_NPAIRS && ok; p++) {
            const q64 *v = simd_pairs[p], *e = exp_bin[o][p];
            b->xr(xr, v, v + 2);
            b->xm(xm, v, v + 2);  /* v + 2 is 16-byte aligned */
            q64 mr = e[2], mm = e[2];
            if (b->mr) {
                qmem = v[2];
                mr = b->mr(v[0], v[2]);
                mm = b->mm(v[0], &qmem);
                emms();
            }
            ok = eq128(xr, e) && eq128(xm, e) && mr == e[2] && mm == e[2];
            if (!ok)
                report_info("%s set %u: xmm %llx:%llx m128 %llx:%llx mm %llx m64 %llx, want %llx:%llx mm %llx", b->name, p,
                            xr[1], xr[0], xm[1], xm[0], mr, mm, e[1], e[0], e[2]);
            bad = p;
        }
        report(ok, "%s %s (operand set %u)", b->name, b->mr ? "mm,mm/m64 and xmm,xmm/m128" : "xmm,xmm/m128", bad);
    }
}

static void check_shifts(void)
{
    static q64 xr[2], xm[2];
    for (unsigned o = 0; o < SIMD_NSHIFTS; o++) {
        const struct simd_bin *b = &simd_shifts[o];
        int ok = 1;
        unsigned bad = 0;
        for (unsigned k = 0; k < SIMD_NCOUNTS && ok; k++) {
            const q64 *e = exp_shift[o][k];
            vmem[0] = simd_counts[k];
            vmem[1] = SIMD_COUNT_HIGH;
            qmem = simd_counts[k];
            b->xr(xr, simd_shift_val, vmem);
            b->xm(xm, simd_shift_val, vmem);
            q64 mr = b->mr(simd_shift_val[0], simd_counts[k]), mm = b->mm(simd_shift_val[0], &qmem);
            emms();
            ok = eq128(xr, e) && eq128(xm, e) && mr == e[2] && mm == e[2];
            bad = k;
        }
        report(ok, "%s by register and memory count, mm and xmm (count 0x%llx)", b->name, simd_counts[bad]);
    }
    const char *cur = 0;
    int ok = 1, bad_imm = 0;
    for (unsigned o = 0; o <= SIMD_NIMMS; o++) {
        if (o == SIMD_NIMMS || (cur && strcmp(cur, simd_imms[o].name))) {
            report(ok, "%s by imm8 (0F 71/72/73 group), %s (imm %d)", cur, simd_imms[o - 1].m ? "mm and xmm" : "xmm", bad_imm);
            ok = 1;
            if (o == SIMD_NIMMS) break;
        }
        cur = simd_imms[o].name;
        const q64 *e = exp_imm[o];
        simd_imms[o].x(xr, simd_shift_val);
        int good = eq128(xr, e);
        if (simd_imms[o].m) {
            good &= simd_imms[o].m(simd_shift_val[0]) == e[2];
            emms();
        }
        if (ok && !good) bad_imm = simd_imms[o].imm;
        ok &= good;
    }
}

static void check_shuffles(void)
{
    static q64 r[2], rm[2];
    for (unsigned o = 0; o < SIMD_NSHUFS; o++) {
        const struct simd_shuf *s = &simd_shufs[o];
        int ok = 1;
        for (unsigned p = 0; p < SIMD_NPAIRS; p++) {
            const q64 *v = simd_pairs[p], *e = exp_shuf[o][p];
            if (s->x) {
                s->x(r, v, v + 2);
                s->xm(rm, v, v + 2);
                ok &= eq128(r, e) && eq128(rm, e);
            } else {
                qmem = v[2];
                ok &= s->m(v[0], v[2]) == e[2] && s->mm(v[0], &qmem) == e[2];
                emms();
            }
        }
        report(ok, "%s imm 0x%02x, register and memory source", s->name, s->imm);
    }
}

static void check_words(void)
{
    static q64 ix[2], ixm[2];
    int ok = 1;
    for (unsigned p = 0; p < SIMD_NPAIRS; p++) {
        ok &= pmovmskb_x(simd_pairs[p]) == exp_movmsk[p][0] && pmovmskb_m(simd_pairs[p][0]) == exp_movmsk[p][1];
        emms();
    }
    report(ok, "PMOVMSKB r32, mm and r32, xmm");
    static const unsigned short word = SIMD_INSERT_WORD;
    for (unsigned w = 0; w < SIMD_NWORDS; w++) {
        const struct simd_word *s = &simd_words[w];
        int ex = 1, in = 1;
        for (unsigned p = 0; p < SIMD_NPAIRS; p++) {
            const q64 *v = simd_pairs[p], *e = exp_word[w][p];
            ex &= s->extr_x(v) == e[0] && s->extr_m(v[0]) == e[1];
            s->ins_x(ix, v, SIMD_INSERT_DWORD);
            s->ins_xm(ixm, v, &word);
            in &= eq128(ix, e + 2) && eq128(ixm, e + 2);
            in &= s->ins_m(v[0], SIMD_INSERT_DWORD) == e[4] && s->ins_mm(v[0], &word) == e[4];
            emms();
        }
        report(ex, "PEXTRW r32, mm/xmm, %d: word zero-extended into the full register", s->imm);
        report(in, "PINSRW mm/xmm, r32/m16, %d", s->imm);
    }
}

/* ---- moves ---- */
static void check_moves(void)
{
    q64 r64;
    static u32 m32;
    static u8 buf[64] __attribute__((aligned(16)));

    /* MOVD/MOVQ with general registers and memory, mm side */
    asm volatile("movq %1, %%mm0\n\tmovd %2, %%mm0\n\tmovq %%mm0, %0" : "=r"(r64) : "r"(~0ull), "r"(0x89abcdefu));
    report(r64 == 0x89abcdefull, "MOVD mm, r32 zero-extends (0x%llx)", r64);
    m32 = 0x13579bdf;
    asm volatile("movq %1, %%mm1\n\tmovd %2, %%mm1\n\tmovq %%mm1, %0" : "=r"(r64) : "r"(~0ull), "m"(m32));
    report(r64 == 0x13579bdfull, "MOVD mm, m32 zero-extends");
    r64 = ~0ull;
    asm volatile("movq %1, %%mm2\n\tmovd %%mm2, %k0" : "+r"(r64) : "r"(0x1122334455667788ull));
    report(r64 == 0x55667788ull, "MOVD r32, mm writes the low dword, zero-extended to 64 bits (0x%llx)", r64);
    asm volatile("movq %1, %%mm3\n\tmovd %%mm3, %0" : "=m"(m32) : "r"(0x1122334455667788ull));
    report(m32 == 0x55667788u, "MOVD m32, mm");
    asm volatile("movq %2, %%mm4\n\tmovq %%mm4, %0\n\tmovq %%mm4, %1" : "=r"(r64), "=m"(qmem) : "r"(0xfedcba9876543210ull));
    report(r64 == 0xfedcba9876543210ull && qmem == r64, "MOVQ mm, r64 / MOVQ r64, mm / MOVQ m64, mm");
    qmem = 0x0f1e2d3c4b5a6978ull;
    asm volatile("movq %1, %%mm5\n\tmovq %%mm5, %%mm6\n\tmovq %%mm6, %0" : "=r"(r64) : "m"(qmem));
    report(r64 == 0x0f1e2d3c4b5a6978ull, "MOVQ mm, m64 and MOVQ mm, mm");
    /* 0F 7F with a register destination (MOVQ mm/m64, mm) */
    asm volatile("movq %1, %%mm1\n\t.byte 0x0f, 0x7f, 0xca\n\tmovq %%mm2, %0" : "=r"(r64) : "r"(0x600dd00dfeedf00dull));
    report(r64 == 0x600dd00dfeedf00dull, "MOVQ mm, mm through 0F 7F");
    emms();

    /* xmm side: xmm0 starts all ones so the zero extension shows */
    static const q64 ones[2] = {~0ull, ~0ull}, pat[2] = {0x1122334455667788ull, 0xaabbccdd99887766ull};
    static q64 x[2];
#define XMM0_ONES "movdqu %[ones], %%xmm0\n\t"
#define XMM0_OUT "\n\tmovdqu %%xmm0, %[x]"
    asm volatile(XMM0_ONES "movd %[v], %%xmm0" XMM0_OUT : [x] "=m"(x) : [ones] "m"(ones), [v] "r"(0x89abcdefu) : "xmm0");
    report(x[0] == 0x89abcdefull && x[1] == 0, "MOVD xmm, r32 zero-extends to 128 bits");
    asm volatile(XMM0_ONES "movq %[v], %%xmm0" XMM0_OUT : [x] "=m"(x) : [ones] "m"(ones), [v] "r"(0xfedcba9876543210ull) : "xmm0");
    report(x[0] == 0xfedcba9876543210ull && x[1] == 0, "MOVQ xmm, r64 zero-extends");
    m32 = 0x2468ace0;
    asm volatile(XMM0_ONES "movd %[v], %%xmm0" XMM0_OUT : [x] "=m"(x) : [ones] "m"(ones), [v] "m"(m32) : "xmm0");
    report(x[0] == 0x2468ace0ull && x[1] == 0, "MOVD xmm, m32 zero-extends");
    r64 = ~0ull;
    asm volatile("movdqu %1, %%xmm1\n\tmovd %%xmm1, %k0" : "+r"(r64) : "m"(pat) : "xmm1");
    report(r64 == 0x55667788ull, "MOVD r32, xmm zero-extends into the 64-bit register");
    asm volatile("movdqu %1, %%xmm1\n\tmovq %%xmm1, %0" : "=r"(r64) : "m"(pat) : "xmm1");
    report(r64 == 0x1122334455667788ull, "MOVQ r64, xmm");
    asm volatile("movdqu %1, %%xmm1\n\tmovd %%xmm1, %0" : "=m"(m32) : "m"(pat) : "xmm1");
    report(m32 == 0x55667788u, "MOVD m32, xmm");
    asm volatile(XMM0_ONES "movdqu %[p], %%xmm1\n\tmovq %%xmm1, %%xmm0" XMM0_OUT : [x] "=m"(x) : [ones] "m"(ones), [p] "m"(pat) : "xmm0", "xmm1");
    report(x[0] == pat[0] && x[1] == 0, "MOVQ xmm, xmm (F3 0F 7E) clears the upper quadword");
    qmem = 0x5555aaaa5555aaaaull;
    asm volatile(XMM0_ONES "movq %[v], %%xmm0" XMM0_OUT : [x] "=m"(x) : [ones] "m"(ones), [v] "m"(qmem) : "xmm0");
    report(x[0] == 0x5555aaaa5555aaaaull && x[1] == 0, "MOVQ xmm, m64 clears the upper quadword");
    asm volatile("movdqu %1, %%xmm1\n\tmovq %%xmm1, %0" : "=m"(qmem) : "m"(pat) : "xmm1");
    report(qmem == pat[0], "MOVQ m64, xmm (66 0F D6)");
    /* 66 0F D6 /r with a register destination: movq xmm0 <- xmm1 */
    asm volatile(XMM0_ONES "movdqu %[p], %%xmm1\n\t.byte 0x66, 0x0f, 0xd6, 0xc8" XMM0_OUT : [x] "=m"(x) : [ones] "m"(ones), [p] "m"(pat) : "xmm0", "xmm1");
    report(x[0] == pat[0] && x[1] == 0, "MOVQ xmm, xmm (66 0F D6) clears the destination's upper quadword");

    /* MOVDQA / MOVDQU */
    static q64 a[2], u[2];
    for (unsigned k = 0; k < 64; k++) buf[k] = (u8)(k * 7 + 1);
    asm volatile("movdqa 16(%2), %%xmm0\n\tmovdqu 3(%2), %%xmm1\n\tmovdqu %%xmm0, %0\n\tmovdqu %%xmm1, %1"
                 : "=m"(a), "=m"(u) : "r"(buf), "m"(*(u8(*)[64])buf) : "xmm0", "xmm1");
    report(!memcmp(a, buf + 16, 16) && !memcmp(u, buf + 3, 16), "MOVDQA aligned load, MOVDQU misaligned load");
    static const q64 seq16[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    asm volatile("movdqu %1, %%xmm2\n\tmovdqu %%xmm2, 33(%2)" : "=m"(*(u8(*)[64])buf) : "m"(seq16), "r"(buf) : "xmm2");
    int seq = 1;
    for (unsigned k = 0; k < 16; k++) seq &= buf[33 + k] == k;
    report(seq && buf[32] == (u8)(32 * 7 + 1) && buf[49] == (u8)(49 * 7 + 1), "MOVDQU misaligned store writes exactly 16 bytes");
    asm volatile("movdqu %1, %%xmm2\n\tmovdqa %%xmm2, 16(%2)" : "=m"(*(u8(*)[64])buf) : "m"(seq16), "r"(buf) : "xmm2");
    report(!memcmp(buf + 16, seq16, 16), "MOVDQA aligned store");
    catch_begin();
    asm volatile("1: movdqa 8(%0), %%xmm0\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(buf) : "xmm0");
    report(caught_vec == 13 && caught_err == 0, "MOVDQA from a misaligned m128 is #GP(0) (got %d)", caught_vec);
    catch_begin();
    asm volatile("1: movdqa %%xmm0, 8(%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(buf) : "memory");
    report(caught_vec == 13, "MOVDQA to a misaligned m128 is #GP");
    catch_begin();
    asm volatile("1: paddb 4(%0), %%xmm0\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(buf) : "xmm0");
    report(caught_vec == 13, "PADDB xmm, m128 misaligned is #GP (legacy SSE alignment)");
    catch_begin();
    asm volatile("1: paddb 4(%0), %%mm0\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(buf));
    report(caught_vec == -1, "PADDB mm, m64 misaligned is fine");
    emms();

    /* MOVQ2DQ / MOVDQ2Q */
    asm volatile(XMM0_ONES "movq %[v], %%mm7\n\tmovq2dq %%mm7, %%xmm0" XMM0_OUT : [x] "=m"(x) : [ones] "m"(ones), [v] "r"(0xa1b2c3d4e5f60718ull) : "xmm0");
    report(x[0] == 0xa1b2c3d4e5f60718ull && x[1] == 0, "MOVQ2DQ xmm, mm clears the upper quadword");
    asm volatile("movdqu %1, %%xmm1\n\tmovdq2q %%xmm1, %%mm3\n\tmovq %%mm3, %0" : "=r"(r64) : "m"(pat) : "xmm1");
    report(r64 == pat[0], "MOVDQ2Q mm, xmm");
    emms();

    /* non-temporal stores */
    asm volatile("movq %1, %%mm0\n\tmovntq %%mm0, %0" : "=m"(qmem) : "r"(0x7777666655554444ull));
    report(qmem == 0x7777666655554444ull, "MOVNTQ m64, mm");
    emms();
    asm volatile("movdqu %1, %%xmm2\n\tmovntdq %%xmm2, %0" : "=m"(vmem) : "m"(pat) : "xmm2");
    report(eq128(vmem, pat), "MOVNTDQ m128, xmm");
    catch_begin();
    asm volatile("1: movntdq %%xmm0, 8(%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(buf) : "memory");
    report(caught_vec == 13, "MOVNTDQ to a misaligned m128 is #GP");
    asm volatile("movnti %1, %0" : "=m"(m32) : "r"(0xc001d00du));
    asm volatile("movnti %1, %0" : "=m"(qmem) : "r"(0xc001d00dfee1900dull));
    report(m32 == 0xc001d00du && qmem == 0xc001d00dfee1900dull, "MOVNTI m32, r32 and m64, r64");

    /* masked stores: bytes whose mask byte has bit 7 set */
    memset(buf, 0xee, sizeof(buf));
    asm volatile("movq %0, %%mm0\n\tmovq %1, %%mm1\n\tmaskmovq %%mm1, %%mm0"
                 :: "r"(0x0807060504030201ull), "r"(0x80ff007f01800000ull), "D"(buf + 1) : "memory");
    emms();
    static const u8 want_q[10] = {0xee, 0xee, 0xee, 0x03, 0xee, 0xee, 0xee, 0x07, 0x08, 0xee};
    report(!memcmp(buf, want_q, 10), "MASKMOVQ writes the selected bytes to DS:RDI");
    static const q64 mdata[2] = {0x0807060504030201ull, 0x100f0e0d0c0b0a09ull}, mmask[2] = {0x8000000000000080ull, 0xff000000000000f0ull};
    static const q64 zero[2] = {0, 0}, bit7[2] = {0x80, 0}, b11[2] = {0x11, 0};
#define MASKMOV(pre, d, m, di) \
    asm volatile("movdqu %0, %%xmm0\n\tmovdqu %1, %%xmm1\n1:\t" pre "maskmovdqu %%xmm1, %%xmm0\n2:\n\t" EX_FIXUP("1b", "2b") \
                 :: "m"(d), "m"(m), "D"(di) : "xmm0", "xmm1", "memory")
    memset(buf, 0xee, sizeof(buf));
    catch_begin();
    MASKMOV("", mdata, mmask, buf);
    int mq = caught_vec == -1 && buf[0] == 1 && buf[7] == 8 && buf[8] == 9 && buf[15] == 0x10;
    for (unsigned k = 1; k < 7; k++) mq &= buf[k] == 0xee;
    for (unsigned k = 9; k < 15; k++) mq &= buf[k] == 0xee;
    report(mq && buf[16] == 0xee, "MASKMOVDQU writes the selected bytes to DS:RDI");
    memset(buf, 0xee, sizeof(buf));
    /* addr32: EDI, not RDI (bit 32 set in RDI would address unmapped memory) */
    catch_begin();
    MASKMOV("addr32 ", b11, bit7, (q64)(u64)buf | (1ull << 32));
    report(caught_vec == -1 && buf[0] == 0x11 && buf[1] == 0xee, "MASKMOVDQU with address-size 32 stores through EDI");
    memset(buf, 0xee, sizeof(buf));
    catch_begin();
    MASKMOV("", mdata, zero, buf);
    report(caught_vec == -1 && buf[0] == 0xee && buf[15] == 0xee, "MASKMOVDQU with an all-zero mask writes nothing");
    catch_begin();
    MASKMOV("", zero, zero, 0x8000000000000000ull);
    report(caught_vec == 13, "MASKMOVDQU checks its destination even with an all-zero mask (non-canonical RDI: #GP, got %d)", caught_vec);
    catch_begin();
    MASKMOV("", zero, bit7, 0x8000000000000000ull);
    report(caught_vec == 13, "MASKMOVDQU to a non-canonical address is #GP (got %d)", caught_vec);
}

/* ---- the x87/MMX state ---- */
static u8 fx[512] __attribute__((aligned(16)));
static void fxsave(void) { asm volatile("fxsave64 %0" : "=m"(fx)); }
static void fxrstor(void) { asm volatile("fxrstor64 %0" :: "m"(fx)); }
static u16 fx16(unsigned at) { u16 v; memcpy(&v, fx + at, 2); return v; }
static u64 fx64(unsigned at) { u64 v; memcpy(&v, fx + at, 8); return v; }

static void check_state(void)
{
    fxsave();
    fx[4] = 0;                                    /* all tags empty */
    u16 fsw = (u16)((fx16(2) & ~0x3800) | (5 << 11));  /* TOP = 5 */
    memcpy(fx + 2, &fsw, 2);
    fxrstor();
    asm volatile("movq %0, %%mm3\n\tpaddb %%mm3, %%mm3" :: "r"(0x0102030405060708ull));
    fxsave();
    report(((fx16(2) >> 11) & 7) == 0, "an MMX instruction sets TOP to 0 (FSW 0x%x)", fx16(2));
    report(fx[4] == 0xff, "an MMX instruction tags every register valid (abridged 0x%x)", fx[4]);
    /* TOP = 0: ST(3) is mm3 */
    report(fx64(32 + 16 * 3) == 0x020406080a0c0e10ull && fx16(40 + 16 * 3) == 0xffff,
           "mm3 is the significand of R3; the MMX write set its exponent field to all ones (0x%x)", fx16(40 + 16 * 3));
    fsw = (u16)((fx16(2) & ~0x3800) | (3 << 11));  /* TOP = 3 */
    memcpy(fx + 2, &fsw, 2);
    fxrstor();
    emms();
    fxsave();
    report(fx[4] == 0 && ((fx16(2) >> 11) & 7) == 0, "EMMS empties every tag and sets TOP to 0 (abridged 0x%x, FSW 0x%x)", fx[4], fx16(2));
    /* REX.B does not extend MMX registers: 41 0F FC C1 is paddb mm1, mm0 */
    u64 r;
    asm volatile("movq %1, %%mm0\n\tmovq %1, %%mm1\n\t.byte 0x41, 0x0f, 0xfc, 0xc8\n\tmovq %%mm1, %0" : "=r"(r) : "r"(0x0101010101010101ull));
    emms();
    report(r == 0x0202020202020202ull, "REX.B is ignored by MMX register operands");
}

/* ---- faults ---- */
static int fault_paddb_mm(void) { catch_begin(); asm volatile("1: paddb %%mm1, %%mm0\n2:\n\t" EX_FIXUP("1b", "2b") ::: "memory"); return caught_vec; }
static int fault_paddb_xmm(void) { catch_begin(); asm volatile("1: paddb %%xmm1, %%xmm0\n2:\n\t" EX_FIXUP("1b", "2b") ::: "xmm0"); return caught_vec; }
static int do_emms(void) { catch_begin(); asm volatile("1: emms\n2:\n\t" EX_FIXUP("1b", "2b")); return caught_vec; }
static int bytes_ud(int which)
{
    catch_begin();
    if (which == 0) /* 0F 71 /2 with a memory operand: psrlw $3, (%rax) does not exist */
        asm volatile("1: .byte 0x0f, 0x71, 0x10, 0x03\n2:\n\t" EX_FIXUP("1b", "2b") :: "a"(&qmem));
    else if (which == 1) /* 0F 73 /3 without 66: PSRLDQ has no mm form */
        asm volatile("1: .byte 0x0f, 0x73, 0xd8, 0x03\n2:\n\t" EX_FIXUP("1b", "2b"));
    else if (which == 2) /* 0F 72 /0 is undefined */
        asm volatile("1: .byte 0x0f, 0x72, 0xc0, 0x03\n2:\n\t" EX_FIXUP("1b", "2b"));
    else if (which == 3) /* PMOVMSKB with a memory operand */
        asm volatile("1: .byte 0x66, 0x0f, 0xd7, 0x00\n2:\n\t" EX_FIXUP("1b", "2b") :: "a"(&vmem));
    else /* 0F 6C without 66: PUNPCKLQDQ has no mm form */
        asm volatile("1: .byte 0x0f, 0x6c, 0xc1\n2:\n\t" EX_FIXUP("1b", "2b"));
    return caught_vec;
}

static void check_faults(void)
{
    u64 cr0 = read_cr0(), cr4 = read_cr4();
    write_cr0(cr0 | CR0_EM);
    int mm = fault_paddb_mm(), xm = fault_paddb_xmm(), em = do_emms();
    write_cr0(cr0);
    report(mm == 6 && xm == 6 && em == 6, "CR0.EM: MMX, EMMS and SSE2 integer forms are #UD (%d %d %d)", mm, xm, em);
    write_cr0(cr0 | CR0_TS);
    mm = fault_paddb_mm(), xm = fault_paddb_xmm(), em = do_emms();
    write_cr0(cr0);
    report(mm == 7 && xm == 7 && em == 7, "CR0.TS: MMX, EMMS and SSE2 integer forms are #NM (%d %d %d)", mm, xm, em);
    write_cr4(cr4 & ~CR4_OSFXSR);
    mm = fault_paddb_mm(), xm = fault_paddb_xmm();
    write_cr4(cr4);
    report(mm == -1 && xm == 6, "CR4.OSFXSR clear: the xmm form is #UD, the mm form runs (%d %d)", xm, mm);
    emms();

    /* a pending unmasked x87 exception (FSW.ES, IE unmasked) is #MF for MMX, not for SSE */
    fxsave();
    u16 fcw = fx16(0), fsw = fx16(2);
    u16 pfcw = 0x037e, pfsw = 0x0081;
    memcpy(fx, &pfcw, 2);
    memcpy(fx + 2, &pfsw, 2);
    fxrstor();
    mm = fault_paddb_mm();
    xm = fault_paddb_xmm();
    em = do_emms();
    memcpy(fx, &fcw, 2);
    memcpy(fx + 2, &fsw, 2);
    fxrstor();
    report(mm == 16 && em == 16 && xm == -1, "pending x87 exception: MMX and EMMS are #MF, SSE2 is not (%d %d %d)", mm, em, xm);

    int u0 = bytes_ud(0), u1 = bytes_ud(1), u2 = bytes_ud(2), u3 = bytes_ud(3), u4 = bytes_ud(4);
    report(u0 == 6 && u1 == 6 && u2 == 6 && u3 == 6 && u4 == 6,
           "#UD: shift group with memory, PSRLDQ mm, 0F 72 /0, PMOVMSKB m128, PUNPCKLQDQ mm (%d %d %d %d %d)", u0, u1, u2, u3, u4);
    emms();
}

int main(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_NE);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    struct cpuid_regs l1 = cpuid(1, 0);
    report_info("CPUID.1:EDX.MMX=%u SSE2=%u", (l1.d >> 23) & 1, (l1.d >> 26) & 1);
    check_bins();
    check_shifts();
    check_shuffles();
    check_words();
    check_moves();
    check_state();
    check_faults();
    return report_summary();
}
