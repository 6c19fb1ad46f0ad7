/**
 * The machine's VFIO container (Documentation/driver-api/vfio.rst): one
 * /dev/vfio/vfio descriptor holding the IOMMU groups of every function
 * assigned through VFIO, with guest RAM mapped once for all of them at
 * IOVA = guest-physical address, so a device's DMA to the addresses the
 * guest programmed lands in guest RAM and nowhere else. The IOMMU model
 * (type 1, v2 preferred) is set when the first group joins, which is also
 * when RAM is mapped; the last group leaving unmaps it.
 */
import { closeSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PciAssignmentError } from './assignment-error.js';
import { DOCS } from './preflight.js';
import { vfioErrorCode, type VfioNative } from './vfio-native.js';

export const DEFAULT_VFIO_ROOT = '/dev/vfio';

/** Guest RAM as the IOMMU maps it: the buffer's bytes at IOVA 0.. size. */
export interface DmaMemory {
  buffer: ArrayBuffer;
  size: number;
}

function reason(err: unknown): string {
  return (err as Error).message;
}

function isPermission(err: unknown): boolean {
  const code = vfioErrorCode(err);
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * Why a group is not viable: its other devices and their drivers (a group is usable only when every
 * device in it is bound to vfio-pci or to no driver). Reads `<device dir>/iommu_group/devices`.
 */
export function groupBlockers(deviceDir: string, self: string): string[] {
  const devicesDir = join(deviceDir, 'iommu_group', 'devices');
  let names: string[];
  try {
    names = readdirSync(devicesDir).sort();
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    if (name === self) continue;
    let driver: string | undefined;
    try {
      driver = basename(readlinkSync(join(devicesDir, name, 'driver')));
    } catch {
      driver = undefined;
    }
    if (driver !== undefined && driver !== 'vfio-pci') out.push(`${name} is bound to '${driver}'`);
  }
  return out;
}

/** The one line for a group that is not viable, naming the devices that keep it so. */
export function notViableMessage(what: string, group: string, blockers: readonly string[]): string {
  const who = blockers.length > 0 ? ` (${blockers.join(', ')})` : '';
  return `${what}: IOMMU group ${group} is not viable: every device in it must be bound to vfio-pci or to no driver${who}; ${DOCS}`;
}

/** The one line for a /dev/vfio node that cannot be opened. */
export function openErrorMessage(what: string, path: string, err: unknown): PciAssignmentError {
  if (isPermission(err)) {
    return new PciAssignmentError('no-permission', `${what}: no permission to open ${path}: run as root or give your user the file (chown USER ${path}; ${DOCS})`);
  }
  if (vfioErrorCode(err) === 'EBUSY') {
    return new PciAssignmentError('group-busy', `${what}: ${path} is in use by another process (a VFIO group is opened by one process at a time)`);
  }
  return new PciAssignmentError('vfio-unusable', `${what}: cannot use ${path}: ${reason(err)}`);
}

interface OpenGroup {
  fd: number;
  users: number;
}

export class VfioContainer {
  private containerFd: number | undefined;
  private iommuType = 0;
  private readonly groups = new Map<string, OpenGroup>();
  private ramMapped = false;

  constructor(
    readonly native: VfioNative,
    readonly root: string,
    private readonly ram: DmaMemory,
  ) {}

  get containerPath(): string {
    return join(this.root, 'vfio');
  }

  /** The container's descriptor, opened (and checked) on first use. */
  private container(what: string): number {
    if (this.containerFd !== undefined) return this.containerFd;
    const path = this.containerPath;
    let opened: { fd: number; iommuType: number };
    try {
      opened = this.native.containerOpen(path);
    } catch (err) {
      if (vfioErrorCode(err) === 'ENOTTY' || vfioErrorCode(err) === 'EVFIOVERSION') {
        throw new PciAssignmentError('vfio-unusable', `${what}: ${path} is not a VFIO container this build can use (${reason(err)})`);
      }
      throw openErrorMessage(what, path, err);
    }
    if (opened.iommuType === 0) {
      closeSync(opened.fd);
      throw new PciAssignmentError('vfio-unusable', `${what}: ${path} offers no type 1 IOMMU (VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU): the host's IOMMU must be enabled (intel_iommu=on or amd_iommu=on)`);
    }
    this.containerFd = opened.fd;
    this.iommuType = opened.iommuType;
    return opened.fd;
  }

  /**
   * Opens IOMMU group `group` (once for all its functions) and puts it in the container; the first
   * group sets the IOMMU model and maps guest RAM. Returns the group's descriptor.
   */
  attachGroup(group: string, what: string, deviceDir: string, address: string): number {
    const known = this.groups.get(group);
    if (known !== undefined) {
      known.users++;
      return known.fd;
    }
    const container = this.container(what);
    const path = join(this.root, group);
    let opened: { fd: number; viable: boolean };
    try {
      opened = this.native.groupOpen(path);
    } catch (err) {
      throw openErrorMessage(what, path, err);
    }
    try {
      if (!opened.viable) throw new PciAssignmentError('group-not-viable', notViableMessage(what, group, groupBlockers(deviceDir, address)));
      try {
        this.native.groupSetContainer(opened.fd, container);
      } catch (err) {
        throw new PciAssignmentError('vfio-unusable', `${what}: IOMMU group ${group} cannot join the VFIO container: ${reason(err)}`);
      }
      if (this.groups.size === 0) this.startIommu(what);
    } catch (err) {
      closeSync(opened.fd);
      if (this.groups.size === 0) this.closeContainer();
      throw err;
    }
    this.groups.set(group, { fd: opened.fd, users: 1 });
    return opened.fd;
  }

  private startIommu(what: string): void {
    const container = this.containerFd!;
    try {
      this.native.setIommu(container, this.iommuType);
    } catch (err) {
      throw new PciAssignmentError('vfio-unusable', `${what}: VFIO_SET_IOMMU failed: ${reason(err)}`);
    }
    try {
      this.native.dmaMap(container, this.ram.buffer, 0, 0, this.ram.size);
    } catch (err) {
      const mib = Math.round(this.ram.size / 1048576);
      const code = vfioErrorCode(err);
      const hint = code === 'ENOMEM' || code === 'EPERM'
        ? ': the pinned pages count against the locked-memory limit (ulimit -l); raise it or run as root'
        : '';
      throw new PciAssignmentError('dma-map', `${what}: cannot map guest RAM (${mib} MiB at IOVA 0) for the device's DMA: ${reason(err)}${hint}`);
    }
    this.ramMapped = true;
  }

  /** One function of the group is gone; the last one closes the group (and, last of all, the container). */
  releaseGroup(group: string): void {
    const g = this.groups.get(group);
    if (g === undefined) return;
    if (--g.users > 0) return;
    this.groups.delete(group);
    if (this.groups.size === 0 && this.ramMapped) {
      // Before the group leaves: with no group the container has no IOMMU to unmap from.
      try {
        this.native.dmaUnmap(this.containerFd!, 0, this.ram.size);
      } catch {
        // The kernel drops the mapping with the container anyway.
      }
      this.ramMapped = false;
    }
    closeSync(g.fd);
    if (this.groups.size === 0) this.closeContainer();
  }

  private closeContainer(): void {
    if (this.containerFd === undefined) return;
    closeSync(this.containerFd);
    this.containerFd = undefined;
  }
}
