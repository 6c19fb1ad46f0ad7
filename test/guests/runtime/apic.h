/* Local APIC access for guest programs: xAPIC MMIO at the default base
 * (identity-mapped by entry.S), x2APIC MSRs, register offsets (Intel SDM
 * vol. 3A ch. 10). */
#ifndef APIC_H
#define APIC_H
#include "guest.h"

#define APIC_MMIO_BASE 0xFEE00000ull
#define MSR_APIC_BASE 0x1B
#define MSR_TSC_DEADLINE 0x6E0
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN (1u << 11)

#define APIC_ID 0x20
#define APIC_VERSION 0x30
#define APIC_TPR 0x80
#define APIC_APR 0x90
#define APIC_PPR 0xA0
#define APIC_EOI 0xB0
#define APIC_LDR 0xD0
#define APIC_DFR 0xE0
#define APIC_SVR 0xF0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3E0

#define APIC_SVR_ENABLE (1u << 8)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_TIMER_PERIODIC (1u << 17)
#define APIC_TIMER_TSC_DEADLINE (2u << 17)

#define ICR_FIXED (0u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SELF (1u << 18)
#define ICR_ALL_INCLUDING_SELF (2u << 18)
#define ICR_ALL_EXCLUDING_SELF (3u << 18)

static inline u32 apic_read(u32 reg) { return *(volatile u32 *)(APIC_MMIO_BASE + reg); }
static inline void apic_write(u32 reg, u32 v) { *(volatile u32 *)(APIC_MMIO_BASE + reg) = v; }
static inline void apic_eoi(void) { apic_write(APIC_EOI, 0); }
static inline u32 apic_id(void) { return apic_read(APIC_ID) >> 24; }

/* Sends an IPI through the xAPIC ICR (destination written first: the low word sends). */
static inline void apic_send_ipi(u32 dest, u32 icr_low)
{
    apic_write(APIC_ICR_HIGH, dest << 24);
    apic_write(APIC_ICR_LOW, icr_low);
}

static inline int apic_irr_bit(unsigned vector)
{
    return (apic_read(APIC_IRR + (vector / 32) * 16) >> (vector % 32)) & 1;
}
static inline int apic_isr_bit(unsigned vector)
{
    return (apic_read(APIC_ISR + (vector / 32) * 16) >> (vector % 32)) & 1;
}

static inline void cpu_pause(void) { asm volatile("pause" ::: "memory"); }
#endif
