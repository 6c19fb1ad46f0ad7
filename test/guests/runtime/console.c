/* Polled 16550 UART on COM1 and the isa-debug-exit port. */
#include "guest.h"

#define COM1 0x3F8
#define DEBUG_EXIT_PORT 0xF4

void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts */
    outb(COM1 + 3, 0x80);   /* DLAB on */
    outb(COM1 + 0, 0x01);   /* divisor 1 = 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1, DLAB off */
    outb(COM1 + 2, 0xC7);   /* FIFO on, cleared */
    outb(COM1 + 4, 0x0B);   /* DTR, RTS, OUT2 */
}

void serial_putc(char c)
{
    /* Wait for THR empty (LSR bit 5). No time limit: a VMM whose output
     * channel is busy holds THRE clear, and dropping characters then would
     * corrupt the test log; with no UART at all LSR reads 0xff, so this
     * cannot hang. */
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (u8)c);
}

void serial_puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            serial_putc('\r');
        serial_putc(*s++);
    }
}

void guest_exit(int code)
{
    /* isa-debug-exit: the VMM exits with status (code << 1) | 1. */
    outb(DEBUG_EXIT_PORT, (u8)code);
    for (;;)
        asm volatile("cli; hlt");
}
