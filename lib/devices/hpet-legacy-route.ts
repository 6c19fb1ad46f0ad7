/**
 * The HPET's LegacyReplacement route (IA-PC HPET 1.0a, "Interrupt
 * Routing"): while it is on, HPET timer 0 drives ISA IRQ 0 and timer 1
 * drives IRQ 8, and the 8254 and the RTC no longer interrupt. Each of the
 * two lines has two drivers and this switch decides which one the machine's
 * line follows; the PIT and the RTC keep their own level meanwhile, so the
 * line takes it back the moment the route is turned off.
 */
import { IrqLine } from '../machine/irq.js';

export class LegacyRoutedLine {
  /** The line the legacy device (PIT, RTC) drives; its level reaches the machine unless the HPET owns the line. */
  readonly legacy: IrqLine;
  private hpetLevel = false;
  private hpetOwns = false;

  constructor(private readonly line: IrqLine) {
    this.legacy = new IrqLine(line.number, () => this.update());
  }

  /** Timer 0 or 1 of the HPET drives the line (only heard while the route is on). */
  setHpet(level: boolean): void {
    this.hpetLevel = level;
    this.update();
  }

  /** The HPET owns the line: what the legacy device drives goes nowhere. */
  get routedToHpet(): boolean {
    return this.hpetOwns;
  }

  /** LegacyReplacement route on or off. */
  routeToHpet(on: boolean): void {
    this.hpetOwns = on;
    this.update();
  }

  private update(): void {
    this.line.set(this.hpetOwns ? this.hpetLevel : this.legacy.level);
  }
}
