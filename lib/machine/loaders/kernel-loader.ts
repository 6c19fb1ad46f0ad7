/**
 * Picks the boot protocol from the kernel file: a multiboot header in the
 * first 8 KiB, else a Linux setup header ("HdrS"), else an ELF with a PVH
 * entry note. Any failure is a KernelLoadError
 * (`could not load kernel 'FILE': <reason>`).
 */
import { readFileSync } from 'node:fs';
import type { Vcpu } from '../../hypervisor/vcpu.js';
import {
  FW_CFG_CMDLINE_ADDR,
  FW_CFG_CMDLINE_DATA,
  FW_CFG_CMDLINE_SIZE,
  FW_CFG_INITRD_ADDR,
  FW_CFG_INITRD_DATA,
  FW_CFG_INITRD_SIZE,
  FW_CFG_KERNEL_ADDR,
  FW_CFG_KERNEL_CMDLINE,
  FW_CFG_KERNEL_DATA,
  FW_CFG_KERNEL_ENTRY,
  FW_CFG_KERNEL_SIZE,
  FW_CFG_SETUP_ADDR,
  FW_CFG_SETUP_DATA,
  FW_CFG_SETUP_SIZE,
} from '../../devices/fw-cfg.js';
import { KernelLoadError } from '../errors.js';
import { BOOT_CMDLINE } from './boot-layout.js';
import { hasLinuxHeader, LinuxLoadFailure, loadLinux, setLinuxEntryState, type LinuxBoot } from './linux.js';
import { describeFileError, findMultibootHeader, loadMultiboot, setMultibootEntryState, type MultibootBoot } from './multiboot.js';
import { findPvhEntry, loadPvh, PvhLoadFailure, setPvhEntryState, type PvhBoot } from './pvh.js';

export type KernelBoot = (MultibootBoot & { protocol: 'multiboot' }) | LinuxBoot | PvhBoot;

export interface KernelFiles {
  kernel: string;
  append?: string;
  initrd?: string;
  /** Where the ACPI RSDP is, for protocols that pass it. */
  rsdpAddress?: number;
}

export type KernelProtocol = KernelBoot['protocol'];

/** Which protocol the image speaks, or undefined. A multiboot header with a bad checksum counts as multiboot (its loader reports it). */
export function detectKernelProtocol(image: Uint8Array): KernelProtocol | undefined {
  try {
    if (findMultibootHeader(image) !== undefined) return 'multiboot';
  } catch {
    return 'multiboot';
  }
  if (hasLinuxHeader(image)) return 'linux';
  if (findPvhEntry(image) !== undefined) return 'pvh';
  return undefined;
}

function readFile(kernelPath: string, path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    if (what === 'kernel') throw new KernelLoadError(kernelPath, describeFileError(err));
    throw new KernelLoadError(kernelPath, `could not load ${what} '${path}': ${describeFileError(err)}`);
  }
}

export function loadKernelFiles(ram: Uint8Array, files: KernelFiles): KernelBoot {
  return loadKernelFilesWithImages(ram, files).boot;
}

/** loadKernelFiles, also handing back the file contents (for the fw_cfg kernel items). */
export function loadKernelFilesWithImages(ram: Uint8Array, files: KernelFiles): { boot: KernelBoot; image: Uint8Array; initrd: Uint8Array | undefined } {
  const { image, initrd } = readKernelFiles(files);
  return { boot: loadKernelImage(ram, files, image, initrd), image, initrd };
}

function readKernelFiles(files: KernelFiles): { image: Uint8Array; initrd: Uint8Array | undefined } {
  const image = readFile(files.kernel, files.kernel, 'kernel');
  const initrd = files.initrd !== undefined ? readFile(files.kernel, files.initrd, 'initrd') : undefined;
  return { image, initrd };
}

