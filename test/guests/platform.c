/*
 * The legacy PC platform devices on the real CPU core: RTC calendar and
 * CMOS memory sizes, the 8259 pair programmed as an OS does, PIT channel 0
 * at 1 kHz taking IRQ 0 through the PIC (LINT0 ExtINT) while HLTing, PIC
 * IRR/ISR reads, PIT channel 2 counted down through port 0x61, the ACPI PM
 * timer as the reference clock, the RTC periodic interrupt on IRQ 8, the
 * UART's THR-empty interrupt, the IOAPIC (PIT on pin 2 edge-triggered, RTC on
 * pin 8 level-triggered with remote IRR), level (ELCR) against edge inputs
 * of the 8259 with a line held by pc-testdev, and the i8042's self-test.
 * Meant for icount mode (the test runs it with -icount shift=0 and
 * -rtc base=2006-06-17T16:01:21), where interrupt counts and intervals are
 * exact; the bounds still leave room for the PIT/PM-timer clock ratio.
 * With realtime=1 on the command line (KVM, where guest time is host time and
 * an exit may take a millisecond on a nested /dev/kvm) the timers run at 50 Hz
 * (PIT) and 32 Hz (RTC) instead of 1 kHz: with a 1 ms period and two 1 ms
 * exits per interrupt (the EOI, the interrupt window after IRET), the next
 * tick is always pending at IRET and the guest never runs past its handler,
 * as on hardware whose handler is longer than the period. Intervals must
 * then still not be short, but may be late by what the exits cost.
 */
#include "guest.h"
#include "pc_ports.h"
#include "apic.h"

#define COM1 0x3F8
#define IOAPIC_BASE 0xFEC00000ull

#define PIC_BASE 0x20   /* IRQ 0-7 -> 0x20-0x27, IRQ 8-15 -> 0x28-0x2f */
#define V_IOAPIC_PIT 0x30
#define V_IOAPIC_RTC 0x31

static volatile unsigned hits[256];
static volatile u8 last_uart_iir;
static volatile u32 rtc_redir_in_handler;
/* pc-testdev drives IRQ line n through port 0x2000 + n; the IRQ 10 handler lowers it at this count. */
#define TESTDEV_IRQ_PORT 0x2000
static volatile unsigned irq10_lower_at;
static int realtime;   /* cmdline realtime=1 */

/* PIT channel 0 reload value and tick count for the IRQ 0 tests: 1 kHz, or 50 Hz in real time. */
static u16 pit_tick_count(void) { return realtime ? PIT_HZ / 50 : (PIT_HZ + 500) / 1000; }
static u32 pit_tick_us(void) { return (u32)((u64)pit_tick_count() * 1000000 / PIT_HZ); }
/* How late a measured interval may end: 1 % in icount mode, plus two periods and 100 ms of exits in real time. */
static u32 late_slack_us(u32 expect, u32 period_us) { return expect / 100 + (realtime ? 2 * period_us + 100000 : 0); }

/* PM timer ticks between two readings (24-bit wrap) in microseconds. */
static u32 pm_us(u32 from, u32 to) { return (u32)(((u64)((to - from) & 0xFFFFFF) * 1000000u) / PM_HZ); }

static u32 ioapic_read(u32 reg)
{
    *(volatile u32 *)IOAPIC_BASE = reg;
    return *(volatile u32 *)(IOAPIC_BASE + 0x10);
}
static void ioapic_write(u32 reg, u32 v)
{
    *(volatile u32 *)IOAPIC_BASE = reg;
    *(volatile u32 *)(IOAPIC_BASE + 0x10) = v;
}

/* ---- interrupt handlers ---------------------------------------------- */

static int pic_irq(struct trap_frame *f)
{
    unsigned v = (unsigned)f->vector;
    hits[v]++;
    if (v == PIC_BASE + 8) (void)cmos_read(0x0C);          /* RTC: acknowledge in register C */
    if (v == PIC_BASE + 4) last_uart_iir = inb(COM1 + 2);  /* UART: IIR read clears THRE */
    if (v == PIC_BASE + 10 && hits[v] == irq10_lower_at) outb(TESTDEV_IRQ_PORT + 10, 0);
    if (v >= PIC_BASE + 8) outb(PIC2_CMD, 0x20);
    outb(PIC1_CMD, 0x20);
    return 1;
}

