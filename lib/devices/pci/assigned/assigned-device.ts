/**
 * A host PCI function as the guest sees it. Config space reads and writes
 * go to the host's config file, except what the machine virtualizes:
 * - the identity and header (IDs, class, header type as a single function),
 *   BARs 0x10-0x24 (guest addresses, sizing) and the expansion ROM at 0x30,
 * - the capability pointer and each kept capability's (ID, next) pair: the
 *   list shows only capabilities the machine supports,
 * - the interrupt line and pin (the machine's INTx routing),
 * - command bits I/O, memory, bus master and INTx disable (the machine
 *   decodes the BARs; bus mastering reaches the host only through VFIO,
 *   whose IOMMU mapping confines the device's DMA to guest RAM),
 * - MSI (emulated) and MSI-X (emulated; its table and PBA pages trapped).
 * Status is the host's, with the capability-list bit the machine's.
 */
import type { MmioBus } from '../../../machine/mmio-bus.js';
import { PCI_BAR_COUNT } from '../bar.js';
import {
  PCI_CAPABILITY_LIST,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_CONFIG_SPACE_SIZE,
  PCI_CACHE_LINE_SIZE,
  PCI_LATENCY_TIMER,
  PCI_ROM_ADDRESS,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_CLASS_PROG,
  PCI_CLASS_DEVICE,
  PCI_DEVICE_ID,
  PCI_INTERRUPT_PIN,
  PCI_REVISION_ID,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from '../config-space.js';
import { MSI_CONTROL, MSI_CONTROL_64BIT, MsiCapability, PCI_CAP_ID_MSI } from '../msi.js';
import { MSIX_CONTROL, MSIX_ENTRY_SIZE, MSIX_PBA, MSIX_TABLE, MsixCapability, PCI_CAP_ID_MSIX } from '../msix.js';
import { PciDevice } from '../pci-device.js';
import { capabilityList, type CapabilityEntry } from './capability-list.js';
import { ExpansionRom } from './expansion-rom.js';
import type { HostPciFunction } from './host-function.js';
import { AssignedMemoryBar, type BarRegionSink } from './memory-bar.js';
import { hostBarKind } from './preflight.js';

/** Capabilities passed through as the host has them (their registers are the device's own). */
export const PASSTHROUGH_CAPABILITIES: readonly number[] = [0x01 /* power management */, 0x09 /* vendor specific */, 0x10 /* PCI Express */];
const MSI_CONTROL_PER_VECTOR_MASK = 1 << 8;
const MSI_LENGTH_64 = 14;
const MSI_LENGTH_64_MASKED = 24;
const MSIX_LENGTH = 12;
const MSIX_BIR_MASK = 0x7;
const MSIX_TABLE_SIZE_MASK = 0x7ff;
/** Header bytes that stay the device's own: cache line size, latency timer, BIST. */
const PASSTHROUGH_HEADER = [PCI_CACHE_LINE_SIZE, PCI_LATENCY_TIMER, 0x0f];
const VIRTUAL_COMMAND_BITS = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;
const HEADER_END = 0x40;

export interface AssignedDeviceOptions {
  /** How messages name the device. */
  label: string;
  /** The guest will not do DMA through the device: bus mastering stays virtual. */
  dmaNone: boolean;
  mmio: MmioBus;
  regions: BarRegionSink;
  /** Ends the run with this one-line error (the guest asked for something the device cannot do here). */
  stopMachine(message: string): void;
  /**
   * The device is reached through VFIO with guest RAM mapped in its IOMMU domain: the guest's bus
   * master bit goes to the host. Without it, why DMA cannot be allowed (ends the stop message).
   */
  dma: { through: 'vfio' } | { through: 'none'; why: string };
  /** The guest switched the device's interrupts (VFIO routes the host's to match). */
  interruptModeChanged?(mode: AssignedInterruptMode): void;
  /** Resets the host function with the machine (VFIO_DEVICE_RESET where the device supports it). */
  resetHost?(): void;
}

/** Which interrupt the device raises: INTx, MSI, or MSI-X with this many vectors. */
export type AssignedInterruptMode = { kind: 'intx' } | { kind: 'msi' } | { kind: 'msix'; vectors: number };

function u16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}
function u32(bytes: Uint8Array, at: number): number {
  return (u16(bytes, at) | (u16(bytes, at + 2) << 16)) >>> 0;
}

