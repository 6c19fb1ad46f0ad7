/**
 * I/O APIC (82093AA register interface, version 0x11, 24 pins) at
 * 0xFEC00000: IOREGSEL at offset 0x00 selects a register, IOWIN at 0x10
 * reads/writes it. Registers: 0x00 ID (bits 27-24), 0x01 version (bits 7-0
 * version, 23-16 maximum redirection entry), 0x02 arbitration ID, and
 * 0x10 + 2n / 0x11 + 2n the low/high halves of redirection entry n:
 * vector (7-0), delivery mode (10-8), destination mode (11, 1 = logical),
 * delivery status (12, RO), polarity (13), remote IRR (14, RO), trigger
 * mode (15, 1 = level), mask (16); destination in bits 63-56. With KVM's
 * extended destination ID advertised (kvm-msi-ext-dest-id), bits 55-49
 * are APIC ID bits 14:8 of a physical destination, as the same bits of an
 * MSI address are (an entry is an MSI in QEMU's and KVM's IOAPIC).
 *
 * Pins carry the logical "asserted" state of their line (the machine's
 * IrqLines), so the polarity bit is stored but does not invert anything:
 * it describes the wire, which here has no electrical level (as KVM's
 * and QEMU's models treat it). An edge-triggered pin sends one message per
 * rising edge while unmasked; a level-triggered pin sends one while
 * asserted, unmasked and remote IRR is clear, sets remote IRR, and waits
 * for the local APIC's EOI of its vector (the EOI broadcast) to clear it,
 * after which a still-asserted pin fires again.
 *
 * ISA IRQ 0 reaches pin 2 (the MADT's interrupt source override); other
 * lines map to the pin of the same number. Line 2 is the PIC cascade and
 * has no pin.
 */
import { GSI_PIT, IOAPIC_BASE, IOAPIC_ID, IOAPIC_SIZE, IRQ_CASCADE, IRQ_PIT } from '../machine/addresses.js';
import type { MmioDevice, Resettable } from '../machine/bus-device.js';
import { DeliveryMode, type ApicBus } from '../machine/interrupt-types.js';
import type { IrqLines } from '../machine/irq.js';
import type { MmioBus } from '../machine/mmio-bus.js';
import { extendDestination } from './pci/msi-message.js';

export const IOAPIC_PINS = 24;
export const IOAPIC_VERSION = 0x11;
export const IOREGSEL = 0x00;
export const IOWIN = 0x10;
export const IOAPIC_REG_ID = 0x00;
export const IOAPIC_REG_VERSION = 0x01;
export const IOAPIC_REG_ARBITRATION = 0x02;
export const IOAPIC_REG_REDTBL = 0x10;

export const REDIR_DEST_LOGICAL = 1 << 11;
export const REDIR_DELIVERY_STATUS = 1 << 12;
export const REDIR_POLARITY_LOW = 1 << 13;
export const REDIR_REMOTE_IRR = 1 << 14;
export const REDIR_LEVEL = 1 << 15;
export const REDIR_MASKED = 1 << 16;
/** Bits of the low half the guest can write (not delivery status, not remote IRR). */
const REDIR_LOW_WRITABLE = 0x1_afff;

/** The IOAPIC pin an ISA/GSI line drives, or -1. */
export function ioapicPinOfLine(line: number): number {
  if (line === IRQ_PIT) return GSI_PIT;
  if (line === IRQ_CASCADE) return -1;
  return line < IOAPIC_PINS ? line : -1;
}

export class IoApic implements MmioDevice, Resettable {
  readonly name = 'ioapic';
  id = IOAPIC_ID;
  private select = 0;
  /** Redirection entries: low and high 32 bits. */
  readonly low = new Uint32Array(IOAPIC_PINS);
  readonly high = new Uint32Array(IOAPIC_PINS);
  private pins = 0;
  /** kvm-msi-ext-dest-id: entry bits 55:49 are APIC ID bits 14:8 (set by the machine from -cpu). */
  extendedDestId = false;

  constructor(private readonly bus: ApicBus) {
    this.reset();
    bus.addEoiListener((vector) => this.onEoi(vector));
  }

  attach(mmio: MmioBus): void {
    mmio.register(IOAPIC_BASE, IOAPIC_SIZE, this);
  }

  /** Follows the machine's IRQ lines (see ioapicPinOfLine). */
  connect(irqs: IrqLines): void {
    irqs.onChange((line, level) => {
      const pin = ioapicPinOfLine(line);
      if (pin >= 0) this.setPin(pin, level);
    });
  }

