/**
 * The ACPI HPET description table (IA-PC HPET 1.0a, "ACPI 2.0 HPET
 * Description Table"): after the standard header, the event timer block ID
 * (bits 31:0 of the HPET's capabilities register), the register block's
 * base address as a generic address structure in system memory, the HPET
 * number, the smallest periodic tick the OS may program without losing
 * interrupts, and the page protection attribute (0: no guarantee, so the
 * OS maps the 1 KiB block by itself).
 */
import { acpiTable, writeGas, GAS_SYSTEM_MEMORY } from './acpi-table.js';

export interface HpetTableParams {
  /** Bits 31:0 of the general capabilities and ID register. */
  eventTimerBlockId: number;
  baseAddress: number;
  /** Which HPET of the machine this is (0: the first). */
  number: number;
  /** Minimum clock tick in periodic mode, in counter ticks. */
  minimumTick: number;
}

const HPET_TABLE_BODY = 20;

export function buildHpetTable(p: HpetTableParams): Uint8Array {
  const body = new Uint8Array(HPET_TABLE_BODY);
  const v = new DataView(body.buffer);
  v.setUint32(0, p.eventTimerBlockId >>> 0, true);
  writeGas(v, 4, GAS_SYSTEM_MEMORY, 64, 0, p.baseAddress);
  v.setUint8(16, p.number);
  v.setUint16(17, p.minimumTick, true);
  v.setUint8(19, 0); // page protection: none promised
  return acpiTable('HPET', 1, body);
}
