/**
 * One memory BAR of an assigned function, backed by its resourceN mapping.
 * Pages go straight into guest-physical memory (a memory region per run of
 * pages, moved when the guest moves the BAR), so accesses do not exit.
 * What must not be direct exits and is served here: a BAR smaller than a
 * page (the page would expose whatever follows it), and the pages holding
 * the MSI-X table and PBA (the machine emulates them).
 */
import type { MmioDevice } from '../../../machine/bus-device.js';
import type { MsixCapability } from '../msix.js';
import type { MappedBar } from './host-function.js';

/** A BAR that cannot be mapped (VFIO without mmap): every access exits and goes through these. */
export interface UnmappedBarAccess {
  read(offset: number, data: Uint8Array, length: number): void;
  write(offset: number, data: Uint8Array, length: number): void;
}

export const BAR_PAGE = 4096;

/** Where the machine maps and unmaps guest-physical memory regions (vm.setMemoryRegion). */
export interface BarRegionSink {
  allocateSlot(): number;
  map(slot: number, gpa: number, size: number, buffer: ArrayBuffer, offset: number): void;
  unmap(slot: number): void;
}

interface PageRun {
  offset: number;
  size: number;
  slot: number;
  mapped: boolean;
}

export class AssignedMemoryBar implements MmioDevice {
  readonly name: string;
  /** Runs of pages mapped directly (empty for a sub-page BAR). */
  readonly runs: PageRun[] = [];
  /** Guest-physical address the runs are mapped at now. */
  mappedAt: number | undefined;

  constructor(
    label: string,
    readonly index: number,
    readonly size: number,
    private readonly mapping: MappedBar | UnmappedBarAccess,
    private readonly regions: BarRegionSink,
    private readonly msix: () => MsixCapability | undefined,
    /** Byte ranges [start, end) of this BAR that must exit (MSI-X table and PBA). */
    trapped: ReadonlyArray<readonly [number, number]>,
  ) {
    this.name = `${label} BAR ${index}`;
    if (size < BAR_PAGE || !('buffer' in mapping)) return;
    const pages = size / BAR_PAGE;
    const trappedPage = (p: number): boolean => trapped.some(([s, e]) => s < (p + 1) * BAR_PAGE && p * BAR_PAGE < e);
    let start = -1;
    for (let p = 0; p <= pages; p++) {
      const direct = p < pages && !trappedPage(p);
      if (direct && start < 0) start = p;
      if (!direct && start >= 0) {
        this.runs.push({ offset: start * BAR_PAGE, size: (p - start) * BAR_PAGE, slot: regions.allocateSlot(), mapped: false });
        start = -1;
      }
    }
  }

  /** The BAR's onRemap hook: the direct pages follow the guest's address (undefined = not decoding). */
  remap(address: number | undefined): void {
    if (address === this.mappedAt) return;
    for (const run of this.runs) {
      if (run.mapped) this.regions.unmap(run.slot);
      run.mapped = false;
    }
    this.mappedAt = address;
    if (address === undefined) return;
    for (const run of this.runs) {
      this.regions.map(run.slot, address + run.offset, run.size, (this.mapping as MappedBar).buffer, run.offset);
      run.mapped = true;
    }
  }

  /** Drops every region (the machine goes away). */
  unmapAll(): void {
    this.remap(undefined);
  }

  mmioRead(offset: number, data: Uint8Array, length: number): void {
    const msix = this.msix();
    if (msix !== undefined && msix.ownsBarOffset(this.index, offset)) {
      msix.mmioRead(offset, data, length);
      return;
    }
    if (!('view' in this.mapping)) {
      if (offset + length > this.size) data.fill(0xff, 0, length);
      else this.mapping.read(offset, data, length);
      return;
    }
    const view = this.mapping.view;
    if (offset + length > this.size) {
      for (let i = 0; i < length; i++) data[i] = offset + i < this.size ? view.getUint8(offset + i) : 0xff;
      return;
    }
    // One load of the access's width: device registers can care about it.
    const out = new DataView(data.buffer, data.byteOffset, length);
    switch (length) {
      case 1: data[0] = view.getUint8(offset); break;
      case 2: out.setUint16(0, view.getUint16(offset, true), true); break;
      case 4: out.setUint32(0, view.getUint32(offset, true), true); break;
      case 8: out.setBigUint64(0, view.getBigUint64(offset, true), true); break;
      default: for (let i = 0; i < length; i++) data[i] = view.getUint8(offset + i);
    }
  }

  mmioWrite(offset: number, data: Uint8Array, length: number): void {
    const msix = this.msix();
    if (msix !== undefined && msix.ownsBarOffset(this.index, offset)) {
      msix.mmioWrite(offset, data, length);
      return;
    }
    if (!('view' in this.mapping)) {
      if (offset + length <= this.size) this.mapping.write(offset, data, length);
      return;
    }
    const view = this.mapping.view;
    if (offset + length > this.size) {
      for (let i = 0; i < length && offset + i < this.size; i++) view.setUint8(offset + i, data[i]!);
      return;
    }
    const from = new DataView(data.buffer, data.byteOffset, length);
    switch (length) {
      case 1: view.setUint8(offset, data[0]!); break;
      case 2: view.setUint16(offset, from.getUint16(0, true), true); break;
      case 4: view.setUint32(offset, from.getUint32(0, true), true); break;
      case 8: view.setBigUint64(offset, from.getBigUint64(0, true), true); break;
      default: for (let i = 0; i < length; i++) view.setUint8(offset + i, data[i]!);
    }
  }
}
