/* PASS/FAIL lines and the final SUMMARY the tests parse. */
#include "guest.h"

static unsigned tests, failures;

int report(int cond, const char *fmt, ...)
{
    va_list ap;
    tests++;
    if (!cond)
        failures++;
    printf("%s: ", cond ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return cond;
}

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

/* Checks where QEMU TCG departs from the Intel SDM: the SDM answer (sdm_ok)
 * passes; with "qemu-quirks" on the command line (only used when checking the
 * guests on QEMU), QEMU's known answer (qemu_ok) is printed as a KNOWN-QEMU-
 * DEVIATION line instead of a failure. tsvisor is always held to the SDM. */
int report_sdm(int sdm_ok, int qemu_ok, const char *fmt, ...)
{
    va_list ap;
    if (!sdm_ok && qemu_ok && cmdline_u64("qemu-quirks", 0)) {
        printf("KNOWN-QEMU-DEVIATION: ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        return 0;
    }
    tests++;
    if (!sdm_ok)
        failures++;
    printf("%s: ", sdm_ok ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return sdm_ok;
}
