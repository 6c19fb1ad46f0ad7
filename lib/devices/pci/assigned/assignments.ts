/**
 * The machine's assigned host PCI functions: opens each (preflight.ts says
 * no before anything runs), attaches it to bus 0 and gives its memory BARs
 * memory-region slots of their own. Released with the machine.
 */
import type { Vm } from '../../../hypervisor/vm.js';
import type { MmioBus } from '../../../machine/mmio-bus.js';
import type { PciBus } from '../pci-bus.js';
import { AssignedPciDevice } from './assigned-device.js';
import type { AssignedPciConfig } from './assigned-config.js';
import { PciAssignmentError } from './assignment-error.js';
import { canonicalHostPciAddress } from './host-address.js';
import type { BarRegionSink } from './memory-bar.js';
import { describeRequest, openHostFunction, type MapHostFile } from './preflight.js';
import { DEFAULT_PCI_SYSFS_ROOT } from './sysfs-device.js';

/** Memory-region slots of assigned BARs start here (RAM is slot 0). */
export const ASSIGNED_BAR_FIRST_SLOT = 0x100;

export interface PciAssignmentHost {
  vm: Vm;
  bus: PciBus;
  mmio: MmioBus;
  /** Where host devices are looked up (default /sys/bus/pci/devices). */
  sysfsRoot?: string;
  /** Ends the run at once with status 1 and this one-line message. */
  stopMachine(message: string): void;
}

export class PciAssignments {
  readonly devices: AssignedPciDevice[] = [];
  private nextSlot = ASSIGNED_BAR_FIRST_SLOT;
  private readonly regions: BarRegionSink;
  private readonly mapFile: MapHostFile | undefined;

  constructor(private readonly host: PciAssignmentHost) {
    const { vm } = host;
    this.regions = {
      allocateSlot: () => this.nextSlot++,
      map: (slot, gpa, size, buffer, offset) => vm.setMemoryRegion(slot, gpa, size, buffer, offset, 0),
      unmap: (slot) => vm.setMemoryRegion(slot, 0, 0, null),
    };
    const addon = vm.addon;
    this.mapFile = addon.mapHostFile === undefined ? undefined : (fd, length, writable) => addon.mapHostFile!(fd, length, writable);
  }

  get sysfsRoot(): string {
    return this.host.sysfsRoot ?? DEFAULT_PCI_SYSFS_ROOT;
  }

  /**
   * Opens, checks and plugs in one function; throws PciAssignmentError with the reason it cannot be.
   * hotplug: plugged in while the guest runs (device_add): the guest assigns its BARs.
   */
  attach(config: AssignedPciConfig, hotplug = false): AssignedPciDevice {
    const hostFunction = openHostFunction({ host: config.host, name: config.name }, this.sysfsRoot, this.mapFile);
    const address = canonicalHostPciAddress(config.host)!;
    const label = describeRequest(address, config.name);
    let device: AssignedPciDevice;
    try {
      device = new AssignedPciDevice(hostFunction, { label, dmaNone: config.dma === 'none', mmio: this.host.mmio, regions: this.regions, stopMachine: this.host.stopMachine });
    } catch (err) {
      hostFunction.close();
      throw new PciAssignmentError('bar-unmappable', `${label}: ${(err as Error).message.replace(`${label}: `, '')}`);
    }
    try {
      if (config.addr !== undefined) this.host.bus.attach(device, config.addr.slot, config.addr.fn, hotplug);
      else this.host.bus.attach(device, undefined, 0, hotplug);
    } catch (err) {
      device.release();
      const message = (err as Error).message.replace(`${label}: `, '');
      throw new PciAssignmentError(/does not fit/.test(message) ? 'bar-unmappable' : 'guest-address', `${label}: ${message}`);
    }
    this.devices.push(device);
    return device;
  }

  /** Whether the host function (canonical address) is assigned now. */
  isAssigned(hostAddress: string): boolean {
    return this.devices.some((d) => canonicalHostPciAddress(d.hostFunction.address) === hostAddress);
  }

  /** Unplugs one function (the guest ejected it): off the bus, BARs unmapped, host files closed. */
  detach(device: AssignedPciDevice): void {
    const i = this.devices.indexOf(device);
    if (i < 0) throw new RangeError(`${device.name}: not an assigned device of this machine`);
    this.host.bus.detach(device);
    device.release();
    this.devices.splice(i, 1);
  }

  /** Unmaps every BAR and closes the host files. */
  release(): void {
    for (const d of this.devices) d.release();
    this.devices.length = 0;
  }
}
