/*
 * sse4_harness.h: what the sse4 guest and its host reference tool
 * (tools/sse4_reference.c) share: the register state a stub runs on, the
 * deterministic input generator, and the digest of a form's results. Both
 * sides must compute exactly the same inputs, so everything here is plain
 * integer C with no dependency on the environment.
 */
#ifndef SSE4_HARNESS_H
#define SSE4_HARNESS_H

/* A form of sse4_stubs.S */
struct sse4_form {
    const char *name;
    const u8 *stubs;   /* variant n at stubs + 16 * n */
    u32 variants;
    u32 flags;
};
#define SSE4_F_STR 1
#define SSE4_F_MMX 2
#define SSE4_F_FP 4

extern const struct sse4_form sse4_forms[], sse4_forms_end[];
void sse4_run(void *state, const void *stub);

/* Register state: an FXSAVE image (x87/MMX, MXCSR, XMM0-15), four general
 * registers (RAX, RCX, RDX, R8), RFLAGS and a 64-byte memory operand. */
struct sse4_state {
    u8 fx[512];
    u64 gpr[4];
    u64 rflags;
    u64 pad;
    u8 mem[64];
} __attribute__((aligned(64)));

#define SSE4_FLAGS_ARITH 0x8d5ull   /* CF PF AF ZF SF OF */

static inline u64 sse4_rng(u64 *s)
{
    u64 x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Element values that sit on saturation and sign boundaries */
static const u8 sse4_edge_bytes[8] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x40};
static const u16 sse4_edge_words[8] = {0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x4000};
static const u32 sse4_edge_dwords[8] = {0, 1, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x0000ffff};
/* Explicit string lengths (EAX/EDX): in and out of range, negative, the most negative */
static const u64 sse4_edge_lengths[12] = {0, 1, 5, 8, 9, 15, 16, 17, 0xfffffffffffffffbull, 0xffffffff80000000ull,
                                          0x8000000000000000ull, 0x0000000100000003ull};

/* IEEE specials: zeros, ones, halves, infinities, QNaN/SNaN, denormals, extremes;
 * 0xdeadbeef stands for a random value between 0.5 and about 2^26 (rounding cases) */
static const u32 sse4_fp32[16] = {0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x3f000000, 0x40200000, 0x7f800000,
                                  0xff800000, 0x7fc00000, 0xffa00001, 0x00000001, 0x807fffff, 0x7f7fffff, 0x00800000,
                                  0x4b000001, 0xdeadbeef};
static const u64 sse4_fp64[16] = {0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff8000000000000ull,
                                  0x3fe0000000000000ull, 0x4004000000000000ull, 0x7ff0000000000000ull,
                                  0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff4000000000001ull, 1,
                                  0x800fffffffffffffull, 0x7fefffffffffffffull, 0x0010000000000000ull,
                                  0x4330000000000001ull, 0xdeadbeef};

static void sse4_fill(u8 *p, unsigned n, unsigned mode, u64 *rng)
{
    for (unsigned k = 0; k < n; k++) {
        u64 r = sse4_rng(rng);
        switch (mode) {
        case 1: p[k] = sse4_edge_bytes[r & 7]; break;
        case 2:
            if (!(k & 1)) { u16 w = sse4_edge_words[r & 7]; p[k] = (u8)w; p[k + 1] = (u8)(w >> 8); k++; }
            break;
        case 3:
            if (!(k & 3)) {
                u32 d = sse4_edge_dwords[r & 7];
                for (unsigned j = 0; j < 4; j++) p[k + j] = (u8)(d >> (8 * j));
                k += 3;
            }
            break;
        case 6:                                         /* binary32 specials and near-integers */
            if (!(k & 3)) {
                u32 d = sse4_fp32[r % 16];
                if (d == 0xdeadbeef) d = (u32)(0x3f000000 + ((r >> 8) & 0x01ffffff)) | (u32)((r >> 40) & 1) << 31;
                for (unsigned j = 0; j < 4; j++) p[k + j] = (u8)(d >> (8 * j));
                k += 3;
            }
            break;
        case 7:                                         /* binary64 specials and near-integers */
            if (!(k & 7)) {
                u64 q = sse4_fp64[r % 16];
                if (q == 0xdeadbeef) q = (0x3fe0000000000000ull + ((r >> 8) & 0x003fffffffffffull)) | ((r >> 62) << 63);
                for (unsigned j = 0; j < 8; j++) p[k + j] = (u8)(q >> (8 * j));
                k += 7;
            }
            break;
        case 4: p[k] = (u8)"\0abcab"[r % 6]; break;     /* a small alphabet with NULs (strings) */
        case 5: p[k] = (u8)"abcd"[r % 4]; break;        /* no NULs */
        default: p[k] = (u8)(r >> 24); break;
        }
    }
}

