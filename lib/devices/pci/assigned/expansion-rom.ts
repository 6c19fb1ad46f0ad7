/**
 * The expansion ROM BAR (config 0x30): address bits 31:11 above the ROM's
 * size are writable, bit 0 enables decoding (with the command register's
 * memory space bit). The machine never places it (firmware would only to
 * run option ROMs); a guest that sizes, places and enables it reads the
 * bytes the host's `rom` file gave. Reads only: writes to ROM are dropped.
 */
import type { MmioDevice } from '../../../machine/bus-device.js';
import type { MmioBus } from '../../../machine/mmio-bus.js';

export const PCI_ROM_ADDRESS_ENABLE = 0x1;
export const PCI_ROM_ADDRESS_MASK = 0xffff_f800;

export class ExpansionRom implements MmioDevice {
  readonly name: string;
  private registeredAt: number | undefined;

  constructor(label: string, readonly bytes: Uint8Array, private readonly mmio: MmioBus) {
    this.name = `${label} ROM`;
  }

  get size(): number {
    return this.bytes.length;
  }

  /** The writable bits of the ROM BAR register. */
  get writableMask(): number {
    return ((PCI_ROM_ADDRESS_MASK & ~(this.size - 1)) | PCI_ROM_ADDRESS_ENABLE) >>> 0;
  }

  /** Follows the register and the memory space enable. */
  update(register: number, memoryEnabled: boolean): void {
    const address = (register & PCI_ROM_ADDRESS_MASK) >>> 0;
    const decodes = memoryEnabled && (register & PCI_ROM_ADDRESS_ENABLE) !== 0 && address !== 0;
    const target = decodes ? address : undefined;
    if (target === this.registeredAt) return;
    if (this.registeredAt !== undefined) this.mmio.unregister(this.registeredAt, this);
    this.registeredAt = undefined;
    if (target === undefined) return;
    try {
      this.mmio.register(target, this.size, this);
      this.registeredAt = target;
    } catch {
      // Placed over another device: like conflicting decoders on a real bus, it does not decode.
    }
  }

  mmioRead(offset: number, data: Uint8Array, length: number): void {
    for (let i = 0; i < length; i++) data[i] = this.bytes[offset + i] ?? 0xff;
  }

  mmioWrite(): void {
    // ROM: writes have no effect.
  }
}
