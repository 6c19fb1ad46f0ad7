/**
 * ACPI fixed-hardware power management registers (ACPI spec, "PM1 Event
 * Grouping", "PM1 Control Grouping", "Power Management Timer"), at the
 * PIIX4-like addresses of lib/machine/addresses.ts:
 *  - PM1a_EVT_BLK: PM1_STS (16 bits, write 1 to clear) then PM1_EN (16 bits);
 *    TMR_STS (bit 0) is set whenever bit 23 of the PM timer changes;
 *  - PM1a_CNT_BLK: SCI_EN (bit 0, always 1: there is no legacy/SMM mode to
 *    leave, so the FADT's SMI_CMD is 0), SLP_TYP (bits 12-10) and the
 *    write-only SLP_EN (bit 13). SLP_EN with SLP_TYP = S5 powers the
 *    machine off, with SLP_TYP = S3 suspends it to RAM (when the machine
 *    offers S3: onSuspend); any other SLP_TYP is ignored. wake() sets
 *    WAK_STS when the machine leaves S3;
 *  - PM_TMR_BLK: the 24-bit PM timer at 3.579545 MHz of guest time.
 * The SCI (ISA IRQ 9) is asserted while any enabled status bit is set.
 * pressPowerButton() is the fixed-hardware power button (PWRBTN_STS);
 * rtcAlarm() is the RTC alarm event (RTC_STS), which wakes from S3 when the
 * OS set RTC_EN.
 */
import { ACPI_PM1A_CNT_BLK, ACPI_PM1A_EVT_BLK, ACPI_PM_TMR_BLK, ACPI_SLP_TYP_S3, ACPI_SLP_TYP_S5 } from '../machine/addresses.js';
import type { PioDevice, Resettable } from '../machine/bus-device.js';
import type { Clock, Timer } from '../machine/clock.js';
import type { PioBus } from '../machine/pio-bus.js';

export const PM_TIMER_HZ = 3_579_545;
export const PM_TIMER_MASK = 0xff_ffff;
const TICKS_PER_NS = PM_TIMER_HZ / 1e9;
/** The timer's bit 23 changes every 2^23 ticks. */
const TMR_STS_PERIOD_TICKS = 1 << 23;

export const PM1_STS_TMR = 1 << 0;
export const PM1_STS_BM = 1 << 4;
export const PM1_STS_GBL = 1 << 5;
export const PM1_STS_PWRBTN = 1 << 8;
export const PM1_STS_SLPBTN = 1 << 9;
export const PM1_STS_RTC = 1 << 10;
export const PM1_STS_WAK = 1 << 15;
const PM1_STS_DEFINED = PM1_STS_TMR | PM1_STS_BM | PM1_STS_GBL | PM1_STS_PWRBTN | PM1_STS_SLPBTN | PM1_STS_RTC | PM1_STS_WAK;
export const PM1_EN_TMR = 1 << 0;
export const PM1_EN_GBL = 1 << 5;
export const PM1_EN_PWRBTN = 1 << 8;
export const PM1_EN_SLPBTN = 1 << 9;
export const PM1_EN_RTC = 1 << 10;
const PM1_EN_DEFINED = PM1_EN_TMR | PM1_EN_GBL | PM1_EN_PWRBTN | PM1_EN_SLPBTN | PM1_EN_RTC;
export const PM1_CNT_SCI_EN = 1 << 0;
export const PM1_CNT_BM_RLD = 1 << 1;
export const PM1_CNT_GBL_RLS = 1 << 2;
export const PM1_CNT_SLP_TYP_SHIFT = 10;
export const PM1_CNT_SLP_EN = 1 << 13;

export class AcpiPm implements Resettable {
  private status = 0;
  private enable = 0;
  private slpTyp = 0;
  private bmRld = 0;
  /** Timer half-periods (bit 23 changes) already accounted for in TMR_STS. */
  private seenTmrPeriods = 0;
  private readonly tmrTimer: Timer;

  readonly eventBlock: PioDevice = {
    name: 'ACPI PM1a event block',
    pioRead: (offset, size) => this.readBytes(offset, size, (o) => this.readEvent16(o)),
    pioWrite: (offset, size, value) => this.writeBytes(offset, size, value, (o, v, mask) => this.writeEvent16(o, v, mask)),
  };
  readonly controlBlock: PioDevice = {
    name: 'ACPI PM1a control block',
    pioRead: (offset, size) => this.readBytes(offset, size, () => this.readControl()),
    pioWrite: (offset, size, value) => this.writeBytes(offset, size, value, (_o, v, mask) => this.writeControl(v, mask)),
  };
  readonly timerBlock: PioDevice = {
    name: 'ACPI PM timer',
    pioRead: (offset, size) => (this.timerValue() >>> (8 * offset)) & (size >= 4 ? 0xffff_ffff : (1 << (8 * size)) - 1),
    pioWrite: () => {}, // read-only
  };

  constructor(
    private readonly clock: Clock,
    private readonly sci: { set(level: boolean): void },
    /** SLP_EN with SLP_TYP = S5. */
    private readonly onPowerOff: () => void,
    /** SLP_EN with SLP_TYP = S3 (absent: S3 is not offered and that SLP_TYP does nothing). */
    private readonly onSuspend?: () => void,
  ) {
    this.tmrTimer = clock.addTimer(() => this.onTimerCarry());
  }

