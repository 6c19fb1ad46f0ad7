/**
 * Hot plug of PCI devices on bus 0 (QMP device_add/device_del, the Node
 * API's deviceAdd/deviceDel). Adding plugs the device in with its BARs
 * unassigned and tells the OS through the ACPI hotplug registers (GPE,
 * then a device-check Notify on the slot); the OS scans the slot and
 * assigns the BARs. Removing only asks (GPE, then an eject-request
 * Notify): the OS stops using the device and runs the slot's _EJ0, which
 * writes the EJECT register; only then does the device leave the bus and
 * 'deleted' fire (QMP's DEVICE_DELETED). A guest that ignores the request
 * keeps the device, as on QEMU.
 */
import type { Resettable } from '../../machine/bus-device.js';
import type { AssignedPciConfig } from './assigned/assigned-config.js';
import type { AssignedPciDevice } from './assigned/assigned-device.js';
import { PciAssignmentError } from './assigned/assignment-error.js';
import type { PciAssignments } from './assigned/assignments.js';
import { canonicalHostPciAddress, HOST_PCI_ADDRESS_FORM } from './assigned/host-address.js';
import { AcpiPciHotplugRegisters, PCI_HOTPLUG_SLOT_MASK, PCI_HOTPLUG_SLOTS } from './acpi-pci-hotplug.js';
import type { PciBus } from './pci-bus.js';
import type { PciDevice } from './pci-device.js';
import { PciTestdev } from './pci-testdev.js';

/** The drivers device_add takes. */
export const HOTPLUG_DRIVERS = ['pci-testdev', 'vfio-pci'] as const;
export type HotplugDriver = (typeof HOTPLUG_DRIVERS)[number];

/** What deviceAdd plugs in. */
export type HotplugDeviceSpec =
  | { driver: 'pci-testdev'; id?: string; addr?: { slot: number; fn: number } }
  | (AssignedPciConfig & { id?: string });

export type PciHotplugErrorCode =
  | 'duplicate-id'
  | 'not-found'
  | 'no-free-slot'
  | 'slot-taken'
  | 'not-hotpluggable-slot'
  | 'unplug-pending'
  | 'assignment';

/** Why a hot plug request was refused; the message is QEMU's wording where QEMU has one. */
export class PciHotplugError extends Error {
  override readonly name = 'PciHotplugError';
  constructor(readonly code: PciHotplugErrorCode, message: string) {
    super(message);
  }
}

/** A hot-plugged device as the monitor lists it. */
export interface HotplugDeviceInfo {
  /** The id given to device_add, or undefined. */
  id: string | undefined;
  /** QEMU's QOM path: /machine/peripheral/ID, or /machine/peripheral-anon/device[N] without an id. */
  path: string;
  driver: HotplugDriver;
  slot: number;
  /** device_del was asked and the guest has not ejected the device yet. */
  removing: boolean;
}

interface Entry extends HotplugDeviceInfo {
  device: PciDevice;
}

export interface PciHotplugHost {
  bus: PciBus;
  assignments: PciAssignments;
  /** Raise the hotplug GPE. */
  raiseGpe(): void;
  /** The guest ejected the device: it is gone (QMP DEVICE_DELETED). */
  deleted(info: HotplugDeviceInfo): void;
}

export class PciHotplug implements Resettable {
  readonly registers: AcpiPciHotplugRegisters;
  private readonly entries: Entry[] = [];
  private anonymous = 0;

  constructor(private readonly host: PciHotplugHost) {
    this.registers = new AcpiPciHotplugRegisters(PCI_HOTPLUG_SLOT_MASK, {
      raiseGpe: () => host.raiseGpe(),
      ejected: (slot) => this.ejected(slot),
    });
  }

  /** The devices device_del can remove: plugged in by add(), or built with an id (adopt()). */
  list(): HotplugDeviceInfo[] {
    return this.entries.map(({ device: _d, ...info }) => ({ ...info }));
  }

