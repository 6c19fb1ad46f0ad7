/**
 * The DSDT: the PCI root bridge \_SB.PCI0 (PNP0A03) with the resources it
 * forwards (_CRS) and its interrupt routing (_PRT, one entry per slot and
 * pin naming the GSI directly), the HPET (PNP0103) with its register block
 * when the machine has one, the ACPI PCI hotplug slots and GPE method
 * (pci-hotplug-aml.ts) when the machine offers hot plug, and the \_S3 and
 * \_S5 sleep packages whose value the OS writes into PM1a_CNT.SLP_TYP to
 * suspend to RAM and to power off.
 */
import { acpiTable } from './acpi-table.js';
import { concat, device, eisaId, integer, name, pkg, scope, type Aml } from './aml.js';
import { pciHotplugGpeScope, pciHotplugTerms, type PciHotplugAmlParams } from './pci-hotplug-aml.js';
import { dwordMemory, ioPorts, memory32Fixed, resourceTemplate, wordBusNumber, wordIo } from './resource-template.js';

export const DSDT_REVISION = 2; // 64-bit AML integers

export interface PciRootParams {
  /** [base, end) of the 32-bit memory window. */
  mmioBase: number;
  mmioEnd: number;
  configPort: number;
  configPortCount: number;
  /** GSI of (slot, pin 1..4). */
  intxGsi(slot: number, pin: number): number;
  slots: number;
  /** ACPI PCI hotplug of bus 0 (absent: no slot objects, no GPE method). */
  hotplug?: PciHotplugAmlParams;
}

export interface DsdtParams {
  pci: PciRootParams;
  /** SLP_TYP values for S5 in PM1a_CNT and PM1b_CNT. */
  s5SleepType: number;
  /** SLP_TYP for S3 (suspend to RAM); absent: no \_S3, the OS does not offer it. */
  s3SleepType?: number;
  /** The HPET's register block (absent: no HPET device). */
  hpet?: { base: number; size: number };
}

/** \_SB.HPET: the PNP ID Linux's and Windows' HPET drivers look for, and the block it decodes. */
export function hpetDevice(hpet: { base: number; size: number }): Aml {
  return device('HPET', [
    name('_HID', eisaId('PNP0103')),
    name('_UID', integer(0)),
    name('_CRS', resourceTemplate([memory32Fixed(hpet.base, hpet.size, false)])),
  ]);
}

const LEGACY_VGA_BASE = 0xa0000;
const LEGACY_VGA_END = 0xc0000;

export function pciRoutingTable(pci: PciRootParams): Aml {
  const entries: Aml[] = [];
  for (let slot = 0; slot < pci.slots; slot++) {
    for (let pin = 0; pin < 4; pin++) {
      // Address: slot in the high word, any function (0xFFFF); pin 0..3 = INTA..INTD; source 0 = the index is a GSI.
      entries.push(pkg([integer(slot * 0x10000 + 0xffff), integer(pin), integer(0), integer(pci.intxGsi(slot, pin + 1))]));
    }
  }
  return pkg(entries);
}

export function pciRootBridge(pci: PciRootParams): Aml {
  const cfgEnd = pci.configPort + pci.configPortCount;
  const crs = resourceTemplate([
    wordBusNumber(0, 0xff),
    ioPorts(pci.configPort, pci.configPortCount),
    wordIo(0x0000, pci.configPort - 1),
    wordIo(cfgEnd, 0xffff),
    dwordMemory(LEGACY_VGA_BASE, LEGACY_VGA_END - 1, true),
    dwordMemory(pci.mmioBase, pci.mmioEnd - 1, false),
  ]);
  return device('PCI0', [
    name('_HID', eisaId('PNP0A03')),
    name('_ADR', integer(0)),
    name('_UID', integer(0)),
    name('_BBN', integer(0)),
    name('_CRS', crs),
    name('_PRT', pciRoutingTable(pci)),
    ...(pci.hotplug === undefined ? [] : pciHotplugTerms(pci.hotplug)),
  ]);
}

export function buildDsdt(p: DsdtParams): Uint8Array {
  const aml = concat([
    scope('\\_SB', [pciRootBridge(p.pci), ...(p.hpet === undefined ? [] : [hpetDevice(p.hpet)])]),
    ...(p.pci.hotplug === undefined ? [] : [pciHotplugGpeScope(p.pci.hotplug, '\\_SB.PCI0')]),
    ...(p.s3SleepType === undefined ? [] : [name('\\_S3', pkg([integer(p.s3SleepType), integer(p.s3SleepType), integer(0), integer(0)]))]),
    name('\\_S5', pkg([integer(p.s5SleepType), integer(p.s5SleepType), integer(0), integer(0)])),
  ]);
  return acpiTable('DSDT', DSDT_REVISION, aml);
}
