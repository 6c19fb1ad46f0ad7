/**
 * An MSI/MSI-X message (address, data) as the APIC bus sees it (Intel SDM
 * vol. 3, "Message Signalled Interrupts"): address 0xFEExxxxx with the
 * destination in bits 19:12 and the destination mode in bit 2; data with
 * the vector in bits 7:0, delivery mode 10:8 and trigger mode bit 15.
 *
 * With KVM's extended destination ID (kvm-msi-ext-dest-id) address bits
 * 11:5, reserved in the compatibility format, carry APIC ID bits 14:8 of a
 * physical destination, so a guest can reach 32768 APIC IDs without an
 * IOMMU. Bit 4 set is the remappable format, which needs an IOMMU: tsvisor
 * has none, so such a message goes nowhere.
 */
import type { ApicMessage, DeliveryMode } from '../../machine/interrupt-types.js';

export const MSI_ADDRESS_BASE = 0xfee0_0000;
const MSI_ADDRESS_REGION_MASK = 0xfff0_0000;
const MSI_DEST_SHIFT = 12;
const MSI_DEST_MODE_LOGICAL = 1 << 2;
const MSI_REMAPPABLE_FORMAT = 1 << 4;
const MSI_EXT_DEST_SHIFT = 5;
const MSI_EXT_DEST_MASK = 0x7f;
const MSI_DATA_TRIGGER_LEVEL = 1 << 15;

/** The APIC message an MSI write means, or undefined when the address is not the interrupt window. */
export function decodeMsi(addressLow: number, addressHigh: number, data: number, extendedDestId = false): ApicMessage | undefined {
  if (addressHigh !== 0 || ((addressLow & MSI_ADDRESS_REGION_MASK) >>> 0) !== MSI_ADDRESS_BASE) return undefined;
  const logical = (addressLow & MSI_DEST_MODE_LOGICAL) !== 0;
  let destination = (addressLow >>> MSI_DEST_SHIFT) & 0xff;
  if (extendedDestId) {
    if ((addressLow & MSI_REMAPPABLE_FORMAT) !== 0) return undefined;
    // Logical destinations have no extended form: the extra bits extend an APIC ID.
    if (!logical) destination = extendDestination(destination, (addressLow >>> MSI_EXT_DEST_SHIFT) & MSI_EXT_DEST_MASK);
  }
  return {
    vector: data & 0xff,
    deliveryMode: ((data >>> 8) & 7) as DeliveryMode,
    logical,
    destination,
    levelTriggered: (data & MSI_DATA_TRIGGER_LEVEL) !== 0,
  };
}

/**
 * A physical destination with APIC ID bits 14:8 from the extension. Without them 0xff stays the
 * broadcast it is in the 8-bit form; with them the ID is a plain 15-bit x2APIC ID.
 */
export function extendDestination(low8: number, bits14to8: number): number {
  return bits14to8 === 0 ? low8 : ((bits14to8 << 8) | low8) >>> 0;
}