static int spurious(struct trap_frame *f)
{
    hits[f->vector]++;   /* no EOI for a spurious IRQ 7 */
    return 1;
}

static int ioapic_irq(struct trap_frame *f)
{
    hits[f->vector]++;
    if (f->vector == V_IOAPIC_RTC) {
        rtc_redir_in_handler = ioapic_read(0x10 + 2 * 8);
        (void)cmos_read(0x0C);
    }
    apic_eoi();
    return 1;
}

static void wait_hits(unsigned vector, unsigned n)
{
    /* HLT with interrupts on: in icount mode a halted CPU warps to the next timer deadline. */
    for (unsigned spins = 0; hits[vector] < n && spins < 100000; spins++)
        asm volatile("sti; hlt; cli" ::: "memory");
}

static void busy_wait_us(u32 us)
{
    u32 start = pm_now();
    while (pm_us(start, pm_now()) < us)
        ;
}

/* ---- devices ---------------------------------------------------------- */

static void pit_ch0(u8 mode, u16 count)
{
    outb(PIT_CTRL, (u8)(0x30 | (mode << 1)));
    outb(PIT_CH0, count & 0xFF);
    outb(PIT_CH0, count >> 8);
}

static void pit_ch0_stop(void)
{
    /* Mode 0 with the count never written: OUT0 stays low, nothing fires. */
    outb(PIT_CTRL, 0x30);
}

/* ---- tests ------------------------------------------------------------ */

static int bcd(u8 v) { return (v >> 4) * 10 + (v & 15); }

static void rtc_calendar(void)
{
    while (cmos_read(0x0A) & 0x80)
        ;   /* update in progress: the time registers are about to change */
    int sec = bcd(cmos_read(0)), min = bcd(cmos_read(2)), hour = bcd(cmos_read(4));
    int day = bcd(cmos_read(7)), mon = bcd(cmos_read(8)), year = bcd(cmos_read(9)), cent = bcd(cmos_read(0x32));
    report(cent == 20 && year == 6 && mon == 6 && day == 17, "RTC date from -rtc base: %02d%02d-%02d-%02d", cent, year, mon, day);
    report(hour == 16 && min == 1 && sec >= 21 && sec <= 22, "RTC time: %02d:%02d:%02d", hour, min, sec);
    report(bcd(cmos_read(6)) == 7, "day of week: Saturday (7)");
    report((cmos_read(0x0B) & 0x06) == 0x02 && (cmos_read(0x0D) & 0x80), "register B: BCD, 24 h; register D: VRT");
}

static void cmos_memory(void)
{
    u32 upper = (u32)cmdline_u64("ram_mb", 0) * 1024 - 1024;   /* KiB above 1 MiB */
    u32 ext = cmos_read(0x30) | (cmos_read(0x31) << 8);
    u32 ext2 = cmos_read(0x17) | (cmos_read(0x18) << 8);
    u32 above16 = cmos_read(0x34) | (cmos_read(0x35) << 8);
    u32 expect_ext = upper > 0xFFFF ? 0xFFFF : upper;
    report(ext == expect_ext && ext2 == expect_ext, "CMOS extended memory %u KiB (RAM above 1 MiB: %u KiB)", ext, upper);
    report(above16 == (upper + 1024 - 16384) / 64, "CMOS memory above 16 MiB: %u x 64 KiB", above16);
    report((cmos_read(0x15) | (cmos_read(0x16) << 8)) == 640, "CMOS base memory 640 KiB");
    cmos_write(0x50, 0xA5);
    report(cmos_read(0x50) == 0xA5, "CMOS NVRAM byte keeps its value");
}

