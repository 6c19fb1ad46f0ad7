/*
 * demo: the guest behind `npx tsvisor --demo`. Asks the virtual hardware what
 * it is and prints a short banner; every line is measured, none is canned.
 */
#include "guest.h"
#include "mode_probe.h"

static void cpu_names(char vendor[13], char brand[49])
{
    struct cpuid_regs r = cpuid(0, 0);
    memcpy(vendor, &r.b, 4);
    memcpy(vendor + 4, &r.d, 4);
    memcpy(vendor + 8, &r.c, 4);
    vendor[12] = 0;
    brand[0] = 0;
    if (cpuid(0x80000000, 0).a >= 0x80000004) {
        for (u32 i = 0; i < 3; i++) {
            struct cpuid_regs b = cpuid(0x80000002 + i, 0);
            memcpy(brand + 16 * i, &b, 16);
        }
        brand[48] = 0;
    }
}

int main(void)
{
    char vendor[13], brand[49];
    cpu_names(vendor, brand);
    const char *b = brand;
    while (*b == ' ')
        b++;

    const struct mode_results *m = &mode_results;
    int real_ok = m->rm_ran && m->rm_int_count == 1 && m->rm_seg_value == 0xBEEF;
    int prot_ok = m->pm32_ran && m->pm32_de_count == 1 && m->pm32_push_delta == 4;
    int long_ok = (rdmsr(MSR_EFER) & EFER_LMA) && (read_cr4() & CR4_PAE) && (read_cr0() & CR0_PG);
    int nx = enable_nx();
    u64 kib = multiboot_ram_top() / 1024;

    printf("\n");
    printf("  Hello from inside tsvisor!\n");
    printf("  ---------------------------------------------\n");
    printf("  cpu: %s%s%s\n", vendor, *b ? " / " : "", b);
    printf("  real mode: %s\n", real_ok ? "ok" : "FAILED");
    printf("  protected mode: %s\n", prot_ok ? "ok" : "FAILED");
    printf("  long mode: %s (4-level paging%s)\n", long_ok ? "ok" : "FAILED", nx ? ", NX" : "");
    printf("  memory: %lu MiB\n", (kib + 1023) / 1024);
    printf("  ---------------------------------------------\n");
    printf("  All of this ran on a CPU written for Node.js.\n\n");
    report(real_ok && prot_ok && long_ok, "demo: real, protected and long mode all work");
    return 0;
}
