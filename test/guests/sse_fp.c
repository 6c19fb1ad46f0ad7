/*
 * sse_fp: the SSE/SSE2 floating-point instructions. Every form in
 * sse_fp_cases.h runs on 64 drawn operand sets under drawn MXCSR settings
 * (rounding, DAZ, FTZ, unmasked exceptions -> #XM); the folded outcomes must
 * equal the hashes the same cases produced on the reference host CPU (an AMD
 * EPYC, family 1Ah, via test/sse-fp/gen-guest-expect.cc). Readable spot checks
 * follow (values from the SDM's rules, confirmed on that host), the x87 tag
 * effect of the MMX-operand conversions, then the architectural faults: #GP(0) for misaligned 16-byte operands of the aligned
 * forms, none for scalar and unaligned forms, #XM vs #UD by CR4.OSXMMEXCPT,
 * #UD without CR4.OSFXSR, #NM with CR0.TS, #UD with LOCK.
 *
 * Compiled with general registers only: SSE is reached through inline asm.
 */
#include "guest.h"

#define CASE_FIXUP(from, to) EX_FIXUP(from, to)
#define CASE_XMM_CLOBBERS /* general registers only: the compiler keeps nothing in XMM registers */
#define CASE_MMX_CLOBBERS
#include "sse_fp_cases.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

#define DEFINE_FN(name, text, kind) SSE_FORM_FN(form_##name, text)
SSE_FP_FORMS(DEFINE_FN)
#define DEFINE_MMX_FN(name, text, kind) SSE_MMX_FORM_FN(form_##name, text)
SSE_FP_MMX_FORMS(DEFINE_MMX_FN)

struct form {
    const char *name;
    void (*fn)(struct sse_io *);
    int kind;
};
#define FORM_ENTRY(name, text, kind) {#name, form_##name, kind},
static const struct form forms[] = {SSE_FP_FORMS(FORM_ENTRY) SSE_FP_MMX_FORMS(FORM_ENTRY)};

/* Outcome hashes computed on the reference host (gen-guest-expect.cc), in form order. */
static const u64 expected[] = {
#include "sse_fp_expected.h"
};

static struct sse_io io;

static int run_form(const struct form *f, struct sse_io *p)
{
    catch_begin();
    f->fn(p);
    return caught_vec;
}

static void check_forms(void)
{
    unsigned n = sizeof forms / sizeof forms[0];
    report(n == sizeof expected / sizeof expected[0], "%u forms, %u expected hashes", n,
           (unsigned)(sizeof expected / sizeof expected[0]));
    unsigned xm = 0;
    for (unsigned k = 0; k < n; k++) {
        u64 h = CASE_HASH_START;
        for (int c = 0; c < CASES_PER_FORM; c++) {
            case_draw(&io, forms[k].kind);
            int vec = run_form(&forms[k], &io);
            if (vec == 19) xm++;
            h = case_outcome(h, &io, vec == 19 ? 19 : vec);
        }
        report(h == expected[k], "%s: %d cases match the host CPU (hash %016lx)", forms[k].name, CASES_PER_FORM,
               (unsigned long)h);
    }
    report(xm > 100, "unmasked exceptions raised #XM in %u cases", xm);
}

/* ---- spot checks ---------------------------------------------------------- */
SSE_FORM_FN(op_addps, "addps %%xmm1, %%xmm0")
SSE_FORM_FN(op_divss, "divss %%xmm1, %%xmm0")
SSE_FORM_FN(op_addsd, "addsd %%xmm1, %%xmm0")
SSE_FORM_FN(op_minps, "minps %%xmm1, %%xmm0")
SSE_FORM_FN(op_mulps, "mulps %%xmm1, %%xmm0")
SSE_FORM_FN(op_cvtss2si, "cvtss2si %%xmm1, %%eax")
SSE_FORM_FN(op_cvttsd2si64, "cvttsd2si %%xmm1, %%rax")
SSE_FORM_FN(op_comiss, "comiss %%xmm1, %%xmm0")
SSE_FORM_FN(op_ucomiss, "ucomiss %%xmm1, %%xmm0")
SSE_FORM_FN(op_rcpss, "rcpss %%xmm1, %%xmm0")

static void setup(u64 x0, u64 x1, u64 s0, u64 s1, u32 mxcsr)
{
    io.x[0] = x0; io.x[1] = x1; io.s[0] = s0; io.s[1] = s1;
    io.mxcsr = mxcsr; io.rax = 0; io.rflags = 0;
}
static int run(void (*fn)(struct sse_io *))
{
    catch_begin();
    fn(&io);
    return caught_vec;
}

