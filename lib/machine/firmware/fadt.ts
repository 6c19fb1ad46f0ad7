/**
 * FADT ("FACP", revision 3 = the ACPI 2.0 layout, 244 bytes) and the FACS.
 * Field offsets are those of ACPI 6.x Table 5.9. The machine is always in
 * ACPI mode (no SMI command port), PM1a event/control blocks and the PM
 * timer are I/O ports of the ACPI PM device, the GPE0 block follows them
 * (lib/devices/acpi-gpe.ts), the reset register is 0xCF9.
 */
import { acpiTable, ACPI_HEADER_SIZE, GAS_ACCESS_BYTE, GAS_ACCESS_DWORD, GAS_ACCESS_WORD, GAS_SYSTEM_IO, writeGas } from './acpi-table.js';

export const FADT_REVISION = 3;
export const FADT_LENGTH = 244;
export const FACS_LENGTH = 64;

// Offsets from the start of the table.
export const FADT_FIRMWARE_CTRL = 36;
export const FADT_DSDT = 40;
export const FADT_PREFERRED_PM_PROFILE = 45;
export const FADT_SCI_INT = 46;
export const FADT_SMI_CMD = 48;
export const FADT_PM1A_EVT_BLK = 56;
export const FADT_PM1A_CNT_BLK = 64;
export const FADT_PM_TMR_BLK = 76;
export const FADT_GPE0_BLK = 80;
export const FADT_PM1_EVT_LEN = 88;
export const FADT_PM1_CNT_LEN = 89;
export const FADT_PM_TMR_LEN = 91;
export const FADT_GPE0_BLK_LEN = 92;
export const FADT_P_LVL2_LAT = 96;
export const FADT_P_LVL3_LAT = 98;
export const FADT_CENTURY = 108;
export const FADT_IAPC_BOOT_ARCH = 109;
export const FADT_FLAGS = 112;
export const FADT_RESET_REG = 116;
export const FADT_RESET_VALUE = 128;
export const FADT_X_FIRMWARE_CTRL = 132;
export const FADT_X_DSDT = 140;
export const FADT_X_PM1A_EVT_BLK = 148;
export const FADT_X_PM1A_CNT_BLK = 172;
export const FADT_X_PM_TMR_BLK = 208;
export const FADT_X_GPE0_BLK = 220;

// Flags.
export const FADT_F_WBINVD = 1 << 0;
export const FADT_F_PROC_C1 = 1 << 2;
export const FADT_F_PWR_BUTTON = 1 << 4;
export const FADT_F_SLP_BUTTON = 1 << 5;
export const FADT_F_RTC_S4 = 1 << 7;
export const FADT_F_TMR_VAL_EXT = 1 << 8;
export const FADT_F_RESET_REG_SUP = 1 << 10;
// IA-PC boot architecture flags.
export const IAPC_LEGACY_DEVICES = 1 << 0;
export const IAPC_8042 = 1 << 1;
export const IAPC_VGA_NOT_PRESENT = 1 << 2;

export interface FadtParams {
  facsAddress: number;
  dsdtAddress: number;
  sciIrq: number;
  pm1aEventBlock: number;
  pm1aControlBlock: number;
  pmTimerBlock: number;
  /** The GPE0 block (status then enable registers) and its length in bytes. */
  gpe0Block: number;
  gpe0BlockLength: number;
  /** The PM timer counts 32 bits (else 24). */
  pmTimer32Bit: boolean;
  resetPort: number;
  resetValue: number;
  /** CMOS index of the century byte (0 = none). */
  centuryIndex: number;
}

export function buildFadt(p: FadtParams): Uint8Array {
  const body = new Uint8Array(FADT_LENGTH - ACPI_HEADER_SIZE);
  const v = new DataView(body.buffer);
  const o = (offset: number): number => offset - ACPI_HEADER_SIZE;
  v.setUint32(o(FADT_FIRMWARE_CTRL), p.facsAddress, true);
  v.setUint32(o(FADT_DSDT), p.dsdtAddress, true);
  v.setUint8(o(FADT_PREFERRED_PM_PROFILE), 0); // unspecified
  v.setUint16(o(FADT_SCI_INT), p.sciIrq, true);
  v.setUint32(o(FADT_SMI_CMD), 0, true); // no SMM: ACPI mode is always on
  v.setUint32(o(FADT_PM1A_EVT_BLK), p.pm1aEventBlock, true);
  v.setUint32(o(FADT_PM1A_CNT_BLK), p.pm1aControlBlock, true);
  v.setUint32(o(FADT_PM_TMR_BLK), p.pmTimerBlock, true);
  v.setUint32(o(FADT_GPE0_BLK), p.gpe0Block, true);
  v.setUint8(o(FADT_PM1_EVT_LEN), 4);
  v.setUint8(o(FADT_PM1_CNT_LEN), 2);
  v.setUint8(o(FADT_PM_TMR_LEN), 4);
  v.setUint8(o(FADT_GPE0_BLK_LEN), p.gpe0BlockLength);
  // Latencies above 100/1000 us say C2/C3 are not supported.
  v.setUint16(o(FADT_P_LVL2_LAT), 0x0fff, true);
  v.setUint16(o(FADT_P_LVL3_LAT), 0x0fff, true);
  v.setUint8(o(FADT_CENTURY), p.centuryIndex);
  // No 8042 keyboard controller and no VGA: the OS must not probe them.
  v.setUint16(o(FADT_IAPC_BOOT_ARCH), IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT, true);
  // PWR_BUTTON stays clear: the power button is the fixed-feature one in PM1 (what QMP's system_powerdown
  // presses); setting it would tell the OS to look for a control-method button the DSDT does not have.
  const flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP |
    (p.pmTimer32Bit ? FADT_F_TMR_VAL_EXT : 0);
  v.setUint32(o(FADT_FLAGS), flags, true);
  writeGas(v, o(FADT_RESET_REG), GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, p.resetPort);
  v.setUint8(o(FADT_RESET_VALUE), p.resetValue);
  // X_FIRMWARE_CTRL stays 0: the FACS is below 4 GiB and the OS must use only one of the two pointers.
  v.setBigUint64(o(FADT_X_DSDT), BigInt(p.dsdtAddress), true);
  writeGas(v, o(FADT_X_PM1A_EVT_BLK), GAS_SYSTEM_IO, 32, GAS_ACCESS_WORD, p.pm1aEventBlock);
  writeGas(v, o(FADT_X_PM1A_CNT_BLK), GAS_SYSTEM_IO, 16, GAS_ACCESS_WORD, p.pm1aControlBlock);
  writeGas(v, o(FADT_X_PM_TMR_BLK), GAS_SYSTEM_IO, 32, GAS_ACCESS_DWORD, p.pmTimerBlock);
  writeGas(v, o(FADT_X_GPE0_BLK), GAS_SYSTEM_IO, 8 * p.gpe0BlockLength, GAS_ACCESS_BYTE, p.gpe0Block);
  return acpiTable('FACP', FADT_REVISION, body);
}

/** FACS: signature, length, the rest zero (no hardware signature, no waking vector yet). No checksum. */
export function buildFacs(): Uint8Array {
  const out = new Uint8Array(FACS_LENGTH);
  out.set([0x46, 0x41, 0x43, 0x53], 0); // "FACS"
  new DataView(out.buffer).setUint32(4, FACS_LENGTH, true);
  out[32] = 1; // version
  return out;
}
