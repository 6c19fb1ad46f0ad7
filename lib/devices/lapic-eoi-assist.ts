/**
 * Lazy EOI through a flag in guest memory: the local APIC's side of KVM's
 * PV EOI (MSR_KVM_PV_EOI_EN) and Hyper-V's APIC assist (bit 0 of the VP
 * assist page's first dword, "No EOI required"). Both are the same protocol:
 *
 * - when the APIC hands the vCPU an interrupt whose EOI only matters to the
 *   APIC itself (edge-triggered: no IOAPIC waits for it) and nothing else is
 *   in service or pending, it sets bit 0 of a 32-bit guest location (a
 *   "grant");
 * - the guest's EOI routine clears the bit with one atomic instruction
 *   instead of writing the EOI register;
 * - the APIC notices the cleared bit before it next evaluates interrupts (or
 *   before any register access) and retires the granted vector itself;
 * - if something arrives while the grant is still set, the APIC withdraws it
 *   (clears the bit) so the guest's EOI goes to the register and retires the
 *   right (nested) vector.
 *
 * The guest may always ignore the flag and write EOI. One channel per
 * interface per local APIC; the APIC grants through at most one at a time.
 */

/** The guest-memory access a channel needs (lib/machine/guest-memory.ts). */
export interface EoiAssistMemory {
  readonly size: number;
  readU32(gpa: number): number;
  writeU32(gpa: number, value: number): void;
}

const FLAG = 1;

export class EoiAssistChannel {
  /** GPA of the 32-bit flag word, -1 while the guest has not enabled this channel. */
  private gpa = -1;
  /** The vector the guest may retire by clearing the flag, -1 when nothing is granted. */
  grantedVector = -1;
  /** Interrupts handed to the guest with the flag set. */
  grants = 0;
  /** EOIs the guest signalled by clearing the flag (each one an EOI write it did not make). */
  lazyEois = 0;

  constructor(
    /** What offers it: 'kvm-pv-eoi' or 'hv-apic-assist' (diagnostics). */
    readonly name: string,
    private readonly memory: EoiAssistMemory,
    /** The APIC's settle step: a flag the guest already cleared is an EOI to perform before the channel changes. */
    private readonly settle: () => void,
  ) {}

  get enabled(): boolean {
    return this.gpa >= 0;
  }

  /** The guest turned the channel on with the flag word at gpa (checked by the MSR's owner). */
  enable(gpa: number): void {
    this.settle();
    this.withdraw();
    this.gpa = gpa;
  }

  /** The guest turned the channel off: a grant outstanding is withdrawn first (the APIC keeps the vector in service). */
  disable(): void {
    this.settle();
    this.withdraw();
    this.gpa = -1;
  }

  /** System reset: off, without touching memory the next boot owns. */
  reset(): void {
    this.gpa = -1;
    this.grantedVector = -1;
  }

  /** Sets the flag: the guest may retire vector by clearing it. Only bit 0 is written; the others are the guest's. */
  grant(vector: number): void {
    const word = this.memory.readU32(this.gpa);
    this.memory.writeU32(this.gpa, (word | FLAG) >>> 0);
    this.grantedVector = vector;
    this.grants++;
  }

  /** Whether the guest has cleared the flag of the outstanding grant (then the grant is consumed). */
  takeGuestEoi(): boolean {
    if (this.grantedVector < 0 || (this.memory.readU32(this.gpa) & FLAG) !== 0) return false;
    this.grantedVector = -1;
    this.lazyEois++;
    return true;
  }

  /** Clears the flag of an outstanding grant, so the guest's next EOI is a register write (call takeGuestEoi first). */
  withdraw(): void {
    if (this.grantedVector < 0) return;
    this.grantedVector = -1;
    const word = this.memory.readU32(this.gpa);
    if ((word & FLAG) !== 0) this.memory.writeU32(this.gpa, (word & ~FLAG) >>> 0);
  }
}
