/**
 * Interrupt request lines: numbered wires that devices drive with
 * set(level) or pulse(). The interrupt controllers (PIC, IOAPIC) that turn
 * line changes into vectors arrive in a later version; until then the
 * machine only records line state (and counts edges), and nothing is
 * injected into the vCPU because of a line.
 */

export type IrqListener = (line: number, level: boolean) => void;

export class IrqLine {
  private currentLevel = false;
  /** Rising edges seen since creation (a pulse is one edge). */
  risingEdges = 0;

  constructor(readonly number: number, private readonly notify: IrqListener) {}

  get level(): boolean {
    return this.currentLevel;
  }

  set(level: boolean): void {
    if (level === this.currentLevel) return;
    this.currentLevel = level;
    if (level) this.risingEdges++;
    this.notify(this.number, level);
  }

  /** An edge-triggered event: raise and lower again. */
  pulse(): void {
    this.set(true);
    this.set(false);
  }
}

/** The machine's ISA/GSI lines 0..count-1. */
export class IrqLines {
  private readonly lines: IrqLine[] = [];
  private readonly listeners: IrqListener[] = [];

  constructor(readonly count = 24) {
    const dispatch: IrqListener = (n, level) => {
      for (const l of this.listeners) l(n, level);
    };
    for (let i = 0; i < count; i++) this.lines.push(new IrqLine(i, dispatch));
  }

  line(n: number): IrqLine {
    const l = this.lines[n];
    if (l === undefined) throw new RangeError(`IRQ line ${n} does not exist (0..${this.count - 1})`);
    return l;
  }

  /** Called on every level change; the interrupt controllers will subscribe here. */
  onChange(listener: IrqListener): void {
    this.listeners.push(listener);
  }

  /** Lowers every line (system reset). */
  reset(): void {
    for (const l of this.lines) l.set(false);
  }
}
