/*
 * Produces test/guests/x87_ref.h: x87 operations with their results on the
 * host's real x87 FPU. Run on an x86-64 host:
 *
 *   gcc -O1 -mno-red-zone -o /tmp/x87_ref_gen test/guests/tools/x87_ref_gen.c
 *   /tmp/x87_ref_gen 1 > test/guests/x87_ref.h
 *   /tmp/x87_ref_gen 2 > test/guests/x87_ref_trans.h
 *
 * The operands are fixed (a list of interesting encodings and a seeded
 * generator), so the output only depends on the FPU that runs it. The table in
 * the tree was produced on an AMD EPYC host.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "../x87_ops.h"

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static const struct f80 special[] = {
    {0x8000000000000000ull, 0x3fff},  /* 1 */
    {0xc000000000000000ull, 0x4000},  /* 3 */
    {0xaaaaaaaaaaaaaaabull, 0x3ffd},  /* ~1/3 */
    {0xc90fdaa22168c235ull, 0x4000},  /* pi */
    {0xa000000000000000ull, 0xc000},  /* -2.5 */
    {0xc000000000000000ull, 0x3fff},  /* 1.5 */
    {0x8000000000000400ull, 0x3fff},  /* 1 + half an ulp of double */
    {0x8000008000000000ull, 0x3fff},  /* 1 + half an ulp of single */
    {0xffffffffffffffffull, 0x3fff},  /* 2 - ulp */
    {0xffffffffffffffffull, 0x7ffe},  /* largest */
    {0x8000000000000000ull, 0x0001},  /* smallest normal */
    {0x4000000000000001ull, 0x0000},  /* denormal */
    {0x8000000000000001ull, 0x0000},  /* pseudo-denormal */
    {0, 0x0000}, {0, 0x8000},         /* +-0 */
    {0x8000000000000000ull, 0x7fff}, {0x8000000000000000ull, 0xffff},  /* +-inf */
    {0xc000000000001234ull, 0x7fff},  /* QNaN */
    {0x8000000000005678ull, 0xffff},  /* SNaN */
    {0x4000000000000000ull, 0x4000},  /* unnormal */
    {0x0000000000000000ull, 0x7fff},  /* pseudo-infinity */
    {0x8000000000000000ull, 0x4045},  /* 2^70 */
    {0xb504f333f9de6484ull, 0x3fb9},  /* ~2^-70 * sqrt2 */
    {0xf000000000000000ull, 0x403d},  /* 2^62 * 1.875 */
    {0x8000000000000000ull, 0x401e},  /* 2^31 */
    {0x8000000000000000ull, 0xc03e},  /* -2^63 */
    {0xfffe000000000000ull, 0x400e},  /* 32767 */
    {0xa000000000000000ull, 0x4001},  /* 5 */
};
#define NSPECIAL (sizeof special / sizeof special[0])

static struct f80 random_value(void)
{
    struct f80 v;
    v.m = rnd() | (1ull << 63);
    if (rnd() % 4 == 0) v.m &= ~0ull << (rnd() % 64);
    v.se = (uint16_t)(0x3fff + (int)(rnd() % 130) - 65);
    if (rnd() % 8 == 0) v.se = (uint16_t)(rnd() % 0x7fff);
    if (rnd() & 1) v.se |= 0x8000;
    return v;
}

static void emit(const struct x87_in *in)
{
    struct x87_out o;
    memset(&o, 0, sizeof o);
    x87_run(in, &o);
    printf("    {%2u, 0x%04x, {0x%016llxull, 0x%04x}, {0x%016llxull, 0x%04x}, 0x%016llxull, 0x%04x,"
           " 0x%04x, {0x%016llxull, 0x%04x}, {0x%016llxull, 0x%04x}, 0x%016llxull, 0x%04x, 0x%03llx},\n",
           in->op, in->cw, in->a.m, in->a.se, in->b.m, in->b.se, in->mem, in->mem_hi,
           o.sw, o.r.m, o.r.se, o.r2.m, o.r2.se, o.mem, o.mem_hi, o.flags & 0x8d5);
}

/* control words: every rounding control with 64-bit precision, 53 and 24 bits, some unmasked */
static const uint16_t cws[] = {0x037f, 0x077f, 0x0b7f, 0x0f7f, 0x027f, 0x007f, 0x0e7f, 0x0460, 0x0340, 0x0f41};
#define NCW (sizeof cws / sizeof cws[0])

