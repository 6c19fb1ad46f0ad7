/*
 * sse4: SSE3, SSSE3 (mm and xmm forms), SSE4.1, SSE4.2, AES-NI and PCLMULQDQ on
 * the CPU core.
 *
 * 1. Every instruction form in sse4_stubs.S (register, aligned and misaligned
 *    memory, REX registers, every imm8 where it matters) runs on generated
 *    inputs; each form's digest of results, flags, memory and fault vector must
 *    equal the one real hardware gave (sse4_expected.h, from
 *    tools/sse4_reference.c run on the host CPU). `dump=N` on the command line
 *    prints every case of form N for comparison with `sse4_reference dump N`.
 * 2. Known answers from the standards: the FIPS-197 AES-128 example (appendix
 *    A.1 key expansion, C.1 cipher and inverse cipher), the CRC-32C check value
 *    of "123456789", carry-less products.
 * 3. Availability: #NM with CR0.TS, #UD with CR0.EM or without CR4.OSFXSR,
 *    while CRC32 (a general-register instruction) runs regardless.
 *
 * XMM registers are loaded and read through FXRSTOR/FXSAVE (sse4_run), so
 * the program needs no other SSE instruction.
 */
#include "guest.h"
#include "sse4_harness.h"
#include "sse4_expected.h"

#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_MP (1ull << 1)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

static struct sse4_state st;

static const struct sse4_form *form_named(const char *name)
{
    for (const struct sse4_form *f = sse4_forms; f < sse4_forms_end; f++)
        if (!strcmp(f->name, name)) return f;
    return 0;
}


/* ---- 1. every form against the hardware's digests ---- */
static void check_forms(void)
{
    unsigned count = (unsigned)(sse4_forms_end - sse4_forms);
    unsigned expected = sizeof sse4_expected / sizeof sse4_expected[0];
    report(count == expected, "sse4_expected.h matches sse4_stubs.S (%u forms, %u digests)", count, expected);
    if (count != expected) return;
    u64 dump = cmdline_u64("dump", ~0ull);
    for (unsigned idx = 0; idx < count; idx++) {
        const struct sse4_form *f = &sse4_forms[idx];
        u64 h = 0xcbf29ce484222325ull;
        for (unsigned v = 0; v < f->variants; v++) {
            for (unsigned n = 0; n < sse4_cases(f); n++) {
                sse4_inputs(&st, f, v, n);
                catch_begin();
                sse4_run(&st, f->stubs + 16 * v);
                h = sse4_digest(h, &st, caught_vector());
                if (idx == dump) sse4_print_case(f, v, n, &st, caught_vector());
            }
        }
        int same_name = !strcmp(f->name, sse4_expected[idx].name);
        report(same_name && h == sse4_expected[idx].digest, "%s (form %u): %u variants x %u cases as on hardware",
               f->name, idx, f->variants, sse4_cases(f));
    }
}

/* ---- 2. known answers ---- */
/* One instruction of a form on xmm1 = d, xmm2 = s; returns xmm1. */
static void xop(const char *name, unsigned imm, const u8 *d, const u8 *s, u8 *out)
{
    const struct sse4_form *f = form_named(name);
    sse4_inputs(&st, f, 0, 0);
    memcpy(st.fx + 160 + 16, d, 16);
    memcpy(st.fx + 160 + 32, s, 16);
    memcpy(st.mem, s, 16);
    sse4_run(&st, f->stubs + 16 * imm);
    memcpy(out, st.fx + 160 + 16, 16);
}
static void hex_to(u8 *out, const char *hex)
{
    for (unsigned k = 0; k < 16; k++) {
        unsigned v = 0;
        for (unsigned j = 0; j < 2; j++) {
            char c = hex[2 * k + j];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[k] = (u8)v;
    }
}

static void check_aes(void)
{
    /* FIPS-197 appendix A.1: AES-128 key expansion with AESKEYGENASSIST */
    static const u8 rcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36};
    u8 rk[11][16], t[16], zero[16] = {0};
    hex_to(rk[0], "2b7e151628aed2a6abf7158809cf4f3c");
    for (unsigned r = 1; r <= 10; r++) {
        xop("aeskeygenassist", rcon[r - 1], zero, rk[r - 1], t);
        u32 w[4], x;
        memcpy(w, rk[r - 1], 16);
        memcpy(&x, t + 12, 4);             /* RotWord(SubWord(w3)) ^ Rcon */
        w[0] ^= x; w[1] ^= w[0]; w[2] ^= w[1]; w[3] ^= w[2];
        memcpy(rk[r], w, 16);
    }
    u8 want[16];
    hex_to(want, "d014f9a8c9ee2589e13f0cc8b6630ca6");
    report(!memcmp(rk[10], want, 16), "FIPS-197 A.1: AESKEYGENASSIST key expansion, round key 10 = d014f9a8...b6630ca6");

    /* FIPS-197 appendix C.1: key 000102..0f, plaintext 00112233..ff */
    hex_to(rk[0], "000102030405060708090a0b0c0d0e0f");
    for (unsigned r = 1; r <= 10; r++) {
        xop("aeskeygenassist", rcon[r - 1], zero, rk[r - 1], t);
        u32 w[4], x;
        memcpy(w, rk[r - 1], 16);
        memcpy(&x, t + 12, 4);
        w[0] ^= x; w[1] ^= w[0]; w[2] ^= w[1]; w[3] ^= w[2];
        memcpy(rk[r], w, 16);
    }
    u8 block[16], plain[16];
    hex_to(plain, "00112233445566778899aabbccddeeff");
    for (unsigned k = 0; k < 16; k++) block[k] = plain[k] ^ rk[0][k];
    for (unsigned r = 1; r < 10; r++) xop("aesenc", 0, block, rk[r], block);
    xop("aesenclast", 0, block, rk[10], block);
    hex_to(want, "69c4e0d86a7b0430d8cdb78070b4c55a");
    report(!memcmp(block, want, 16), "FIPS-197 C.1: AESENC/AESENCLAST give 69c4e0d8...70b4c55a");

    /* the equivalent inverse cipher: round keys 1..9 through AESIMC */
    for (unsigned k = 0; k < 16; k++) block[k] ^= rk[10][k];
    for (unsigned r = 9; r >= 1; r--) {
        u8 dk[16];
        xop("aesimc", 0, zero, rk[r], dk);
        xop("aesdec", 0, block, dk, block);
    }
    xop("aesdeclast", 0, block, rk[0], block);
    report(!memcmp(block, plain, 16), "FIPS-197 C.1: AESIMC/AESDEC/AESDECLAST give the plaintext back");
}

