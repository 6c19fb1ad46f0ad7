/*
 * xsave: the state-management instructions of the FPU/SSE unit. FXSAVE /
 * FXRSTOR round-trip every field of the legacy image, LDMXCSR/STMXCSR,
 * XGETBV/XSETBV and CR4.OSXSAVE with the CPUID bits that mirror them, XSAVE /
 * XRSTOR / XSAVEOPT with the header rules, CLFLUSH/CLFLUSHOPT/CLWB and the
 * fences, and the architectural faults (#GP alignment and reserved bits, #NM
 * with CR0.TS, #UD without CR4.OSXSAVE).
 *
 * Nothing here needs an x87 or SSE arithmetic instruction: register contents
 * go in through FXRSTOR/XRSTOR and come back out through FXSAVE/XSAVE.
 */
#include "guest.h"

#define CR0_TS (1ull << 3)
#define CR0_EM (1ull << 2)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)

static u8 img[1024] __attribute__((aligned(64)));
static u8 out[1024] __attribute__((aligned(64)));

static int fxsave_at(void *p)  { catch_begin(); asm volatile("1: fxsave64 (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(p) : "memory"); return caught_vec; }
static int fxrstor_at(void *p) { catch_begin(); asm volatile("1: fxrstor64 (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(p) : "memory"); return caught_vec; }
static int xsave_at(void *p, u64 rfbm)
{
    catch_begin();
    asm volatile("1: xsave64 (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(p), "a"((u32)rfbm), "d"((u32)(rfbm >> 32)) : "memory");
    return caught_vec;
}
static int xsaveopt_at(void *p, u64 rfbm)
{
    catch_begin();
    asm volatile("1: xsaveopt64 (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(p), "a"((u32)rfbm), "d"((u32)(rfbm >> 32)) : "memory");
    return caught_vec;
}
static int xrstor_at(void *p, u64 rfbm)
{
    catch_begin();
    asm volatile("1: xrstor64 (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(p), "a"((u32)rfbm), "d"((u32)(rfbm >> 32)) : "memory");
    return caught_vec;
}
static int xsetbv_safe(u32 ecx, u64 v)
{
    catch_begin();
    asm volatile("1: xsetbv\n2:\n\t" EX_FIXUP("1b", "2b") :: "c"(ecx), "a"((u32)v), "d"((u32)(v >> 32)));
    return caught_vec;
}
static int xgetbv_safe(u32 ecx, u64 *v)
{
    u32 lo = 0, hi = 0;
    catch_begin();
    asm volatile("1: xgetbv\n2:\n\t" EX_FIXUP("1b", "2b") : "+a"(lo), "+d"(hi) : "c"(ecx));
    *v = ((u64)hi << 32) | lo;
    return caught_vec;
}
static int ldmxcsr_safe(u32 v)
{
    catch_begin();
    asm volatile("1: ldmxcsr %0\n2:\n\t" EX_FIXUP("1b", "2b") :: "m"(v));
    return caught_vec;
}
static u32 stmxcsr(void)
{
    u32 v;
    asm volatile("stmxcsr %0" : "=m"(v));
    return v;
}
static u16 rd16(const u8 *p, unsigned at) { u16 v; memcpy(&v, p + at, 2); return v; }
static u32 rd32(const u8 *p, unsigned at) { u32 v; memcpy(&v, p + at, 4); return v; }
static u64 rd64(const u8 *p, unsigned at) { u64 v; memcpy(&v, p + at, 8); return v; }
static void wr16(u8 *p, unsigned at, u16 v) { memcpy(p + at, &v, 2); }
static void wr32(u8 *p, unsigned at, u32 v) { memcpy(p + at, &v, 4); }
static void wr64(u8 *p, unsigned at, u64 v) { memcpy(p + at, &v, 8); }

/* A legacy image with every field set to something recognizable. */
static void fill_image(u8 *p)
{
    memset(p, 0, 512);
    wr16(p, 0, 0x0262);                    /* FCW: round down, double precision, some masks */
    wr16(p, 2, 0x3800 | 0x0041);           /* FSW: TOP=7, IE|SF... (no ES: nothing unmasked pending) */
    p[4] = 0x81;                           /* abridged tags: R0 and R7 in use */
    wr16(p, 6, 0x05d9);                    /* FOP */
    wr64(p, 8, 0x0000123456789abcull);     /* FIP (64-bit form) */
    wr64(p, 16, 0x0000fedcba987654ull);    /* FDP */
    wr32(p, 24, 0x1f80 | 0x6040);          /* MXCSR: RC=toward zero... FTZ and DAZ set */
    for (unsigned st = 0; st < 8; st++) {
        wr64(p, 32 + 16 * st, 0x8000000000000000ull | (0x1111111111111111ull * st));
        wr16(p, 40 + 16 * st, 0x3fff + st);
    }
    for (unsigned n = 0; n < 16; n++)
        for (unsigned k = 0; k < 16; k++)
            p[160 + 16 * n + k] = (u8)(n * 16 + k + 1);
}

static void fxsr(void)
{
    fill_image(img);
    memset(out, 0xcc, sizeof(out));
    int v1 = fxrstor_at(img), v2 = fxsave_at(out);
    report(v1 == -1 && v2 == -1, "FXRSTOR64 and FXSAVE64 execute (vectors %d, %d)", v1, v2);
    report(rd16(out, 0) == 0x0262 && rd16(out, 2) == 0x3841 && rd16(out, 6) == 0x05d9,
           "FCW, FSW (with TOP) and FOP round-trip (%x %x %x)", rd16(out, 0), rd16(out, 2), rd16(out, 6));
    /* ST(0) is physical R7 (TOP=7): image slot 0 is R7, tagged in use; slot 1 is R0 */
    report(out[4] == 0x81, "abridged tag byte round-trips (0x%x)", out[4]);
    report(rd64(out, 8) == 0x0000123456789abcull && rd64(out, 16) == 0x0000fedcba987654ull,
           "64-bit FIP and FDP round-trip");
    report(rd32(out, 24) == 0x7fc0 && rd32(out, 28) == 0xffff, "MXCSR round-trips, MXCSR_MASK = 0x%x (DAZ supported)", rd32(out, 28));
    report(!memcmp(out + 32, img + 32, 128), "ST0-ST7 round-trip in stack order");
    report(!memcmp(out + 160, img + 160, 256), "XMM0-XMM15 round-trip");
    report(out[464] == 0xcc && out[511] == 0xcc, "bytes 464-511 (available to software) are not written");
    report(stmxcsr() == 0x7fc0, "STMXCSR reads the restored MXCSR");

    /* 32-bit form: FIP offset + FCS selector */
    memset(out, 0, 512);
    asm volatile("fxsave (%0)" :: "r"(out) : "memory");
    report(rd32(out, 8) == 0x56789abc && rd32(out, 16) == 0xba987654, "FXSAVE (no REX.W) stores 32-bit FIP/FDP offsets");

    /* faults */
    report(fxsave_at(out + 8) == 13 && caught_err == 0, "FXSAVE to a misaligned operand is #GP(0)");
    report(fxrstor_at(img + 8) == 13, "FXRSTOR from a misaligned operand is #GP");
    fill_image(img);
    wr32(img, 24, 0x10000);
    report(fxrstor_at(img) == 13, "FXRSTOR with a reserved MXCSR bit is #GP");
    write_cr0(read_cr0() | CR0_TS);
    int nm = fxsave_at(out);
    write_cr0(read_cr0() & ~CR0_TS);
    report(nm == 7, "FXSAVE with CR0.TS is #NM (got %d)", nm);
    write_cr0(read_cr0() | CR0_EM);
    nm = fxsave_at(out);
    write_cr0(read_cr0() & ~CR0_EM);
    report(nm == 7, "FXSAVE with CR0.EM is #NM (got %d)", nm);

    report(ldmxcsr_safe(0x1f80) == -1 && stmxcsr() == 0x1f80, "LDMXCSR/STMXCSR");
    report(ldmxcsr_safe(0x1f80 | (1u << 16)) == 13, "LDMXCSR with reserved bit 16 is #GP");
    write_cr4(read_cr4() & ~CR4_OSFXSR);
    int ud = ldmxcsr_safe(0x1f80);
    write_cr4(read_cr4() | CR4_OSFXSR);
    report(ud == 6, "LDMXCSR without CR4.OSFXSR is #UD (got %d)", ud);
}

static void xsave_feature(void)
{
    struct cpuid_regs l1 = cpuid(1, 0);
    if (!((l1.c >> 26) & 1)) {
        report_info("XSAVE not advertised");
        u64 cr4 = read_cr4();
        catch_begin();
        asm volatile("1: mov %0, %%cr4\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(cr4 | CR4_OSXSAVE));
        report(caught_vec == 13, "XSAVE not advertised: setting CR4.OSXSAVE is #GP");
        return;
    }
    u64 x;
    report(!((l1.c >> 27) & 1), "CPUID.1:ECX.OSXSAVE clear while CR4.OSXSAVE is clear");
    report(xgetbv_safe(0, &x) == 6, "XGETBV without CR4.OSXSAVE is #UD");
    report(xsave_at(img, ~0ull) == 6, "XSAVE without CR4.OSXSAVE is #UD");
    write_cr4(read_cr4() | CR4_OSXSAVE);
    l1 = cpuid(1, 0);
    report((l1.c >> 27) & 1, "CPUID.1:ECX.OSXSAVE follows CR4.OSXSAVE");
    struct cpuid_regs d0 = cpuid(0xd, 0), d1 = cpuid(0xd, 1);
    report(d0.a == 3 && d0.d == 0, "CPUID.0DH:EAX = 0x%x: x87 and SSE components", d0.a);
    report(d0.b == 576 && d0.c == 576, "XSAVE area 576 bytes (EBX %u, ECX %u)", d0.b, d0.c);
    report((d1.a & 1) == 1, "CPUID.(0DH,1):EAX.XSAVEOPT");
    int vec = xgetbv_safe(0, &x);
    report(vec == -1 && x == 1, "XCR0 after reset is 1 (x87), got 0x%lx", x);
    report(xgetbv_safe(1, &x) == 13, "XGETBV ECX=1 is #GP (XINUSE not offered)");
    report(xsetbv_safe(0, 3) == -1 && xgetbv_safe(0, &x) == -1 && x == 3, "XSETBV enables SSE state: XCR0 = 3");
    report(xsetbv_safe(0, 2) == 13, "XSETBV without the x87 bit is #GP");
    report(xsetbv_safe(0, 7) == 13, "XSETBV with an unsupported component (AVX) is #GP");
    report(xsetbv_safe(1, 3) == 13, "XSETBV ECX=1 is #GP");

    /* XSAVE of everything: legacy region as FXSAVE would write it, XSTATE_BV = 3 */
    fill_image(img);
    fxrstor_at(img);
    memset(out, 0, sizeof(out));
    wr64(out, 512, 0);
    report(xsave_at(out, ~0ull) == -1, "XSAVE executes");
    report(rd64(out, 512) == 3, "XSTATE_BV = 3 after XSAVE with RFBM 3 (0x%lx)", rd64(out, 512));
    report(!memcmp(out + 160, img + 160, 256) && rd32(out, 24) == 0x7fc0, "XSAVE stores XMM0-15 and MXCSR");
    report(!memcmp(out + 32, img + 32, 128) && rd16(out, 0) == 0x0262, "XSAVE stores the x87 registers");
    memset(out, 0, sizeof(out));
    report(xsave_at(out, 2) == -1 && rd64(out, 512) == 2 && rd16(out, 0) == 0 && !memcmp(out + 160, img + 160, 256),
           "XSAVE with RFBM=2 stores only the SSE component");
    report(xsaveopt_at(out, ~0ull) == -1 && rd64(out, 512) == 3 && !memcmp(out + 160, img + 160, 256), "XSAVEOPT stores the same state");
    report(xsave_at(out + 16, ~0ull) == 13, "XSAVE to a 16-byte-aligned (not 64) operand is #GP");

    /* XRSTOR: SSE bit clear in XSTATE_BV puts XMM registers in their initial state */
    wr64(out, 512, 1);
    report(xrstor_at(out, ~0ull) == -1, "XRSTOR executes");
    u8 chk[512] __attribute__((aligned(16)));
    fxsave_at(chk);
    int zero = 1;
    for (unsigned k = 160; k < 416; k++)
        zero &= chk[k] == 0;
    report(zero && rd32(chk, 24) == 0x7fc0, "XRSTOR with XSTATE_BV[1]=0 zeroes XMM0-15 and still loads MXCSR");
    wr64(out, 512, 0);
    xrstor_at(out, 1);
    fxsave_at(chk);
    report(rd16(chk, 0) == 0x037f && rd16(chk, 2) == 0 && chk[4] == 0, "XRSTOR with XSTATE_BV[0]=0 gives the x87 initial state (FCW 0x%x)", rd16(chk, 0));
    wr64(out, 512, 3);
    wr64(out, 520, 1);
    report(xrstor_at(out, ~0ull) == 13, "XRSTOR with XCOMP_BV set is #GP (standard form only)");
    wr64(out, 520, 0);
    wr64(out, 512, 4);
    report(xrstor_at(out, ~0ull) == 13, "XRSTOR with XSTATE_BV outside XCR0 is #GP");
    wr64(out, 512, 3);
    wr64(out, 560, 1);
    report(xrstor_at(out, ~0ull) == 13, "XRSTOR with a non-zero reserved header byte is #GP");
    wr64(out, 560, 0);
    report(xrstor_at(out, ~0ull) == -1, "XRSTOR of a valid image");
    write_cr0(read_cr0() | CR0_TS);
    int nm = xsave_at(out, ~0ull);
    write_cr0(read_cr0() & ~CR0_TS);
    report(nm == 7, "XSAVE with CR0.TS is #NM");
}

static void cache_and_fences(void)
{
    static u8 line[64] __attribute__((aligned(64)));
    struct cpuid_regs l7 = cpuid(7, 0);
    catch_begin();
    asm volatile("1: clflush %0\n\tlfence\n\tmfence\n\tsfence\n2:\n\t" EX_FIXUP("1b", "2b") :: "m"(line[0]) : "memory");
    report(caught_vec == -1, "CLFLUSH and LFENCE/MFENCE/SFENCE execute");
    if ((l7.b >> 23) & 1) {
        catch_begin();
        asm volatile("1: clflushopt %0\n2:\n\t" EX_FIXUP("1b", "2b") :: "m"(line[0]) : "memory");
        report(caught_vec == -1, "CLFLUSHOPT advertised and executes");
    }
    if ((l7.b >> 24) & 1) {
        catch_begin();
        asm volatile("1: clwb %0\n2:\n\t" EX_FIXUP("1b", "2b") :: "m"(line[0]) : "memory");
        report(caught_vec == -1, "CLWB advertised and executes");
    }
    catch_begin();
    asm volatile("1: clflush (%0)\n2:\n\t" EX_FIXUP("1b", "2b") :: "r"(0x8000000000000000ull) : "memory");
    report(caught_vec == 13, "CLFLUSH of a non-canonical address is #GP (got %d)", caught_vec);
}

int main(void)
{
    struct cpuid_regs l1 = cpuid(1, 0);
    report((l1.d >> 24) & 1, "CPUID.1:EDX.FXSR advertised");
    write_cr0(read_cr0() & ~(CR0_EM | CR0_TS));
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    report((read_cr4() & (CR4_OSFXSR | CR4_OSXMMEXCPT)) == (CR4_OSFXSR | CR4_OSXMMEXCPT), "CR4.OSFXSR and OSXMMEXCPT settable");
    fxsr();
    xsave_feature();
    cache_and_fences();
    return report_summary();
}