static void pit_through_pic(void)
{
    pic_init(PIC_BASE, 0xFE, 0xFF);   /* IRQ 0 only */
    report(inb(PIC1_DATA) == 0xFE && inb(PIC2_DATA) == 0xFF, "IMR reads back");
    hits[PIC_BASE] = 0;
    u16 count = pit_tick_count();
    unsigned ticks = realtime ? 10 : 100;
    u32 t0 = pm_now();
    pit_ch0(2, count);
    wait_hits(PIC_BASE, ticks);
    u32 us = pm_us(t0, pm_now());
    u32 expect = (u32)((u64)count * ticks * 1000000 / PIT_HZ);
    report(hits[PIC_BASE] == ticks, "%u IRQ 0 ticks through the 8259 while halted (%u)", ticks, hits[PIC_BASE]);
    report(us >= expect - expect / 100 && us <= expect + late_slack_us(expect, pit_tick_us()), "%u ticks of mode 2 took %u us by the PM timer (expected %u)", ticks, us, expect);

    /* Latch and read the running count. */
    outb(PIT_CTRL, 0x00);
    u16 c = inb(PIT_CH0);
    c |= (u16)(inb(PIT_CH0) << 8);
    report(c >= 1 && c <= count, "latched counter 0 value %u within 1..%u", c, count);

    /* Masked: the request waits in IRR. */
    outb(PIC1_DATA, 0xFF);
    busy_wait_us(3 * pit_tick_us());
    outb(PIC1_CMD, 0x0A);
    u8 irr = inb(PIC1_CMD);
    outb(PIC1_CMD, 0x0B);
    u8 isr = inb(PIC1_CMD);
    report((irr & 1) && isr == 0, "masked IRQ 0 pending in IRR (0x%x), ISR empty (0x%x)", irr, isr);
    unsigned before = hits[PIC_BASE];
    outb(PIC1_DATA, 0xFE);
    asm volatile("sti; nop; cli" ::: "memory");
    report(hits[PIC_BASE] == before + 1, "unmasking delivers the pending IRQ 0 once");
    pit_ch0_stop();
}

static void pit_channel2_port61(void)
{
    u8 p61 = inb(PORT_61);
    outb(PORT_61, p61 & ~0x03);            /* gate off, speaker off */
    outb(PIT_CTRL, 0xB0);                  /* channel 2, lo/hi, mode 0 */
    u16 count = PIT_HZ / 100;              /* 10 ms */
    outb(PIT_CH2, count & 0xFF);
    outb(PIT_CH2, count >> 8);
    report((inb(PORT_61) & 0x20) == 0, "mode 0: OUT2 low after the count is written");
    u32 t0 = pm_now();
    outb(PORT_61, (p61 & ~0x02) | 0x01);   /* gate on: counting starts */
    unsigned polls = 0;
    while (!(inb(PORT_61) & 0x20) && polls < 10000000)
        polls++;
    u32 us = pm_us(t0, pm_now());
    report(inb(PORT_61) & 0x20, "OUT2 rose at terminal count after %u polls", polls);
    report(us >= 9900 && us <= 10000 + late_slack_us(10000, 0) + 100, "channel 2 countdown of 10 ms took %u us by the PM timer", us);
    outb(PORT_61, p61 & ~0x03);
    /* The refresh-request bit flips every 15.085 us of guest time. In real time a read costs
     * more than that (an exit), so only that both values show up can be checked. */
    if (realtime) {
        u8 seen = 0;
        for (int i = 0; i < 1000 && seen != 0x30; i++)
            seen |= (inb(PORT_61) & 0x10) ? 0x10 : 0x20;
        report(seen == 0x30, "port 0x61 refresh bit toggles (values seen 0x%x)", seen);
        return;
    }
    u32 edges[3];
    u8 bit = inb(PORT_61) & 0x10;
    for (int i = 0; i < 3; i++) {
        u32 start = pm_now();
        while ((inb(PORT_61) & 0x10) == bit && pm_us(start, pm_now()) < 100)
            ;
        bit ^= 0x10;
        edges[i] = pm_now();
    }
    u32 us2 = pm_us(edges[0], edges[2]);
    /* QEMU flips the bit on every read instead of with time. */
    report_sdm(us2 >= 29 && us2 <= 31, us2 <= 1, "port 0x61 refresh bit toggles every ~15 us (two toggles in %u us)", us2);
}

static void pm_timer(void)
{
    u32 a = pm_now();
    for (volatile int i = 0; i < 10000; i++)
        ;
    u32 b = pm_now();
    report(((b - a) & 0xFFFFFF) > 0, "PM timer advances (%u ticks over a busy loop)", (b - a) & 0xFFFFFF);
    /* tsvisor's FADT has no SMI command port, so the hardware is always in ACPI mode (SCI_EN = 1);
     * QEMU's PIIX4 starts in legacy mode until the OS writes ACPI_ENABLE to port 0xB2. */
    u16 cnt = inw(0x604);
    report_sdm((cnt & 1) == 1, (cnt & 1) == 0, "PM1_CNT.SCI_EN set: ACPI mode without an SMI handshake (PM1_CNT 0x%x)", cnt);
}

