/* The PC's legacy I/O ports and clock rates the platform guests program. */
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

#define PIT_HZ 1193182u
#define PM_HZ 3579545u

#endif
