/**
 * An MSI/MSI-X message (address, data) as the APIC bus sees it (Intel SDM
 * vol. 3, "Message Signalled Interrupts"): address 0xFEExxxxx with the
 * destination in bits 19:12 and the destination mode in bit 2; data with
 * the vector in bits 7:0, delivery mode 10:8 and trigger mode bit 15.
 */
import type { ApicMessage, DeliveryMode } from '../../machine/interrupt-types.js';

export const MSI_ADDRESS_BASE = 0xfee0_0000;
const MSI_ADDRESS_REGION_MASK = 0xfff0_0000;
const MSI_DEST_SHIFT = 12;
const MSI_DEST_MODE_LOGICAL = 1 << 2;
const MSI_DATA_TRIGGER_LEVEL = 1 << 15;

/** The APIC message an MSI write means, or undefined when the address is not the interrupt window. */
export function decodeMsi(addressLow: number, addressHigh: number, data: number): ApicMessage | undefined {
  if (addressHigh !== 0 || ((addressLow & MSI_ADDRESS_REGION_MASK) >>> 0) !== MSI_ADDRESS_BASE) return undefined;
  return {
    vector: data & 0xff,
    deliveryMode: ((data >>> 8) & 7) as DeliveryMode,
    logical: (addressLow & MSI_DEST_MODE_LOGICAL) !== 0,
    destination: (addressLow >>> MSI_DEST_SHIFT) & 0xff,
    levelTriggered: (data & MSI_DATA_TRIGGER_LEVEL) !== 0,
  };
}
