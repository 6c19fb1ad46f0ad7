/**
 * The machine's assigned host PCI functions: opens each (preflight.ts says
 * no before anything runs), attaches it to bus 0 and gives its memory BARs
 * memory-region slots of their own. Released with the machine.
 *
 * Which way a function is opened: through VFIO (vfio-open.ts: DMA into
 * guest RAM through the IOMMU, host interrupts through eventfds) when it is
 * bound to vfio-pci, the VFIO container node exists and the guest may do DMA
 * (no dma=none); otherwise through its sysfs files, where bus mastering
 * stays virtual and the guest enabling it without dma=none stops the machine
 * with the reason VFIO is not in use.
 */
import { join } from 'node:path';
import type { Vm } from '../../../hypervisor/vm.js';
import type { MmioBus } from '../../../machine/mmio-bus.js';
import type { PciBus } from '../pci-bus.js';
import { AssignedPciDevice, type AssignedDeviceOptions } from './assigned-device.js';
import type { AssignedPciConfig } from './assigned-config.js';
import { PciAssignmentError } from './assignment-error.js';
import { canonicalHostPciAddress } from './host-address.js';
import type { HostPciFunction } from './host-function.js';
import type { BarRegionSink } from './memory-bar.js';
import { DOCS, locateHostFunction, openHostFunction, type LocatedHostFunction, type MapHostFile } from './preflight.js';
import { DEFAULT_PCI_SYSFS_ROOT } from './sysfs-device.js';
import { DEFAULT_VFIO_ROOT, VfioContainer, type DmaMemory } from './vfio-container.js';
import { VfioInterrupts } from './vfio-interrupts.js';
import { openVfioFunction, vfioAvailableFor } from './vfio-open.js';

/** Memory-region slots of assigned BARs start here (RAM is slot 0). */
export const ASSIGNED_BAR_FIRST_SLOT = 0x100;

export interface PciAssignmentHost {
  vm: Vm;
  bus: PciBus;
  mmio: MmioBus;
  /** Where host devices are looked up (default /sys/bus/pci/devices). */
  sysfsRoot?: string;
  /** Where the VFIO container and group nodes are (default /dev/vfio). */
  vfioRoot?: string;
  /** Guest RAM (guest-physical 0 up), mapped for the DMA of functions assigned through VFIO. */
  ram?: DmaMemory;
  /** Ends the run at once with status 1 and this one-line message. */
  stopMachine(message: string): void;
}

export class PciAssignments {
  readonly devices: AssignedPciDevice[] = [];
  private nextSlot = ASSIGNED_BAR_FIRST_SLOT;
  private readonly regions: BarRegionSink;
  private readonly mapFile: MapHostFile | undefined;
  private container: VfioContainer | undefined;
  private readonly vfioInterrupts = new Map<AssignedPciDevice, VfioInterrupts>();

  constructor(private readonly host: PciAssignmentHost) {
    const { vm } = host;
    this.regions = {
      allocateSlot: () => this.nextSlot++,
      map: (slot, gpa, size, buffer, offset) => vm.setMemoryRegion(slot, gpa, size, buffer, offset, 0),
      unmap: (slot) => vm.setMemoryRegion(slot, 0, 0, null),
    };
    const addon = vm.addon;
    this.mapFile = addon.mapHostFile === undefined ? undefined : (fd, length, writable, offset) => addon.mapHostFile!(fd, length, writable, offset);
  }

  get sysfsRoot(): string {
    return this.host.sysfsRoot ?? DEFAULT_PCI_SYSFS_ROOT;
  }

  get vfioRoot(): string {
    return this.host.vfioRoot ?? DEFAULT_VFIO_ROOT;
  }

  /** The VFIO interrupt routing of a device assigned through VFIO (undefined on the sysfs path). */
  vfioInterruptsOf(device: AssignedPciDevice): VfioInterrupts | undefined {
    return this.vfioInterrupts.get(device);
  }