static void spot_checks(void)
{
    /* 1.0 + 2.0 = 3.0, 1.5 + -1.5 = +0.0, (+inf) + (-inf) = default NaN with IE */
    setup(0x400000003f800000ull, 0x7f8000003fc00000ull, 0x3f80000040000000ull, 0xff800000bfc00000ull, 0x1f80);
    run(op_addps);
    report(io.x[0] == 0x4040000040400000ull && io.x[1] == 0xffc0000000000000ull && (io.mxcsr & 0x3f) == 0x01,
           "ADDPS: 1+2 = 2+1 = 3, 1.5-1.5 = +0, inf-inf = default NaN 0xffc00000 with IE (%016lx %016lx mxcsr %x)",
           (unsigned long)io.x[0], (unsigned long)io.x[1], (unsigned)io.mxcsr);
    /* 1/3 under each rounding mode */
    static const u32 third[4] = {0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaaa};
    for (u32 rc = 0; rc < 4; rc++) {
        setup(0x3f800000, 0, 0x40400000, 0, 0x1f80 | rc << 13);
        run(op_divss);
        report((u32)io.x[0] == third[rc] && (io.mxcsr & 0x3f) == 0x20, "DIVSS 1/3 with RC=%u: %08x, PE", rc, (u32)io.x[0]);
    }
    /* the QNaN of the first operand wins; an SNaN is quieted, IE */
    setup(0x7ff4000000000001ull, 0, 0x7ff8000000000002ull, 0, 0x1f80);
    run(op_addsd);
    report(io.x[0] == 0x7ffc000000000001ull && (io.mxcsr & 1), "ADDSD SNaN + QNaN returns the first, quieted (%016lx)",
           (unsigned long)io.x[0]);
    /* MINPS returns the second operand for a NaN and for two zeros */
    setup(0x000000007fc00000ull, 0, 0x800000003f800000ull, 0, 0x1f80);
    run(op_minps);
    report(io.x[0] == 0x800000003f800000ull && (io.mxcsr & 1), "MINPS: (QNaN, 1) -> 1 with IE; (+0, -0) -> -0");
    /* FTZ: a tiny product becomes zero with UE and PE; DAZ reads a denormal as zero, no DE */
    setup(0x00800000, 0, 0x3f000000, 0, 0x9f80);
    run(op_mulps);
    report((u32)io.x[0] == 0 && (io.mxcsr & 0x3f) == 0x30, "MULPS FTZ: 2^-126 * 0.5 -> +0, UE+PE (mxcsr %x)", (unsigned)io.mxcsr);
    setup(0x00000001, 0, 0x3f800000, 0, 0x1fc0);
    run(op_mulps);
    report((u32)io.x[0] == 0 && (io.mxcsr & 0x3f) == 0, "MULPS DAZ: denormal * 1 -> +0, no DE");
    setup(0x00000001, 0, 0x3f800000, 0, 0x1f80);
    run(op_mulps);
    report((u32)io.x[0] == 1 && (io.mxcsr & 0x3f) == 0x02, "MULPS: denormal * 1 -> the denormal with DE only");
    /* integer indefinite */
    setup(0, 0, 0x4f000000, 0, 0x1f80);  /* 2^31 */
    run(op_cvtss2si);
    report((u32)io.rax == 0x80000000u && (io.mxcsr & 1), "CVTSS2SI 2^31 -> 0x80000000 with IE");
    setup(0, 0, 0xc3e0000000000000ull, 0, 0x1f80);  /* -2^63 exactly fits */
    run(op_cvttsd2si64);
    report(io.rax == 0x8000000000000000ull && !(io.mxcsr & 1), "CVTTSD2SI -2^63 fits (no IE)");
    /* COMISS vs UCOMISS on a QNaN: both unordered (ZF PF CF), only COMISS signals IE */
    setup(0x7fc00000, 0, 0x3f800000, 0, 0x1f80);
    run(op_ucomiss);
    report((io.rflags & 0x45) == 0x45 && !(io.mxcsr & 1), "UCOMISS QNaN: unordered, no IE");
    setup(0x7fc00000, 0, 0x3f800000, 0, 0x1f80);
    run(op_comiss);
    report((io.rflags & 0x45) == 0x45 && (io.mxcsr & 1), "COMISS QNaN: unordered, IE");
    setup(0x3f800000, 0, 0x40000000, 0, 0x1f80);
    run(op_comiss);
    report((io.rflags & 0x8d5) == 0x01, "COMISS 1 < 2: CF only (rflags %lx)", (unsigned long)io.rflags);
    /* RCPSS(1.0) on the reference CPU */
    setup(0, 0, 0x3f800000, 0, 0x1f80);
    run(op_rcpss);
    report((u32)io.x[0] == 0x3f7ff000, "RCPSS 1.0 = %08x (0x3f7ff000 on the reference CPU)", (u32)io.x[0]);
    /* an unmasked exception: #XM, destination unchanged, flag set */
    setup(0x3f800000, 0x1234, 0, 0, 0x1f80 & ~0x200);  /* ZE unmasked */
    int vec = run(op_divss);
    report(vec == 19 && io.x[0] == 0x3f800000 && io.x[1] == 0x1234 && (io.mxcsr & 0x3f) == 0x04,
           "DIVSS 1/0 with ZE unmasked: #XM, destination unchanged, ZE set (vector %d)", vec);
}

/* ---- MMX transitions ------------------------------------------------------- */
static u8 fx[512] __attribute__((aligned(16)));
static u8 abridged_tags(void)
{
    asm volatile("fxsave64 %0" : "=m"(fx));
    return fx[4];
}