/* The inputs of case `n` of a form. XMM0-3 and XMM8-11, MM0-3, RAX/RCX/RDX/R8,
 * the arithmetic flags and the memory operand (its first 16 bytes mirror XMM2, so
 * register and memory forms see the same source). */
static void sse4_inputs(struct sse4_state *s, const struct sse4_form *f, unsigned variant, unsigned n)
{
    u64 rng = 0x9e3779b97f4a7c15ull ^ ((u64)n << 32) ^ ((u64)variant << 8) ^ 0x5eed;
    for (const char *c = f->name; *c; c++) rng = (rng ^ (u8)*c) * 0x100000001b3ull;
    if (!rng) rng = 1;
    memset(s, 0, sizeof *s);
    s->fx[0] = 0x7f; s->fx[1] = 0x03;                 /* FCW 037F */
    s->fx[24] = 0x80; s->fx[25] = 0x1f;               /* MXCSR 1F80 */
    unsigned mode = n % 6;
    if (f->flags & SSE4_F_STR) mode = 4 + (n & 1);
    if (f->flags & SSE4_F_FP) mode = (n & 1) ? 6 + ((n >> 1) & 1) : n % 4;
    static const unsigned regs[8] = {0, 1, 2, 3, 8, 9, 10, 11};
    for (unsigned k = 0; k < 8; k++) sse4_fill(s->fx + 160 + 16 * regs[k], 16, mode, &rng);
    if (n % 7 == 3) {                                  /* a source equal to the destination */
        memcpy(s->fx + 160 + 32, s->fx + 160 + 16, 16);
        memcpy(s->fx + 160 + 160, s->fx + 160 + 144, 16);
    }
    if (f->flags & SSE4_F_MMX) {
        for (unsigned k = 0; k < 4; k++) {
            sse4_fill(s->fx + 32 + 16 * k, 8, mode, &rng);
            s->fx[32 + 16 * k + 8] = 0xff; s->fx[32 + 16 * k + 9] = 0xff;
        }
        /* any TOP and tags: an MMX instruction sets TOP = 0 and every tag valid */
        s->fx[3] = (u8)((n & 7) << 3);                 /* FSW.TOP (bits 11-13) */
        s->fx[4] = (u8)sse4_rng(&rng);                 /* abridged tags */
    }
    for (unsigned k = 0; k < 4; k++) s->gpr[k] = sse4_rng(&rng);
    if (f->flags & SSE4_F_STR) {
        u64 r = sse4_rng(&rng);
        s->gpr[0] = (r & 1) ? sse4_edge_lengths[(r >> 8) % 12] : (u64)((s64)((r >> 16) % 41) - 20);
        s->gpr[2] = (r & 2) ? sse4_edge_lengths[(r >> 24) % 12] : (u64)((s64)((r >> 32) % 41) - 20);
    }
    if (f->flags & SSE4_F_FP) {
        /* any rounding mode, DAZ, FTZ; every eighth case with all exceptions unmasked */
        u64 r = sse4_rng(&rng);
        u32 mx = 0x1f80 | (u32)(r & 0x6000) | (u32)(r & 0x8040);
        if (n % 8 == 5) mx &= ~0x1f80u;
        for (unsigned j = 0; j < 4; j++) s->fx[24 + j] = (u8)(mx >> (8 * j));
    }
    s->rflags = 0x2 | (sse4_rng(&rng) & SSE4_FLAGS_ARITH);
    memcpy(s->mem, s->fx + 160 + 32, 16);
    sse4_fill(s->mem + 16, 48, mode, &rng);
}

