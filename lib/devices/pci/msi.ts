/**
 * The MSI capability (PCI Local Bus 3.0 §6.8.1): one vector, 64-bit
 * address capable, no per-vector masking. Layout at the capability offset:
 * +2 message control, +4 address low, +8 address high, +12 data.
 */
import type { PciCapability, PciDevice } from './pci-device.js';
import { decodeMsi } from './msi-message.js';

export const PCI_CAP_ID_MSI = 0x05;
export const MSI_CONTROL = 2;
export const MSI_ADDRESS_LO = 4;
export const MSI_ADDRESS_HI = 8;
export const MSI_DATA = 12;
export const MSI_CAP_LENGTH = 14;
export const MSI_CONTROL_ENABLE = 1 << 0;
/** Multiple Message Enable (bits 6:4); writable, but with one vector capable only 0 makes sense. */
export const MSI_CONTROL_MME_MASK = 0x70;
export const MSI_CONTROL_64BIT = 1 << 7;

export class MsiCapability implements PciCapability {
  readonly offset: number;
  readonly length = MSI_CAP_LENGTH;
  /** Messages dropped because MSI was off, bus mastering was off or the address was not the APIC window. */
  dropped = 0;

  constructor(private readonly device: PciDevice) {
    this.offset = device.addCapability(PCI_CAP_ID_MSI, MSI_CAP_LENGTH);
    const c = device.config;
    c.set16(this.offset + MSI_CONTROL, MSI_CONTROL_64BIT);
    c.setWritable(this.offset + MSI_CONTROL, 2, MSI_CONTROL_ENABLE | MSI_CONTROL_MME_MASK);
    c.setWritable(this.offset + MSI_ADDRESS_LO, 4, 0xffff_fffc); // dword-aligned address
    c.setWritable(this.offset + MSI_ADDRESS_HI, 4, 0xffff_ffff);
    c.setWritable(this.offset + MSI_DATA, 2, 0xffff);
    device.registerCapability(this);
  }

  get enabled(): boolean {
    return (this.device.config.get16(this.offset + MSI_CONTROL) & MSI_CONTROL_ENABLE) !== 0;
  }

  /** Sends the message; returns false (and counts it) when it goes nowhere. */
  signal(): boolean {
    const c = this.device.config;
    const extended = this.device.host?.msiExtendedDestId === true;
    const message = decodeMsi(c.get32(this.offset + MSI_ADDRESS_LO), c.get32(this.offset + MSI_ADDRESS_HI), c.get16(this.offset + MSI_DATA), extended);
    if (!this.enabled || !this.device.busMaster || message === undefined || this.device.host === undefined) {
      this.dropped++;
      return false;
    }
    this.device.host.deliverMsi(this.device, message);
    return true;
  }
}