static void mmx_transitions(void)
{
    static u64 pair = 0x0000000300000002ull;
    asm volatile("emms\n\tcvtpi2ps %0, %%xmm0" :: "m"(pair));
    report(abridged_tags() == 0, "CVTPI2PS from memory leaves the x87 tags empty");
    asm volatile("emms\n\tcvtpi2pd %0, %%xmm0" :: "m"(pair));
    report(abridged_tags() == 0, "CVTPI2PD from memory leaves the x87 tags empty");
    asm volatile("emms\n\tcvtpi2ps %%mm3, %%xmm0" ::);
    report(abridged_tags() == 0xff, "CVTPI2PS from mm3 enters MMX mode (all tags valid)");
    asm volatile("emms\n\tcvttps2pi %%xmm0, %%mm1" ::);
    report(abridged_tags() == 0xff && ((fx[3] >> 3) & 7) == 0, "CVTTPS2PI enters MMX mode (tags valid, TOP 0)");
    asm volatile("emms");
}

/* ---- faults ---------------------------------------------------------------- */
static u8 buf[64] __attribute__((aligned(16)));

#define MEM_FN(fn, text)                                                               \
    static int fn(void *p)                                                             \
    {                                                                                  \
        catch_begin();                                                                 \
        asm volatile("1: " text "\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(p) : "memory"); \
        return caught_vec;                                                             \
    }
MEM_FN(m_addps, "addps (%0), %%xmm0")
MEM_FN(m_addpd, "addpd (%0), %%xmm0")
MEM_FN(m_addss, "addss (%0), %%xmm0")
MEM_FN(m_movaps_ld, "movaps (%0), %%xmm0")
MEM_FN(m_movaps_st, "movaps %%xmm0, (%0)")
MEM_FN(m_movups_ld, "movups (%0), %%xmm0")
MEM_FN(m_movntps, "movntps %%xmm0, (%0)")
MEM_FN(m_shufps, "shufps $0, (%0), %%xmm0")
MEM_FN(m_cvtps2pd, "cvtps2pd (%0), %%xmm0")
MEM_FN(m_cvtpd2ps, "cvtpd2ps (%0), %%xmm0")
MEM_FN(m_movlps, "movlps (%0), %%xmm0")
MEM_FN(m_comisd, "comisd (%0), %%xmm0")
MEM_FN(m_lock_addps, ".byte 0xf0\n\taddps (%0), %%xmm0")

static void set_mxcsr(u32 v) { asm volatile("ldmxcsr %0" :: "m"(v)); }

static void faults(void)
{
    set_mxcsr(0x1f80);
    u8 *mis = buf + 8;
    report(m_addps(buf) == -1 && m_addps(mis) == 13 && caught_err == 0, "ADDPS misaligned m128: #GP(0)");
    report(m_addpd(mis) == 13, "ADDPD misaligned m128: #GP(0)");
    report(m_addss(mis + 1) == -1, "ADDSS m32 is not alignment-checked");
    report(m_movaps_ld(mis) == 13 && m_movaps_st(mis) == 13, "MOVAPS load/store misaligned: #GP(0)");
    report(m_movups_ld(mis + 3) == -1, "MOVUPS misaligned: no fault");
    report(m_movntps(mis) == 13, "MOVNTPS misaligned: #GP(0)");
    report(m_shufps(mis) == 13, "SHUFPS misaligned m128: #GP(0)");
    report(m_cvtps2pd(mis + 4) == -1 && m_movlps(mis + 4) == -1 && m_comisd(mis + 4) == -1,
           "CVTPS2PD m64, MOVLPS m64, COMISD m64: not alignment-checked");
    report(m_cvtpd2ps(mis) == 13, "CVTPD2PS misaligned m128: #GP(0)");
    report(m_lock_addps(buf) == 6, "LOCK ADDPS: #UD");

    /* #XM becomes #UD without CR4.OSXMMEXCPT */
    setup(0x3f800000, 0, 0, 0, 0x1f80 & ~0x200);
    write_cr4(read_cr4() & ~CR4_OSXMMEXCPT);
    int vec = run(op_divss);
    write_cr4(read_cr4() | CR4_OSXMMEXCPT);
    report(vec == 6, "unmasked SIMD exception without CR4.OSXMMEXCPT: #UD (got %d)", vec);
    set_mxcsr(0x1f80);

    write_cr0(read_cr0() | CR0_TS);
    vec = m_addps(buf);
    write_cr0(read_cr0() & ~CR0_TS);
    report(vec == 7, "ADDPS with CR0.TS: #NM (got %d)", vec);
    write_cr0(read_cr0() | CR0_EM);
    vec = m_addps(buf);
    write_cr0(read_cr0() & ~CR0_EM);
    report(vec == 6, "ADDPS with CR0.EM: #UD (got %d)", vec);
    write_cr4(read_cr4() & ~CR4_OSFXSR);
    vec = m_addps(buf);
    write_cr4(read_cr4() | CR4_OSFXSR);
    report(vec == 6, "ADDPS without CR4.OSFXSR: #UD (got %d)", vec);
}

int main(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    check_forms();
    spot_checks();
    mmx_transitions();
    faults();
    return 0;
}
