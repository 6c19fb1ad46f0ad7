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
