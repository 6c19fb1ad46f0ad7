/**
 * MSI-X (PCI Local Bus 3.0 §6.8.2): the capability in config space and the
 * vector table and pending-bit array in a memory BAR. A masked vector's
 * message is held as a pending bit and sent when it is unmasked.
 *
 * Capability: +2 message control (table size - 1 in 10:0, function mask
 * bit 14, enable bit 15), +4 table offset | BIR, +8 PBA offset | BIR.
 * Table entry (16 bytes): address low, address high, data, vector control
 * (bit 0 = mask, set at reset).
 */
import type { MmioDevice } from '../../machine/bus-device.js';
import { decodeMsi } from './msi-message.js';
import type { PciCapability, PciDevice } from './pci-device.js';

export const PCI_CAP_ID_MSIX = 0x11;
export const MSIX_CAP_LENGTH = 12;
export const MSIX_CONTROL = 2;
export const MSIX_TABLE = 4;
export const MSIX_PBA = 8;
export const MSIX_CONTROL_ENABLE = 1 << 15;
export const MSIX_CONTROL_FUNCTION_MASK = 1 << 14;
export const MSIX_ENTRY_SIZE = 16;
export const MSIX_ENTRY_VECTOR_CONTROL = 12;
export const MSIX_VECTOR_MASKED = 1;
export const MSIX_MAX_VECTORS = 2048;

export interface MsixLayout {
  vectors: number;
  /** BAR index and offset in it of the table and of the PBA (both 8-byte aligned). */
  tableBar: number;
  tableOffset: number;
  pbaBar: number;
  pbaOffset: number;
}

export class MsixCapability implements PciCapability, MmioDevice {
  readonly offset: number;
  readonly length = MSIX_CAP_LENGTH;
  readonly name: string;
  readonly table: Uint8Array;
  readonly pba: Uint8Array;
  private readonly tableView: DataView;
  /** Messages dropped because the address was not the APIC window or bus mastering was off. */
  dropped = 0;

  constructor(private readonly device: PciDevice, readonly layout: MsixLayout) {
    const { vectors } = layout;
    if (!Number.isInteger(vectors) || vectors < 1 || vectors > MSIX_MAX_VECTORS) throw new RangeError(`MSI-X vector count ${vectors} is not in 1..${MSIX_MAX_VECTORS}`);
    // One MMIO handler serves both, so they live in the same BAR (as on most devices).
    if (layout.tableBar !== layout.pbaBar) throw new RangeError('MSI-X table and PBA must share a BAR');
    if (layout.tableOffset % 8 !== 0 || layout.pbaOffset % 8 !== 0) throw new RangeError('MSI-X table and PBA offsets must be 8-byte aligned');
    this.name = `${device.name} MSI-X`;
    this.table = new Uint8Array(vectors * MSIX_ENTRY_SIZE);
    this.tableView = new DataView(this.table.buffer);
    this.pba = new Uint8Array(Math.ceil(vectors / 64) * 8);
    this.offset = device.addCapability(PCI_CAP_ID_MSIX, MSIX_CAP_LENGTH);
    const c = device.config;
    c.set16(this.offset + MSIX_CONTROL, vectors - 1);
    c.setWritable(this.offset + MSIX_CONTROL, 2, MSIX_CONTROL_ENABLE | MSIX_CONTROL_FUNCTION_MASK);
    c.set32(this.offset + MSIX_TABLE, layout.tableOffset | layout.tableBar);
    c.set32(this.offset + MSIX_PBA, layout.pbaOffset | layout.pbaBar);
    device.registerCapability(this);
    this.reset();
  }

  /** Bytes of BAR space the table and PBA need from their offsets. */
  get tableBytes(): number {
    return this.table.length;
  }

  private get control(): number {
    return this.device.config.get16(this.offset + MSIX_CONTROL);
  }

  get enabled(): boolean {
    return (this.control & MSIX_CONTROL_ENABLE) !== 0;
  }

  private masked(vector: number): boolean {
    return (this.control & MSIX_CONTROL_FUNCTION_MASK) !== 0 ||
      (this.tableView.getUint32(vector * MSIX_ENTRY_SIZE + MSIX_ENTRY_VECTOR_CONTROL, true) & MSIX_VECTOR_MASKED) !== 0;
  }

  pending(vector: number): boolean {
    return (this.pba[vector >> 3]! & (1 << (vector & 7))) !== 0;
  }

  private setPending(vector: number, on: boolean): void {
    if (on) this.pba[vector >> 3]! |= 1 << (vector & 7);
    else this.pba[vector >> 3]! &= ~(1 << (vector & 7));
  }

  /** Signals `vector`: sent now, or held pending while masked. Returns whether it was sent. */
  signal(vector: number): boolean {
    if (!Number.isInteger(vector) || vector < 0 || vector >= this.layout.vectors) throw new RangeError(`MSI-X vector ${vector} out of range`);
    if (!this.enabled) return false;
    if (this.masked(vector)) {
      this.setPending(vector, true);
      return false;
    }
    return this.send(vector);
  }

  private send(vector: number): boolean {
    const at = vector * MSIX_ENTRY_SIZE;
    const view = this.tableView;
    const extended = this.device.host?.msiExtendedDestId === true;
    const message = decodeMsi(view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true), extended);
    if (message === undefined || !this.device.busMaster || this.device.host === undefined) {
      this.dropped++;
      return false;
    }
    this.device.host.deliverMsi(this.device, message);
    return true;
  }

  /** Unmasking (a vector or the function) delivers what was held pending. */
  private flushPending(): void {
    if (!this.enabled) return;
    for (let v = 0; v < this.layout.vectors; v++) {
      if (this.pending(v) && !this.masked(v)) {
        this.setPending(v, false);
        this.send(v);
      }
    }
  }

  afterWrite(): void {
    this.flushPending();
  }

  reset(): void {
    this.table.fill(0);
    this.pba.fill(0);
    for (let v = 0; v < this.layout.vectors; v++) this.tableView.setUint32(v * MSIX_ENTRY_SIZE + MSIX_ENTRY_VECTOR_CONTROL, MSIX_VECTOR_MASKED, true);
  }

  /**
   * MMIO handlers for the table and PBA, offsets relative to the BAR. Devices
   * whose BAR holds more than the table forward the table's part here.
   */
  ownsBarOffset(bar: number, offset: number): boolean {
    const { tableBar, tableOffset, pbaBar, pbaOffset } = this.layout;
    return (bar === tableBar && offset >= tableOffset && offset < tableOffset + this.table.length) ||
      (bar === pbaBar && offset >= pbaOffset && offset < pbaOffset + this.pba.length);
  }

  mmioRead(offset: number, data: Uint8Array, length: number): void {
    for (let i = 0; i < length; i++) data[i] = this.byteAt(offset + i);
  }

  mmioWrite(offset: number, data: Uint8Array, length: number): void {
    const { tableOffset } = this.layout;
    for (let i = 0; i < length; i++) {
      const at = offset + i - tableOffset;
      // The table is writable; the PBA is read-only.
      if (at >= 0 && at < this.table.length) this.table[at] = data[i]!;
    }
    this.flushPending();
  }

  /** Table/PBA byte for a BAR offset (the table and PBA share one BAR here: tableBar === pbaBar). */
  private byteAt(offset: number): number {
    const { tableOffset, pbaOffset } = this.layout;
    if (offset >= tableOffset && offset < tableOffset + this.table.length) return this.table[offset - tableOffset]!;
    if (offset >= pbaOffset && offset < pbaOffset + this.pba.length) return this.pba[offset - pbaOffset]!;
    return 0;
  }
}
