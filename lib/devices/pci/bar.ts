/**
 * Base address registers: what a device declares (kind, size, the handler
 * that serves the range) and how the register bits encode it. The sizing
 * protocol needs no special code: the address bits below the size are
 * read-only zero, so a write of all-ones reads back ~(size - 1) | flags.
 */
import type { MmioDevice, PioDevice } from '../../machine/bus-device.js';

export const PCI_BAR_COUNT = 6;
export const PCI_BAR_IO = 0x1;
export const PCI_BAR_MEM_TYPE_64 = 0x4;
export const PCI_BAR_MEM_PREFETCH = 0x8;
export const PCI_BAR_IO_ADDRESS_MASK = 0xffff_fffc;
export const PCI_BAR_MEM_ADDRESS_MASK = 0xffff_fff0;
/** Smallest sizes the encoding allows: I/O 4 ports, memory 16 bytes. */
export const PCI_BAR_MIN_IO_SIZE = 4;
export const PCI_BAR_MIN_MEM_SIZE = 16;

interface BarCommon {
  size: number;
  /**
   * Told where the BAR decodes after every change (undefined = nowhere). A
   * device whose BAR is backed by memory (an assigned host device's BAR
   * mapped into the guest through the addon) maps and unmaps it here; its
   * bus handler still serves the accesses that exit.
   */
  onRemap?: (address: number | undefined) => void;
}

export type PciBarDefinition =
  | (BarCommon & { kind: 'io'; device: PioDevice })
  | (BarCommon & { kind: 'mem32' | 'mem64'; prefetchable?: boolean; device: MmioDevice });

/** Where a BAR currently decodes (what the bus registered). */
export interface PciBarMapping {
  index: number;
  kind: PciBarDefinition['kind'];
  address: number;
  size: number;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** The read-only low bits of the BAR register. */
export function barFlags(def: PciBarDefinition): number {
  if (def.kind === 'io') return PCI_BAR_IO;
  return (def.kind === 'mem64' ? PCI_BAR_MEM_TYPE_64 : 0) | (def.prefetchable ? PCI_BAR_MEM_PREFETCH : 0);
}

/** Writable bits of the low register (and, for 64-bit BARs, of the high register). */
export function barWritableMasks(def: PciBarDefinition): { low: number; high: number } {
  const sizeMask = 2 ** 32 - def.size; // ~(size - 1) in 32 bits, for sizes up to 4 GiB
  // All 32 bits are writable as on real devices; addresses past the 64 Ki x86 ports simply do not decode.
  if (def.kind === 'io') return { low: (sizeMask & PCI_BAR_IO_ADDRESS_MASK) >>> 0, high: 0 };
  if (def.size > 2 ** 32) {
    // A BAR above 4 GiB in size: the whole low address part is zero, the high part is sized.
    return { low: 0, high: (2 ** 32 - def.size / 2 ** 32) >>> 0 };
  }
  return { low: (sizeMask & PCI_BAR_MEM_ADDRESS_MASK) >>> 0, high: def.kind === 'mem64' ? 0xffff_ffff : 0 };
}
