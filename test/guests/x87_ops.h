/*
 * One x87 operation on given operands under a given control word, observed
 * through memory only (no compiler x87 code): the status word right after it,
 * ST(0)/ST(1) afterwards, a memory destination and EFLAGS. Shared by the x87
 * guest (test/guests/x87.c) and by the host program that produced its expected
 * values on a real x87 (test/guests/tools/x87_ref_gen.c), so both run the
 * same instruction sequence.
 *
 * Sequence: FNINIT; FLDCW cw; FLD b (80-bit); FLD a (80-bit); <op>; FNSTSW;
 * FNCLEX; FSTP r; FSTP r2; FNINIT. Unmasked exceptions are cleared by FNCLEX
 * before the next waiting instruction, so no #MF is taken.
 */
#ifndef X87_OPS_H
#define X87_OPS_H

struct f80 {
    unsigned long long m;
    unsigned short se;
} __attribute__((packed));

enum x87_op {
    XO_FADD, XO_FSUB, XO_FSUBR, XO_FMUL, XO_FDIV, XO_FDIVR,   /* ST(0) op= ST(1) */
    XO_FADDP_ST1,                                            /* FADDP ST(1), ST(0) */
    XO_FSQRT, XO_FRNDINT, XO_FSCALE, XO_FPREM, XO_FPREM1, XO_FXTRACT, XO_FABS, XO_FCHS,
    XO_FCOM, XO_FUCOM, XO_FCOMI, XO_FUCOMI, XO_FTST, XO_FXAM,
    XO_FST32, XO_FST64, XO_FIST16, XO_FIST32, XO_FIST64, XO_FISTTP16, XO_FISTTP32, XO_FISTTP64,
    XO_FLD32, XO_FLD64, XO_FADD32, XO_FMUL64, XO_FDIV32, XO_FIADD16, XO_FIMUL32, XO_FICOM32, XO_FILD64,
    XO_FLDPI, XO_FLDL2T, XO_FLDL2E, XO_FLDLG2, XO_FLDLN2, XO_FLD1, XO_FLDZ,
    XO_FBSTP, XO_FBLD,
    XO_FSIN, XO_FCOS, XO_FSINCOS, XO_FPTAN, XO_FPATAN, XO_F2XM1, XO_FYL2X, XO_FYL2XP1,
    XO_COUNT
};

struct x87_in {
    unsigned char op;
    unsigned short cw;
    struct f80 a, b;             /* ST(0) = a, ST(1) = b before the operation */
    unsigned long long mem;      /* memory source operand (m16/m32/m64/m80 low bits) */
    unsigned short mem_hi;       /* bits 64..79 of an m80 source (FBLD) */
};
struct x87_out {
    unsigned short sw;
    struct f80 r, r2;            /* ST(0), ST(1) after the operation */
    unsigned long long mem;      /* memory destination (starts as X87_MEM_SENTINEL) */
    unsigned short mem_hi;
    unsigned long long flags;    /* RFLAGS after FCOMI/FUCOMI (CF PF ZF) */
};
#define X87_MEM_SENTINEL 0x5a5a5a5a5a5a5a5aull

#define X87_SEQ(OPTEXT)                                                               \
    asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" OPTEXT        \
                 "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\tfstpt %[r2]\n\tfninit"  \
                 : [sw] "=m"(o->sw), [r] "=m"(o->r), [r2] "=m"(o->r2), [mem] "+m"(o->mem), \
                   [mhi] "+m"(o->mem_hi), [fl] "=m"(o->flags)                         \
                 : [cw] "m"(in->cw), [a] "m"(in->a), [b] "m"(in->b), [src] "m"(in->mem),   \
                   [src80] "m"(*(const struct f80 *)&in->mem)                         \
                 : "memory", "rax", "cc")

