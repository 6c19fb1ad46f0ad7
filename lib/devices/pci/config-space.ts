/**
 * A PCI function's 256-byte configuration space with per-bit write
 * behaviour: bits in `writable` take the written value, bits in
 * `writeOneToClear` are cleared by writing 1 (status register error bits),
 * every other bit is read-only. Accesses of 1, 2 or 4 bytes at any offset
 * inside the space; values little-endian.
 */

export const PCI_CONFIG_SPACE_SIZE = 256;

// Type 0 header offsets.
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CLASS_DEVICE = 0x0a;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BASE_ADDRESS_0 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
/** First byte after the standard header: capabilities go here. */
export const PCI_CAPABILITIES_START = 0x40;

// Command register bits.
export const PCI_COMMAND_IO = 1 << 0;
export const PCI_COMMAND_MEMORY = 1 << 1;
export const PCI_COMMAND_MASTER = 1 << 2;
export const PCI_COMMAND_SERR = 1 << 8;
export const PCI_COMMAND_INTX_DISABLE = 1 << 10;

// Status register bits.
export const PCI_STATUS_INTERRUPT = 1 << 3;
export const PCI_STATUS_CAP_LIST = 1 << 4;
/** Error bits software clears by writing 1: parity, signalled/received aborts, SERR, detected parity. */
export const PCI_STATUS_ERROR_BITS = 0xf900;

export const PCI_HEADER_TYPE_NORMAL = 0x00;
export const PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80;

export class PciConfigSpace {
  readonly bytes = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly writable = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly writeOneToClear = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  private readonly view = new DataView(this.bytes.buffer);

  read(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (this.bytes[offset + i] ?? 0xff);
    return v;
  }

  /** A guest write: only writable bits change, write-1-to-clear bits clear. */
  write(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at >= PCI_CONFIG_SPACE_SIZE) break;
      const byte = Math.floor(value / 2 ** (8 * i)) & 0xff;
      const wm = this.writable[at]!;
      const w1c = this.writeOneToClear[at]!;
      const old = this.bytes[at]!;
      this.bytes[at] = ((old & ~wm) | (byte & wm)) & ~(byte & w1c);
    }
  }

  // Device-side accessors: ignore the masks.
  get8(offset: number): number { return this.bytes[offset]!; }
  get16(offset: number): number { return this.view.getUint16(offset, true); }
  get32(offset: number): number { return this.view.getUint32(offset, true); }
  set8(offset: number, v: number): void { this.bytes[offset] = v; }
  set16(offset: number, v: number): void { this.view.setUint16(offset, v, true); }
  set32(offset: number, v: number): void { this.view.setUint32(offset, v >>> 0, true); }

  setWritable(offset: number, size: number, mask: number): void {
    for (let i = 0; i < size; i++) this.writable[offset + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  setWriteOneToClear(offset: number, size: number, mask: number): void {
    for (let i = 0; i < size; i++) this.writeOneToClear[offset + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }
}