static void check_crc32c(void)
{
    const char *s = "123456789";
    u64 crc = 0xffffffff;
    for (const char *p = s; *p; p++) {
        u64 in = crc, v = (u8)*p;
        asm volatile("crc32b %b1, %k0" : "+r"(in) : "r"(v));
        crc = in;
    }
    report((crc ^ 0xffffffff) == 0xe3069283, "CRC32 (byte steps): CRC-32C check value of \"123456789\" is e3069283 (got %llx)",
           (unsigned long long)(crc ^ 0xffffffff));
    u64 q, r = 0xffffffff;
    memcpy(&q, s, 8);
    asm volatile("crc32q %1, %0" : "+r"(r) : "r"(q));
    asm volatile("crc32b %b1, %k0" : "+r"(r) : "r"((u64)'9'));
    report((r ^ 0xffffffff) == 0xe3069283, "CRC32 (qword + byte): the same check value");
}

static void check_pclmul(void)
{
    u8 a[16] = {0}, b[16] = {0}, out[16];
    a[0] = 3; b[0] = 3;                                      /* (x + 1)^2 = x^2 + 1 */
    xop("pclmulqdq", 0x00, a, b, out);
    u64 lo, hi;
    memcpy(&lo, out, 8); memcpy(&hi, out + 8, 8);
    report(lo == 5 && hi == 0, "PCLMULQDQ: 3 x 3 = 5 carry-less");
    memset(a + 8, 0xff, 8);                                  /* high qword of xmm1: all ones */
    memset(b, 0, 16); memset(b + 8, 0xff, 8);
    xop("pclmulqdq", 0x11, a, b, out);                       /* squaring spreads the bits: x^(2i) */
    memcpy(&lo, out, 8); memcpy(&hi, out + 8, 8);
    report(lo == 0x5555555555555555ull && hi == 0x5555555555555555ull,
           "PCLMULQDQ imm 0x11: (2^64-1) squared carry-less is 5555...5555");
}

/* ---- 3. availability ---- */
static int pshufb_vec(void)
{
    catch_begin();
    asm volatile("1: pshufb %%xmm2, %%xmm1\n2:\n\t" EX_FIXUP("1b", "2b") ::: "memory");
    return caught_vector();
}
static int crc32_vec(void)
{
    u64 v = 0;
    catch_begin();
    asm volatile("1: crc32q %%rcx, %0\n2:\n\t" EX_FIXUP("1b", "2b") : "+a"(v) : "c"(1ull));
    return caught_vector();
}
static void check_availability(void)
{
    u64 cr0 = read_cr0(), cr4 = read_cr4();
    write_cr0(cr0 | CR0_TS);
    report(pshufb_vec() == 7, "PSHUFB with CR0.TS is #NM");
    report(crc32_vec() == -1, "CRC32 with CR0.TS runs");
    write_cr0(cr0);
    write_cr0(cr0 | CR0_EM);
    report(pshufb_vec() == 6, "PSHUFB with CR0.EM is #UD");
    write_cr0(cr0);
    write_cr4(cr4 & ~CR4_OSFXSR);
    report(pshufb_vec() == 6, "PSHUFB without CR4.OSFXSR is #UD");
    report(crc32_vec() == -1, "CRC32 without CR4.OSFXSR runs");
    write_cr4(cr4);
    report(pshufb_vec() == -1, "PSHUFB runs again with SSE enabled");
}

int main(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    check_forms();
    check_aes();
    check_crc32c();
    check_pclmul();
    check_availability();
    return 0;
}
