/**
 * Host PCI device assignment on the command line, in its two spellings:
 *   -pcidevice host=[DDDD:]BB:DD.F[,name=STR][,dma=none]   (the 2008 KVM userspace option)
 *   -device vfio-pci,host=[DDDD:]BB:DD.F[,id=ID][,addr=DD.F][,dma=none]
 * Both become a 'vfio-pci' DeviceSpec; the machine opens the device (and
 * refuses it with one line) before the guest starts.
 */
import { canonicalHostPciAddress, HOST_PCI_ADDRESS_FORM } from '../devices/pci/assigned/host-address.js';
import type { AssignedPciConfig } from '../devices/pci/assigned/assigned-config.js';
import { BadValue } from './bad-value.js';
import type { DeviceModel } from './devices.js';
import type { OptionSpec } from './options.js';
import { parseOptList, type OptList } from './opts.js';

const GUEST_SLOTS = 32;

function hostAddress(opts: OptList): string {
  const host = opts.get('host');
  if (host === undefined) throw new BadValue("parameter 'host' is missing");
  const address = canonicalHostPciAddress(host);
  if (address === undefined) throw new BadValue(`invalid PCI address '${host}' (expected ${HOST_PCI_ADDRESS_FORM})`);
  return address;
}

function dmaMode(opts: OptList): 'none' | undefined {
  const dma = opts.get('dma');
  if (dma === undefined) return undefined;
  if (dma !== 'none') throw new BadValue(`parameter 'dma' only takes 'none' (the guest will not use DMA through the device), not '${dma}'`);
  return 'none';
}

/** QEMU's addr= for a PCI device: slot[.function], hex. Slot 0 is the host bridge. */
export function parseGuestPciAddress(text: string): { slot: number; fn: number } {
  const m = /^(?:0[xX])?([0-9a-fA-F]{1,2})(?:\.([0-7]))?$/.exec(text);
  const slot = m === null ? NaN : parseInt(m[1]!, 16);
  if (m === null || slot >= GUEST_SLOTS) throw new BadValue(`parameter 'addr' expects slot[.function] (slot 01..1f, function 0..7), not '${text}'`);
  if (slot === 0) throw new BadValue("parameter 'addr': slot 00 is the host bridge's");
  return { slot, fn: m[2] === undefined ? 0 : parseInt(m[2], 10) };
}

export const PCI_ASSIGN_OPTIONS: readonly OptionSpec[] = [
  {
    names: ['pcidevice'],
    takesArg: true,
    argName: 'host=[DDDD:]BB:DD.F[,name=STR][,dma=none]',
    help: 'assign a host PCI device to the guest (docs/pci-assignment.md); dma=none: the guest will not use DMA through it',
    handle(inv, value) {
      const opts = parseOptList(value).allowOnly(['host', 'name', 'dma']);
      const spec: AssignedPciConfig = { driver: 'vfio-pci', host: hostAddress(opts) };
      const name = opts.get('name');
      if (name !== undefined) spec.name = name;
      const dma = dmaMode(opts);
      if (dma !== undefined) spec.dma = dma;
      inv.devices.push(spec);
    },
  },
];

export const VFIO_PCI_MODEL: DeviceModel = {
  name: 'vfio-pci',
  bus: 'PCI',
  description: 'a host PCI device assigned to the guest (host=[DDDD:]BB:DD.F; docs/pci-assignment.md)',
  properties: [
    { name: 'host', help: `host PCI address ${HOST_PCI_ADDRESS_FORM}` },
    { name: 'addr', help: 'guest slot[.function] on bus 0 (default: the first free slot)' },
    { name: 'dma', help: 'none: the guest will not use DMA through the device (tsvisor has no VFIO DMA mapping)' },
  ],
  build(opts) {
    const spec: AssignedPciConfig = { driver: 'vfio-pci', host: hostAddress(opts) };
    const id = opts.get('id');
    if (id !== undefined) {
      spec.name = id;
      spec.id = id;
    }
    const addr = opts.get('addr');
    if (addr !== undefined) spec.addr = parseGuestPciAddress(addr);
    const dma = dmaMode(opts);
    if (dma !== undefined) spec.dma = dma;
    return spec;
  },
};