static void rtc_periodic(void)
{
    pic_init(PIC_BASE, 0xFB, 0xFE);                  /* cascade + IRQ 8 */
    (void)cmos_read(0x0C);
    hits[PIC_BASE + 8] = 0;
    /* Rate select 6: 1024 Hz; 11: 32 Hz. The first period may be short (the divider's phase). */
    u32 hz = realtime ? 32 : 1024;
    unsigned n = realtime ? 16 : 64;
    cmos_write(0x0A, realtime ? 0x2B : 0x26);
    u32 period = 1000000 / hz, expect = n * 1000000 / hz;
    u32 t0 = pm_now();
    cmos_write(0x0B, cmos_read(0x0B) | 0x40);
    wait_hits(PIC_BASE + 8, n);
    u32 us = pm_us(t0, pm_now());
    cmos_write(0x0B, cmos_read(0x0B) & ~0x40);
    report(hits[PIC_BASE + 8] == n, "%u RTC periodic interrupts on IRQ 8 through the slave (%u)", n, hits[PIC_BASE + 8]);
    u32 lo = expect - period - period / 2, hi = expect + late_slack_us(expect, period);
    /* QEMU (clock=vm, -icount) delivers them at about half the programmed rate. */
    report_sdm(us >= lo && us <= hi, us >= lo, "%u periods at %u Hz took %u us", n, hz, us);
    outb(PIC1_CMD, 0x0B);
    report(inb(PIC1_CMD) == 0, "master ISR empty after the EOIs");
}

static void uart_thre(void)
{
    u8 mcr = inb(COM1 + 4);
    pic_init(PIC_BASE, 0xEF, 0xFF);                  /* IRQ 4 */
    hits[PIC_BASE + 4] = 0;
    outb(COM1 + 4, mcr | 0x08);            /* OUT2: the UART drives IRQ 4 */
    /* No printing until the end: every byte sent would raise THR empty again. */
    outb(COM1 + 1, 0x02);                  /* IER: THR empty */
    asm volatile("sti; nop; cli" ::: "memory");
    unsigned h1 = hits[PIC_BASE + 4];
    u8 iir1 = last_uart_iir;
    asm volatile("sti; nop; cli" ::: "memory");
    unsigned h2 = hits[PIC_BASE + 4];
    outb(COM1, '.');
    asm volatile("sti; nop; cli" ::: "memory");
    unsigned h3 = hits[PIC_BASE + 4];
    outb(COM1 + 1, 0x00);
    outb(COM1 + 4, mcr);
    outb(PIC1_DATA, 0xFF);
    serial_puts("\n");
    report(h1 == 1 && (iir1 & 0x0F) == 0x02, "enabling ETBEI with THR empty interrupts (IIR 0x%x)", iir1);
    report(h2 == 1, "reading IIR acknowledged it");
    report(h3 == 2, "writing THR raises THR empty again (%u)", h3);
}

