/**
 * Local APIC register offsets (xAPIC MMIO page; the x2APIC MSR is
 * 0x800 + offset / 16), bit fields and reset values (Intel SDM vol. 3A ch. 10).
 */

export const REG_ID = 0x020;
export const REG_VERSION = 0x030;
export const REG_TPR = 0x080;
export const REG_APR = 0x090;
export const REG_PPR = 0x0a0;
export const REG_EOI = 0x0b0;
export const REG_RRD = 0x0c0;
export const REG_LDR = 0x0d0;
export const REG_DFR = 0x0e0;
export const REG_SVR = 0x0f0;
export const REG_ISR = 0x100;
export const REG_TMR = 0x180;
export const REG_IRR = 0x200;
export const REG_ESR = 0x280;
export const REG_ICR_LOW = 0x300;
export const REG_ICR_HIGH = 0x310;
export const REG_LVT_TIMER = 0x320;
export const REG_LVT_THERMAL = 0x330;
export const REG_LVT_PMC = 0x340;
export const REG_LVT_LINT0 = 0x350;
export const REG_LVT_LINT1 = 0x360;
export const REG_LVT_ERROR = 0x370;
export const REG_TIMER_INITIAL = 0x380;
export const REG_TIMER_CURRENT = 0x390;
export const REG_TIMER_DIVIDE = 0x3e0;
/** x2APIC only. */
export const REG_SELF_IPI = 0x3f0;

/** Index into the LVT array of each local vector table entry, in register order. */
export const LVT_TIMER = 0;
export const LVT_THERMAL = 1;
export const LVT_PMC = 2;
export const LVT_LINT0 = 3;
export const LVT_LINT1 = 4;
export const LVT_ERROR = 5;
export const LVT_COUNT = 6;

/** Version register: version 0x14 (integrated APIC), max LVT entry 5 (6 LVTs), no EOI-broadcast suppression. */
export const APIC_VERSION = 0x0005_0014;

export const LVT_MASKED = 1 << 16;
export const LVT_VECTOR = 0xff;
export const LVT_DELIVERY_MODE_SHIFT = 8;
export const LVT_LEVEL_TRIGGERED = 1 << 15;
export const LVT_REMOTE_IRR = 1 << 14;
export const LVT_TIMER_MODE_SHIFT = 17;
export const TIMER_ONE_SHOT = 0;
export const TIMER_PERIODIC = 1;
export const TIMER_TSC_DEADLINE = 2;

/** Writable bits of each LVT (vector, delivery mode, polarity, trigger, mask, timer mode). */
export const LVT_WRITABLE: readonly number[] = [
  0x0007_00ff, // timer: vector, mask, mode (one-shot, periodic, TSC-deadline)
  0x0001_07ff, // thermal: vector, delivery mode, mask
  0x0001_07ff, // performance counters
  0x0001_a7ff, // LINT0: vector, delivery mode, polarity, trigger, mask
  0x0001_a7ff, // LINT1
  0x0001_00ff, // error: vector, mask
];

export const SVR_ENABLE = 1 << 8;
/** Spurious vector (all 8 bits writable on P6 and later) and the enable bit. */
export const SVR_WRITABLE = 0x1ff;

export const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
export const ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
export const ESR_ILLEGAL_REGISTER = 1 << 7;

export const ICR_VECTOR = 0xff;
export const ICR_DELIVERY_MODE_SHIFT = 8;
export const ICR_LOGICAL = 1 << 11;
export const ICR_DELIVERY_PENDING = 1 << 12;
export const ICR_LEVEL_ASSERT = 1 << 14;
export const ICR_LEVEL_TRIGGERED = 1 << 15;
export const ICR_SHORTHAND_SHIFT = 18;
/** Writable bits of the ICR low word (delivery status and reserved bits read as 0). */
export const ICR_LOW_WRITABLE = 0x000c_cfff;
export const SHORTHAND_NONE = 0;
export const SHORTHAND_SELF = 1;
export const SHORTHAND_ALL_INCLUDING_SELF = 2;
export const SHORTHAND_ALL_EXCLUDING_SELF = 3;

/** IA32_APIC_BASE bits. */
export const APIC_BASE_BSP = 1 << 8;
export const APIC_BASE_EXTD = 1 << 10;
export const APIC_BASE_ENABLE = 1 << 11;

export const MSR_APIC_BASE = 0x1b;
export const MSR_TSC_DEADLINE = 0x6e0;
export const MSR_X2APIC_FIRST = 0x800;
export const MSR_X2APIC_LAST = 0x8ff;

/** The APIC timer counts at this rate divided by the divide configuration: 1 GHz, one tick per guest ns. */
export const APIC_BUS_HZ = 1_000_000_000;

/** Divide configuration register (bits 0, 1, 3) to the divisor 1..128. */
export function timerDivisor(dcr: number): number {
  const code = (dcr & 3) | ((dcr >> 1) & 4);
  return code === 7 ? 1 : 2 << code;
}
