/**
 * Several interrupt sources on one level-triggered line (the ACPI SCI is
 * driven by the PM1 events and by the GPE block): the line is high while
 * any source holds it high.
 */
import type { IrqLine } from './irq.js';

export class WiredOrLine {
  private readonly high = new Set<number>();
  private next = 0;

  constructor(private readonly line: IrqLine) {}

  /** A new source; its set(level) changes only its own share of the line. */
  source(): { set(level: boolean): void } {
    const id = this.next++;
    return {
      set: (level: boolean) => {
        if (level) this.high.add(id);
        else this.high.delete(id);
        this.line.set(this.high.size > 0);
      },
    };
  }
}
