/*
 * modes: the CPU in all three operating modes. runtime/mode_probe.S runs
 * real-mode and 32-bit protected-mode code before long mode is entered and
 * leaves its observations in mode_results; here we check them, then check
 * long mode itself.
 */
#include "guest.h"
#include "mode_probe.h"

int main(void)
{
    const struct mode_results *r = &mode_results;
    int pm_ok = 1, rm_ok = 1, lm_ok = 1;

    /* mode_probe.S uses 0x6000-0x8100 of low memory; the loader's data must
     * live elsewhere or it was overwritten before we got here. */
    u64 cmd = (u64)multiboot_cmdline();
    report((mb_info >= 0x8100 || mb_info + sizeof(struct multiboot_info) <= 0x6000) &&
               (cmd >= 0x8100 || cmd < 0x6000),
           "multiboot info (0x%x) and cmdline (0x%lx) clear of the real-mode scratch area", mb_info, cmd);

    pm_ok &= report(r->pm32_ran == 1, "32-bit protected mode code ran");
    pm_ok &= report(r->pm32_mul_lo == 0x23456780 && r->pm32_mul_hi == 1, "32-bit MUL: 0x12345678 * 0x10 = 0x1:23456780");
    pm_ok &= report(r->pm32_push_delta == 4, "PUSH in 32-bit code moves ESP by 4 (%u)", r->pm32_push_delta);
    pm_ok &= report(r->pm32_de_count == 1, "#DE delivered through the 32-bit IDT");
    pm_ok &= report(r->pm32_de_eip == r->pm32_de_expected_eip, "32-bit #DE saved EIP is the DIV (0x%x)", r->pm32_de_eip);
    pm_ok &= report(r->pm32_de_cs == SEL_CODE32, "32-bit #DE saved CS 0x%x", r->pm32_de_cs);

    rm_ok &= report(r->rm_ran == 1, "real-mode code ran");
    rm_ok &= report(r->rm_cs == RM_BASE >> 4, "real-mode CS = 0x%x", r->rm_cs);
    rm_ok &= report(r->rm_seg_value == 0xBEEF, "real-mode segment arithmetic: 0x0800:0x0010 aliases 0x0000:0x8010 (0x%x)",
                    r->rm_seg_value);
    rm_ok &= report(r->rm_add_ax == 0 && r->rm_add_cf == 0xFFFF, "16-bit ADD 0xffff+1 wraps to 0 with CF");
    rm_ok &= report(r->rm_int_count == 1, "INT 0x30 through the real-mode IVT");
    rm_ok &= report(r->rm_de_count == 1 && r->rm_de_ip == r->rm_de_expected_ip,
                    "real-mode #DE through IVT vector 0 saves the DIV's IP (0x%x)", r->rm_de_ip);
    rm_ok &= report(r->rm_push_delta == 2, "PUSH in real mode moves SP by 2 (%u)", r->rm_push_delta);

    lm_ok &= report((rdmsr(MSR_EFER) & EFER_LMA) != 0, "EFER.LMA set");
    lm_ok &= report(read_cs() == SEL_CODE64, "running on the 64-bit code segment");
    u64 big = 0x123456789ull, prod;
    asm("imul $16, %1, %0" : "=r"(prod) : "r"(big));
    lm_ok &= report(prod == 0x1234567890ull, "64-bit arithmetic");
    u64 rsp0, rsp1;
    asm volatile("mov %%rsp, %0; push $0; mov %%rsp, %1; pop %%rax" : "=r"(rsp0), "=r"(rsp1) :: "rax");
    lm_ok &= report(rsp0 - rsp1 == 8, "PUSH in 64-bit code moves RSP by 8");
    u32 a = 100, d = 0, zero = 0;
    catch_begin();
    asm volatile("1: divl %2\n2:\n\t" EX_FIXUP("1b", "2b") : "+a"(a), "+d"(d) : "r"(zero));
    lm_ok &= report(caught_vector() == 0, "#DE delivered through the 64-bit IDT");

    printf("modes exercised:%s%s%s\n", rm_ok ? " real" : "", pm_ok ? " protected32" : "", lm_ok ? " long64" : "");
    return 0;
}
