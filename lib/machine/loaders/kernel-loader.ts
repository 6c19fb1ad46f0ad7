/**
 * Picks the boot protocol from the kernel file: a multiboot header in the
 * first 8 KiB, else a Linux setup header ("HdrS"), else an ELF with a PVH
 * entry note. Any failure is a KernelLoadError
 * (`could not load kernel 'FILE': <reason>`).
 */
import { readFileSync } from 'node:fs';
import type { Vcpu } from '../../hypervisor/vcpu.js';
import { KernelLoadError } from '../errors.js';
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
  const { kernel: kernelPath } = files;
  const image = readFile(kernelPath, kernelPath, 'kernel');
  const initrd = files.initrd !== undefined ? readFile(kernelPath, files.initrd, 'initrd') : undefined;
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
