/**
 * Everything that can make an assignment impossible is found here, before
 * the guest starts, in the order a user fixes things: the address, the
 * device's presence, a host driver holding it, permissions, what kind of
 * function it is, and whether each BAR can be mapped. Nothing is written to
 * the device: files are opened and read, memory BARs mapped.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { isPowerOfTwo, PCI_BAR_COUNT, PCI_BAR_IO, PCI_BAR_MEM_TYPE_64 } from '../bar.js';
import { PCI_BASE_ADDRESS_0, PCI_CLASS_DEVICE, PCI_CONFIG_SPACE_SIZE, PCI_HEADER_TYPE } from '../config-space.js';
import { PciAssignmentError } from './assignment-error.js';
import { canonicalHostPciAddress, HOST_PCI_ADDRESS_FORM } from './host-address.js';
import { HostPciFunction } from './host-function.js';
import { readSysfsDevice, resourcePath, ROM_RESOURCE_INDEX, sysfsDeviceDir, type SysfsPciDevice } from './sysfs-device.js';

/** Drivers that only hold a device for assignment (they do not drive it). */
export const ASSIGNMENT_DRIVERS: readonly string[] = ['vfio-pci', 'pci-stub'];
const PCI_BASE_CLASS_BRIDGE = 0x06;
const HEADER_LAYOUT_MASK = 0x7f;
const MAX_IO_BAR = 256;
const MAX_MEM32_BAR = 2 ** 31;
const MAX_MEM64_BAR = 2 ** 48;
export const DOCS = 'see docs/pci-assignment.md';

/** mmap of an open file (from a page-aligned offset), shared, read-write (the addon's mapHostFile). */
export type MapHostFile = (fd: number, length: number, writable: boolean, offset?: number) => ArrayBuffer;

