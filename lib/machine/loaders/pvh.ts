/**
 * PVH boot (Xen's HVM direct boot ABI, as Linux and QEMU use it): an ELF
 * kernel (vmlinux) whose "Xen" note of type XEN_ELFNOTE_PHYS32_ENTRY (18)
 * gives a 32-bit physical entry point. PT_LOAD segments go to their
 * physical addresses; the loader writes an hvm_start_info (magic
 * 0x336ec578, version 1) with the command line, the initrd as module 0,
 * the memory map and the RSDP, and enters in 32-bit protected mode with
 * paging off and EBX = start info.
 *
 * hvm_start_info: u32 magic, version, flags, nr_modules; u64 modlist_paddr,
 * cmdline_paddr, rsdp_paddr, memmap_paddr; u32 memmap_entries, reserved.
 * Module: u64 paddr, size, cmdline_paddr, reserved. Memory map entry:
 * u64 addr, size; u32 type, reserved.
 */
import type { Vcpu } from '../../hypervisor/vcpu.js';
import { HIGH_MEMORY_START } from '../addresses.js';
import { setFlatProtectedMode32 } from '../flat-protected-mode.js';
import { e820Map } from '../e820.js';
import { BOOT_CMDLINE, BOOT_CMDLINE_MAX, placeHigh, PVH_START_INFO, ZERO_PAGE } from './boot-layout.js';
import { ElfFormatError, isElf, parseElf } from './elf.js';

export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
export const HVM_START_MAGIC = 0x336ec578;
export const HVM_START_INFO_SIZE = 56;
export const HVM_MODLIST_ENTRY_SIZE = 32;
export const HVM_MEMMAP_ENTRY_SIZE = 24;
const PT_NOTE = 4;
const PVH_CS = 0x08;
const PVH_DS = 0x10;

export class PvhLoadFailure extends Error {}

export interface PvhBoot {
  protocol: 'pvh';
  entry: number;
  startInfo: number;
  kernelStart: number;
  kernelEnd: number;
  cmdline: string;
  initrd: { start: number; size: number } | undefined;
}

/** The PHYS32_ENTRY note's value, or undefined when the ELF has none. */
export function findPvhEntry(image: Uint8Array): number | undefined {
  if (!isElf(image) || image.length < 64) return undefined;
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const is64 = image[4] === 2;
  const phoff = is64 ? Number(v.getBigUint64(32, true)) : v.getUint32(28, true);
  const phentsize = v.getUint16(is64 ? 54 : 42, true);
  const phnum = v.getUint16(is64 ? 56 : 44, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + (is64 ? 56 : 32) > image.length) return undefined;
    if (v.getUint32(ph, true) !== PT_NOTE) continue;
    const offset = is64 ? Number(v.getBigUint64(ph + 8, true)) : v.getUint32(ph + 4, true);
    const size = is64 ? Number(v.getBigUint64(ph + 32, true)) : v.getUint32(ph + 16, true);
    const end = Math.min(offset + size, image.length);
    let at = offset;
    while (at + 12 <= end) {
      const namesz = v.getUint32(at, true);
      const descsz = v.getUint32(at + 4, true);
      const type = v.getUint32(at + 8, true);
      const nameAt = at + 12;
      const descAt = nameAt + ((namesz + 3) & ~3);
      const next = descAt + ((descsz + 3) & ~3);
      if (next > end) break;
      const name = new TextDecoder().decode(image.subarray(nameAt, nameAt + namesz)).replace(/\0+$/, '');
      if (name === 'Xen' && type === XEN_ELFNOTE_PHYS32_ENTRY && (descsz === 4 || descsz === 8)) {
        // Linux stores the entry as a pointer-sized value; only the low 32 bits can be an entry in 32-bit mode.
        if (descsz === 8 && v.getUint32(descAt + 4, true) !== 0) return undefined;
        return v.getUint32(descAt, true);
      }
      at = next;
    }
  }
  return undefined;
}

export interface PvhLoadParams {
  ram: Uint8Array;
  image: Uint8Array;
  cmdline: string;
  initrd?: Uint8Array;
  rsdpAddress?: number;
}

const hex = (n: number): string => '0x' + n.toString(16);