  attach(pio: PioBus): void {
    pio.register(ACPI_PM1A_EVT_BLK, 4, this.eventBlock);
    pio.register(ACPI_PM1A_CNT_BLK, 2, this.controlBlock);
    pio.register(ACPI_PM_TMR_BLK, 4, this.timerBlock);
  }

  reset(): void {
    this.status = 0;
    this.enable = 0;
    this.slpTyp = 0;
    this.bmRld = 0;
    this.seenTmrPeriods = this.tmrPeriods();
    this.tmrTimer.cancel();
    this.updateSci();
  }

  /**
   * The fixed-hardware power button was pressed (QMP system_powerdown): PWRBTN_STS is set and,
   * with PWRBTN_EN, the SCI tells the OS, which then shuts down and enters S5 itself.
   */
  pressPowerButton(): void {
    this.status |= PM1_STS_PWRBTN;
    this.updateSci();
  }

  /** The machine left S3: WAK_STS tells the OS's wake code that the sleep is over. */
  wake(): void {
    this.status |= PM1_STS_WAK;
    this.updateSci();
  }

  /** The RTC alarm went off: RTC_STS is set; returns whether the OS enabled it as a wake event (RTC_EN). */
  rtcAlarm(): boolean {
    this.status |= PM1_STS_RTC;
    this.updateSci();
    return (this.enable & PM1_EN_RTC) !== 0;
  }

  /** The OS enabled the power button event (so a press would reach it). */
  get powerButtonEnabled(): boolean {
    return (this.enable & PM1_EN_PWRBTN) !== 0;
  }

  private ticks(): number {
    return Math.floor(this.clock.nowNs() * TICKS_PER_NS);
  }

  timerValue(): number {
    return this.ticks() & PM_TIMER_MASK;
  }

  private tmrPeriods(): number {
    return Math.floor(this.ticks() / TMR_STS_PERIOD_TICKS);
  }

  /** TMR_STS for bit-23 changes since it was last accounted for. */
  private catchUpTimerStatus(): void {
    const p = this.tmrPeriods();
    if (p > this.seenTmrPeriods) this.status |= PM1_STS_TMR;
    this.seenTmrPeriods = p;
  }

  private onTimerCarry(): void {
    this.catchUpTimerStatus();
    this.updateSci();
    this.armTimer();
  }

  /** Only a timer interrupt the guest enabled needs a clock timer; otherwise TMR_STS is computed on read. */
  private armTimer(): void {
    if (this.enable & PM1_EN_TMR) {
      const next = (this.tmrPeriods() + 1) * TMR_STS_PERIOD_TICKS;
      this.tmrTimer.arm(Math.ceil(next / TICKS_PER_NS));
    } else this.tmrTimer.cancel();
  }

  private updateSci(): void {
    this.sci.set((this.status & this.enable) !== 0);
  }

  private readEvent16(offset: number): number {
    if (offset === 0) {
      this.catchUpTimerStatus();
      return this.status;
    }
    return this.enable;
  }

  private writeEvent16(offset: number, value: number, mask: number): void {
    if (offset === 0) {
      this.catchUpTimerStatus();
      this.status &= ~(value & mask & PM1_STS_DEFINED);
    } else {
      this.enable = (this.enable & ~mask) | (value & mask & PM1_EN_DEFINED);
      this.armTimer();
    }
    this.updateSci();
  }

  private readControl(): number {
    return PM1_CNT_SCI_EN | this.bmRld | (this.slpTyp << PM1_CNT_SLP_TYP_SHIFT);
  }

  private writeControl(value: number, mask: number): void {
    if (mask & 0x00ff) this.bmRld = value & PM1_CNT_BM_RLD;
    if (mask & 0xff00) {
      this.slpTyp = (value >> PM1_CNT_SLP_TYP_SHIFT) & 7;
      if (value & PM1_CNT_SLP_EN && this.slpTyp === ACPI_SLP_TYP_S5) this.onPowerOff();
      else if (value & PM1_CNT_SLP_EN && this.slpTyp === ACPI_SLP_TYP_S3) this.onSuspend?.();
    }
  }

  /** Splits an access of any size at any offset into the 16-bit registers it covers. */
  private readBytes(offset: number, size: number, read16: (regOffset: number) => number): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      value |= ((read16(at & ~1) >> (8 * (at & 1))) & 0xff) << (8 * i);
    }
    return value >>> 0;
  }

  private writeBytes(offset: number, size: number, value: number, write16: (regOffset: number, v: number, byteMask: number) => void): void {
    // Group the bytes per 16-bit register so a write-1-to-clear or SLP_EN write is one operation.
    const regs = new Map<number, { v: number; mask: number }>();
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const reg = at & ~1;
      const shift = 8 * (at & 1);
      const e = regs.get(reg) ?? { v: 0, mask: 0 };
      e.v |= ((value >>> (8 * i)) & 0xff) << shift;
      e.mask |= 0xff << shift;
      regs.set(reg, e);
    }
    for (const [reg, e] of regs) write16(reg, e.v, e.mask);
  }
}
