/**
 * Resource descriptors (ACPI 6.x §6.4) for _CRS buffers: the ones a PCI
 * root bridge and the HPET need. resourceTemplate() appends the end tag and wraps the
 * descriptors in an AML Buffer.
 */
import { buffer, concat, type Aml } from './aml.js';

const LARGE_WORD_ADDRESS = 0x88;
const LARGE_DWORD_ADDRESS = 0x87;
const LARGE_MEMORY32_FIXED = 0x86;
const SMALL_IO = 0x47; // tag 0x08 << 3 | length 7
const SMALL_END = 0x79; // tag 0x0f << 3 | length 1

export const RESOURCE_TYPE_MEMORY = 0;
export const RESOURCE_TYPE_IO = 1;
export const RESOURCE_TYPE_BUS = 2;

/** General flags: the bridge produces the range, min and max fixed. */
const GENERAL_FLAGS_PRODUCER_FIXED = 0x0c;

function le(value: number, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) => Math.floor(value / 2 ** (8 * i)) & 0xff);
}

/** Word/DWord address space descriptor: granularity, min, max, translation offset, length. */
function addressSpace(tag: number, width: 2 | 4, type: number, typeFlags: number, min: number, max: number): number[] {
  const body = [type, GENERAL_FLAGS_PRODUCER_FIXED, typeFlags, ...le(0, width), ...le(min, width), ...le(max, width), ...le(0, width), ...le(max - min + 1, width)];
  return [tag, ...le(body.length, 2), ...body];
}

export function wordBusNumber(min: number, max: number): number[] {
  return addressSpace(LARGE_WORD_ADDRESS, 2, RESOURCE_TYPE_BUS, 0, min, max);
}

/** I/O window; type-specific flags 3 = decodes the whole ISA and non-ISA ranges. */
export function wordIo(min: number, max: number): number[] {
  return addressSpace(LARGE_WORD_ADDRESS, 2, RESOURCE_TYPE_IO, 0x03, min, max);
}

/** Memory window; type-specific flags: bit 0 read-write, bits 2:1 cacheability (1 = cacheable, 0 = non-cacheable). */
export function dwordMemory(min: number, max: number, cacheable: boolean): number[] {
  return addressSpace(LARGE_DWORD_ADDRESS, 4, RESOURCE_TYPE_MEMORY, 0x01 | (cacheable ? 0x02 : 0), min, max);
}

/** A fixed 32-bit memory range a device decodes (Memory32Fixed); `writable` false = read-only. */
export function memory32Fixed(base: number, length: number, writable: boolean): number[] {
  return [LARGE_MEMORY32_FIXED, ...le(9, 2), writable ? 1 : 0, ...le(base, 4), ...le(length, 4)];
}

/** Fixed I/O ports with 16-bit decode. */
export function ioPorts(base: number, length: number): number[] {
  return [SMALL_IO, 0x01, ...le(base, 2), ...le(base, 2), 0x01, length];
}

/** The descriptors, the end tag (checksum 0 = "treat as correct"), as a Buffer. */
export function resourceTemplate(descriptors: readonly number[][]): Aml {
  return buffer(concat([...descriptors, [SMALL_END, 0x00]]));
}
