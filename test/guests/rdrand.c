/*
 * rdrand: RDRAND and RDSEED (CPUID.1:ECX[30], CPUID.(7,0):EBX[18]) with
 * 16-, 32- and 64-bit destinations: CF = 1 and OF/SF/ZF/AF/PF cleared, the
 * value lands in the register (32-bit zero-extends, 16-bit keeps bits 63:16),
 * successive values differ; #UD with LOCK, F2 or F3 and for the memory form.
 * Where CPUID does not offer them both are #UD. Run with -cpu max and with a
 * model without them. QEMU TCG (7.2) executes RDSEED where its -cpu max does
 * not offer it (report_sdm).
 */
#include "guest.h"

#define ARITH_FLAGS 0x8d5ull    /* OF SF ZF AF PF CF */
#define FLAG_CF     1ull

/* Runs `insn` with every arithmetic flag set and RAX = `fill`; returns RAX, flags in *fl. */
#define RUN_WITH_FLAGS(insn, fill, fl)                                              \
    ({                                                                          \
        u64 r_ = (fill), f_;                                                    \
        asm volatile("pushfq\n\torq %2, (%%rsp)\n\tpopfq\n\t" insn "\n\tpushfq\n\tpopq %1" \
                     : "+a"(r_), "=r"(f_) : "i"(ARITH_FLAGS) : "cc");           \
        *(fl) = f_;                                                             \
        r_;                                                                     \
    })

static u64 rdrand64(u64 *fl) { return RUN_WITH_FLAGS("rdrand %%rax", ~0ull, fl); }
static u64 rdrand32(u64 *fl) { return RUN_WITH_FLAGS("rdrand %%eax", ~0ull, fl); }
static u64 rdrand16(u64 *fl) { return RUN_WITH_FLAGS("rdrand %%ax", ~0ull, fl); }
static u64 rdseed64(u64 *fl) { return RUN_WITH_FLAGS("rdseed %%rax", ~0ull, fl); }
static u64 rdseed32(u64 *fl) { return RUN_WITH_FLAGS("rdseed %%eax", ~0ull, fl); }
static u64 rdseed16(u64 *fl) { return RUN_WITH_FLAGS("rdseed %%ax", ~0ull, fl); }

typedef u64 (*draw_fn)(u64 *fl);

/* 8 draws: every one succeeds with exactly CF of the arithmetic flags, the width is respected,
 * and the values are not all the same (the chance of that for random 16-bit values is 2^-112). */
static void check_draws(const char *name, unsigned bits, draw_fn draw)
{
    u64 v[8], fl;
    int flags_ok = 1, width_ok = 1, all_same = 1;
    for (int k = 0; k < 8; k++) {
        v[k] = draw(&fl);
        flags_ok &= (fl & ARITH_FLAGS) == FLAG_CF;
        if (bits == 32)
            width_ok &= (v[k] >> 32) == 0;                         /* zero-extended */
        if (bits == 16)
            width_ok &= (v[k] >> 16) == 0xffffffffffffull;         /* bits 63:16 kept */
        if (k > 0 && v[k] != v[0])
            all_same = 0;
    }
    report(flags_ok, "%s: CF=1, OF/SF/ZF/AF/PF cleared", name);
    report(width_ok, "%s: %u-bit destination (last 0x%lx)", name, bits, v[7]);
    report(!all_same, "%s: successive values differ (0x%lx, 0x%lx)", name, v[0], v[1]);
}

static int ud_of(int which)
{
    catch_begin();
    switch (which) {
    case 0: asm volatile("1: rdrand %%eax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "cc"); break;
    case 1: asm volatile("1: rdseed %%eax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "cc"); break;
    case 2: asm volatile("1: .byte 0xf0\n\trdrand %%eax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "cc"); break;
    case 3: asm volatile("1: .byte 0xf3\n\trdrand %%eax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "cc"); break;
    case 4: asm volatile("1: .byte 0xf2\n\trdrand %%eax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "cc"); break;
    case 5: asm volatile("1: .byte 0xf2\n\trdseed %%eax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "cc"); break;
    case 6: asm volatile("1: .byte 0xf0\n\trdseed %%rax\n2:\n\t" EX_FIXUP("1b", "2b") ::: "rax", "cc"); break;
    /* 0F C7 /6 with a memory operand is VMPTRLD (VMX is not offered) */
    case 7: { u64 m = 0; asm volatile("1: .byte 0x0f, 0xc7, 0x30\n2:\n\t" EX_FIXUP("1b", "2b") :: "a"(&m) : "memory"); } break;
    }
    return caught_vec;
}

int main(void)
{
    int has_rdrand = (cpuid(1, 0).c >> 30) & 1;
    int has_rdseed = cpuid(0, 0).a >= 7 && ((cpuid(7, 0).b >> 18) & 1);
    printf("INFO: RDRAND %s, RDSEED %s\n", has_rdrand ? "offered" : "not offered", has_rdseed ? "offered" : "not offered");

    if (has_rdrand) {
        check_draws("RDRAND r64", 64, rdrand64);
        check_draws("RDRAND r32", 32, rdrand32);
        check_draws("RDRAND r16", 16, rdrand16);
        int v = ud_of(2);
        report(v == 6, "LOCK RDRAND is #UD (got %d)", v);
        v = ud_of(3);
        report(v == 6, "F3 RDRAND is #UD (got %d)", v);
        v = ud_of(4);
        report(v == 6, "F2 RDRAND is #UD (got %d)", v);
    } else {
        int v = ud_of(0);
        report_sdm(v == 6, v == -1, "RDRAND not offered: #UD (got %d)", v);
    }
    if (has_rdseed) {
        check_draws("RDSEED r64", 64, rdseed64);
        check_draws("RDSEED r32", 32, rdseed32);
        check_draws("RDSEED r16", 16, rdseed16);
        int v = ud_of(5);
        report(v == 6, "F2 RDSEED is #UD (got %d)", v);
        v = ud_of(6);
        report(v == 6, "LOCK RDSEED is #UD (got %d)", v);
    } else {
        int v = ud_of(1);
        report_sdm(v == 6, v == -1, "RDSEED not offered: #UD (got %d)", v);
    }
    int v = ud_of(7);
    report(v == 6, "0F C7 /6 with a memory operand (VMPTRLD, no VMX) is #UD (got %d)", v);
    return 0;
}
