/* PASS/FAIL lines and the final SUMMARY the tests parse. */
#include "guest.h"

static unsigned tests, failures;

void report_info(const char *fmt, ...)
{
    va_list ap;
    printf("INFO: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

unsigned report_failures(void)
{
    return failures;
}

int report_summary(void)
{
    printf("SUMMARY: %u tests, %u failures\n", tests, failures);
    return (int)failures;
}

/* A check with a known deviation: ok passes; with the quirk key on the command
 * line, the known answer (known_ok) is printed as a KNOWN-<who>-DEVIATION line
 * instead of a failure. Without the key the check is held to ok alone. */
static int report_known(int ok, int known_ok, const char *quirk_key, const char *who, const char *fmt, va_list ap)
{
    if (!ok && known_ok && cmdline_u64(quirk_key, 0)) {
        printf("KNOWN-%s-DEVIATION: ", who);
        vprintf(fmt, ap);
        printf("\n");
        return 0;
    }
    tests++;
    if (!ok)
        failures++;
    printf("%s: ", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    return ok;
}

int report(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = report_known(cond, 0, "", "", fmt, ap);
    va_end(ap);
    return r;
}

/* Checks where QEMU TCG departs from the Intel SDM: "qemu-quirks" is only given
 * when checking the guests on QEMU (or on a nested /dev/kvm whose outer CPU is
 * QEMU's TCG). tsvisor's interpreter is always held to the SDM. */
int report_sdm(int sdm_ok, int qemu_ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = report_known(sdm_ok, qemu_ok, "qemu-quirks", "QEMU", fmt, ap);
    va_end(ap);
    return r;
}

/* Checks where the kvm backend cannot give the machine's answer because KVM
 * decides in the kernel without asking user space (docs/backends.md lists
 * them): "kvm-quirks" is given only to guests run on the kvm backend. */
int report_kvm(int ok, int kvm_ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = report_known(ok, kvm_ok, "kvm-quirks", "KVM", fmt, ap);
    va_end(ap);
    return r;
}
