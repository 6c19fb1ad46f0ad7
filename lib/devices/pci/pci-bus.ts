/**
 * PCI bus 0: up to 32 slots of 8 functions. It assigns BAR addresses the way
 * firmware would (the machine has no BIOS): memory BARs from the MMIO hole
 * below 4 GiB, I/O BARs from 0xC000, largest first, each aligned to its
 * size. It keeps every BAR's range registered on the port-I/O or MMIO bus
 * while the BAR holds a decodable address and the command register enables
 * that space, re-registering when the guest moves it. INTx pins share
 * level-triggered GSIs (wired-OR); MSIs go to the APIC bus.
 */
import type { IrqLines } from '../../machine/irq.js';
import type { ApicBus, ApicMessage } from '../../machine/interrupt-types.js';
import type { MmioBus } from '../../machine/mmio-bus.js';
import type { PioBus } from '../../machine/pio-bus.js';
import { PCI_BAR_COUNT, type PciBarMapping } from './bar.js';
import { PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_HEADER_TYPE, PCI_HEADER_TYPE_MULTI_FUNCTION, PCI_INTERRUPT_LINE } from './config-space.js';
import { intxGsi, PCI_SLOT_COUNT } from './intx-routing.js';
import type { PciDevice, PciDeviceHost } from './pci-device.js';

export const PCI_FUNCTIONS_PER_SLOT = 8;
const IO_SPACE_END = 0x10000;
const MEM32_SPACE_END = 2 ** 32;
const MEM64_SPACE_END = 2 ** 52;

export interface PciWindows {
  /** [mmioBase, mmioEnd): where memory BARs are placed. */
  mmioBase: number;
  mmioEnd: number;
  /** [ioBase, ioEnd): where I/O BARs are placed. */
  ioBase: number;
  ioEnd: number;
}

const hex = (n: number): string => '0x' + n.toString(16);

export class PciBus implements PciDeviceHost {
  private readonly functions: Array<PciDevice | undefined> = new Array(PCI_SLOT_COUNT * PCI_FUNCTIONS_PER_SLOT).fill(undefined);
  private readonly mappings = new Map<PciDevice, Array<PciBarMapping | undefined>>();
  /** Devices asserting each GSI (INTx is a wired-OR of active-low open-drain pins). */
  private readonly gsiAsserted = new Map<number, Set<PciDevice>>();
  private nextMmio: number;
  private nextIo: number;
  /** Where MSIs go; until the APIC side is wired, messages are counted in undeliveredMsis. */
  apicBus: ApicBus | undefined;
  undeliveredMsis = 0;
  /** kvm-msi-ext-dest-id: MSI addresses carry APIC ID bits 14:8 in bits 11:5 (set by the machine from -cpu). */
  msiExtendedDestId = false;

  constructor(
    private readonly pio: PioBus,
    private readonly mmio: MmioBus,
    private readonly irqs: IrqLines,
    readonly windows: PciWindows,
  ) {
    this.nextMmio = windows.mmioBase;
    this.nextIo = windows.ioBase;
  }

  /** The device at devfn (slot << 3 | function), if any. */
  functionAt(devfn: number): PciDevice | undefined {
    return this.functions[devfn];
  }

  devices(): PciDevice[] {
    return this.functions.filter((d): d is PciDevice => d !== undefined);
  }

  /** First slot with nothing in it. */
  freeSlot(): number {
    for (let slot = 0; slot < PCI_SLOT_COUNT; slot++) {
      if (this.functions[slot * PCI_FUNCTIONS_PER_SLOT] === undefined) return slot;
    }
    throw new RangeError('PCI bus 0 has no free slot');
  }

