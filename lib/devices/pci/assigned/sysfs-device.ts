/**
 * A host PCI function as Linux shows it under /sys/bus/pci/devices/<address>
 * (Documentation/PCI/sysfs-pci): `config` (the config space: 256 bytes, or
 * 4 KiB with PCIe extended space; 64 bytes when read without privilege),
 * `resource` (one "start end flags" line per BAR 0-5, the ROM, and bridge
 * windows), `resourceN` (BAR N, mmap-able for memory, read/write for I/O),
 * `rom`, `irq`, the `driver` link and the `iommu_group` link. Reading never
 * writes anything.
 */
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PCI_CONFIG_SPACE_SIZE } from '../config-space.js';

export const DEFAULT_PCI_SYSFS_ROOT = '/sys/bus/pci/devices';

// Resource flags (the kernel's IORESOURCE_* bits) as the `resource` file shows them.
export const IORESOURCE_IO = 0x100;
export const IORESOURCE_MEM = 0x200;
export const IORESOURCE_PREFETCH = 0x2000;
export const IORESOURCE_MEM_64 = 0x0010_0000;

/** The index of the expansion ROM in the `resource` file. */
export const ROM_RESOURCE_INDEX = 6;

export interface SysfsResource {
  index: number;
  /** Host bus address (what lspci prints as "Memory at" / "I/O ports at"). */
  start: bigint;
  size: number;
  flags: number;
}

export interface SysfsPciDevice {
  /** DDDD:BB:DD.F */
  address: string;
  dir: string;
  /** The config space as readable (at most 256 bytes are kept: what mechanism #1 reaches). */
  config: Uint8Array;
  /** BARs 0-5 then the ROM (index 6); undefined where the device has no such BAR. */
  resources: Array<SysfsResource | undefined>;
  irq: number | undefined;
  /** The bound host driver's name, if any. */
  driver: string | undefined;
  /** The IOMMU group number, when the host has an IOMMU. */
  iommuGroup: string | undefined;
}

/** Parses the `resource` file: "0x<start> 0x<end> 0x<flags>" per line; all zero = unused. */
export function parseResourceFile(text: string): Array<SysfsResource | undefined> {
  const out: Array<SysfsResource | undefined> = [];
  text.split('\n').forEach((line, index) => {
    if (index > ROM_RESOURCE_INDEX) return; // bridge windows follow; not BARs of a function
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3) return;
    const [start, end, flags] = parts.map((p) => BigInt(p)) as [bigint, bigint, bigint];
    out[index] = flags === 0n && end === 0n ? undefined : { index, start, size: Number(end - start + 1n), flags: Number(flags) };
  });
  while (out.length <= ROM_RESOURCE_INDEX) out.push(undefined);
  return out;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function linkName(path: string): string | undefined {
  try {
    return basename(readlinkSync(path));
  } catch {
    return undefined;
  }
}

/** The device directory for `address` under `root`, or undefined if there is none. */
export function sysfsDeviceDir(root: string, address: string): string | undefined {
  const dir = join(root, address);
  try {
    return statSync(dir).isDirectory() ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads what sysfs tells about the function; `config` errors (permissions) propagate.
 * readConfig false leaves `config` empty, for a caller that reads it through its own descriptor.
 */
export function readSysfsDevice(dir: string, address: string, options: { readConfig?: boolean } = {}): SysfsPciDevice {
  const config = options.readConfig === false ? new Uint8Array(0) : new Uint8Array(readFileSync(join(dir, 'config')).subarray(0, PCI_CONFIG_SPACE_SIZE));
  const resourceText = readOptional(join(dir, 'resource'));
  const resources = resourceText === undefined ? new Array<undefined>(ROM_RESOURCE_INDEX + 1).fill(undefined) : parseResourceFile(resourceText);
  const irqText = readOptional(join(dir, 'irq'))?.trim();
  const irq = irqText === undefined || irqText === '' ? undefined : Number(irqText);
  return {
    address,
    dir,
    config,
    resources,
    irq: irq !== undefined && Number.isInteger(irq) ? irq : undefined,
    driver: linkName(join(dir, 'driver')),
    iommuGroup: linkName(join(dir, 'iommu_group')),
  };
}

/** Path of BAR `index`'s file (resourceN), or of the ROM (`rom`). */
export function resourcePath(dev: SysfsPciDevice, index: number): string {
  return join(dev.dir, index === ROM_RESOURCE_INDEX ? 'rom' : `resource${index}`);
}

export function resourceFileExists(dev: SysfsPciDevice, index: number): boolean {
  return existsSync(resourcePath(dev, index));
}