static unsigned sse4_cases(const struct sse4_form *f)
{
    if (f->variants == 1) return 96;
    return f->variants >= 128 ? 6 : 24;
}

/* The outputs a case contributes: FSW/abridged FTW, MM0-3, MXCSR, XMM0-3 and
 * XMM8-11, the four general registers, the arithmetic flags, the memory operand
 * and the exception vector (-1: none). */
static u64 sse4_mix(u64 h, u64 v)
{
    h ^= v;
    h *= 0x100000001b3ull;
    return h ^ (h >> 29);
}
static u64 sse4_digest(u64 h, const struct sse4_state *s, int vector)
{
    u64 w;
    memcpy(&w, s->fx + 0, 8);
    h = sse4_mix(h, w & 0x0000ffffffff0000ull);   /* FSW, FTW (FCW is not changed by these) */
    for (unsigned k = 0; k < 4; k++) {
        memcpy(&w, s->fx + 32 + 16 * k, 8); h = sse4_mix(h, w);
        memcpy(&w, s->fx + 40 + 16 * k, 8); h = sse4_mix(h, w & 0xffff);
    }
    memcpy(&w, s->fx + 24, 8); h = sse4_mix(h, w & 0xffffffff);
    static const unsigned regs[8] = {0, 1, 2, 3, 8, 9, 10, 11};
    for (unsigned k = 0; k < 8; k++) {
        memcpy(&w, s->fx + 160 + 16 * regs[k], 8); h = sse4_mix(h, w);
        memcpy(&w, s->fx + 168 + 16 * regs[k], 8); h = sse4_mix(h, w);
    }
    for (unsigned k = 0; k < 4; k++) h = sse4_mix(h, s->gpr[k]);
    h = sse4_mix(h, s->rflags & SSE4_FLAGS_ARITH);
    for (unsigned k = 0; k < 64; k += 8) { memcpy(&w, s->mem + k, 8); h = sse4_mix(h, w); }
    return sse4_mix(h, (u64)(s64)vector);
}

/* One case's outputs, one line (the guest and the host reference print the same). */
static inline void sse4_print_case(const struct sse4_form *f, unsigned v, unsigned n, const struct sse4_state *s, int vec)
{
    u64 x1[2], x0[2], x9[2], m0;
    memcpy(x1, s->fx + 160 + 16, 16);
    memcpy(x0, s->fx + 160, 16);
    memcpy(x9, s->fx + 160 + 144, 16);
    memcpy(&m0, s->fx + 32, 8);
    printf("%s v%u c%u: xmm1=%016llx%016llx xmm0=%016llx%016llx xmm9=%016llx%016llx mm0=%016llx "
           "rax=%llx rcx=%llx rdx=%llx r8=%llx fl=%llx mx=%x vec=%d\n",
           f->name, v, n, (unsigned long long)x1[1], (unsigned long long)x1[0], (unsigned long long)x0[1],
           (unsigned long long)x0[0], (unsigned long long)x9[1], (unsigned long long)x9[0], (unsigned long long)m0,
           (unsigned long long)s->gpr[0], (unsigned long long)s->gpr[1], (unsigned long long)s->gpr[2],
           (unsigned long long)s->gpr[3], (unsigned long long)(s->rflags & SSE4_FLAGS_ARITH), (unsigned)(s->fx[24] | s->fx[25] << 8), vec);
}

#endif
