/**
 * Opens a host function through VFIO: its IOMMU group joins the machine's
 * container (vfio-container.ts), the device descriptor gives the config
 * region, the BARs and the ROM at their region offsets, and the result is
 * the same HostPciFunction the sysfs path builds, so AssignedPciDevice
 * virtualizes config space the same way. Memory BARs VFIO lets us mmap are
 * mapped (direct guest access, no exit); the others, and I/O BARs, go
 * through pread/pwrite on the device descriptor. Every refusal is one line,
 * before the guest starts.
 */
import { closeSync, existsSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { PCI_BAR_COUNT } from '../bar.js';
import { PCI_CONFIG_SPACE_SIZE } from '../config-space.js';
import { PciAssignmentError } from './assignment-error.js';
import { HostPciFunction } from './host-function.js';
import { checkBarSize, checkEndpoint, DOCS, hostBarKind, type LocatedHostFunction, type MapHostFile } from './preflight.js';
import type { VfioContainer } from './vfio-container.js';
import { VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_ROM_REGION_INDEX, type VfioRegionInfo } from './vfio-native.js';

const PAGE = 4096;

export interface VfioFunction {
  host: HostPciFunction;
  deviceFd: number;
  group: string;
  /** VFIO_DEVICE_RESET is supported. */
  canReset: boolean;
  /** The host serves INTx for it (an INTx IRQ with an eventfd). */
  hasIntx: boolean;
}

/** Whether the function is to be opened through VFIO: bound to vfio-pci, with the container node present. */
export function vfioAvailableFor(located: LocatedHostFunction, vfioRoot: string): boolean {
  return located.sysfs.driver === 'vfio-pci' && existsSync(join(vfioRoot, 'vfio'));
}

export function openVfioFunction(located: LocatedHostFunction, container: VfioContainer, mapFile: MapHostFile | undefined): VfioFunction {
  const { what, address, dir, sysfs } = located;
  const group = sysfs.iommuGroup;
  if (group === undefined) {
    throw new PciAssignmentError('no-iommu-group', `${what} has no IOMMU group (no ${join(dir, 'iommu_group')}): VFIO needs the host's IOMMU (boot with intel_iommu=on or amd_iommu=on; ${DOCS})`);
  }
  const groupPath = join(container.root, group);
  if (!existsSync(groupPath)) {
    throw new PciAssignmentError('vfio-unusable', `${what}: there is no ${groupPath} for its IOMMU group ${group}: bind the device to vfio-pci (${DOCS})`);
  }
  const native = container.native;
  const groupFd = container.attachGroup(group, what, dir, address);
  let deviceFd: number | undefined;
  let host: HostPciFunction | undefined;
  try {
    try {
      deviceFd = native.groupGetDevice(groupFd, address);
    } catch (err) {
      throw new PciAssignmentError('vfio-unusable', `${what}: VFIO gives no device descriptor for it: ${(err as Error).message}`);
    }
    const fd = deviceFd;
    const info = native.deviceInfo(fd);
    if (!info.pci) throw new PciAssignmentError('vfio-unusable', `${what}: VFIO does not describe it as a PCI device`);
    const configRegion = native.regionInfo(fd, VFIO_PCI_CONFIG_REGION_INDEX);
    const config = Buffer.alloc(PCI_CONFIG_SPACE_SIZE);
    const got = readSync(fd, config, 0, PCI_CONFIG_SPACE_SIZE, configRegion.offset);
    if (got < PCI_CONFIG_SPACE_SIZE) throw new PciAssignmentError('unreadable', `${what}: VFIO's config region gave ${got} bytes, not ${PCI_CONFIG_SPACE_SIZE}`);
    sysfs.config = new Uint8Array(config);
    checkEndpoint(sysfs.config, what);
    host = new HostPciFunction(sysfs, fd, configRegion.offset);
    openRegions(host, fd, what, native.regionInfo.bind(native), mapFile);
    readRom(host, fd, native.regionInfo(fd, VFIO_PCI_ROM_REGION_INDEX));
    let hasIntx = false;
    if (sysfs.config[0x3d] !== 0 && info.numIrqs > VFIO_PCI_INTX_IRQ_INDEX) {
      const intx = native.irqInfo(fd, VFIO_PCI_INTX_IRQ_INDEX);
      hasIntx = intx.count > 0 && intx.eventfd;
    }
    host.onClose = () => container.releaseGroup(group);
    return { host, deviceFd: fd, group, canReset: info.reset, hasIntx };
  } catch (err) {
    if (host !== undefined) host.close();
    else {
      if (deviceFd !== undefined) closeSync(deviceFd);
      container.releaseGroup(group);
    }
    throw err;
  }
}

function openRegions(host: HostPciFunction, fd: number, what: string, regionInfo: (fd: number, index: number) => VfioRegionInfo, mapFile: MapHostFile | undefined): void {
  const { sysfs } = host;
  for (let index = 0; index < PCI_BAR_COUNT; index++) {
    const resource = sysfs.resources[index];
    if (resource === undefined) continue;
    const kind = hostBarKind(sysfs.config, index);
    const region = regionInfo(fd, index);
    if (region.size === 0) continue; // VFIO hides it (e.g. the upper half of a 64-bit BAR)
    checkBarSize(what, index, kind, region.size);
    if (region.size !== resource.size) {
      throw new PciAssignmentError('bar-unmappable', `${what}: BAR ${index} is 0x${resource.size.toString(16)} bytes in sysfs but 0x${region.size.toString(16)} through VFIO`);
    }
    if (kind === 'io') {
      host.ioFds.set(index, { fd, base: region.offset });
      continue;
    }
    let mapped = false;
    if (region.mmap && mapFile !== undefined && region.size >= PAGE) {
      try {
        const buffer = mapFile(fd, region.size, true, region.offset);
        host.maps.set(index, { buffer, view: new DataView(buffer) });
        mapped = true;
      } catch {
        // VFIO may still refuse a mapping it offered (e.g. the MSI-X table's page): accesses exit instead.
      }
    }
    if (!mapped) host.preadBars.set(index, { fd, base: region.offset });
    if (kind === 'mem64') index++;
  }
}

/** The ROM through VFIO's ROM region (vfio-pci enables the ROM for the read); none if it has no size or fails. */
function readRom(host: HostPciFunction, fd: number, region: VfioRegionInfo): void {
  if (region.size === 0 || !region.readable) return;
  try {
    const rom = new Uint8Array(region.size).fill(0xff);
    readSync(fd, rom, 0, region.size, region.offset);
    host.rom = rom;
  } catch {
    // A device whose ROM cannot be read shows none, as on the sysfs path.
  }
}
