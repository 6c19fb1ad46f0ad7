/**
 * A host PCI function's address as sysfs names it, DDDD:BB:DD.F (domain,
 * bus, device, function; hex). On the command line the domain may be left
 * out ("04:08.0" = "0000:04:08.0"), as the old -pcidevice host= allowed.
 */

export interface HostPciAddress {
  domain: number;
  bus: number;
  device: number;
  fn: number;
}

const ADDRESS = /^(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$/;
const MAX_DEVICE = 0x1f;

/** The address, or undefined when `text` is not [DDDD:]BB:DD.F. */
export function parseHostPciAddress(text: string): HostPciAddress | undefined {
  const m = ADDRESS.exec(text);
  if (m === null) return undefined;
  const device = parseInt(m[3]!, 16);
  if (device > MAX_DEVICE) return undefined;
  return { domain: m[1] === undefined ? 0 : parseInt(m[1], 16), bus: parseInt(m[2]!, 16), device, fn: parseInt(m[4]!, 10) };
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** The sysfs directory name: 0000:04:08.0. */
export function formatHostPciAddress(a: HostPciAddress): string {
  return `${hex(a.domain, 4)}:${hex(a.bus, 2)}:${hex(a.device, 2)}.${a.fn}`;
}

/** The canonical sysfs name of `text`, or undefined when it is malformed. */
export function canonicalHostPciAddress(text: string): string | undefined {
  const a = parseHostPciAddress(text);
  return a === undefined ? undefined : formatHostPciAddress(a);
}

export const HOST_PCI_ADDRESS_FORM = '[DDDD:]BB:DD.F';
