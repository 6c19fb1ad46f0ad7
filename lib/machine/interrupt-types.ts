/**
 * The contract between the interrupt controllers of the PC platform:
 * the 8259 pair and the IOAPIC (lib/devices/i8259-pic.ts, ioapic.ts) on one
 * side, the local APICs and the APIC bus (lib/devices/lapic.ts,
 * apic-bus.ts) on the other. MSI from PCI devices and the Hyper-V SynIC use
 * the same message form.
 */

/** Delivery modes as encoded in IOAPIC redirection entries, MSI data and the ICR. */
export const enum DeliveryMode {
  Fixed = 0,
  LowestPriority = 1,
  Smi = 2,
  Nmi = 4,
  Init = 5,
  StartUp = 6,
  ExtInt = 7,
}

/** One interrupt message on the APIC bus (an IOAPIC pin firing, an MSI write, an IPI). */
export interface ApicMessage {
  vector: number;
  deliveryMode: DeliveryMode;
  /** false = physical destination (APIC ID), true = logical (matched against LDR/DFR). */
  logical: boolean;
  /** APIC ID or logical destination; 0xff (xAPIC) / 0xffffffff (x2APIC) is broadcast. */
  destination: number;
  /** Level-triggered interrupts set TMR in the target and broadcast EOI back. */
  levelTriggered: boolean;
}

/** What the IOAPIC and PCI MSI need from the APIC side. */
export interface ApicBus {
  deliver(message: ApicMessage): void;
  /** The IOAPIC hears EOIs of level-triggered vectors to clear remote IRR. */
  addEoiListener(listener: (vector: number) => void): void;
}

/**
 * The 8259 pair as the local APIC's LINT0 (ExtINT, virtual-wire mode) or,
 * with the LAPIC disabled, the CPU's INTR pin sees it.
 */
export interface LegacyInterruptController {
  /** Level of the INTR output. */
  readonly intr: boolean;
  /** The INTA cycle: the vector to deliver (spurious 7/15 when nothing is left); updates IRR/ISR. */
  acknowledge(): number;
  /** Called whenever INTR may have changed, so the vCPU can be kicked. */
  onIntrChange(listener: (level: boolean) => void): void;
}
