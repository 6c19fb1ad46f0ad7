/**
 * The argument of VirtualMachine.deviceAdd() (and, through it, of QMP's
 * device_add), checked in TypeScript: a driver that hot-plugs, an id QEMU
 * would take, the driver's own properties and nothing else.
 *
 *   vm.deviceAdd({ driver: 'pci-testdev', id: 'test0' });
 *   vm.deviceAdd({ driver: 'vfio-pci', id: 'nic0', host: '0000:03:00.0', addr: '0x5', dma: 'none' });
 */
import { canonicalHostPciAddress, HOST_PCI_ADDRESS_FORM } from '../devices/pci/assigned/host-address.js';
import { HOTPLUG_DRIVERS, type HotplugDeviceSpec } from '../devices/pci/pci-hotplug.js';
import { parseGuestPciAddress } from '../qemu-compat/pci-assign-options.js';
import { DEVICE_ID_FORM } from '../machine/config.js';
import { ApiArgumentError } from './errors.js';
import { describeValue, fail } from './validate.js';

export interface DeviceAddOptions {
  driver: string;
  /** Names the device for deviceDel() and in DEVICE_DELETED. */
  id?: string;
  /** Guest slot: QEMU's "SS[.F]" hex string, or { slot, fn }; default the first free slot. Function 0 only. */
  addr?: string | { slot: number; fn: number };
  /** QEMU names the bus; bus 0 ("pci.0") is the only one. */
  bus?: string;
  /** vfio-pci: the host function, [DDDD:]BB:DD.F. */
  host?: string;
  /** vfio-pci: 'none' = the guest will not use DMA through the device. */
  dma?: 'none';
}

const PROPERTIES: Record<string, readonly string[]> = {
  'pci-testdev': ['driver', 'id', 'addr', 'bus'],
  'vfio-pci': ['driver', 'id', 'addr', 'bus', 'host', 'dma'],
};

const PCI_BUS_NAME = 'pci.0';

function checkString(what: string, value: unknown): string {
  if (typeof value !== 'string') fail(`${what} must be a string, got ${describeValue(value)}`);
  return value;
}

function guestAddress(value: unknown): { slot: number; fn: number } {
  if (typeof value === 'string') {
    try {
      return parseGuestPciAddress(value);
    } catch (err) {
      throw new ApiArgumentError(`addr: ${(err as Error).message.replace(/^parameter 'addr' /, '')}`);
    }
  }
  if (value !== null && typeof value === 'object') {
    const { slot, fn } = value as { slot?: unknown; fn?: unknown };
    if (typeof slot === 'number' && typeof fn === 'number' && Number.isInteger(slot) && Number.isInteger(fn) && slot >= 1 && slot <= 31 && fn >= 0 && fn <= 7) {
      return { slot, fn };
    }
  }
  fail(`addr must be "SS[.F]" (hex slot 01..1f) or { slot: 1..31, fn: 0..7 }, got ${describeValue(value)}`);
}

/** Throws ApiArgumentError naming what is wrong; the message reads like QEMU's where QEMU has one. */
export function checkDeviceAddOptions(options: unknown): HotplugDeviceSpec {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) fail(`device options must be an object, got ${describeValue(options)}`);
  const o = options as Record<string, unknown>;
  const driver = checkString('driver', o.driver);
  const known = PROPERTIES[driver];
  if (known === undefined) {
    fail(`'${driver}' is not a valid device model name for hot plug (hot-pluggable: ${HOTPLUG_DRIVERS.join(', ')})`);
  }
  for (const key of Object.keys(o)) {
    if (o[key] !== undefined && !known.includes(key)) fail(`Property '${driver}.${key}' not found`);
  }
  let id: string | undefined;
  if (o.id !== undefined) {
    id = checkString('id', o.id);
    if (!DEVICE_ID_FORM.test(id)) fail("Parameter 'id' expects an identifier");
  }
  if (o.bus !== undefined && checkString('bus', o.bus) !== PCI_BUS_NAME) fail(`Bus '${String(o.bus)}' not found`);
  const addr = o.addr === undefined ? undefined : guestAddress(o.addr);
  if (driver === 'pci-testdev') return { driver, ...(id !== undefined ? { id } : {}), ...(addr !== undefined ? { addr } : {}) };
  if (o.host === undefined) fail("vfio-pci: parameter 'host' is missing");
  const host = checkString('host', o.host);
  if (canonicalHostPciAddress(host) === undefined) fail(`vfio-pci: invalid PCI address '${host}' (expected ${HOST_PCI_ADDRESS_FORM})`);
  if (o.dma !== undefined && o.dma !== 'none') fail(`vfio-pci: dma only takes 'none', got ${describeValue(o.dma)}`);
  return {
    driver: 'vfio-pci',
    host,
    ...(id !== undefined ? { id } : {}),
    ...(addr !== undefined ? { addr } : {}),
    ...(o.dma === 'none' ? { dma: 'none' as const } : {}),
  };
}
