/**
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst) for bzImage
 * kernels entered at their 64-bit entry point: the setup header at 0x1F1
 * ("HdrS" at 0x202, protocol >= 2.06, 64-bit entry announced in
 * xloadflags), the protected-mode kernel (after 1 + setup_sects sectors)
 * loaded at pref_address (relocatable kernels) or code32_start, the zero
 * page with the setup header, E820 table, command line and initrd, and the
 * 64-bit entry state: long mode, identity-mapped page tables, flat GDT,
 * RSI = zero page, RIP = load address + 0x200.
 */
import * as abi from '../../hypervisor/abi.generated.js';
import type { Vcpu } from '../../hypervisor/vcpu.js';
import { e820Map } from '../e820.js';
import {
  BOOT_CMDLINE,
  BOOT_CMDLINE_MAX,
  BOOT_CS,
  BOOT_DS,
  BOOT_GDT,
  BOOT_PML4,
  BOOT_STACK_TOP,
  placeHigh,
  writeBootGdt,
  writeIdentityPageTables,
  ZERO_PAGE,
} from './boot-layout.js';

// Setup header offsets (in the image and in the zero page alike).
export const HDR_SETUP_SECTS = 0x1f1;
export const HDR_VID_MODE = 0x1fa;
export const HDR_BOOT_FLAG = 0x1fe;
export const HDR_JUMP = 0x200;
export const HDR_HEADER = 0x202;
export const HDR_VERSION = 0x206;
export const HDR_TYPE_OF_LOADER = 0x210;
export const HDR_LOADFLAGS = 0x211;
export const HDR_CODE32_START = 0x214;
export const HDR_RAMDISK_IMAGE = 0x218;
export const HDR_RAMDISK_SIZE = 0x21c;
export const HDR_HEAP_END_PTR = 0x224;
export const HDR_CMD_LINE_PTR = 0x228;
export const HDR_INITRD_ADDR_MAX = 0x22c;
export const HDR_KERNEL_ALIGNMENT = 0x230;
export const HDR_RELOCATABLE_KERNEL = 0x234;
export const HDR_XLOADFLAGS = 0x236;
export const HDR_CMDLINE_SIZE = 0x238;
export const HDR_PAYLOAD_OFFSET = 0x248;
export const HDR_PAYLOAD_LENGTH = 0x24c;
export const HDR_PREF_ADDRESS = 0x258;
export const HDR_INIT_SIZE = 0x260;
// boot_params fields outside the setup header.
export const BP_ACPI_RSDP_ADDR = 0x070;
export const BP_E820_ENTRIES = 0x1e8;
export const BP_E820_TABLE = 0x2d0;
export const BP_E820_MAX_ENTRIES = 128;
export const BOOT_PARAMS_SIZE = 4096;

export const HDRS_MAGIC = 0x53726448; // "HdrS"
export const BOOT_FLAG_MAGIC = 0xaa55;
export const MIN_PROTOCOL_VERSION = 0x206;
export const LOADED_HIGH = 1 << 0;
export const CAN_USE_HEAP = 1 << 7;
export const XLF_KERNEL_64 = 1 << 0;
export const TYPE_OF_LOADER_UNDEFINED = 0xff;
/** Offset of the 64-bit entry point from the protected-mode kernel's load address. */
export const ENTRY_64_OFFSET = 0x200;
const DEFAULT_LOAD_ADDRESS = 0x100000;
const HEAP_END = 0xfe00;
const VID_MODE_NORMAL = 0xffff;

export class LinuxLoadFailure extends Error {}

export interface SetupHeader {
  setupSects: number;
  version: number;
  loadflags: number;
  code32Start: number;
  initrdAddrMax: number;
  kernelAlignment: number;
  relocatable: boolean;
  xloadflags: number;
  cmdlineSize: number;
  payloadOffset: number;
  payloadLength: number;
  prefAddress: number;
  initSize: number;
  /** Bytes of setup header present in the image (0x1F1 .. 0x202 + the byte at 0x201). */
  headerEnd: number;
}

export function hasLinuxHeader(image: Uint8Array): boolean {
  return image.length >= HDR_HEADER + 4 && new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(HDR_HEADER, true) === HDRS_MAGIC;
}

const hex = (n: number): string => '0x' + n.toString(16);

