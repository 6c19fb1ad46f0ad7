/* The PC's legacy I/O ports and clock rates the platform guests program, and their CMOS and
 * PM-timer accessors (include after guest.h). */
#ifndef TSV_GUEST_PC_PORTS_H
#define TSV_GUEST_PC_PORTS_H

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CTRL 0x43
#define PORT_61 0x61 /* PIT channel 2 gate (bit 0) and output (bit 5) */
#define PM_TMR 0x608 /* ACPI PM timer, 24 bits */
#define RTC_INDEX 0x70
#define RTC_DATA 0x71

#define PIT_HZ 1193182u
#define PM_HZ 3579545u

static inline u8 cmos_read(u8 reg)
{
    outb(RTC_INDEX, reg);
    return inb(RTC_DATA);
}
static inline void cmos_write(u8 reg, u8 v)
{
    outb(RTC_INDEX, reg);
    outb(RTC_DATA, v);
}
static inline u32 pm_now(void) { return inl(PM_TMR) & 0xFFFFFF; }

#endif
