/**
 * MADT ("APIC", ACPI 6.x §5.2.12): the local APIC address, one processor
 * local APIC entry per vCPU, the IOAPIC, and the interrupt source
 * overrides of a PC: ISA IRQ 0 (PIT) arrives on GSI 2, IRQ 9 (SCI) and the
 * PCI interrupt lines are level-triggered, active-high.
 */
import { acpiTable } from './acpi-table.js';

export const MADT_PCAT_COMPAT = 1;
export const MADT_TYPE_LOCAL_APIC = 0;
export const MADT_TYPE_IO_APIC = 1;
export const MADT_TYPE_INTERRUPT_OVERRIDE = 2;
export const MADT_LOCAL_APIC_ENABLED = 1;
/** MPS INTI flags: polarity bits 1:0 (1 = active high), trigger bits 3:2 (1 = edge, 3 = level). */
export const INTI_ACTIVE_HIGH = 0x1;
export const INTI_LEVEL = 0xc;
export const INTI_EDGE = 0x4;

export interface InterruptOverride {
  irq: number;
  gsi: number;
  flags: number;
}

export interface MadtParams {
  localApicAddress: number;
  /** APIC IDs of the vCPUs, in processor order. */
  apicIds: readonly number[];
  ioApicId: number;
  ioApicAddress: number;
  overrides: readonly InterruptOverride[];
}

export function buildMadt(p: MadtParams): Uint8Array {
  const size = 8 + p.apicIds.length * 8 + 12 + p.overrides.length * 10;
  const body = new Uint8Array(size);
  const v = new DataView(body.buffer);
  v.setUint32(0, p.localApicAddress, true);
  v.setUint32(4, MADT_PCAT_COMPAT, true); // the 8259s are present
  let at = 8;
  p.apicIds.forEach((apicId, i) => {
    body.set([MADT_TYPE_LOCAL_APIC, 8, i, apicId], at);
    v.setUint32(at + 4, MADT_LOCAL_APIC_ENABLED, true);
    at += 8;
  });
  body.set([MADT_TYPE_IO_APIC, 12, p.ioApicId, 0], at);
  v.setUint32(at + 4, p.ioApicAddress, true);
  v.setUint32(at + 8, 0, true); // GSI base
  at += 12;
  for (const o of p.overrides) {
    body.set([MADT_TYPE_INTERRUPT_OVERRIDE, 10, 0 /* ISA */, o.irq], at);
    v.setUint32(at + 4, o.gsi, true);
    v.setUint16(at + 8, o.flags, true);
    at += 10;
  }
  return acpiTable('APIC', 3, body);
}
