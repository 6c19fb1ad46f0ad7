/**
 * Multiboot (v1, spec 0.6.96) kernel loader: finds the header in the first
 * 8 KiB, loads ELF32/ELF64 PT_LOAD segments at their physical addresses or
 * an a.out-kludge image at the header's addresses, builds the boot
 * information structure in free RAM and sets up the 32-bit entry state.
 */
import { readFileSync } from 'node:fs';
import * as abi from '../../hypervisor/abi.generated.js';
import type { Vcpu } from '../../hypervisor/vcpu.js';
import { e820Map, ramRanges } from '../e820.js';
import { HIGH_MEMORY_START, LOW_MEMORY_END } from '../addresses.js';
import { KernelLoadError } from '../errors.js';
import { ElfFormatError, isElf, parseElf } from './elf.js';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
export const MULTIBOOT_SEARCH_BYTES = 8192;

// Header flags.
export const MB_HEADER_PAGE_ALIGN = 1 << 0;
export const MB_HEADER_MEMORY_INFO = 1 << 1;
export const MB_HEADER_VIDEO_MODE = 1 << 2;
export const MB_HEADER_AOUT_KLUDGE = 1 << 16;
/** Required-feature bits (0-15) this loader honours; video mode is a preference it may ignore. */
const SUPPORTED_REQUIRED_FLAGS = MB_HEADER_PAGE_ALIGN | MB_HEADER_MEMORY_INFO | MB_HEADER_VIDEO_MODE;

// Info flags.
export const MB_INFO_MEMORY = 1 << 0;
export const MB_INFO_CMDLINE = 1 << 2;
export const MB_INFO_MODS = 1 << 3;
export const MB_INFO_MEM_MAP = 1 << 6;
export const MB_INFO_LOADER_NAME = 1 << 9;

// Info structure offsets.
export const MBI_FLAGS = 0;
export const MBI_MEM_LOWER = 4;
export const MBI_MEM_UPPER = 8;
export const MBI_CMDLINE = 16;
export const MBI_MODS_COUNT = 20;
export const MBI_MODS_ADDR = 24;
export const MBI_MMAP_LENGTH = 44;
export const MBI_MMAP_ADDR = 48;
export const MBI_BOOT_LOADER_NAME = 64;
/** Through the framebuffer fields; unused fields stay zero. */
export const MBI_SIZE = 120;
export const MB_MODULE_SIZE = 16;
export const MB_MMAP_ENTRY_SIZE = 24;

export const BOOT_LOADER_NAME = 'tsvisor';
const PAGE = 4096;

/** Flat 4 GiB segments of the entry state: CS 0x08 execute/read, data 0x10 read/write, 32-bit, 4K-granular. */
export const ENTRY_CS_SELECTOR = 0x08;
export const ENTRY_DS_SELECTOR = 0x10;
const ATTR_FLAT_CODE = 0x0b | abi.TSV_SEG_ATTR_S | abi.TSV_SEG_ATTR_P | abi.TSV_SEG_ATTR_DB | abi.TSV_SEG_ATTR_G;
const ATTR_FLAT_DATA = 0x03 | abi.TSV_SEG_ATTR_S | abi.TSV_SEG_ATTR_P | abi.TSV_SEG_ATTR_DB | abi.TSV_SEG_ATTR_G;

