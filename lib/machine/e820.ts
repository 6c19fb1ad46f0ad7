/**
 * The PC physical memory map in E820 terms, shared by the multiboot loader
 * (its mmap) and fw_cfg (etc/e820).
 */
import { HIGH_MEMORY_START, LOW_MEMORY_END } from './addresses.js';

export const E820_RAM = 1;
export const E820_RESERVED = 2;

export interface E820Entry {
  base: number;
  length: number;
  type: number;
}

/** RAM below 640 KiB, the legacy VGA/BIOS hole reserved, RAM from 1 MiB to the end of guest memory. */
export function e820Map(memoryBytes: number): E820Entry[] {
  const map: E820Entry[] = [
    { base: 0, length: Math.min(memoryBytes, LOW_MEMORY_END), type: E820_RAM },
  ];
  if (memoryBytes > LOW_MEMORY_END) {
    map.push({ base: LOW_MEMORY_END, length: HIGH_MEMORY_START - LOW_MEMORY_END, type: E820_RESERVED });
  }
  if (memoryBytes > HIGH_MEMORY_START) {
    map.push({ base: HIGH_MEMORY_START, length: memoryBytes - HIGH_MEMORY_START, type: E820_RAM });
  }
  return map;
}

/** The usable RAM ranges of the map. */
export function ramRanges(memoryBytes: number): E820Entry[] {
  return e820Map(memoryBytes).filter((e) => e.type === E820_RAM);
}

/** QEMU's etc/e820 encoding: packed { u64 address; u64 length; u32 type } little-endian. */
export function encodeE820Table(map: readonly E820Entry[]): Uint8Array {
  const out = new Uint8Array(map.length * 20);
  const view = new DataView(out.buffer);
  map.forEach((e, i) => {
    view.setBigUint64(i * 20, BigInt(e.base), true);
    view.setBigUint64(i * 20 + 8, BigInt(e.length), true);
    view.setUint32(i * 20 + 16, e.type, true);
  });
  return out;
}