export interface AssignmentRequest {
  host: string;
  name?: string;
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

/** An fs error's text without the syscall and path Node appends (the message names the path already). */
function reasonOf(err: unknown): string {
  return (err as Error).message.split('\n')[0]!.replace(/, \w+ '.*'$/, '');
}

function isPermissionError(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'EACCES' || code === 'EPERM';
}

/** "host PCI device 0000:04:08.0 (nic)" */
export function describeRequest(address: string, name: string | undefined): string {
  return `host PCI device ${address}${name !== undefined && name !== '' ? ` (${name})` : ''}`;
}

function openReadWrite(path: string, what: string): number {
  try {
    return openSync(path, 'r+');
  } catch (err) {
    if (isPermissionError(err)) {
      throw new PciAssignmentError('no-permission', `${what}: no permission to open ${path} for reading and writing: run as root or give your user the device's files (${DOCS})`);
    }
    throw new PciAssignmentError('unreadable', `${what}: cannot open ${path}: ${reasonOf(err)}`);
  }
}

/** A function found in sysfs and not held by a host driver: what both ways of opening it start from. */
export interface LocatedHostFunction {
  address: string;
  /** How messages name it. */
  what: string;
  dir: string;
  sysfs: SysfsPciDevice;
}

/** Finds the function in sysfs, or throws the PciAssignmentError that says why it cannot be assigned. */
export function locateHostFunction(request: AssignmentRequest, sysfsRoot: string): LocatedHostFunction {
  const address = canonicalHostPciAddress(request.host);
  if (address === undefined) {
    throw new PciAssignmentError('malformed-address', `host PCI address '${request.host}' is malformed (expected ${HOST_PCI_ADDRESS_FORM})`);
  }
  const what = describeRequest(address, request.name);
  const dir = sysfsDeviceDir(sysfsRoot, address);
  if (dir === undefined) throw new PciAssignmentError('not-found', `${what} not found: there is no ${join(sysfsRoot, address)}`);

  const sysfs = readSysfsDevice(dir, address, { readConfig: false });
  if (sysfs.driver !== undefined && !ASSIGNMENT_DRIVERS.includes(sysfs.driver)) {
    throw new PciAssignmentError(
      'bound-to-driver',
      `${what} is bound to host driver '${sysfs.driver}': unbind it first (echo ${address} > ${join(dir, 'driver', 'unbind')}, or bind it to vfio-pci; ${DOCS})`,
    );
  }
  return { address, what, dir, sysfs };
}

/** Refuses a bridge: only endpoint functions (header type 0) can be assigned. */
export function checkEndpoint(config: Uint8Array, what: string): void {
  const baseClass = config[PCI_CLASS_DEVICE + 1]!;
  if (baseClass === PCI_BASE_CLASS_BRIDGE || (config[PCI_HEADER_TYPE]! & HEADER_LAYOUT_MASK) !== 0) {
    const classCode = config[PCI_CLASS_DEVICE]! | (baseClass << 8);
    throw new PciAssignmentError('bridge', `${what} is a bridge (class 0x${classCode.toString(16).padStart(4, '0')}, header type ${config[PCI_HEADER_TYPE]! & HEADER_LAYOUT_MASK}): only endpoint functions can be assigned`);
  }
}

/** Checks a BAR's size: a power of two the guest's BAR kind can hold. */
export function checkBarSize(what: string, index: number, kind: 'io' | 'mem32' | 'mem64', size: number): void {
  const max = kind === 'io' ? MAX_IO_BAR : kind === 'mem32' ? MAX_MEM32_BAR : MAX_MEM64_BAR;
  if (!isPowerOfTwo(size) || size > max) {
    throw new PciAssignmentError('bar-unmappable', `${what}: BAR ${index} (${kind}, 0x${size.toString(16)} bytes) cannot be mapped: the size must be a power of two up to 0x${max.toString(16)}`);
  }
}

/** Opens the function through sysfs for assignment, or throws the PciAssignmentError that says why it cannot be. */
export function openHostFunction(request: AssignmentRequest, sysfsRoot: string, mapFile: MapHostFile | undefined): HostPciFunction {
  const { what, dir, sysfs } = locateHostFunction(request, sysfsRoot);
  const configPath = join(dir, 'config');
  const configFd = openReadWrite(configPath, what);
  let host: HostPciFunction | undefined;
  try {
    const config = Buffer.alloc(PCI_CONFIG_SPACE_SIZE);
    const got = readSync(configFd, config, 0, PCI_CONFIG_SPACE_SIZE, 0);
    if (got < PCI_CONFIG_SPACE_SIZE) {
      // Linux shows only the first 64 bytes of config space to a process without CAP_SYS_ADMIN.
      throw new PciAssignmentError('no-permission', `${what}: only ${got} bytes of ${configPath} are readable (the whole config space needs CAP_SYS_ADMIN): run as root (${DOCS})`);
    }
    sysfs.config = new Uint8Array(config);
    checkEndpoint(sysfs.config, what);
    host = new HostPciFunction(sysfs, configFd);
    openBars(host, what, mapFile);
    readRom(host);
    return host;
  } catch (err) {
    if (host !== undefined) host.close();
    else closeSync(configFd);
    throw err;
  }
}

/** BAR `index`'s register and kind from the host's config space. */
export function hostBarKind(config: Uint8Array, index: number): 'io' | 'mem32' | 'mem64' {
  const low = config[PCI_BASE_ADDRESS_0 + index * 4]!;
  if (low & PCI_BAR_IO) return 'io';
  return (low & 0x6) === PCI_BAR_MEM_TYPE_64 ? 'mem64' : 'mem32';
}

function openBars(host: HostPciFunction, what: string, mapFile: MapHostFile | undefined): void {
  const { sysfs } = host;
  for (let index = 0; index < PCI_BAR_COUNT; index++) {
    const resource = sysfs.resources[index];
    if (resource === undefined) continue;
    const kind = hostBarKind(sysfs.config, index);
    const bar = `${what}: BAR ${index}`;
    checkBarSize(what, index, kind, resource.size);
    const path = resourcePath(sysfs, index);
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (err) {
      if (isPermissionError(err)) {
        throw new PciAssignmentError('no-permission', `${bar}: no permission to open ${path} for reading and writing: run as root or give your user the device's files (${DOCS})`);
      }
      throw new PciAssignmentError('bar-unmappable', `${bar} cannot be mapped: ${path}: ${reasonOf(err)}`);
    }
    if (kind === 'io') {
      host.ioFds.set(index, { fd, base: 0 });
      continue;
    }
    try {
      const st = fstatSync(fd);
      // sysfs gives a resource file the BAR's size; a shorter regular file would fault past its end.
      if (st.isFile() && st.size < resource.size) {
        throw new PciAssignmentError('bar-unmappable', `${bar} cannot be mapped: ${path} holds ${st.size} bytes, the BAR is ${resource.size}`);
      }
      if (mapFile === undefined) throw new PciAssignmentError('bar-unmappable', `${bar} cannot be mapped: this build of the addon cannot map host files`);
      let buffer: ArrayBuffer;
      try {
        buffer = mapFile(fd, resource.size, true);
      } catch (err) {
        throw new PciAssignmentError('bar-unmappable', `${bar} cannot be mapped: ${path}: ${reasonOf(err)}`);
      }
      host.maps.set(index, { buffer, view: new DataView(buffer) });
    } finally {
      closeSync(fd); // the mapping stays valid without the descriptor
    }
    if (kind === 'mem64') index++;
  }
}

/** The ROM as the `rom` file gives it; without one (or unreadable), the function shows no ROM. */
function readRom(host: HostPciFunction): void {
  const resource = host.sysfs.resources[ROM_RESOURCE_INDEX];
  if (resource === undefined || !isPowerOfTwo(resource.size)) return;
  try {
    const bytes = readFileSync(resourcePath(host.sysfs, ROM_RESOURCE_INDEX));
    if (bytes.length === 0) return;
    const rom = new Uint8Array(resource.size).fill(0xff);
    rom.set(bytes.subarray(0, resource.size));
    host.rom = rom;
  } catch {
    // Linux refuses to read a ROM that was not enabled through sysfs first; tsvisor never enables it.
  }
}