  /**
   * Opens, checks and plugs in one function; throws PciAssignmentError with the reason it cannot be.
   * hotplug: plugged in while the guest runs (device_add): the guest assigns its BARs.
   */
  attach(config: AssignedPciConfig, hotplug = false): AssignedPciDevice {
    const located = locateHostFunction({ host: config.host, name: config.name }, this.sysfsRoot);
    const label = located.what;
    const viaVfio = config.dma !== 'none' && vfioAvailableFor(located, this.vfioRoot);
    let hostFunction: HostPciFunction;
    let options: AssignedDeviceOptions;
    const common = { label, dmaNone: config.dma === 'none', mmio: this.host.mmio, regions: this.regions, stopMachine: this.host.stopMachine };
    let interrupts: VfioInterrupts | undefined;
    if (viaVfio) {
      const vfio = openVfioFunction(located, this.vfioContainer(label), this.mapFile);
      hostFunction = vfio.host;
      // The device exists only after the options are built: the routing reaches it through this reference.
      let target: AssignedPciDevice | undefined;
      const native = this.container!.native;
      interrupts = new VfioInterrupts(
        native,
        vfio.deviceFd,
        { setIntx: (level) => target?.setIntx(level), signalMessage: (vector) => target?.signalMessage(vector) ?? false },
        vfio.hasIntx,
        (message) => this.host.stopMachine(`${label}: ${message}`),
      );
      const routing = interrupts;
      const closeFiles = hostFunction.onClose;
      hostFunction.onClose = () => {
        routing.close();
        closeFiles?.();
      };
      options = {
        ...common,
        dma: { through: 'vfio' },
        interruptModeChanged: (mode) => routing.setMode(mode),
        resetHost: vfio.canReset ? () => resetQuietly(native, vfio.deviceFd) : undefined,
      };
      try {
        target = new AssignedPciDevice(hostFunction, options);
      } catch (err) {
        hostFunction.close();
        throw new PciAssignmentError('bar-unmappable', `${label}: ${(err as Error).message.replace(`${label}: `, '')}`);
      }
      return this.plug(target, config, hotplug, interrupts);
    }
    hostFunction = openHostFunction({ host: config.host, name: config.name }, this.sysfsRoot, this.mapFile);
    options = { ...common, dma: { through: 'none', why: this.whyNoVfio(located) } };
    let device: AssignedPciDevice;
    try {
      device = new AssignedPciDevice(hostFunction, options);
    } catch (err) {
      hostFunction.close();
      throw new PciAssignmentError('bar-unmappable', `${label}: ${(err as Error).message.replace(`${label}: `, '')}`);
    }
    return this.plug(device, config, hotplug, undefined);
  }

  private plug(device: AssignedPciDevice, config: AssignedPciConfig, hotplug: boolean, interrupts: VfioInterrupts | undefined): AssignedPciDevice {
    const label = device.name;
    try {
      if (config.addr !== undefined) this.host.bus.attach(device, config.addr.slot, config.addr.fn, hotplug);
      else this.host.bus.attach(device, undefined, 0, hotplug);
    } catch (err) {
      device.release();
      const message = (err as Error).message.replace(`${label}: `, '');
      throw new PciAssignmentError(/does not fit/.test(message) ? 'bar-unmappable' : 'guest-address', `${label}: ${message}`);
    }
    if (interrupts !== undefined) {
      this.vfioInterrupts.set(device, interrupts);
      interrupts.start();
    }
    this.devices.push(device);
    return device;
  }

  /** The end of the bus-master stop message: why this function is not assigned through VFIO. */
  private whyNoVfio(located: LocatedHostFunction): string {
    const unbound = located.sysfs.driver !== 'vfio-pci';
    const reason = unbound
      ? `the device is not bound to vfio-pci (echo vfio-pci > ${join(located.dir, 'driver_override')}; echo ${located.address} > /sys/bus/pci/drivers_probe)`
      : `there is no ${join(this.vfioRoot, 'vfio')} (modprobe vfio-pci)`;
    return `VFIO is not available to map guest memory for it: ${reason}; assign it with dma=none if the guest will not use DMA through it (${DOCS})`;
  }

  private vfioContainer(label: string): VfioContainer {
    if (this.container !== undefined) return this.container;
    const native = this.host.vm.addon.vfio;
    if (native === undefined) throw new PciAssignmentError('vfio-unusable', `${label}: this build of the addon has no VFIO support (Linux only)`);
    if (this.host.ram === undefined) throw new PciAssignmentError('vfio-unusable', `${label}: the machine gives no guest RAM to map for DMA`);
    this.container = new VfioContainer(native, this.vfioRoot, this.host.ram);
    return this.container;
  }

  /** The guest ended an interrupt: INTx of VFIO functions is lowered and unmasked (before the IOAPIC's EOI handling). */
  eoi(): void {
    for (const interrupts of this.vfioInterrupts.values()) interrupts.eoi();
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
    this.vfioInterrupts.delete(device);
    this.devices.splice(i, 1);
  }

  /** Unmaps every BAR and closes the host files. */
  release(): void {
    for (const d of this.devices) d.release();
    this.devices.length = 0;
    this.vfioInterrupts.clear();
  }
}

/** Machine reset: VFIO_DEVICE_RESET; a device that refuses keeps its state (as after a warm reboot). */
function resetQuietly(native: { deviceReset(fd: number): void }, fd: number): void {
  try {
    native.deviceReset(fd);
  } catch {
    // e.g. a function-level reset the device does not take while another function is busy
  }
}