export class AssignedPciDevice extends PciDevice {
  readonly msi: MsiCapability | undefined;
  readonly msix: MsixCapability | undefined;
  readonly rom: ExpansionRom | undefined;
  readonly memoryBars: AssignedMemoryBar[] = [];
  /** The capability list the guest sees (host offsets). */
  readonly capabilityIds: CapabilityEntry[] = [];
  /** 1 = the byte is the machine's (this.config), 0 = the host's. */
  private readonly virtualByte = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  /** Where the emulated capability being constructed goes (its host offset). */
  private placement = -1;
  private lastLinked = -1;
  private readonly deviceLabel: string;
  private readonly dmaNone: boolean;
  private readonly stopMachine: (message: string) => void;
  private readonly dma: AssignedDeviceOptions['dma'];
  private readonly interruptModeChanged: ((mode: AssignedInterruptMode) => void) | undefined;
  private interruptMode: AssignedInterruptMode = { kind: 'intx' };
  private readonly resetHost: (() => void) | undefined;

  constructor(readonly hostFunction: HostPciFunction, options: AssignedDeviceOptions) {
    const host = hostFunction.sysfs.config;
    const pin = host[PCI_INTERRUPT_PIN]!;
    super(options.label, {
      vendorId: u16(host, PCI_VENDOR_ID),
      deviceId: u16(host, PCI_DEVICE_ID),
      classCode: (u16(host, PCI_CLASS_DEVICE) << 8) | host[PCI_CLASS_PROG]!,
      revision: host[PCI_REVISION_ID]!,
      subsystemVendorId: u16(host, PCI_SUBSYSTEM_VENDOR_ID),
      subsystemId: u16(host, PCI_SUBSYSTEM_ID),
      interruptPin: pin <= 4 ? pin : 0,
      headerType: 0, // one function of the host device, whatever its siblings
    });
    this.deviceLabel = options.label;
    this.dmaNone = options.dmaNone;
    this.stopMachine = options.stopMachine;
    this.dma = options.dma;
    this.interruptModeChanged = options.interruptModeChanged;
    this.resetHost = options.resetHost;
    this.virtualByte.fill(1, 0, HEADER_END);
    for (const at of [PCI_COMMAND, PCI_COMMAND + 1, PCI_STATUS, PCI_STATUS + 1, ...PASSTHROUGH_HEADER]) this.virtualByte[at] = 0;
    this.config.setWritable(PCI_COMMAND, 2, VIRTUAL_COMMAND_BITS);
    // Min_Gnt / Max_Lat are read-only facts of the device.
    this.config.set16(0x3e, u16(host, 0x3e));

    const caps = this.buildCapabilities(host);
    this.msi = caps.msi;
    this.msix = caps.msix;
    this.defineHostBars(options.regions);
    const romBytes = hostFunction.rom;
    if (romBytes !== undefined) {
      this.rom = new ExpansionRom(this.deviceLabel, romBytes, options.mmio);
      this.config.setWritable(PCI_ROM_ADDRESS, 4, this.rom.writableMask);
    }
  }

  private buildCapabilities(host: Uint8Array): { msi?: MsiCapability; msix?: MsixCapability } {
    const out: { msi?: MsiCapability; msix?: MsixCapability } = {};
    for (const cap of capabilityList(host)) {
      if (cap.id === PCI_CAP_ID_MSI) {
        const control = u16(host, cap.offset + MSI_CONTROL);
        // The emulated MSI has the 64-bit layout; a 32-bit-only host capability has no room for it.
        if ((control & MSI_CONTROL_64BIT) === 0 || out.msi !== undefined) continue;
        this.placement = cap.offset;
        out.msi = new MsiCapability(this);
        this.markVirtual(cap.offset, control & MSI_CONTROL_PER_VECTOR_MASK ? MSI_LENGTH_64_MASKED : MSI_LENGTH_64);
      } else if (cap.id === PCI_CAP_ID_MSIX) {
        const table = u32(host, cap.offset + MSIX_TABLE);
        const pba = u32(host, cap.offset + MSIX_PBA);
        const vectors = (u16(host, cap.offset + MSIX_CONTROL) & MSIX_TABLE_SIZE_MASK) + 1;
        const tableBar = table & MSIX_BIR_MASK;
        const layout = { vectors, tableBar, tableOffset: table & ~MSIX_BIR_MASK, pbaBar: pba & MSIX_BIR_MASK, pbaOffset: pba & ~MSIX_BIR_MASK };
        const bar = this.hostFunction.sysfs.resources[tableBar];
        const fits = (at: number, length: number): boolean => bar !== undefined && at + length <= bar.size;
        if (out.msix !== undefined || layout.tableBar !== layout.pbaBar || tableBar >= PCI_BAR_COUNT || !(this.hostFunction.maps.has(tableBar) || this.hostFunction.preadBars.has(tableBar))) continue;
        if (!fits(layout.tableOffset, vectors * MSIX_ENTRY_SIZE) || !fits(layout.pbaOffset, Math.ceil(vectors / 64) * 8)) continue;
        this.placement = cap.offset;
        out.msix = new MsixCapability(this, layout);
        this.markVirtual(cap.offset, MSIX_LENGTH);
      } else if (PASSTHROUGH_CAPABILITIES.includes(cap.id)) {
        this.linkCapability(cap.id, cap.offset);
      }
    }
    this.placement = -1;
    return out;
  }