  /**
   * Plugs a function in, assigns its BARs, routes its pin, enables decoding as firmware leaves it.
   * hotplug: the device arrives while the OS runs, as on a real hot-plug slot: its BARs stay
   * unassigned and decoding off, and the OS assigns them (within the root bridge's windows).
   */
  attach(device: PciDevice, slot = this.freeSlot(), fn = 0, hotplug = false): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= PCI_SLOT_COUNT || !Number.isInteger(fn) || fn < 0 || fn >= PCI_FUNCTIONS_PER_SLOT) {
      throw new RangeError(`${device.name}: PCI address ${slot}.${fn} is not on bus 0`);
    }
    const devfn = slot * PCI_FUNCTIONS_PER_SLOT + fn;
    if (this.functions[devfn] !== undefined) throw new RangeError(`${device.name}: PCI slot ${slot} function ${fn} is taken by ${this.functions[devfn]!.name}`);
    if (fn > 0) {
      // Function 0 announces the other functions through its header type.
      const f0 = this.functions[slot * PCI_FUNCTIONS_PER_SLOT];
      if (f0 === undefined) throw new RangeError(`${device.name}: function ${fn} needs a function 0 in slot ${slot}`);
      f0.config.set8(PCI_HEADER_TYPE, f0.config.get8(PCI_HEADER_TYPE) | PCI_HEADER_TYPE_MULTI_FUNCTION);
    }
    this.functions[devfn] = device;
    device.slot = slot;
    device.fn = fn;
    this.mappings.set(device, new Array(PCI_BAR_COUNT).fill(undefined));
    if (!hotplug) this.assignBars(device);
    const pin = device.interruptPin;
    device.config.set8(PCI_INTERRUPT_LINE, pin === 0 ? 0xff : intxGsi(slot, pin));
    device.host = this;
    device.capturePowerOnState();
    this.updateMappings(device);
  }

  /**
   * Unplugs a function (after the OS ejected it): its BAR ranges leave the buses, its INTx
   * share of the GSI is dropped, its slot is free again.
   */
  detach(device: PciDevice): void {
    const devfn = device.slot * PCI_FUNCTIONS_PER_SLOT + device.fn;
    if (device.slot < 0 || this.functions[devfn] !== device) throw new RangeError(`${device.name}: not on PCI bus 0`);
    const current = this.mappings.get(device) ?? [];
    for (const m of current) {
      if (m === undefined) continue;
      const def = device.bars[m.index]!;
      if (def.kind === 'io') this.pio.unregister(m.address, def.device);
      else this.mmio.unregister(m.address, def.device);
      def.onRemap?.(undefined);
    }
    this.mappings.delete(device);
    if (device.interruptPin !== 0) this.setIntx(device, false);
    this.functions[devfn] = undefined;
    device.host = undefined;
    device.slot = -1;
  }

  private assignBars(device: PciDevice): void {
    const order = device.bars
      .map((def, index) => ({ def, index }))
      .filter((b): b is { def: NonNullable<typeof b.def>; index: number } => b.def !== undefined)
      .sort((a, b) => b.def.size - a.def.size);
    let command = device.config.get16(0x04);
    for (const { def, index } of order) {
      const isIo = def.kind === 'io';
      const next = isIo ? this.nextIo : this.nextMmio;
      const at = Math.ceil(next / def.size) * def.size;
      const end = isIo ? this.windows.ioEnd : this.windows.mmioEnd;
      if (at + def.size > end) {
        throw new RangeError(`${device.name}: BAR ${index} (${hex(def.size)} bytes) does not fit in the PCI ${isIo ? 'I/O' : 'MMIO'} window`);
      }
      if (isIo) this.nextIo = at + def.size;
      else this.nextMmio = at + def.size;
      device.setBarAddress(index, at);
      command |= isIo ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
    }
    device.config.set16(0x04, command);
  }

  /** Where each BAR of the device decodes now. */
  barMappings(device: PciDevice): Array<PciBarMapping | undefined> {
    return [...(this.mappings.get(device) ?? [])];
  }

  updateMappings(device: PciDevice): void {
    const current = this.mappings.get(device);
    if (current === undefined) return; // not attached yet
    const command = device.command;
    for (let index = 0; index < PCI_BAR_COUNT; index++) {
      const def = device.bars[index];
      if (def === undefined) continue;
      const address = device.barAddress(index);
      const enabled = (command & (def.kind === 'io' ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) !== 0;
      const limit = def.kind === 'io' ? IO_SPACE_END : def.kind === 'mem32' ? MEM32_SPACE_END : MEM64_SPACE_END;
      // Address 0 means "unassigned"; a range past the end of its space cannot decode.
      const decodes = enabled && address !== 0 && address + def.size <= limit;
      const old = current[index];
      if (old !== undefined && decodes && old.address === address) continue;
      if (old !== undefined) {
        if (def.kind === 'io') this.pio.unregister(old.address, def.device);
        else this.mmio.unregister(old.address, def.device);
        current[index] = undefined;
      }
      if (decodes) {
        try {
          if (def.kind === 'io') this.pio.register(address, def.size, def.device);
          else this.mmio.register(address, def.size, def.device);
          current[index] = { index, kind: def.kind, address, size: def.size };
        } catch {
          // The guest placed the BAR over another device (or mid-sizing over anything): like
          // conflicting decoders on a real bus, the result is undefined; here the BAR does not decode.
        }
      }
      if (old !== undefined || current[index] !== undefined) def.onRemap?.(current[index]?.address);
    }
  }

  setIntx(device: PciDevice, level: boolean): void {
    const gsi = intxGsi(device.slot, device.interruptPin);
    let set = this.gsiAsserted.get(gsi);
    if (set === undefined) this.gsiAsserted.set(gsi, (set = new Set()));
    if (level) set.add(device);
    else set.delete(device);
    this.irqs.line(gsi).set(set.size > 0);
  }

  deliverMsi(_device: PciDevice, message: ApicMessage): void {
    if (this.apicBus === undefined) {
      this.undeliveredMsis++;
      return;
    }
    this.apicBus.deliver(message);
  }

  configRead(bus: number, devfn: number, offset: number, size: number): number {
    const device = bus === 0 ? this.functions[devfn] : undefined;
    // Nobody answers: the host bridge completes the read with all-ones (master abort).
    if (device === undefined) return size === 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
    return device.configRead(offset, size);
  }

  configWrite(bus: number, devfn: number, offset: number, size: number, value: number): void {
    const device = bus === 0 ? this.functions[devfn] : undefined;
    device?.configWrite(offset, size, value);
  }

  reset(): void {
    for (const d of this.devices()) d.reset();
  }
}
