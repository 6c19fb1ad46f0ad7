/**
 * INTx routing of bus 0, fixed like a PIIX-style PC after its firmware ran:
 * device `slot`'s pin INTx# (1..4) drives PIRQ (slot + pin - 1) mod 4 (the
 * usual rotation, so neighbouring slots spread over the four wires), and
 * the PIRQs are steered to GSIs 10, 10, 11, 11. The same table is told to
 * the guest through the interrupt line register and the ACPI _PRT.
 */

export const PCI_PIRQ_GSIS: readonly number[] = [10, 10, 11, 11];
export const PCI_SLOT_COUNT = 32;

/** PIRQ wire (0..3 = A..D) of a slot's pin (1..4). */
export function pirqOf(slot: number, pin: number): number {
  return (slot + pin - 1) & 3;
}

/** GSI (= IOAPIC pin; also the ISA IRQ number for the 8259) of a slot's pin (1..4). */
export function intxGsi(slot: number, pin: number): number {
  return PCI_PIRQ_GSIS[pirqOf(slot, pin)]!;
}