  /** Emulated capabilities (MsiCapability, MsixCapability) land at the host capability's offset. */
  override addCapability(id: number, _length: number): number {
    if (this.placement < 0) throw new RangeError(`${this.deviceLabel}: capabilities of an assigned device sit where the host has them`);
    this.linkCapability(id, this.placement);
    return this.placement;
  }

  private linkCapability(id: number, offset: number): void {
    const c = this.config;
    c.set8(offset, id);
    c.set8(offset + 1, 0);
    if (this.lastLinked < 0) c.set8(PCI_CAPABILITY_LIST, offset);
    else c.set8(this.lastLinked + 1, offset);
    c.set16(PCI_STATUS, c.get16(PCI_STATUS) | PCI_STATUS_CAP_LIST);
    this.lastLinked = offset;
    this.markVirtual(offset, 2);
    this.capabilityIds.push({ id, offset });
  }

  private markVirtual(offset: number, length: number): void {
    this.virtualByte.fill(1, offset, Math.min(offset + length, PCI_CONFIG_SPACE_SIZE));
  }

  private defineHostBars(regions: BarRegionSink): void {
    const { sysfs } = this.hostFunction;
    for (let index = 0; index < PCI_BAR_COUNT; index++) {
      const resource = sysfs.resources[index];
      if (resource === undefined) continue;
      const kind = hostBarKind(sysfs.config, index);
      if (kind === 'io') {
        const fn = this.hostFunction;
        this.defineBar(index, {
          kind,
          size: resource.size,
          device: {
            name: `${this.deviceLabel} BAR ${index} (I/O)`,
            pioRead: (offset, size) => fn.ioRead(index, offset, size),
            pioWrite: (offset, size, value) => fn.ioWrite(index, offset, size, value),
          },
        });
        continue;
      }
      const fn = this.hostFunction;
      const mapping = fn.maps.get(index) ?? {
        read: (offset: number, data: Uint8Array, length: number) => fn.barRead(index, offset, data, length),
        write: (offset: number, data: Uint8Array, length: number) => fn.barWrite(index, offset, data, length),
      };
      const trapped: Array<readonly [number, number]> = [];
      const layout = this.msix?.layout;
      if (layout !== undefined && layout.tableBar === index) {
        trapped.push([layout.tableOffset, layout.tableOffset + layout.vectors * MSIX_ENTRY_SIZE]);
        trapped.push([layout.pbaOffset, layout.pbaOffset + Math.ceil(layout.vectors / 64) * 8]);
      }
      const bar = new AssignedMemoryBar(this.deviceLabel, index, resource.size, mapping, regions, () => this.msix, trapped);
      this.memoryBars.push(bar);
      const prefetchable = (sysfs.config[0x10 + index * 4]! & 0x8) !== 0;
      this.defineBar(index, { kind, size: resource.size, prefetchable, device: bar, onRemap: (address) => bar.remap(address) });
      if (kind === 'mem64') index++;
    }
  }

  private isVirtual(at: number): boolean {
    return this.virtualByte[at] === 1;
  }

