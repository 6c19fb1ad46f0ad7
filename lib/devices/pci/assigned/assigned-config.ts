/**
 * How a MachineConfig asks for a host PCI function (both command-line forms,
 * -pcidevice host= and -device vfio-pci,host=, become one of these), and the
 * checks that need no host access: a well-formed address, no function
 * assigned twice, a usable guest address.
 */
import { PCI_SLOT_COUNT } from '../intx-routing.js';
import { PCI_FUNCTIONS_PER_SLOT } from '../pci-bus.js';
import { MachineConfigError } from '../../../machine/errors.js';
import { PciAssignmentError } from './assignment-error.js';
import { canonicalHostPciAddress, HOST_PCI_ADDRESS_FORM } from './host-address.js';

export interface AssignedPciConfig {
  driver: 'vfio-pci';
  /** The host function, [DDDD:]BB:DD.F. */
  host: string;
  /** A label for messages (-pcidevice name=, -device id=). */
  name?: string;
  /** -device id=: names the device for device_del (QMP) / deviceDel(). */
  id?: string;
  /**
   * 'none': the guest will not use DMA through the device, so bus mastering stays virtual.
   * Absent: the guest enabling bus mastering stops the machine, since DMA would need VFIO.
   */
  dma?: 'none';
  /** Guest slot and function on bus 0 (-device addr=DD.F); default the first free slot, function 0. */
  addr?: { slot: number; fn: number };
}

/** Throws PciAssignmentError (malformed address, assigned twice) or names the bad field. */
export function validateAssignedDevices(devices: readonly unknown[]): void {
  const seen = new Map<string, number>();
  devices.forEach((d, i) => {
    const dev = d as Partial<AssignedPciConfig>;
    if (dev.driver !== 'vfio-pci') return;
    if (typeof dev.host !== 'string') throw new PciAssignmentError('malformed-address', `devices[${i}] vfio-pci: host must be a string ${HOST_PCI_ADDRESS_FORM}`);
    const address = canonicalHostPciAddress(dev.host);
    if (address === undefined) {
      throw new PciAssignmentError('malformed-address', `devices[${i}] vfio-pci: host '${dev.host}' is not a PCI address ${HOST_PCI_ADDRESS_FORM}`);
    }
    const first = seen.get(address);
    if (first !== undefined) {
      throw new PciAssignmentError('assigned-twice', `host PCI device ${address} is assigned twice (devices[${first}] and devices[${i}])`);
    }
    seen.set(address, i);
    if (dev.name !== undefined && typeof dev.name !== 'string') throw new MachineConfigError(`devices[${i}] vfio-pci: name must be a string`);
    if (dev.dma !== undefined && dev.dma !== 'none') throw new MachineConfigError(`devices[${i}] vfio-pci: dma must be 'none' or absent`);
    if (dev.addr !== undefined) {
      const { slot, fn } = dev.addr;
      if (!Number.isInteger(slot) || slot < 1 || slot >= PCI_SLOT_COUNT || !Number.isInteger(fn) || fn < 0 || fn >= PCI_FUNCTIONS_PER_SLOT) {
        throw new MachineConfigError(`devices[${i}] vfio-pci: addr must be slot 1..31, function 0..7`);
      }
    }
  });
}
