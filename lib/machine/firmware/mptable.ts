/**
 * The Intel MultiProcessor Specification 1.4 tables, for OSes (or Linux
 * with acpi=off) that find CPUs and interrupt routing without ACPI: the
 * 16-byte floating pointer ("_MP_") and the configuration table ("PCMP")
 * with one processor entry per vCPU, the PCI and ISA buses, the IOAPIC,
 * the I/O interrupt assignments (ISA IRQs identity-mapped except IRQ 0 on
 * pin 2, the 8259 as ExtINT on pin 0, every PCI slot/pin on its GSI) and
 * the local interrupts (LINT0 ExtINT, LINT1 NMI).
 */
import { checksumOf } from './acpi-table.js';

export const MP_FLOATING_POINTER_SIZE = 16;
export const MP_CONFIG_HEADER_SIZE = 44;
export const MP_SPEC_REVISION = 4;
export const MP_ENTRY_PROCESSOR = 0;
export const MP_ENTRY_BUS = 1;
export const MP_ENTRY_IOAPIC = 2;
export const MP_ENTRY_IO_INTERRUPT = 3;
export const MP_ENTRY_LOCAL_INTERRUPT = 4;
export const MP_INT = 0;
export const MP_NMI = 1;
export const MP_EXTINT = 3;
const PROCESSOR_ENTRY_SIZE = 20;
const SMALL_ENTRY_SIZE = 8;
const CPU_ENABLED = 1;
const CPU_BOOTSTRAP = 2;
/** Signature of a family 6 CPU, and the APIC feature bit: informational for the OS. */
const CPU_SIGNATURE = 0x600;
const CPU_FEATURE_APIC = 1 << 9;
const LAPIC_VERSION = 0x14;
const IOAPIC_VERSION = 0x11;
const BUS_PCI = 0;
const BUS_ISA = 1;
const ALL_LAPICS = 0xff;
/** MPS INTI flags: level-triggered, active high. */
const LEVEL_HIGH = 0xd;

export interface MpTableParams {
  apicIds: readonly number[];
  localApicAddress: number;
  ioApicId: number;
  ioApicAddress: number;
  /** ISA IRQ -> IOAPIC pin overrides (IRQ 0 -> 2). */
  isaIrqToPin: (irq: number) => number;
  /** ISA IRQs that are level-triggered, active high (the SCI). */
  levelIsaIrqs: readonly number[];
  pciSlots: number;
  /** GSI (= IOAPIC pin) of a PCI slot's pin (1..4). */
  intxGsi: (slot: number, pin: number) => number;
}

/** Floating pointer at `base`, configuration table right after it. */
export function buildMpTables(base: number, p: MpTableParams): Uint8Array {
  const entries: number[][] = [];
  const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
  const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  p.apicIds.forEach((id, i) => {
    entries.push([MP_ENTRY_PROCESSOR, id, LAPIC_VERSION, CPU_ENABLED | (i === 0 ? CPU_BOOTSTRAP : 0), ...le32(CPU_SIGNATURE), ...le32(CPU_FEATURE_APIC), ...new Array(8).fill(0)]);
  });
  const busName = (s: string): number[] => [...s.padEnd(6, ' ')].map((c) => c.charCodeAt(0));
  entries.push([MP_ENTRY_BUS, BUS_PCI, ...busName('PCI')]);
  entries.push([MP_ENTRY_BUS, BUS_ISA, ...busName('ISA')]);
  entries.push([MP_ENTRY_IOAPIC, p.ioApicId, IOAPIC_VERSION, 1, ...le32(p.ioApicAddress)]);
  const ioInt = (type: number, flags: number, bus: number, irq: number, pin: number): number[] =>
    [MP_ENTRY_IO_INTERRUPT, type, ...le16(flags), bus, irq, p.ioApicId, pin];
  entries.push(ioInt(MP_EXTINT, 0, BUS_ISA, 0, 0));
  for (let irq = 0; irq < 16; irq++) {
    if (irq === 2) continue; // the cascade: nothing arrives on IRQ 2
    entries.push(ioInt(MP_INT, p.levelIsaIrqs.includes(irq) ? LEVEL_HIGH : 0, BUS_ISA, irq, p.isaIrqToPin(irq)));
  }
  for (let slot = 0; slot < p.pciSlots; slot++) {
    for (let pin = 1; pin <= 4; pin++) {
      // PCI source IRQ: device number in bits 6:2, pin (0 = INTA#) in bits 1:0; flags 0 = the bus default (level, low).
      entries.push(ioInt(MP_INT, 0, BUS_PCI, (slot << 2) | (pin - 1), p.intxGsi(slot, pin)));
    }
  }
  entries.push([MP_ENTRY_LOCAL_INTERRUPT, MP_EXTINT, 0, 0, BUS_ISA, 0, ALL_LAPICS, 0]);
  entries.push([MP_ENTRY_LOCAL_INTERRUPT, MP_NMI, 0, 0, BUS_ISA, 0, ALL_LAPICS, 1]);

  const body = entries.flat();
  const tableLength = MP_CONFIG_HEADER_SIZE + body.length;
  const out = new Uint8Array(MP_FLOATING_POINTER_SIZE + tableLength);
  const v = new DataView(out.buffer);
  const tableAt = base + MP_FLOATING_POINTER_SIZE;
  // Floating pointer.
  out.set([0x5f, 0x4d, 0x50, 0x5f], 0); // "_MP_"
  v.setUint32(4, tableAt, true);
  out[8] = 1; // length in 16-byte units
  out[9] = MP_SPEC_REVISION;
  // Feature byte 1 = 0: a configuration table is present; byte 2 bit 7 clear: virtual-wire mode, no IMCR.
  out[10] = checksumOf(out, 0, MP_FLOATING_POINTER_SIZE);
  // Configuration table header.
  const t = MP_FLOATING_POINTER_SIZE;
  out.set([0x50, 0x43, 0x4d, 0x50], t); // "PCMP"
  v.setUint16(t + 4, tableLength, true);
  out[t + 6] = MP_SPEC_REVISION;
  out.set([...'TSVISOR '].map((c) => c.charCodeAt(0)), t + 8);
  out.set([...'PC          '].map((c) => c.charCodeAt(0)), t + 16);
  v.setUint16(t + 34, entries.length, true);
  v.setUint32(t + 36, p.localApicAddress, true);
  out.set(body, t + MP_CONFIG_HEADER_SIZE);
  out[t + 7] = checksumOf(out, t, t + tableLength);
  return out;
}
