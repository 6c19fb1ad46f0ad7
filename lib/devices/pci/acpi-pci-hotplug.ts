/**
 * tsvisor's ACPI PCI hotplug registers: how the machine tells the DSDT's
 * AML which slots of bus 0 changed, and how the AML's _EJ0 tells the
 * machine that the OS let go of a device. Four 32-bit registers, one bit per
 * slot (bit N = slot N), at ACPI_PCI_HOTPLUG_BASE:
 *   +0x0 INSERTED   read-only, read clears: slots with a device added since
 *                   the last read (the AML notifies them with 1, device check)
 *   +0x4 REMOVING   read-only, read clears: slots whose device the host asked
 *                   to remove (the AML notifies them with 3, eject request)
 *   +0x8 EJECT      write-only: a 1 ejects the slot's device (the slot's _EJ0);
 *                   reads as 0
 *   +0xC HOTPLUG    read-only: slots that take hot plug (every slot but the
 *                   host bridge's)
 * Any change sets GPE0 event GPE_PCI_HOTPLUG, so the OS runs \_GPE._E01,
 * which reads INSERTED and REMOVING once and notifies each slot named there.
 * Accesses of any width are taken byte by byte; a read clears only the bytes read.
 */
import type { PioDevice, Resettable } from '../../machine/bus-device.js';
import type { PioBus } from '../../machine/pio-bus.js';

export const PCIHP_INSERTED = 0x0;
export const PCIHP_REMOVING = 0x4;
export const PCIHP_EJECT = 0x8;
export const PCIHP_HOTPLUG = 0xc;
export const PCIHP_REGISTER_BLOCK_LEN = 16;
/** Slots that take hot plug: all of bus 0 but the host bridge's slot 0. */
export const PCI_HOTPLUG_SLOTS: readonly number[] = Array.from({ length: 31 }, (_, i) => i + 1);
/** The same as a bitmap (the HOTPLUG register). */
export const PCI_HOTPLUG_SLOT_MASK = PCI_HOTPLUG_SLOTS.reduce((m, s) => (m | (1 << s)) >>> 0, 0);

export interface PciHotplugSignals {
  /** Raise the hotplug GPE (the OS then reads INSERTED and REMOVING). */
  raiseGpe(): void;
  /** The OS ejected `slot` (it wrote the slot's bit to EJECT). */
  ejected(slot: number): void;
}

export class AcpiPciHotplugRegisters implements PioDevice, Resettable {
  readonly name = 'ACPI PCI hotplug';
  private inserted = 0;
  private removing = 0;

  /** hotplugSlots: bitmap of the slots that take hot plug. */
  constructor(private readonly hotplugSlots: number, private readonly signals: PciHotplugSignals) {}

  attach(pio: PioBus, base: number): void {
    pio.register(base, PCIHP_REGISTER_BLOCK_LEN, this);
  }

  /** A device was plugged into `slot`: the OS is told to check the slot. */
  notifyInserted(slot: number): void {
    this.inserted = (this.inserted | this.bit(slot)) >>> 0;
    this.signals.raiseGpe();
  }

  /** The host wants the device in `slot` out: the OS is asked to eject it. */
  requestRemoval(slot: number): void {
    this.removing = (this.removing | this.bit(slot)) >>> 0;
    this.signals.raiseGpe();
  }

  pioRead(offset: number, size: number): number {
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(offset + i) << (8 * i);
    return value >>> 0;
  }

  pioWrite(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at - (at & 3) !== PCIHP_EJECT) continue; // the other registers are read-only
      const byte = (value >>> (8 * i)) & 0xff;
      for (let b = 0; b < 8; b++) {
        const slot = 8 * (at & 3) + b;
        if (byte & (1 << b) && this.hotplugSlots & this.bit(slot)) this.signals.ejected(slot);
      }
    }
  }

  /** Pending notifications are dropped: the OS enumerates the bus again after a reset. */
  reset(): void {
    this.inserted = 0;
    this.removing = 0;
  }

  private bit(slot: number): number {
    if (!Number.isInteger(slot) || slot < 0 || slot > 31) throw new RangeError(`PCI slot ${slot} is not on bus 0`);
    return (1 << slot) >>> 0;
  }

  private readByte(at: number): number {
    const shift = 8 * (at & 3);
    const byteMask = (0xff << shift) >>> 0;
    switch (at - (at & 3)) {
      case PCIHP_INSERTED: {
        const v = (this.inserted >>> shift) & 0xff;
        this.inserted = (this.inserted & ~byteMask) >>> 0;
        return v;
      }
      case PCIHP_REMOVING: {
        const v = (this.removing >>> shift) & 0xff;
        this.removing = (this.removing & ~byteMask) >>> 0;
        return v;
      }
      case PCIHP_HOTPLUG:
        return (this.hotplugSlots >>> shift) & 0xff;
      default:
        return 0;
    }
  }
}