  /** Plugs the device in and notifies the guest; returns where it went. Throws PciHotplugError. */
  add(spec: HotplugDeviceSpec): HotplugDeviceInfo {
    const { id } = spec;
    if (id !== undefined && this.entries.some((e) => e.id === id)) throw new PciHotplugError('duplicate-id', `Duplicate device ID '${id}'`);
    const slot = this.chooseSlot(spec);
    let device: PciDevice;
    if (spec.driver === 'pci-testdev') {
      device = new PciTestdev();
      this.host.bus.attach(device, slot, 0, true);
    } else {
      const host = canonicalHostPciAddress(spec.host);
      if (host === undefined) throw new PciHotplugError('assignment', `vfio-pci: invalid PCI address '${spec.host}' (expected ${HOST_PCI_ADDRESS_FORM})`);
      if (this.host.assignments.isAssigned(host)) throw new PciHotplugError('assignment', `vfio-pci: host PCI device ${host} is already assigned to the guest`);
      try {
        device = this.host.assignments.attach({ ...spec, name: spec.name ?? spec.id, addr: { slot, fn: 0 } }, true);
      } catch (err) {
        if (err instanceof PciAssignmentError) throw new PciHotplugError('assignment', `vfio-pci: ${err.message}`);
        throw err;
      }
    }
    const path = id !== undefined ? `/machine/peripheral/${id}` : `/machine/peripheral-anon/device[${this.anonymous++}]`;
    const entry: Entry = { id, path, driver: spec.driver, slot, removing: false, device };
    this.entries.push(entry);
    this.registers.notifyInserted(slot);
    const { device: _d, ...info } = entry;
    return info;
  }

  /** Asks the guest to eject the device (by id or QOM path). Throws PciHotplugError. */
  remove(idOrPath: string): void {
    const entry = this.entries.find((e) => e.id === idOrPath || e.path === idOrPath);
    if (entry === undefined) throw new PciHotplugError('not-found', `Device '${idOrPath}' not found`);
    if (entry.removing) throw new PciHotplugError('unplug-pending', `Device '${idOrPath}' is already in the process of unplug`);
    entry.removing = true;
    this.registers.requestRemoval(entry.slot);
  }

  /**
   * A device the machine was built with that has an id (-device ...,id=): device_del can remove
   * it like a hot-added one. Only function 0 of a slot can be ejected on its own.
   */
  adopt(device: PciDevice, id: string, driver: HotplugDriver): void {
    if (this.entries.some((e) => e.id === id)) throw new PciHotplugError('duplicate-id', `Duplicate device ID '${id}'`);
    if (device.fn !== 0) return;
    this.entries.push({ id, path: `/machine/peripheral/${id}`, driver, slot: device.slot, removing: false, device });
  }

  /** A reset drops pending notifications (the OS scans the bus at boot); device_del may be asked again. */
  reset(): void {
    this.registers.reset();
    for (const e of this.entries) e.removing = false;
  }

  private chooseSlot(spec: HotplugDeviceSpec): number {
    const name = spec.id ?? spec.driver;
    if (spec.addr !== undefined) {
      const { slot, fn } = spec.addr;
      if (fn !== 0 || !PCI_HOTPLUG_SLOTS.includes(slot)) {
        throw new PciHotplugError('not-hotpluggable-slot', `PCI: ${hexAddr(slot, fn)} does not take hot plug (slots 01..1f, function 0)`);
      }
      const taken = this.host.bus.functionAt(slot * 8);
      if (taken !== undefined) throw new PciHotplugError('slot-taken', `PCI: slot ${slot} function 0 not available for ${name}, in use by ${taken.name}`);
      return slot;
    }
    const free = PCI_HOTPLUG_SLOTS.find((s) => this.host.bus.functionAt(s * 8) === undefined);
    if (free === undefined) throw new PciHotplugError('no-free-slot', `PCI: no slot/function available for ${name}, all in use or reserved`);
    return free;
  }

  /** The guest's _EJ0 wrote the slot's bit: the device in it (if hot-plugged) goes away. */
  private ejected(slot: number): void {
    const i = this.entries.findIndex((e) => e.slot === slot);
    if (i < 0) return; // nothing hot-plugged there: the OS ejecting a cold-plugged device is not offered
    const [entry] = this.entries.splice(i, 1) as [Entry];
    if (entry.driver === 'vfio-pci') this.host.assignments.detach(entry.device as AssignedPciDevice);
    else this.host.bus.detach(entry.device);
    const { device: _d, ...info } = entry;
    this.host.deleted(info);
  }
}

function hexAddr(slot: number, fn: number): string {
  return `${slot.toString(16).padStart(2, '0')}.${fn}`;
}