static void ioapic(void)
{
    outb(PIC1_DATA, 0xFF);
    outb(PIC2_DATA, 0xFF);
    u32 ver = ioapic_read(0x01);
    /* tsvisor models the 82093AA register set (version 0x11); QEMU's pc machine reports 0x20. */
    report_sdm(ver == 0x00170011, ver == 0x00170020, "IOAPIC version 0x11, 24 entries (0x%x)", ver);
    report(ioapic_read(0x10 + 2 * 2) & (1u << 16), "redirection entries start masked");

    /* PIT on pin 2 (ISA IRQ 0 override), edge, to APIC 0. */
    ioapic_write(0x11 + 2 * 2, 0);
    ioapic_write(0x10 + 2 * 2, V_IOAPIC_PIT);
    hits[V_IOAPIC_PIT] = 0;
    unsigned ticks = realtime ? 5 : 20;
    pit_ch0(2, pit_tick_count());
    wait_hits(V_IOAPIC_PIT, ticks);
    report(hits[V_IOAPIC_PIT] == ticks, "%u PIT ticks through IOAPIC pin 2 (%u)", ticks, hits[V_IOAPIC_PIT]);
    ioapic_write(0x10 + 2 * 2, V_IOAPIC_PIT | (1u << 16));
    pit_ch0_stop();

    /* RTC on pin 8, level-triggered: remote IRR is set in the handler until the EOI. */
    (void)cmos_read(0x0C);
    ioapic_write(0x11 + 2 * 8, 0);
    ioapic_write(0x10 + 2 * 8, V_IOAPIC_RTC | (1u << 15));
    hits[V_IOAPIC_RTC] = 0;
    cmos_write(0x0B, cmos_read(0x0B) | 0x40);
    wait_hits(V_IOAPIC_RTC, 10);
    cmos_write(0x0B, cmos_read(0x0B) & ~0x40);
    report(hits[V_IOAPIC_RTC] == 10, "10 RTC interrupts through IOAPIC pin 8, level-triggered (%u)", hits[V_IOAPIC_RTC]);
    report(rtc_redir_in_handler & (1u << 14), "remote IRR set while the handler runs (0x%x)", rtc_redir_in_handler);
    report(!(ioapic_read(0x10 + 2 * 8) & (1u << 14)), "remote IRR cleared by the EOI");
    ioapic_write(0x10 + 2 * 8, V_IOAPIC_RTC | (1u << 16));
}

static void pic_level_and_edge(void)
{
    pic_init(PIC_BASE, 0xFB, 0xFB);                  /* cascade + IRQ 10 */
    outb(0x4D1, 0x04);                     /* ELCR: IRQ 10 level-triggered */
    report(inb(0x4D1) == 0x04, "ELCR reads back 0x%x", inb(0x4D1));
    hits[PIC_BASE + 10] = 0;
    irq10_lower_at = 3;
    outb(TESTDEV_IRQ_PORT + 10, 1);
    for (int i = 0; i < 5; i++)
        asm volatile("sti; nop; cli" ::: "memory");
    unsigned level_hits = hits[PIC_BASE + 10];
    outb(0x4D1, 0x00);                     /* back to edge */
    hits[PIC_BASE + 10] = 0;
    irq10_lower_at = 0;                    /* the handler leaves the line high */
    outb(TESTDEV_IRQ_PORT + 10, 1);
    for (int i = 0; i < 5; i++)
        asm volatile("sti; nop; cli" ::: "memory");
    unsigned edge_hits = hits[PIC_BASE + 10];
    outb(TESTDEV_IRQ_PORT + 10, 0);
    outb(PIC2_DATA, 0xFF);
    report(level_hits == 3, "level-triggered IRQ 10 is taken again after each EOI while the line is high (%u)", level_hits);
    report(edge_hits == 1, "edge-triggered IRQ 10 is taken once for a line held high (%u)", edge_hits);
}

static void i8042(void)
{
    outb(0x64, 0xAA);
    unsigned spins = 0;
    while (!(inb(0x64) & 1) && spins++ < 1000)
        ;
    report(inb(0x60) == 0x55, "i8042 self-test answers 0x55");
    report((inb(0x64) & 0x05) == 0x04, "after self-test: system flag set, output buffer empty (status 0x%x)", inb(0x64));
    outb(0x64, 0x20);
    u8 cb = inb(0x60);
    outb(0x64, 0x60);
    outb(0x60, cb ^ 0x01);
    outb(0x64, 0x20);
    u8 cb2 = inb(0x60);
    outb(0x64, 0x60);
    outb(0x60, cb);
    report(cb2 == (cb ^ 0x01), "i8042 command byte written and read back (0x%x -> 0x%x)", cb, cb2);
}

int main(void)
{
    realtime = cmdline_u64("realtime", 0) != 0;
    for (unsigned v = PIC_BASE; v < PIC_BASE + 16; v++)
        set_trap_handler(v, pic_irq);
    set_trap_handler(PIC_BASE + 7, spurious);
    set_trap_handler(V_IOAPIC_PIT, ioapic_irq);
    set_trap_handler(V_IOAPIC_RTC, ioapic_irq);

    rtc_calendar();
    cmos_memory();
    pm_timer();
    pit_through_pic();
    pit_channel2_port61();
    rtc_periodic();
    uart_thre();
    ioapic();
    pic_level_and_edge();
    i8042();
    return 0;
}
