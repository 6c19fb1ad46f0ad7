/**
 * A PCI function: identity, configuration space, up to six BARs, a
 * capability list, INTx. Devices subclass it (or build one) and declare
 * their BARs; the bus assigns addresses, maps the BAR ranges and routes the
 * interrupt pin. The same object serves an emulated device and, later, an
 * assigned host device whose config space is filled from sysfs.
 */
import type { ApicMessage } from '../../machine/interrupt-types.js';
import {
  PCI_BAR_COUNT,
  PCI_BAR_IO_ADDRESS_MASK,
  PCI_BAR_MEM_ADDRESS_MASK,
  barFlags,
  barWritableMasks,
  isPowerOfTwo,
  PCI_BAR_MIN_IO_SIZE,
  PCI_BAR_MIN_MEM_SIZE,
  type PciBarDefinition,
} from './bar.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_CACHE_LINE_SIZE,
  PCI_CAPABILITIES_START,
  PCI_CAPABILITY_LIST,
  PCI_CLASS_DEVICE,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_SERR,
  PCI_CONFIG_SPACE_SIZE,
  PciConfigSpace,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_LATENCY_TIMER,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_ERROR_BITS,
  PCI_STATUS_INTERRUPT,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from './config-space.js';

export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  /** class << 16 | subclass << 8 | programming interface */
  classCode: number;
  revision?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** 0 = no INTx, 1..4 = INTA#..INTD# */
  interruptPin?: number;
  headerType?: number;
}

/** What the bus gives a device once it is attached. */
export interface PciDeviceHost {
  /** Config writes that may change decoding (command, BARs) call this. */
  updateMappings(device: PciDevice): void;
  /** The INTx pin's level changed. */
  setIntx(device: PciDevice, level: boolean): void;
  /** An MSI/MSI-X message to the APICs. */
  deliverMsi(device: PciDevice, message: ApicMessage): void;
  /** kvm-msi-ext-dest-id is advertised: MSI address bits 11:5 are APIC ID bits 14:8 (msi-message.ts). */
  readonly msiExtendedDestId: boolean;
}

/** A capability that reacts to config writes into its bytes. */
export interface PciCapability {
  readonly offset: number;
  readonly length: number;
  afterWrite?(): void;
  reset?(): void;
}

const hex = (n: number): string => '0x' + n.toString(16);

export class PciDevice {
  readonly config = new PciConfigSpace();
  readonly bars: Array<PciBarDefinition | undefined> = new Array(PCI_BAR_COUNT).fill(undefined);
  readonly capabilities: PciCapability[] = [];
  host: PciDeviceHost | undefined;
  /** Bus address once attached. */
  slot = -1;
  fn = 0;
  private nextCapability = PCI_CAPABILITIES_START;
  private lastCapability = -1;
  private powerOn: Uint8Array | undefined;
  private intxLevel = false;

