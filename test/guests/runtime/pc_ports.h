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

/* Initialises the 8259 pair as PC firmware does: edge-triggered, cascaded through IR2, 8086
 * mode, IRQ 0-7 at vectors base.., IRQ 8-15 at base + 8..; then the two interrupt masks. */
static inline void pic_init(u8 base, u8 master_mask, u8 slave_mask)
{
    outb(PIC1_CMD, 0x11);  /* ICW1: edge, cascade, ICW4 follows */
    outb(PIC1_DATA, base); /* ICW2: vector base */
    outb(PIC1_DATA, 0x04); /* ICW3: slave on IR2 */
    outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
    outb(PIC2_CMD, 0x11);
    outb(PIC2_DATA, base + 8);
    outb(PIC2_DATA, 0x02); /* ICW3: slave identity 2 */
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, master_mask);
    outb(PIC2_DATA, slave_mask);
}

#endif
