/**
 * Where the Linux and PVH loaders put their boot data in conventional
 * memory (below 640 KiB, above the real-mode IVT and BIOS data area), and
 * the shared helpers: E820 in each protocol's form, initrd placement.
 */
import { ramRanges } from '../e820.js';

/** Flat GDT for the 64-bit boot entry: null, null, code64 (0x10), data (0x18), as Linux's __BOOT_CS/__BOOT_DS. */
export const BOOT_GDT = 0x1000;
export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;
/** PVH: hvm_start_info, then the memory map and module list. */
export const PVH_START_INFO = 0x6000;
/** bzImage: the zero page (struct boot_params). */
export const ZERO_PAGE = 0x7000;
/** Identity page tables for the 64-bit entry: PML4, PDPT, four page directories of 2 MiB pages = 4 GiB. */
export const BOOT_PML4 = 0x9000;
export const BOOT_PDPT = 0xa000;
export const BOOT_PD = 0xb000;
export const BOOT_PAGE_TABLES_END = 0xf000;
/** Stack pointer handed to a 64-bit kernel (Linux sets up its own at once). */
export const BOOT_STACK_TOP = 0x7000;
/** Kernel command line (up to 64 KiB). */
export const BOOT_CMDLINE = 0x20000;
export const BOOT_CMDLINE_MAX = 0x10000;
const PAGE = 4096;

/** Highest page-aligned address where `size` bytes fit in RAM, ending at or below `limit`, above `floor`. */
export function placeHigh(size: number, memoryBytes: number, limit: number, floor: number): number | undefined {
  const ranges = ramRanges(memoryBytes).sort((a, b) => b.base - a.base);
  for (const r of ranges) {
    const end = Math.min(r.base + r.length, limit);
    const at = Math.floor((end - size) / PAGE) * PAGE;
    if (at >= r.base && at >= floor) return at;
  }
  return undefined;
}

/** Writes the identity map of the low 4 GiB (2 MiB pages) the 64-bit boot protocol needs. */
export function writeIdentityPageTables(ram: Uint8Array): void {
  const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  ram.fill(0, BOOT_PML4, BOOT_PAGE_TABLES_END);
  const PRESENT_RW = 0x3;
  const PAGE_SIZE_2M = 0x80;
  view.setBigUint64(BOOT_PML4, BigInt(BOOT_PDPT | PRESENT_RW), true);
  for (let i = 0; i < 4; i++) {
    view.setBigUint64(BOOT_PDPT + i * 8, BigInt((BOOT_PD + i * PAGE) | PRESENT_RW), true);
    for (let j = 0; j < 512; j++) {
      const phys = (BigInt(i) << 30n) | (BigInt(j) << 21n);
      view.setBigUint64(BOOT_PD + i * PAGE + j * 8, phys | BigInt(PRESENT_RW | PAGE_SIZE_2M), true);
    }
  }
}

/** GDT entries: 64-bit code (L=1, D=0) and flat data, both DPL 0, present, 4K-granular, limit 4 GiB. */
export function writeBootGdt(ram: Uint8Array): void {
  const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  ram.fill(0, BOOT_GDT, BOOT_GDT + 32);
  view.setBigUint64(BOOT_GDT + BOOT_CS, 0x00af_9b00_0000_ffffn, true);
  view.setBigUint64(BOOT_GDT + BOOT_DS, 0x00cf_9300_0000_ffffn, true);
}