  override configRead(offset: number, size: number): number {
    let allVirtual = true;
    for (let i = 0; i < size; i++) if (!this.isVirtual(offset + i)) allVirtual = false;
    if (allVirtual) return this.config.read(offset, size);
    const hostValue = this.hostFunction.configRead(offset, size);
    const command = (this.hostFunction.configRead(PCI_COMMAND, 2) & ~VIRTUAL_COMMAND_BITS) | (this.command & VIRTUAL_COMMAND_BITS);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const at = offset + i;
      let byte: number;
      if (this.isVirtual(at)) byte = this.config.get8(at);
      else if (at === PCI_COMMAND || at === PCI_COMMAND + 1) byte = (command >>> ((at - PCI_COMMAND) * 8)) & 0xff;
      else {
        byte = Math.floor(hostValue / 2 ** (8 * i)) & 0xff;
        if (at === PCI_STATUS) byte = (byte & ~PCI_STATUS_CAP_LIST) | (this.config.get8(PCI_STATUS) & PCI_STATUS_CAP_LIST);
      }
      v = v * 256 + byte;
    }
    return v;
  }

  override configWrite(offset: number, size: number, value: number): void {
    const touchesCommand = offset <= PCI_COMMAND && offset + size > PCI_COMMAND;
    if (touchesCommand && !this.dmaNone && this.dma.through === 'none') {
      const newLow = Math.floor(value / 2 ** (8 * (PCI_COMMAND - offset))) & 0xff;
      if (newLow & PCI_COMMAND_MASTER && !this.busMaster) {
        // The write is dropped and the machine stops: without an IOMMU mapping, DMA would reach host memory.
        this.stopMachine(`${this.deviceLabel}: the guest enabled bus mastering, so the device may do DMA: ${this.dma.why}`);
        return;
      }
    }
    const oldRom = this.config.get32(PCI_ROM_ADDRESS);
    const oldCommand = this.command;
    super.configWrite(offset, size, value);
    this.writeHostPart(offset, size, value);
    if (this.rom !== undefined && (oldRom !== this.config.get32(PCI_ROM_ADDRESS) || oldCommand !== this.command)) this.updateRom();
    this.followInterruptMode();
  }

  /** The mode the guest's MSI/MSI-X enable bits select; the host is told when it changes. */
  private followInterruptMode(): void {
    const mode: AssignedInterruptMode = this.msix?.enabled
      ? { kind: 'msix', vectors: this.msix.layout.vectors }
      : this.msi?.enabled
        ? { kind: 'msi' }
        : { kind: 'intx' };
    if (mode.kind === this.interruptMode.kind) return;
    this.interruptMode = mode;
    this.interruptModeChanged?.(mode);
  }

  /** Writes the bytes that are the host's, in runs, each with the access's own width where it can. */
  private writeHostPart(offset: number, size: number, value: number): void {
    const bytes: number[] = [];
    for (let i = 0; i < size; i++) {
      let byte = Math.floor(value / 2 ** (8 * i)) & 0xff;
      // Bus mastering reaches the host only through VFIO: without an IOMMU mapping the device would DMA into host memory.
      if (offset + i === PCI_COMMAND && this.dma.through !== 'vfio') byte &= ~PCI_COMMAND_MASTER;
      bytes.push(byte);
    }
    let i = 0;
    while (i < size) {
      if (this.isVirtual(offset + i)) {
        i++;
        continue;
      }
      let end = i;
      while (end < size && !this.isVirtual(offset + end)) end++;
      const length = end - i;
      const at = offset + i;
      if ((length === 2 || length === 4) && at % length === 0) {
        let v = 0;
        for (let k = length - 1; k >= 0; k--) v = v * 256 + bytes[i + k]!;
        this.hostFunction.configWrite(at, length, v);
      } else {
        for (let k = 0; k < length; k++) this.hostFunction.configWrite(at + k, 1, bytes[i + k]!);
      }
      i = end;
    }
  }

  private updateRom(): void {
    this.rom?.update(this.config.get32(PCI_ROM_ADDRESS), (this.command & PCI_COMMAND_MEMORY) !== 0);
  }

  /**
   * An interrupt from the device (for a host that forwards them, e.g. from an eventfd):
   * MSI-X vector `vector` when MSI-X is on, else the MSI message when MSI is on. Returns whether
   * a message went out; with neither enabled the device uses INTx (setIntx).
   */
  signalMessage(vector = 0): boolean {
    if (this.msix?.enabled) return this.msix.signal(vector);
    if (this.msi?.enabled) return this.msi.signal();
    return false;
  }

  override reset(): void {
    super.reset();
    this.resetHost?.();
    this.updateRom();
    this.followInterruptMode();
  }

  /** Unmaps the BARs and closes the host files (the machine is destroyed). */
  release(): void {
    for (const bar of this.memoryBars) bar.unmapAll();
    this.rom?.update(0, false);
    this.hostFunction.close();
  }
}