export function loadPvh(p: PvhLoadParams): PvhBoot {
  const { ram, image } = p;
  const memoryBytes = ram.length;
  const entry = findPvhEntry(image);
  if (entry === undefined) throw new PvhLoadFailure('the ELF image has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)');
  let elf;
  try {
    elf = parseElf(image);
  } catch (err) {
    if (err instanceof ElfFormatError) throw new PvhLoadFailure(err.message);
    throw err;
  }
  if (elf.segments.length === 0) throw new PvhLoadFailure('the ELF image has no loadable segments');
  for (const [i, s] of elf.segments.entries()) {
    // Below 1 MiB live the boot data, the legacy hole and the ACPI tables.
    if (s.paddr < HIGH_MEMORY_START || s.paddr + s.memsz > memoryBytes) {
      throw new PvhLoadFailure(`ELF segment ${i} at ${hex(s.paddr)} (size ${hex(s.memsz)}) lies outside the guest RAM available to kernels (1 MiB to ${memoryBytes / 1048576} MiB)`);
    }
  }
  const kernelStart = Math.min(...elf.segments.map((s) => s.paddr));
  const kernelEnd = Math.max(...elf.segments.map((s) => s.paddr + s.memsz));
  if (!elf.segments.some((s) => entry >= s.paddr && entry < s.paddr + s.memsz)) {
    throw new PvhLoadFailure(`the PVH entry ${hex(entry)} lies outside the loaded segments`);
  }
  const cmdlineBytes = new TextEncoder().encode(p.cmdline);
  if (cmdlineBytes.length >= BOOT_CMDLINE_MAX) throw new PvhLoadFailure(`the command line is longer than ${BOOT_CMDLINE_MAX - 1} bytes`);

  for (const s of elf.segments) {
    ram.set(image.subarray(s.offset, s.offset + s.filesz), s.paddr);
    ram.fill(0, s.paddr + s.filesz, s.paddr + s.memsz);
  }
  let initrd: PvhBoot['initrd'];
  if (p.initrd !== undefined) {
    // Below 4 GiB (the module list is 64-bit, but a 32-bit entry reaches only that) and above the kernel.
    const at = placeHigh(p.initrd.length, memoryBytes, Math.min(memoryBytes, 2 ** 32), kernelEnd);
    if (at === undefined) throw new PvhLoadFailure(`no room for the ${p.initrd.length}-byte initrd above the kernel`);
    ram.set(p.initrd, at);
    initrd = { start: at, size: p.initrd.length };
  }
  ram.fill(0, BOOT_CMDLINE, BOOT_CMDLINE + cmdlineBytes.length + 1);
  ram.set(cmdlineBytes, BOOT_CMDLINE);

  const map = e820Map(memoryBytes);
  const memmapAt = PVH_START_INFO + HVM_START_INFO_SIZE + 8;
  const modlistAt = memmapAt + map.length * HVM_MEMMAP_ENTRY_SIZE;
  const end = modlistAt + (initrd ? HVM_MODLIST_ENTRY_SIZE : 0);
  if (end > ZERO_PAGE) throw new PvhLoadFailure('the memory map does not fit in the start info page');
  ram.fill(0, PVH_START_INFO, end);
  const v = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  v.setUint32(PVH_START_INFO, HVM_START_MAGIC, true);
  v.setUint32(PVH_START_INFO + 4, 1, true);
  v.setUint32(PVH_START_INFO + 12, initrd ? 1 : 0, true);
  v.setBigUint64(PVH_START_INFO + 16, BigInt(initrd ? modlistAt : 0), true);
  v.setBigUint64(PVH_START_INFO + 24, BigInt(BOOT_CMDLINE), true);
  v.setBigUint64(PVH_START_INFO + 32, BigInt(p.rsdpAddress ?? 0), true);
  v.setBigUint64(PVH_START_INFO + 40, BigInt(memmapAt), true);
  v.setUint32(PVH_START_INFO + 48, map.length, true);
  map.forEach((e, i) => {
    const at = memmapAt + i * HVM_MEMMAP_ENTRY_SIZE;
    v.setBigUint64(at, BigInt(e.base), true);
    v.setBigUint64(at + 8, BigInt(e.length), true);
    v.setUint32(at + 16, e.type, true);
  });
  if (initrd) {
    v.setBigUint64(modlistAt, BigInt(initrd.start), true);
    v.setBigUint64(modlistAt + 8, BigInt(initrd.size), true);
  }
  return { protocol: 'pvh', entry, startInfo: PVH_START_INFO, kernelStart, kernelEnd, cmdline: p.cmdline, initrd };
}

/** 32-bit protected mode, paging off, flat segments, interrupts off, EBX = start info. */
export function setPvhEntryState(vcpu: Vcpu, boot: PvhBoot): void {
  vcpu.cr0 = 0x11n; // PE, and ET which is fixed to 1
  setFlatProtectedMode32(vcpu, PVH_CS, PVH_DS);
  vcpu.rflags = 0x2n;
  vcpu.rbx = BigInt(boot.startInfo);
  vcpu.rip = BigInt(boot.entry);
}