export function parseSetupHeader(image: Uint8Array): SetupHeader {
  if (!hasLinuxHeader(image)) throw new LinuxLoadFailure('no Linux setup header ("HdrS" at 0x202)');
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const version = v.getUint16(HDR_VERSION, true);
  if (version < MIN_PROTOCOL_VERSION) {
    throw new LinuxLoadFailure(`Linux boot protocol ${version >> 8}.${(version & 0xff).toString().padStart(2, '0')} is too old (2.06 or later is needed)`);
  }
  const headerEnd = HDR_JUMP + 2 + image[HDR_JUMP + 1]!;
  if (image.length < Math.max(headerEnd, HDR_INIT_SIZE + 4)) throw new LinuxLoadFailure('setup header is truncated');
  const setupSects = image[HDR_SETUP_SECTS]! === 0 ? 4 : image[HDR_SETUP_SECTS]!;
  return {
    setupSects,
    version,
    loadflags: image[HDR_LOADFLAGS]!,
    code32Start: v.getUint32(HDR_CODE32_START, true),
    initrdAddrMax: v.getUint32(HDR_INITRD_ADDR_MAX, true),
    kernelAlignment: v.getUint32(HDR_KERNEL_ALIGNMENT, true),
    relocatable: image[HDR_RELOCATABLE_KERNEL]! !== 0,
    xloadflags: version >= 0x20c ? v.getUint16(HDR_XLOADFLAGS, true) : 0,
    cmdlineSize: v.getUint32(HDR_CMDLINE_SIZE, true),
    payloadOffset: version >= 0x208 ? v.getUint32(HDR_PAYLOAD_OFFSET, true) : 0,
    payloadLength: version >= 0x208 ? v.getUint32(HDR_PAYLOAD_LENGTH, true) : 0,
    prefAddress: version >= 0x20a ? Number(v.getBigUint64(HDR_PREF_ADDRESS, true)) : DEFAULT_LOAD_ADDRESS,
    initSize: version >= 0x20a ? v.getUint32(HDR_INIT_SIZE, true) : 0,
    headerEnd,
  };
}

export interface LinuxBoot {
  protocol: 'linux';
  entry: number;
  zeroPage: number;
  loadAddress: number;
  kernelEnd: number;
  cmdline: string;
  initrd: { start: number; size: number } | undefined;
}

export interface LinuxLoadParams {
  ram: Uint8Array;
  image: Uint8Array;
  cmdline: string;
  initrd?: Uint8Array;
  rsdpAddress?: number;
}

