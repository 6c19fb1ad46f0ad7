/*
 * Guest-requested resets and power-off, one per run, chosen on the command
 * line: how=1 writes 0x06 to the reset control register 0xCF9, how=2 sends
 * the i8042 command 0xFE (pulse the reset line), how=3 enters ACPI S5
 * through PM1a_CNT (SLP_TYP 0 | SLP_EN). The test runs it with -no-reboot:
 * a reset ends the machine like a triple fault (reason 'shutdown'), S5 with
 * reason 'poweroff'; both with status 0. Reaching the end is a failure.
 */
#include "guest.h"

#define PM1A_CNT 0x604
#define SLP_EN (1u << 13)

int main(void)
{
    u64 how = cmdline_u64("how", 0);
    printf("INFO: requesting %s\n", how == 1 ? "reset via 0xCF9" : how == 2 ? "reset via the i8042" : how == 3 ? "ACPI S5" : "nothing");
    if (how == 1)
        outb(0xCF9, 0x06);
    else if (how == 2)
        outb(0x64, 0xFE);
    else if (how == 3)
        outw(PM1A_CNT, (0u << 10) | SLP_EN);
    report(0, "the machine is still running after the request (how=%lu)", how);
    return 0;
}