static void gen_op(unsigned op, int pairs, int randoms)
{
    struct x87_in in;
    memset(&in, 0, sizeof in);
    in.op = (unsigned char)op;
    for (unsigned i = 0; pairs && i < NSPECIAL; i++)
        for (unsigned j = 0; j < NSPECIAL; j += 7) {
            in.cw = cws[(i + j) % NCW];
            in.a = special[i];
            in.b = special[j];
            in.mem = rnd();
            emit(&in);
        }
    for (int k = 0; k < randoms; k++) {
        in.cw = cws[k % NCW];
        in.a = rnd() % 4 ? random_value() : special[rnd() % NSPECIAL];
        in.b = rnd() % 4 ? random_value() : special[rnd() % NSPECIAL];
        in.mem = rnd();
        if (op == XO_FSCALE) in.b.se = (uint16_t)(0x3fff + rnd() % 14) | (uint16_t)(rnd() & 0x8000);
        if (op == XO_FLD32 || op == XO_FADD32 || op == XO_FDIV32 || op == XO_FIMUL32 || op == XO_FICOM32) {
            in.mem &= 0xffffffffull;
            if (rnd() % 3 == 0) in.mem = (in.mem & 0x807fffff) | ((rnd() % 3 ? 0xffull : 0) << 23);
        }
        if (op == XO_FLD64 || op == XO_FMUL64) {
            if (rnd() % 3 == 0) in.mem = (in.mem & 0x800fffffffffffffull) | ((rnd() % 3 ? 0x7ffull : 0) << 52);
        }
        if (op == XO_F2XM1 && rnd() % 8) in.a.se = (uint16_t)((0x3fff - rnd() % 24) | (rnd() & 0x8000));
        if (op == XO_FYL2XP1 && rnd() % 8) in.a.se = (uint16_t)((0x3ffd - rnd() % 40) | (rnd() & 0x8000));
        if (op == XO_FYL2X && rnd() % 4) in.a.se &= 0x7fff;
        if ((op == XO_FSIN || op == XO_FCOS || op == XO_FSINCOS || op == XO_FPTAN) && rnd() % 2)
            in.a.se = (uint16_t)((0x3fff - 8 + rnd() % 16) | (rnd() & 0x8000));
        if (op == XO_FIADD16) in.mem &= 0xffff;
        if (op == XO_FIMUL32 || op == XO_FICOM32) in.mem &= 0xffffffffull;
        if (op == XO_FBLD) {
            in.mem = 0;
            for (int d = 0; d < 16; d++) in.mem |= (rnd() % 10) << (4 * d);
            in.mem_hi = (uint16_t)((rnd() % 10) | (rnd() % 10) << 4 | (rnd() & 0x8000));
        }
        emit(&in);
    }
}

int main(int argc, char **argv)
{
    int part = argc > 1 ? argv[1][0] - '0' : 1;
    printf("/* Generated by test/guests/tools/x87_ref_gen.c on the host's x87: do not edit. */\n");
    if (part == 1) {
        static const unsigned binary[] = {XO_FADD, XO_FSUB, XO_FSUBR, XO_FMUL, XO_FDIV, XO_FDIVR, XO_FPREM, XO_FPREM1, XO_FCOM, XO_FUCOM, XO_FCOMI, XO_FUCOMI};
        static const unsigned unary[] = {XO_FSQRT, XO_FRNDINT, XO_FXTRACT, XO_FABS, XO_FCHS, XO_FTST, XO_FXAM, XO_FST32, XO_FST64, XO_FIST16, XO_FIST32, XO_FIST64, XO_FISTTP16, XO_FISTTP32, XO_FISTTP64, XO_FBSTP};
        static const unsigned memsrc[] = {XO_FLD32, XO_FLD64, XO_FADD32, XO_FMUL64, XO_FDIV32, XO_FIADD16, XO_FIMUL32, XO_FICOM32, XO_FILD64, XO_FBLD};
        static const unsigned consts[] = {XO_FLDPI, XO_FLDL2T, XO_FLDL2E, XO_FLDLG2, XO_FLDLN2, XO_FLD1, XO_FLDZ};
        printf("static const struct x87_case x87_cases[] = {\n");
        for (unsigned k = 0; k < sizeof binary / sizeof binary[0]; k++) gen_op(binary[k], 1, 24);
        gen_op(XO_FADDP_ST1, 0, 30);
        gen_op(XO_FSCALE, 1, 30);
        for (unsigned k = 0; k < sizeof unary / sizeof unary[0]; k++) gen_op(unary[k], 0, 30);
        for (unsigned k = 0; k < NSPECIAL; k++) {
            static const unsigned uops[] = {XO_FSQRT, XO_FRNDINT, XO_FXTRACT, XO_FTST, XO_FXAM, XO_FST32, XO_FST64, XO_FIST32, XO_FISTTP16, XO_FBSTP};
            for (unsigned u = 0; u < sizeof uops / sizeof uops[0]; u++) {
                struct x87_in in;
                memset(&in, 0, sizeof in);
                in.op = (unsigned char)uops[u];
                in.cw = cws[(k + u) % NCW];
                in.a = special[k];
                in.b = special[0];
                emit(&in);
            }
        }
        for (unsigned k = 0; k < sizeof memsrc / sizeof memsrc[0]; k++) gen_op(memsrc[k], 0, 30);
        for (unsigned k = 0; k < sizeof consts / sizeof consts[0]; k++)
            for (unsigned rc = 0; rc < 4; rc++) {
                struct x87_in in;
                memset(&in, 0, sizeof in);
                in.op = (unsigned char)consts[k];
                in.cw = (uint16_t)(0x037f | rc << 10);
                in.a = special[0];
                in.b = special[1];
                emit(&in);
                in.cw = (uint16_t)(0x007f | rc << 10);  /* precision control does not apply */
                emit(&in);
            }
        printf("};\n");
    }
    if (part == 2) {  /* transcendentals: compared within one unit in the last place */
        static const unsigned trans[] = {XO_FSIN, XO_FCOS, XO_FSINCOS, XO_FPTAN, XO_FPATAN, XO_F2XM1, XO_FYL2X, XO_FYL2XP1};
        printf("static const struct x87_case x87_trans_cases[] = {\n");
        for (unsigned k = 0; k < sizeof trans / sizeof trans[0]; k++) {
            gen_op(trans[k], 0, 50);
            for (unsigned j = 0; j < NSPECIAL; j++) {
                struct x87_in in;
                memset(&in, 0, sizeof in);
                in.op = (unsigned char)trans[k];
                in.cw = cws[(j + k) % NCW];
                in.a = special[j];
                in.b = special[(j * 7 + k) % NSPECIAL];
                emit(&in);
            }
        }
        printf("};\n");
    }
    return 0;
}