/** Places the kernel, initrd, command line, zero page, GDT and page tables. Throws LinuxLoadFailure. */
export function loadLinux(p: LinuxLoadParams): LinuxBoot {
  const { ram, image } = p;
  const memoryBytes = ram.length;
  const hdr = parseSetupHeader(image);
  if (!(hdr.loadflags & LOADED_HIGH)) throw new LinuxLoadFailure('zImage kernels (not loaded high) are not supported');
  if (!(hdr.xloadflags & XLF_KERNEL_64)) throw new LinuxLoadFailure('the kernel has no 64-bit entry point (XLF_KERNEL_64)');
  const kernelOffset = (hdr.setupSects + 1) * 512;
  if (kernelOffset >= image.length) throw new LinuxLoadFailure('the image ends inside its setup code');
  const kernel = image.subarray(kernelOffset);
  let loadAddress = hdr.relocatable ? hdr.prefAddress : hdr.code32Start;
  if (hdr.relocatable && hdr.kernelAlignment > 0) loadAddress = Math.ceil(loadAddress / hdr.kernelAlignment) * hdr.kernelAlignment;
  // The kernel decompresses in place and needs init_size bytes from its load address.
  const footprint = Math.max(kernel.length, hdr.initSize);
  if (loadAddress < DEFAULT_LOAD_ADDRESS || loadAddress + footprint > memoryBytes) {
    throw new LinuxLoadFailure(`the kernel needs ${hex(footprint)} bytes at ${hex(loadAddress)}: more than the guest RAM (${memoryBytes / 1048576} MiB) holds`);
  }
  const cmdlineBytes = new TextEncoder().encode(p.cmdline);
  const cmdlineLimit = Math.min(hdr.cmdlineSize || 255, BOOT_CMDLINE_MAX - 1);
  if (cmdlineBytes.length > cmdlineLimit) throw new LinuxLoadFailure(`the command line is ${cmdlineBytes.length} bytes; the kernel takes at most ${cmdlineLimit}`);
  const kernelEnd = loadAddress + footprint;

  let initrd: LinuxBoot['initrd'];
  if (p.initrd !== undefined) {
    const limit = Math.min(memoryBytes, (hdr.initrdAddrMax || 0x37ffffff) + 1);
    const at = placeHigh(p.initrd.length, memoryBytes, limit, kernelEnd);
    if (at === undefined) throw new LinuxLoadFailure(`no room for the ${p.initrd.length}-byte initrd between the kernel and ${hex(limit)}`);
    ram.set(p.initrd, at);
    initrd = { start: at, size: p.initrd.length };
  }

  ram.set(kernel, loadAddress);
  ram.fill(0, BOOT_CMDLINE, BOOT_CMDLINE + cmdlineBytes.length + 1);
  ram.set(cmdlineBytes, BOOT_CMDLINE);

  // The zero page: everything zero except the setup header copied from the image and what we fill in.
  ram.fill(0, ZERO_PAGE, ZERO_PAGE + BOOT_PARAMS_SIZE);
  ram.set(image.subarray(HDR_SETUP_SECTS, hdr.headerEnd), ZERO_PAGE + HDR_SETUP_SECTS);
  const zp = new DataView(ram.buffer, ram.byteOffset + ZERO_PAGE, BOOT_PARAMS_SIZE);
  zp.setUint16(HDR_VID_MODE, VID_MODE_NORMAL, true);
  zp.setUint8(HDR_TYPE_OF_LOADER, TYPE_OF_LOADER_UNDEFINED);
  zp.setUint8(HDR_LOADFLAGS, hdr.loadflags | CAN_USE_HEAP);
  zp.setUint32(HDR_CODE32_START, loadAddress, true);
  zp.setUint16(HDR_HEAP_END_PTR, HEAP_END - 0x200, true);
  zp.setUint32(HDR_CMD_LINE_PTR, BOOT_CMDLINE, true);
  zp.setUint32(HDR_RAMDISK_IMAGE, initrd?.start ?? 0, true);
  zp.setUint32(HDR_RAMDISK_SIZE, initrd?.size ?? 0, true);
  if (hdr.version >= 0x20e && p.rsdpAddress !== undefined) zp.setBigUint64(BP_ACPI_RSDP_ADDR, BigInt(p.rsdpAddress), true);
  const map = e820Map(memoryBytes).slice(0, BP_E820_MAX_ENTRIES);
  zp.setUint8(BP_E820_ENTRIES, map.length);
  map.forEach((e, i) => {
    zp.setBigUint64(BP_E820_TABLE + i * 20, BigInt(e.base), true);
    zp.setBigUint64(BP_E820_TABLE + i * 20 + 8, BigInt(e.length), true);
    zp.setUint32(BP_E820_TABLE + i * 20 + 16, e.type, true);
  });

  writeBootGdt(ram);
  writeIdentityPageTables(ram);
  return { protocol: 'linux', entry: loadAddress + ENTRY_64_OFFSET, zeroPage: ZERO_PAGE, loadAddress, kernelEnd, cmdline: p.cmdline, initrd };
}

const CR0_PE = 1n << 0n;
const CR0_ET = 1n << 4n;
const CR0_PG = 1n << 31n;
const CR4_PAE = 1n << 5n;
const EFER_LME = 1n << 8n;
const EFER_LMA = 1n << 10n;

/** Long mode with the boot page tables and GDT; interrupts off; RSI = zero page. */
export function setLinuxEntryState(vcpu: Vcpu, boot: LinuxBoot): void {
  vcpu.cr4 = CR4_PAE;
  vcpu.cr3 = BigInt(BOOT_PML4);
  vcpu.efer = EFER_LME | EFER_LMA;
  vcpu.cr0 = CR0_PE | CR0_ET | CR0_PG;
  vcpu.gdtr = { base: BigInt(BOOT_GDT), limit: BOOT_DS + 7 };
  const base = abi.TSV_SEG_ATTR_S | abi.TSV_SEG_ATTR_P | abi.TSV_SEG_ATTR_G;
  vcpu.cs = { base: 0n, limit: 0xffff_ffff, selector: BOOT_CS, attr: 0x0b | base | abi.TSV_SEG_ATTR_L };
  for (const seg of [abi.TSV_SEG_DS, abi.TSV_SEG_ES, abi.TSV_SEG_SS, abi.TSV_SEG_FS, abi.TSV_SEG_GS]) {
    vcpu.setSegment(seg, { base: 0n, limit: 0xffff_ffff, selector: BOOT_DS, attr: 0x03 | base | abi.TSV_SEG_ATTR_DB });
  }
  vcpu.rflags = 0x2n;
  vcpu.rsi = BigInt(boot.zeroPage);
  vcpu.rsp = BigInt(BOOT_STACK_TOP);
  vcpu.rip = BigInt(boot.entry);
}