export interface MultibootHeader {
  /** file offset of the magic */
  offset: number;
  flags: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

/** A piece of the image to place at gpa: `data` then zeros up to `memsz`. */
export interface LoadSegment {
  gpa: number;
  data: Uint8Array;
  memsz: number;
}

export interface KernelPlan {
  header: MultibootHeader;
  format: 'elf32' | 'elf64' | 'aout-kludge';
  segments: LoadSegment[];
  entry: number;
}

export interface MultibootBoot {
  entry: number;
  infoAddress: number;
  format: KernelPlan['format'];
  /** [start, end) of the loaded kernel (lowest segment start to highest end). */
  kernelStart: number;
  kernelEnd: number;
  modules: Array<{ start: number; end: number; string: string }>;
  cmdline: string;
}

/** A reason the image cannot be loaded; wrapped into KernelLoadError by the caller. */
class LoadFailure extends Error {}

const hex = (n: number): string => '0x' + n.toString(16);

/** The first valid header in the first 8 KiB (32-bit aligned); undefined if there is none. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(image.length, MULTIBOOT_SEARCH_BYTES) - 12;
  let badChecksum = false;
  for (let off = 0; off <= limit; off += 4) {
    if (view.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(off + 4, true);
    const checksum = view.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
      badChecksum = true;
      continue;
    }
    const field = (i: number): number => (off + 12 + i * 4 + 4 <= image.length ? view.getUint32(off + 12 + i * 4, true) : 0);
    return { offset: off, flags, headerAddr: field(0), loadAddr: field(1), loadEndAddr: field(2), bssEndAddr: field(3), entryAddr: field(4) };
  }
  if (badChecksum) throw new LoadFailure('bad multiboot header checksum');
  return undefined;
}

function checkInRam(what: string, gpa: number, size: number, memoryBytes: number): void {
  if (gpa + size > memoryBytes) {
    throw new LoadFailure(`${what} at ${hex(gpa)} (size ${hex(size)}) lies outside guest RAM (${memoryBytes / 1048576} MiB)`);
  }
}

/** Where the kernel's pieces go and where it starts, without touching RAM. */
export function planKernel(image: Uint8Array, memoryBytes: number): KernelPlan {
  const header = findMultibootHeader(image);
  if (header === undefined) throw new LoadFailure('not a multiboot kernel (no multiboot header in the first 8 KiB)');
  const unsupported = header.flags & 0xffff & ~SUPPORTED_REQUIRED_FLAGS;
  if (unsupported !== 0) throw new LoadFailure(`multiboot header requires unsupported features (flags ${hex(unsupported)})`);

  if (header.flags & MB_HEADER_AOUT_KLUDGE) {
    if (header.offset + 32 > image.length) throw new LoadFailure('multiboot header is truncated');
    const { headerAddr, loadAddr, loadEndAddr, bssEndAddr, entryAddr } = header;
    if (headerAddr < loadAddr) throw new LoadFailure(`header_addr ${hex(headerAddr)} is below load_addr ${hex(loadAddr)}`);
    const fileStart = header.offset - (headerAddr - loadAddr);
    if (fileStart < 0) throw new LoadFailure(`load_addr ${hex(loadAddr)} would start before the beginning of the file`);
    let loadSize: number;
    if (loadEndAddr === 0) loadSize = image.length - fileStart;
    else {
      if (loadEndAddr < loadAddr) throw new LoadFailure(`load_end_addr ${hex(loadEndAddr)} is below load_addr ${hex(loadAddr)}`);
      loadSize = loadEndAddr - loadAddr;
    }
    if (fileStart + loadSize > image.length) throw new LoadFailure(`load_end_addr ${hex(loadEndAddr)} lies beyond the end of the file`);
    const loadEnd = loadAddr + loadSize;
    let memsz = loadSize;
    if (bssEndAddr !== 0) {
      if (bssEndAddr < loadEnd) throw new LoadFailure(`bss_end_addr ${hex(bssEndAddr)} is below the end of the loaded image ${hex(loadEnd)}`);
      memsz = bssEndAddr - loadAddr;
    }
    checkInRam('kernel image', loadAddr, memsz, memoryBytes);
    if (entryAddr < loadAddr || entryAddr >= loadAddr + memsz) {
      throw new LoadFailure(`entry_addr ${hex(entryAddr)} lies outside the loaded image ${hex(loadAddr)}-${hex(loadAddr + memsz)}`);
    }
    return {
      header,
      format: 'aout-kludge',
      segments: [{ gpa: loadAddr, data: image.subarray(fileStart, fileStart + loadSize), memsz }],
      entry: entryAddr,
    };
  }

  if (!isElf(image)) throw new LoadFailure('multiboot header without the a.out kludge flag, and the image is not ELF');
  let elf;
  try {
    elf = parseElf(image);
  } catch (err) {
    if (err instanceof ElfFormatError) throw new LoadFailure(err.message);
    throw err;
  }
  const segments: LoadSegment[] = elf.segments.map((s, i) => {
    checkInRam(`ELF segment ${i}`, s.paddr, s.memsz, memoryBytes);
    return { gpa: s.paddr, data: image.subarray(s.offset, s.offset + s.filesz), memsz: s.memsz };
  });
  // The entry point is a virtual address; a kernel linked high (vaddr != paddr) starts at its physical alias.
  let entry = elf.entry;
  for (const s of elf.segments) {
    if (entry >= s.vaddr && entry < s.vaddr + BigInt(s.memsz)) {
      entry = BigInt(s.paddr) + (entry - s.vaddr);
      break;
    }
  }
  if (entry > 0xffff_ffffn) throw new LoadFailure(`entry point 0x${entry.toString(16)} is not reachable in 32-bit protected mode`);
  return { header, format: elf.elfClass === 32 ? 'elf32' : 'elf64', segments, entry: Number(entry) };
}

interface Range {
  start: number;
  end: number;
}

/**
 * First free, aligned block of `size` bytes in RAM that overlaps nothing in
 * `used`; extended memory first, then conventional memory above 64 KiB
 * (which leaves the real-mode IVT/BDA area alone).
 */
function allocate(size: number, align: number, used: Range[], memoryBytes: number, above = 0): number {
  if (above > 0) {
    // Preferred: right above everything placed so far, where kernels expect free memory.
    const at = Math.ceil(above / align) * align;
    const area = ramRanges(memoryBytes).find((r) => at >= r.base && at + size <= r.base + r.length);
    if (area !== undefined && !used.some((u) => at < u.end && u.start < at + size)) return at;
  }
  const areas = ramRanges(memoryBytes)
    .map((r) => ({ start: Math.max(r.base, r.base < HIGH_MEMORY_START ? 0x10000 : r.base), end: r.base + r.length }))
    .sort((a, b) => (b.start >= HIGH_MEMORY_START ? 1 : 0) - (a.start >= HIGH_MEMORY_START ? 1 : 0));
  for (const area of areas) {
    const starts = [area.start, ...used.map((u) => u.end)].sort((a, b) => a - b);
    for (const s of starts) {
      const at = Math.ceil(s / align) * align;
      if (at < area.start || at + size > area.end) continue;
      if (used.some((u) => at < u.end && u.start < at + size)) continue;
      return at;
    }
  }
  throw new LoadFailure(`not enough free RAM for ${size} bytes of boot data next to the kernel`);
}

export interface MultibootLoadParams {
  ram: Uint8Array;
  kernelPath: string;
  image: Uint8Array;
  append?: string;
  initrdPath?: string;
  initrd?: Uint8Array;
}

/** QEMU passes "<kernel path> <append>" (just the path without -append). */
export function multibootCmdline(kernelPath: string, append: string | undefined): string {
  return append ? `${kernelPath} ${append}` : kernelPath;
}

/** Copies the kernel (and module) into RAM and writes the boot information structure. */
export function loadMultiboot(params: MultibootLoadParams): MultibootBoot {
  const { ram, kernelPath } = params;
  try {
    return loadMultibootUnchecked(params);
  } catch (err) {
    if (err instanceof LoadFailure) throw new KernelLoadError(kernelPath, err.message);
    throw err;
  }
  function loadMultibootUnchecked(p: MultibootLoadParams): MultibootBoot {
    const memoryBytes = ram.length;
    const plan = planKernel(p.image, memoryBytes);
    const used: Range[] = [];
    for (const seg of plan.segments) {
      ram.set(seg.data, seg.gpa);
      ram.fill(0, seg.gpa + seg.data.length, seg.gpa + seg.memsz);
      used.push({ start: seg.gpa, end: seg.gpa + seg.memsz });
    }
    const kernelStart = Math.min(...used.map((u) => u.start));
    const kernelEnd = Math.max(...used.map((u) => u.end));

    const modules: MultibootBoot['modules'] = [];
    if (p.initrd !== undefined) {
      const size = Math.max(p.initrd.length, 1);
      const start = allocate(size, PAGE, used, memoryBytes, Math.max(...used.map((u) => u.end)));
      ram.set(p.initrd, start);
      used.push({ start, end: start + size });
      modules.push({ start, end: start + p.initrd.length, string: p.initrdPath ?? '' });
    }

    const cmdline = multibootCmdline(kernelPath, p.append);
    const map = e820Map(memoryBytes);
    const enc = new TextEncoder();
    const cmdlineBytes = enc.encode(cmdline + '\0');
    const nameBytes = enc.encode(BOOT_LOADER_NAME + '\0');
    const moduleStrings = modules.map((m) => enc.encode(m.string + '\0'));
    const modsOff = MBI_SIZE;
    const mmapOff = modsOff + modules.length * MB_MODULE_SIZE;
    let stringsOff = mmapOff + map.length * MB_MMAP_ENTRY_SIZE;
    const total = stringsOff + cmdlineBytes.length + nameBytes.length + moduleStrings.reduce((n, s) => n + s.length, 0);
    const info = allocate(total, PAGE, used, memoryBytes, Math.max(...used.map((u) => u.end)));
    ram.fill(0, info, info + total);
    const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    const putString = (bytes: Uint8Array): number => {
      const at = info + stringsOff;
      ram.set(bytes, at);
      stringsOff += bytes.length;
      return at;
    };
    const cmdlineAddr = putString(cmdlineBytes);
    const nameAddr = putString(nameBytes);
    modules.forEach((m, i) => {
      const at = info + modsOff + i * MB_MODULE_SIZE;
      view.setUint32(at, m.start, true);
      view.setUint32(at + 4, m.end, true);
      view.setUint32(at + 8, putString(moduleStrings[i]!), true);
    });
    map.forEach((e, i) => {
      const at = info + mmapOff + i * MB_MMAP_ENTRY_SIZE;
      view.setUint32(at, MB_MMAP_ENTRY_SIZE - 4, true); // size excludes the size field itself
      view.setBigUint64(at + 4, BigInt(e.base), true);
      view.setBigUint64(at + 12, BigInt(e.length), true);
      view.setUint32(at + 20, e.type, true);
    });
    view.setUint32(info + MBI_FLAGS, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME, true);
    view.setUint32(info + MBI_MEM_LOWER, Math.min(memoryBytes, LOW_MEMORY_END) / 1024, true);
    view.setUint32(info + MBI_MEM_UPPER, Math.max(0, memoryBytes - HIGH_MEMORY_START) / 1024, true);
    view.setUint32(info + MBI_CMDLINE, cmdlineAddr, true);
    view.setUint32(info + MBI_MODS_COUNT, modules.length, true);
    view.setUint32(info + MBI_MODS_ADDR, modules.length > 0 ? info + modsOff : 0, true);
    view.setUint32(info + MBI_MMAP_LENGTH, map.length * MB_MMAP_ENTRY_SIZE, true);
    view.setUint32(info + MBI_MMAP_ADDR, info + mmapOff, true);
    view.setUint32(info + MBI_BOOT_LOADER_NAME, nameAddr, true);
    return { entry: plan.entry, infoAddress: info, format: plan.format, kernelStart, kernelEnd, modules, cmdline };
  }
}

/** An OS error as the short reason QEMU prints ("No such file or directory"). */
export function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': return 'Permission denied';
    case 'EISDIR': return 'Is a directory';
    case 'ENOTDIR': return 'Not a directory';
    case 'ELOOP': return 'Too many levels of symbolic links';
    default: return (err as Error).message;
  }
}