function loadKernelImage(ram: Uint8Array, files: KernelFiles, image: Uint8Array, initrd: Uint8Array | undefined): KernelBoot {
  const { kernel: kernelPath } = files;
  const protocol = detectKernelProtocol(image);
  try {
    switch (protocol) {
      case 'multiboot':
        return { protocol, ...loadMultiboot({ ram, kernelPath, image, append: files.append, initrdPath: files.initrd, initrd }) };
      case 'linux':
        return loadLinux({ ram, image, cmdline: files.append ?? '', initrd, rsdpAddress: files.rsdpAddress });
      case 'pvh':
        return loadPvh({ ram, image, cmdline: files.append ?? '', initrd, rsdpAddress: files.rsdpAddress });
      default:
        throw new KernelLoadError(kernelPath, 'not a multiboot kernel, Linux bzImage or PVH ELF (no multiboot header, no "HdrS" setup header, no PVH entry note)');
    }
  } catch (err) {
    if (err instanceof LinuxLoadFailure || err instanceof PvhLoadFailure) throw new KernelLoadError(kernelPath, err.message);
    throw err;
  }
}

export function setKernelEntryState(vcpu: Vcpu, boot: KernelBoot): void {
  if (boot.protocol === 'multiboot') setMultibootEntryState(vcpu, boot);
  else if (boot.protocol === 'linux') setLinuxEntryState(vcpu, boot);
  else setPvhEntryState(vcpu, boot);
}

/**
 * The fw_cfg items describing a loaded kernel (QEMU's -kernel keys): u32
 * addresses and sizes, and the data of each part, so firmware-style guests
 * can find what the loader placed.
 */
export function kernelFwCfgItems(boot: KernelBoot, kernelImage: Uint8Array, initrd: Uint8Array | undefined): Map<number, Uint8Array> {
  const u32 = (n: number): Uint8Array => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n >>> 0, true);
    return b;
  };
  const cmdline = new TextEncoder().encode(boot.cmdline + '\0');
  const items = new Map<number, Uint8Array>();
  let kernelAddr: number;
  let kernelData: Uint8Array;
  let initrdAddr = 0;
  let cmdlineAddr = 0;
  if (boot.protocol === 'linux') {
    const setupSize = ((kernelImage[0x1f1] || 4) + 1) * 512;
    kernelAddr = boot.loadAddress;
    kernelData = kernelImage.subarray(setupSize);
    items.set(FW_CFG_SETUP_ADDR, u32(boot.zeroPage));
    items.set(FW_CFG_SETUP_SIZE, u32(setupSize));
    items.set(FW_CFG_SETUP_DATA, kernelImage.subarray(0, setupSize));
    initrdAddr = boot.initrd?.start ?? 0;
    cmdlineAddr = BOOT_CMDLINE;
  } else if (boot.protocol === 'pvh') {
    kernelAddr = boot.kernelStart;
    kernelData = kernelImage;
    initrdAddr = boot.initrd?.start ?? 0;
    cmdlineAddr = BOOT_CMDLINE;
  } else {
    kernelAddr = boot.kernelStart;
    kernelData = kernelImage;
    initrdAddr = boot.modules[0]?.start ?? 0;
  }
  items.set(FW_CFG_KERNEL_ADDR, u32(kernelAddr));
  items.set(FW_CFG_KERNEL_SIZE, u32(kernelData.length));
  items.set(FW_CFG_KERNEL_DATA, kernelData);
  items.set(FW_CFG_KERNEL_ENTRY, u32(boot.entry));
  items.set(FW_CFG_CMDLINE_ADDR, u32(cmdlineAddr));
  items.set(FW_CFG_CMDLINE_SIZE, u32(cmdline.length));
  items.set(FW_CFG_CMDLINE_DATA, cmdline);
  items.set(FW_CFG_KERNEL_CMDLINE, u32(cmdlineAddr));
  items.set(FW_CFG_INITRD_ADDR, u32(initrdAddr));
  items.set(FW_CFG_INITRD_SIZE, u32(initrd?.length ?? 0));
  if (initrd !== undefined) items.set(FW_CFG_INITRD_DATA, initrd);
  return items;
}