  constructor(readonly name: string, identity: PciIdentity) {
    const c = this.config;
    c.set16(PCI_VENDOR_ID, identity.vendorId);
    c.set16(PCI_DEVICE_ID, identity.deviceId);
    c.set8(PCI_REVISION_ID, identity.revision ?? 0);
    c.set8(PCI_CLASS_PROG, identity.classCode & 0xff);
    c.set16(PCI_CLASS_DEVICE, (identity.classCode >>> 8) & 0xffff);
    c.set8(PCI_HEADER_TYPE, identity.headerType ?? 0);
    c.set16(PCI_SUBSYSTEM_VENDOR_ID, identity.subsystemVendorId ?? 0);
    c.set16(PCI_SUBSYSTEM_ID, identity.subsystemId ?? 0);
    const pin = identity.interruptPin ?? 0;
    if (!Number.isInteger(pin) || pin < 0 || pin > 4) throw new RangeError(`${name}: interrupt pin must be 0..4, got ${pin}`);
    c.set8(PCI_INTERRUPT_PIN, pin);
    c.setWritable(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    c.setWriteOneToClear(PCI_STATUS, 2, PCI_STATUS_ERROR_BITS);
    c.setWritable(PCI_CACHE_LINE_SIZE, 1, 0xff);
    c.setWritable(PCI_LATENCY_TIMER, 1, 0xff);
    // The interrupt line is a scratch register for software; firmware (here: the machine) fills it.
    c.setWritable(PCI_INTERRUPT_LINE, 1, 0xff);
  }

  get interruptPin(): number {
    return this.config.get8(PCI_INTERRUPT_PIN);
  }

  get command(): number {
    return this.config.get16(PCI_COMMAND);
  }

  /** Declares BAR `index` (a 64-bit BAR also takes index + 1). Before attaching only. */
  defineBar(index: number, def: PciBarDefinition): void {
    const wide = def.kind === 'mem64';
    if (!Number.isInteger(index) || index < 0 || index + (wide ? 1 : 0) >= PCI_BAR_COUNT) {
      throw new RangeError(`${this.name}: BAR ${index} is out of range`);
    }
    const min = def.kind === 'io' ? PCI_BAR_MIN_IO_SIZE : PCI_BAR_MIN_MEM_SIZE;
    const max = def.kind === 'io' ? 256 : def.kind === 'mem32' ? 2 ** 31 : 2 ** 48;
    if (!isPowerOfTwo(def.size) || def.size < min || def.size > max) {
      throw new RangeError(`${this.name}: BAR ${index} size ${hex(def.size)} must be a power of two in ${hex(min)}..${hex(max)}`);
    }
    if (this.bars[index] !== undefined || (wide && this.bars[index + 1] !== undefined) || this.barIsUpperHalf(index)) {
      throw new RangeError(`${this.name}: BAR ${index} is already defined`);
    }
    this.bars[index] = def;
    const at = PCI_BASE_ADDRESS_0 + index * 4;
    const masks = barWritableMasks(def);
    this.config.set32(at, barFlags(def));
    this.config.setWritable(at, 4, masks.low);
    if (wide) this.config.setWritable(at + 4, 4, masks.high);
  }

  /** True when BAR slot `index` is the upper half of a 64-bit BAR. */
  barIsUpperHalf(index: number): boolean {
    return index > 0 && this.bars[index - 1]?.kind === 'mem64';
  }

  /** The address programmed into BAR `index` (bits above the flags). */
  barAddress(index: number): number {
    const def = this.bars[index];
    if (def === undefined) throw new RangeError(`${this.name}: BAR ${index} is not defined`);
    const at = PCI_BASE_ADDRESS_0 + index * 4;
    const low = this.config.get32(at);
    if (def.kind === 'io') return (low & PCI_BAR_IO_ADDRESS_MASK) >>> 0;
    const base = (low & PCI_BAR_MEM_ADDRESS_MASK) >>> 0;
    return def.kind === 'mem64' ? base + this.config.get32(at + 4) * 2 ** 32 : base;
  }

  /** Firmware-style assignment (the machine does it, there is no BIOS). */
  setBarAddress(index: number, address: number): void {
    const def = this.bars[index];
    if (def === undefined) throw new RangeError(`${this.name}: BAR ${index} is not defined`);
    if (address % def.size !== 0) throw new RangeError(`${this.name}: BAR ${index} address ${hex(address)} is not aligned to its size`);
    const at = PCI_BASE_ADDRESS_0 + index * 4;
    this.config.set32(at, ((address % 2 ** 32) | barFlags(def)) >>> 0);
    if (def.kind === 'mem64') this.config.set32(at + 4, Math.floor(address / 2 ** 32));
    this.host?.updateMappings(this);
  }

  /** Adds a capability of `length` bytes to the list; returns its offset in config space. */
  addCapability(id: number, length: number): number {
    const offset = this.nextCapability;
    if (offset + length > PCI_CONFIG_SPACE_SIZE) throw new RangeError(`${this.name}: no room for capability ${hex(id)}`);
    this.config.set8(offset, id);
    this.config.set8(offset + 1, 0);
    if (this.lastCapability < 0) this.config.set8(PCI_CAPABILITY_LIST, offset);
    else this.config.set8(this.lastCapability + 1, offset);
    this.config.set16(PCI_STATUS, this.config.get16(PCI_STATUS) | PCI_STATUS_CAP_LIST);
    this.lastCapability = offset;
    this.nextCapability = (offset + length + 3) & ~3; // capabilities are dword-aligned
    return offset;
  }

  registerCapability(cap: PciCapability): void {
    this.capabilities.push(cap);
  }

  configRead(offset: number, size: number): number {
    return this.config.read(offset, size);
  }

  configWrite(offset: number, size: number, value: number): void {
    const oldCommand = this.command;
    this.config.write(offset, size, value);
    const end = offset + size;
    for (const cap of this.capabilities) {
      if (offset < cap.offset + cap.length && cap.offset < end) cap.afterWrite?.();
    }
    const touchesBars = offset < PCI_BASE_ADDRESS_0 + PCI_BAR_COUNT * 4 && end > PCI_BASE_ADDRESS_0;
    const command = this.command;
    if (touchesBars || (oldCommand ^ command) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) this.host?.updateMappings(this);
    if ((oldCommand ^ command) & PCI_COMMAND_INTX_DISABLE) this.forwardIntx();
  }

  /** Drives INTx (level-triggered). The status bit follows the device; the command bit gates the pin. */
  setIntx(level: boolean): void {
    if (this.interruptPin === 0) throw new Error(`${this.name}: device has no INTx pin`);
    this.intxLevel = level;
    const status = this.config.get16(PCI_STATUS);
    this.config.set16(PCI_STATUS, level ? status | PCI_STATUS_INTERRUPT : status & ~PCI_STATUS_INTERRUPT);
    this.forwardIntx();
  }

  private forwardIntx(): void {
    if (this.interruptPin === 0) return;
    this.host?.setIntx(this, this.intxLevel && (this.command & PCI_COMMAND_INTX_DISABLE) === 0);
  }

  /** Bus master enable: a device may only send MSIs (memory writes) while it is set. */
  get busMaster(): boolean {
    return (this.command & PCI_COMMAND_MASTER) !== 0;
  }

  /** Remembers the current config space as the power-on state (after the machine's assignment). */
  capturePowerOnState(): void {
    this.powerOn = this.config.bytes.slice();
  }

  /** System reset: config space back to the power-on state, capabilities and INTx reset. */
  reset(): void {
    if (this.powerOn !== undefined) this.config.bytes.set(this.powerOn);
    for (const cap of this.capabilities) cap.reset?.();
    this.intxLevel = false;
    this.forwardIntx();
    this.host?.updateMappings(this);
  }
}