  reset(): void {
    this.id = IOAPIC_ID;
    this.select = 0;
    this.low.fill(REDIR_MASKED);
    this.high.fill(0);
    this.pins = 0;
  }

  setPin(pin: number, level: boolean): void {
    const bit = 1 << pin;
    const was = (this.pins & bit) !== 0;
    if (level) this.pins |= bit;
    else this.pins &= ~bit;
    if (!level) return;
    if (this.low[pin]! & REDIR_LEVEL) this.service(pin);
    else if (!was) this.service(pin);
  }

  /** Sends pin's message if it may fire now. */
  private service(pin: number): void {
    const lo = this.low[pin]!;
    if (lo & REDIR_MASKED) return;
    const level = (lo & REDIR_LEVEL) !== 0;
    if (level) {
      if (lo & REDIR_REMOTE_IRR || (this.pins & (1 << pin)) === 0) return;
      this.low[pin] = lo | REDIR_REMOTE_IRR;
    }
    const logical = (lo & REDIR_DEST_LOGICAL) !== 0;
    const hi = this.high[pin]!;
    this.bus.deliver({
      vector: lo & 0xff,
      deliveryMode: ((lo >> 8) & 7) as DeliveryMode,
      logical,
      destination: this.extendedDestId && !logical ? extendDestination(hi >>> 24, (hi >>> 17) & 0x7f) : hi >>> 24,
      levelTriggered: level,
    });
  }

  private onEoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const lo = this.low[pin]!;
      if ((lo & REDIR_REMOTE_IRR) === 0 || (lo & 0xff) !== vector) continue;
      this.low[pin] = lo & ~REDIR_REMOTE_IRR;
      this.service(pin); // still asserted: the level interrupt comes back
    }
  }

  private readRegister(reg: number): number {
    switch (reg) {
      case IOAPIC_REG_ID:
      case IOAPIC_REG_ARBITRATION:
        return (this.id & 0xf) << 24;
      case IOAPIC_REG_VERSION:
        return ((IOAPIC_PINS - 1) << 16) | IOAPIC_VERSION;
    }
    const n = (reg - IOAPIC_REG_REDTBL) >> 1;
    if (reg < IOAPIC_REG_REDTBL || n >= IOAPIC_PINS) return 0xffff_ffff;
    return (reg & 1 ? this.high[n]! : this.low[n]!) >>> 0;
  }

  private writeRegister(reg: number, value: number): void {
    if (reg === IOAPIC_REG_ID) {
      this.id = (value >>> 24) & 0xf;
      return;
    }
    const n = (reg - IOAPIC_REG_REDTBL) >> 1;
    if (reg < IOAPIC_REG_REDTBL || n >= IOAPIC_PINS) return; // read-only or absent
    if (reg & 1) {
      // Bits 55:49 are reserved unless they extend the destination.
      this.high[n] = value & (this.extendedDestId ? 0xfffe_0000 : 0xff00_0000);
      return;
    }
    const keep = this.low[n]! & REDIR_REMOTE_IRR;
    // Remote IRR only has a meaning for level-triggered entries.
    const next = (value & REDIR_LOW_WRITABLE) | (value & REDIR_LEVEL ? keep : 0);
    this.low[n] = next;
    // Unmasking an asserted level-triggered pin delivers it now.
    if (next & REDIR_LEVEL) this.service(n);
  }

  mmioRead(offset: number, data: Uint8Array, length: number): void {
    let value = 0;
    if (offset >= IOREGSEL && offset < IOREGSEL + 4) value = this.select >>> ((offset - IOREGSEL) * 8);
    else if (offset >= IOWIN && offset < IOWIN + 4) value = this.readRegister(this.select) >>> ((offset - IOWIN) * 8);
    for (let i = 0; i < length; i++) data[i] = i < 4 ? (value >>> (8 * i)) & 0xff : 0;
  }

  mmioWrite(offset: number, data: Uint8Array, length: number): void {
    let value = 0;
    for (let i = 0; i < Math.min(length, 4); i++) value |= data[i]! << (8 * i);
    value >>>= 0;
    // Only 32-bit accesses at the two register offsets are defined; narrower writes to IOREGSEL set its low byte.
    if (offset === IOREGSEL) this.select = value & 0xff;
    else if (offset === IOWIN && length >= 4) this.writeRegister(this.select, value);
  }
}