static inline void x87_run(const struct x87_in *in, struct x87_out *o)
{
    struct f80 bcd;
    o->mem = X87_MEM_SENTINEL;
    o->mem_hi = 0x5a5a;
    o->flags = 0;
    switch (in->op) {
    case XO_FADD: X87_SEQ("fadd %%st(1), %%st"); break;
    case XO_FSUB: X87_SEQ("fsub %%st(1), %%st"); break;
    case XO_FSUBR: X87_SEQ("fsubr %%st(1), %%st"); break;
    case XO_FMUL: X87_SEQ("fmul %%st(1), %%st"); break;
    case XO_FDIV: X87_SEQ("fdiv %%st(1), %%st"); break;
    case XO_FDIVR: X87_SEQ("fdivr %%st(1), %%st"); break;
    case XO_FADDP_ST1: X87_SEQ("fld %%st(0)\n\tfaddp %%st, %%st(2)"); break;
    case XO_FSQRT: X87_SEQ("fsqrt"); break;
    case XO_FRNDINT: X87_SEQ("frndint"); break;
    case XO_FSCALE: X87_SEQ("fscale"); break;
    case XO_FPREM: X87_SEQ("fprem"); break;
    case XO_FPREM1: X87_SEQ("fprem1"); break;
    case XO_FXTRACT: X87_SEQ("fxtract"); break;
    case XO_FABS: X87_SEQ("fabs"); break;
    case XO_FCHS: X87_SEQ("fchs"); break;
    case XO_FCOM: X87_SEQ("fcom %%st(1)"); break;
    case XO_FUCOM: X87_SEQ("fucom %%st(1)"); break;
    case XO_FCOMI: X87_SEQ("xor %%eax, %%eax\n\tsahf\n\tfcomi %%st(1), %%st\n\tpushfq\n\tpopq %[fl]"); break;
    case XO_FUCOMI: X87_SEQ("xor %%eax, %%eax\n\tsahf\n\tfucomi %%st(1), %%st\n\tpushfq\n\tpopq %[fl]"); break;
    case XO_FTST: X87_SEQ("ftst"); break;
    case XO_FXAM: X87_SEQ("fxam"); break;
    case XO_FST32: X87_SEQ("fsts %[mem]"); break;
    case XO_FST64: X87_SEQ("fstl %[mem]"); break;
    case XO_FIST16: X87_SEQ("fists %[mem]"); break;
    case XO_FIST32: X87_SEQ("fistl %[mem]"); break;
    case XO_FIST64: X87_SEQ("fld %%st(0)\n\tfistpll %[mem]"); break;
    case XO_FISTTP16: X87_SEQ("fld %%st(0)\n\tfisttps %[mem]"); break;
    case XO_FISTTP32: X87_SEQ("fld %%st(0)\n\tfisttpl %[mem]"); break;
    case XO_FISTTP64: X87_SEQ("fld %%st(0)\n\tfisttpll %[mem]"); break;
    case XO_FLD32: X87_SEQ("fstp %%st(0)\n\tflds %[src]"); break;
    case XO_FLD64: X87_SEQ("fstp %%st(0)\n\tfldl %[src]"); break;
    case XO_FADD32: X87_SEQ("fadds %[src]"); break;
    case XO_FMUL64: X87_SEQ("fmull %[src]"); break;
    case XO_FDIV32: X87_SEQ("fdivs %[src]"); break;
    case XO_FIADD16: X87_SEQ("fiadds %[src]"); break;
    case XO_FIMUL32: X87_SEQ("fimull %[src]"); break;
    case XO_FICOM32: X87_SEQ("ficoml %[src]"); break;
    case XO_FILD64: X87_SEQ("fstp %%st(0)\n\tfildll %[src]"); break;
    case XO_FLDPI: X87_SEQ("fstp %%st(0)\n\tfldpi"); break;
    case XO_FLDL2T: X87_SEQ("fstp %%st(0)\n\tfldl2t"); break;
    case XO_FLDL2E: X87_SEQ("fstp %%st(0)\n\tfldl2e"); break;
    case XO_FLDLG2: X87_SEQ("fstp %%st(0)\n\tfldlg2"); break;
    case XO_FLDLN2: X87_SEQ("fstp %%st(0)\n\tfldln2"); break;
    case XO_FLD1: X87_SEQ("fstp %%st(0)\n\tfld1"); break;
    case XO_FLDZ: X87_SEQ("fstp %%st(0)\n\tfldz"); break;
    case XO_FBSTP:
        X87_SEQ("fld %%st(0)\n\tfbstp %[mem]");
        break;
    case XO_FBLD:
        bcd.m = in->mem;
        bcd.se = in->mem_hi;
        asm volatile("fninit\n\tfldcw %[cw]\n\tfbld %[bcd]\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\tfninit"
                     : [sw] "=m"(o->sw), [r] "=m"(o->r)
                     : [cw] "m"(in->cw), [bcd] "m"(bcd)
                     : "memory");
        o->r2.m = 0;
        o->r2.se = 0;
        break;
    case XO_FSIN: X87_SEQ("fsin"); break;
    case XO_FCOS: X87_SEQ("fcos"); break;
    case XO_FSINCOS: X87_SEQ("fstp %%st(1)\n\tfsincos"); break;
    case XO_FPTAN: X87_SEQ("fstp %%st(1)\n\tfptan"); break;
    case XO_FPATAN: X87_SEQ("fld %%st(0)\n\tfxch %%st(2)\n\tfpatan"); break;
    case XO_F2XM1: X87_SEQ("f2xm1"); break;
    case XO_FYL2X: X87_SEQ("fld %%st(0)\n\tfxch %%st(2)\n\tfyl2x"); break;
    case XO_FYL2XP1: X87_SEQ("fld %%st(0)\n\tfxch %%st(2)\n\tfyl2xp1"); break;
    default: break;
    }
}

#endif