/** Reads the kernel and initrd files, then loads them (KernelLoadError on any failure). */
export function loadMultibootFiles(ram: Uint8Array, kernelPath: string, append?: string, initrdPath?: string): MultibootBoot {
  let image: Uint8Array;
  try {
    image = readFileSync(kernelPath);
  } catch (err) {
    throw new KernelLoadError(kernelPath, describeFileError(err));
  }
  let initrd: Uint8Array | undefined;
  if (initrdPath !== undefined) {
    try {
      initrd = readFileSync(initrdPath);
    } catch (err) {
      throw new KernelLoadError(kernelPath, `could not load initrd '${initrdPath}': ${describeFileError(err)}`);
    }
  }
  return loadMultiboot({ ram, kernelPath, image, append, initrdPath, initrd });
}

/** The multiboot entry state: 32-bit protected mode, paging off, flat segments, EAX magic, EBX info. */
export function setMultibootEntryState(vcpu: Vcpu, boot: MultibootBoot): void {
  vcpu.cr0 = (vcpu.cr0 | 1n) & ~(1n << 31n);
  vcpu.cr4 = 0n;
  vcpu.efer = 0n;
  const flat = (selector: number, attr: number) => ({ base: 0n, limit: 0xffff_ffff, selector, attr });
  vcpu.cs = flat(ENTRY_CS_SELECTOR, ATTR_FLAT_CODE);
  for (const seg of [abi.TSV_SEG_DS, abi.TSV_SEG_ES, abi.TSV_SEG_SS, abi.TSV_SEG_FS, abi.TSV_SEG_GS]) {
    vcpu.setSegment(seg, flat(ENTRY_DS_SELECTOR, ATTR_FLAT_DATA));
  }
  vcpu.rflags = 0x2n;
  vcpu.rax = BigInt(MULTIBOOT_BOOTLOADER_MAGIC);
  vcpu.rbx = BigInt(boot.infoAddress);
  vcpu.rip = BigInt(boot.entry);
}
