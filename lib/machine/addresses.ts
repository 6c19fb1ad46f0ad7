/** Fixed addresses of the PC machine tsvisor models. */

// ---- guest-physical memory map ----
/** End of conventional memory (640 KiB): the VGA window and BIOS area follow. */
export const LOW_MEMORY_END = 0xa0000;
/** Start of extended memory (1 MiB). */
export const HIGH_MEMORY_START = 0x100000;
/** pc-testdev's memory-like MMIO window. */
export const PC_TESTDEV_IOMEM_BASE = 0xff00_0000;
export const PC_TESTDEV_IOMEM_SIZE = 0x10000;

// ---- I/O ports ----
export const PORT_POST = 0x80;
export const PORT_COM1 = 0x3f8;
export const COM_PORT_COUNT = 8;
export const IRQ_COM1 = 4;
export const PORT_FW_CFG_SELECTOR = 0x510;
export const PORT_FW_CFG_DATA = 0x511;
export const PC_TESTDEV_PORT_SCRATCH = 0xe0;
export const PC_TESTDEV_PORT_FLUSH_PAGE = 0xe4;
export const PC_TESTDEV_PORT_SCRATCH_BYTE = 0xe8;
export const PC_TESTDEV_PORT_IRQ = 0x2000;
export const PC_TESTDEV_IRQ_COUNT = 24;
/** QEMU's default isa-debug-exit port when none is given. */
export const ISA_DEBUG_EXIT_DEFAULT_IOBASE = 0x501;

// ---- legacy PC platform devices ----
/** 8259 master (command, data) and slave; the edge/level control registers (ELCR) of both. */
export const PORT_PIC_MASTER = 0x20;
export const PORT_PIC_SLAVE = 0xa0;
export const PORT_PIC_ELCR = 0x4d0;
/** 8254 PIT: counters 0-2 at 0x40-0x42, control word at 0x43. */
export const PORT_PIT = 0x40;
/** NMI status and control (system control port B): PIT channel 2 gate/output, speaker. */
export const PORT_SYSTEM_CONTROL_B = 0x61;
/** i8042 keyboard controller: data 0x60, status/command 0x64. */
export const PORT_I8042_DATA = 0x60;
export const PORT_I8042_COMMAND = 0x64;
/** MC146818 RTC/CMOS: index (bit 7 = NMI disable) 0x70, data 0x71. */
export const PORT_RTC = 0x70;
/** Reset control register (PIIX/ICH). */
export const PORT_RESET_CONTROL = 0xcf9;
/** ACPI PM I/O block (QEMU PIIX4's layout): PM1a event (4 bytes), PM1a control (2), PM timer (4). */
export const ACPI_PM_BASE = 0x600;
export const ACPI_PM1A_EVT_BLK = ACPI_PM_BASE;
export const ACPI_PM1A_EVT_LEN = 4;
export const ACPI_PM1A_CNT_BLK = ACPI_PM_BASE + 0x04;
export const ACPI_PM1A_CNT_LEN = 2;
export const ACPI_PM_TMR_BLK = ACPI_PM_BASE + 0x08;
export const ACPI_PM_TMR_LEN = 4;
/** ACPI GPE0 block: GPE0_STS (2 bytes, write 1 to clear) then GPE0_EN (2 bytes); 16 general-purpose events. */
export const ACPI_GPE0_BLK = ACPI_PM_BASE + 0x20;
export const ACPI_GPE0_BLK_LEN = 4;
/** tsvisor's ACPI PCI hotplug registers (lib/devices/pci/acpi-pci-hotplug.ts, docs/pci-assignment.md). */
export const ACPI_PCI_HOTPLUG_BASE = ACPI_PM_BASE + 0x30;
export const ACPI_PCI_HOTPLUG_LEN = 16;
/** The GPE the PCI hotplug registers raise; the DSDT's \_GPE._E01 notifies the slots. */
export const GPE_PCI_HOTPLUG = 1;
/** SLP_TYP values the DSDT's \_S5 (and \_S3) packages name; SLP_TYP is PM1_CNT bits 10-12. */
export const ACPI_SLP_TYP_S5 = 0;
export const ACPI_SLP_TYP_S3 = 1;
/** ACPI SCI interrupt (ISA IRQ, level-triggered active high through the IOAPIC). */
export const IRQ_ACPI_SCI = 9;
/** I/O APIC MMIO window. */
export const IOAPIC_BASE = 0xfec0_0000;
export const IOAPIC_SIZE = 0x1000;
export const IOAPIC_ID = 0;
/** HPET register block (IA-PC HPET 1.0a); the ACPI HPET table and the DSDT's PNP0103 device name it. */
export const HPET_BASE = 0xfed0_0000;
export const HPET_SIZE = 0x400;
/** ISA IRQs of the platform devices. */
export const IRQ_PIT = 0;
export const IRQ_KEYBOARD = 1;
export const IRQ_CASCADE = 2;
export const IRQ_RTC = 8;
export const IRQ_MOUSE = 12;
/** ISA IRQ 0 arrives at IOAPIC pin 2 (the interrupt source override the MADT describes); others are identity-mapped. */
export const GSI_PIT = 2;

// ---- PCI and firmware tables ----
/** PCI configuration mechanism #1: CONFIG_ADDRESS 0xCF8, CONFIG_DATA 0xCFC-0xCFF (0xCF9 is the reset control register). */
export const PORT_PCI_CONFIG = 0xcf8;
export const PCI_CONFIG_PORT_COUNT = 8;
/** Where the machine places PCI BARs: memory in the hole below the IOAPIC, I/O ports from 0xC000. */
export const PCI_MMIO_WINDOW_BASE = 0xe000_0000;
export const PCI_MMIO_WINDOW_END = 0xfec0_0000;
export const PCI_IO_WINDOW_BASE = 0xc000;
export const PCI_IO_WINDOW_END = 0x10000;
/** Default local APIC MMIO base (as IA32_APIC_BASE holds it at reset). */
export const LOCAL_APIC_DEFAULT_BASE = 0xfee0_0000;
/** ACPI tables, RSDP first, in the BIOS area an OS scans for "RSD PTR " (0xE0000-0xEFFFF; 0xF0000 up stays free for an MP table). */
export const ACPI_TABLES_BASE = 0xe0000;
export const ACPI_TABLES_END = 0xf0000;
/** MP specification floating pointer and configuration table (in the BIOS ROM area an OS scans for "_MP_"). */
export const MP_TABLE_BASE = 0xf0000;
