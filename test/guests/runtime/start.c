/* First C code in long mode: bring up the console and the IDT, run main(),
 * then report and exit through isa-debug-exit. */
#include "guest.h"

void exceptions_init(void);

void runtime_start64(void)
{
    serial_init();
    exceptions_init();
    main();
    guest_exit(report_summary() ? 1 : 0);
}
