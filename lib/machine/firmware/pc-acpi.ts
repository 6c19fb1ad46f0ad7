/**
 * The ACPI tables of tsvisor's PC: N local APICs (APIC ID = vCPU index),
 * the IOAPIC, the PIIX4-style PM block of lib/devices/acpi-pm.ts with the
 * GPE0 block, the PCI root bridge with the machine's BAR windows, INTx
 * routing and ACPI hotplug slots, the HPET when there is one, reset
 * through 0xCF9. Written into guest RAM at ACPI_TABLES_BASE; the same
 * machine described as MP tables goes to MP_TABLE_BASE.
 */
import { intxGsi, PCI_PIRQ_GSIS, PCI_SLOT_COUNT } from '../../devices/pci/intx-routing.js';
import { PCI_HOTPLUG_SLOTS } from '../../devices/pci/acpi-pci-hotplug.js';
import { RESET_CONTROL_RESET_VALUE } from '../../devices/pci/host-bridge.js';
import {
  ACPI_GPE0_BLK,
  ACPI_GPE0_BLK_LEN,
  ACPI_PCI_HOTPLUG_BASE,
  ACPI_PM1A_CNT_BLK,
  ACPI_PM1A_EVT_BLK,
  ACPI_PM_TMR_BLK,
  ACPI_SLP_TYP_S3,
  ACPI_SLP_TYP_S5,
  ACPI_TABLES_BASE,
  ACPI_TABLES_END,
  GPE_PCI_HOTPLUG,
  GSI_PIT,
  HPET_BASE,
  HPET_SIZE,
  IOAPIC_BASE,
  IOAPIC_ID,
  IRQ_ACPI_SCI,
  IRQ_PIT,
  LOCAL_APIC_DEFAULT_BASE,
  MP_TABLE_BASE,
  PCI_CONFIG_PORT_COUNT,
  PCI_MMIO_WINDOW_BASE,
  PCI_MMIO_WINDOW_END,
  PORT_PCI_CONFIG,
  PORT_RESET_CONTROL,
} from '../addresses.js';
import { buildAcpiTables, type AcpiLayout } from './acpi.js';
import { buildMpTables } from './mptable.js';
import { HPET_MIN_TICK, hpetCapabilities } from '../../devices/hpet.js';
import { INTI_ACTIVE_HIGH, INTI_LEVEL, type InterruptOverride } from './madt.js';

/** CMOS index of the RTC's century byte. */
const CMOS_CENTURY = 0x32;

export interface PcAcpiOptions {
  /** The DSDT offers \_S3 (suspend to RAM). */
  s3: boolean;
  /** The machine has the HPET: the HPET table and the DSDT's PNP0103 device describe it. */
  hpet: boolean;
}

/** The tables of the PC machine with `cpus` LAPICs. */
export function buildPcAcpiTables(cpus: number, { s3, hpet }: PcAcpiOptions): AcpiLayout {
  // The SCI and the PCI INTx GSIs are level-triggered and, as the PIIX4 drives them to the IOAPIC, active high.
  const levelHigh = INTI_LEVEL | INTI_ACTIVE_HIGH;
  const overrides: InterruptOverride[] = [
    { irq: IRQ_PIT, gsi: GSI_PIT, flags: 0 },
    { irq: IRQ_ACPI_SCI, gsi: IRQ_ACPI_SCI, flags: levelHigh },
    ...[...new Set(PCI_PIRQ_GSIS)].map((gsi) => ({ irq: gsi, gsi, flags: levelHigh })),
  ];
  const layout = buildAcpiTables(ACPI_TABLES_BASE, {
    madt: {
      localApicAddress: LOCAL_APIC_DEFAULT_BASE,
      apicIds: Array.from({ length: cpus }, (_, i) => i),
      ioApicId: IOAPIC_ID,
      ioApicAddress: IOAPIC_BASE,
      overrides,
    },
    fadt: {
      sciIrq: IRQ_ACPI_SCI,
      pm1aEventBlock: ACPI_PM1A_EVT_BLK,
      pm1aControlBlock: ACPI_PM1A_CNT_BLK,
      pmTimerBlock: ACPI_PM_TMR_BLK,
      gpe0Block: ACPI_GPE0_BLK,
      gpe0BlockLength: ACPI_GPE0_BLK_LEN,
      pmTimer32Bit: false,
      resetPort: PORT_RESET_CONTROL,
      resetValue: RESET_CONTROL_RESET_VALUE,
      centuryIndex: CMOS_CENTURY,
    },
    dsdt: {
      pci: {
        mmioBase: PCI_MMIO_WINDOW_BASE,
        mmioEnd: PCI_MMIO_WINDOW_END,
        configPort: PORT_PCI_CONFIG,
        configPortCount: PCI_CONFIG_PORT_COUNT,
        intxGsi,
        slots: PCI_SLOT_COUNT,
        hotplug: { registers: ACPI_PCI_HOTPLUG_BASE, gpe: GPE_PCI_HOTPLUG, slots: PCI_HOTPLUG_SLOTS },
      },
      s5SleepType: ACPI_SLP_TYP_S5,
      ...(s3 ? { s3SleepType: ACPI_SLP_TYP_S3 } : {}),
      ...(hpet ? { hpet: { base: HPET_BASE, size: HPET_SIZE } } : {}),
    },
    ...(hpet
      ? { hpet: { eventTimerBlockId: Number(hpetCapabilities() & 0xffff_ffffn), baseAddress: HPET_BASE, number: 0, minimumTick: HPET_MIN_TICK } }
      : {}),
  });
  if (ACPI_TABLES_BASE + layout.bytes.length > ACPI_TABLES_END) throw new Error(`ACPI tables (${layout.bytes.length} bytes) overflow their area`);
  return layout;
}

/** The MP tables of the same machine (for OSes without ACPI, or Linux with acpi=off), at MP_TABLE_BASE. */
export function buildPcMpTables(cpus: number): Uint8Array {
  return buildMpTables(MP_TABLE_BASE, {
    apicIds: Array.from({ length: cpus }, (_, i) => i),
    localApicAddress: LOCAL_APIC_DEFAULT_BASE,
    ioApicId: IOAPIC_ID,
    ioApicAddress: IOAPIC_BASE,
    isaIrqToPin: (irq) => (irq === IRQ_PIT ? GSI_PIT : irq),
    levelIsaIrqs: [IRQ_ACPI_SCI],
    pciSlots: PCI_SLOT_COUNT,
    intxGsi,
  });
}
