/**
 * Lays the ACPI tables out in one block of guest memory: the RSDP at the
 * block's start (the block lives in 0xE0000-0xFFFFF, where an OS without
 * EFI scans for "RSD PTR "), then the RSDT and XSDT pointing at the FADT
 * and MADT (and the HPET table when the machine has one), the FADT pointing
 * at the FACS and DSDT.
 */
import { acpiTable, rsdp, RSDP_V2_LENGTH } from './acpi-table.js';
import { buildDsdt, type DsdtParams } from './dsdt.js';
import { buildFacs, buildFadt, type FadtParams } from './fadt.js';
import { buildHpetTable, type HpetTableParams } from './hpet-table.js';
import { buildMadt, type MadtParams } from './madt.js';

export interface AcpiParams {
  madt: MadtParams;
  fadt: Omit<FadtParams, 'facsAddress' | 'dsdtAddress'>;
  dsdt: DsdtParams;
  /** The HPET description table; absent: the machine has no HPET. */
  hpet?: HpetTableParams;
}

export interface AcpiLayout {
  base: number;
  bytes: Uint8Array;
  rsdpAddress: number;
  tables: Record<'RSDT' | 'XSDT' | 'FACP' | 'APIC' | 'FACS' | 'DSDT', number> & { HPET?: number };
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

export function buildAcpiTables(base: number, p: AcpiParams): AcpiLayout {
  if (base % 16 !== 0) throw new RangeError('the RSDP must be 16-byte aligned');
  let at = base + RSDP_V2_LENGTH;
  const place = (size: number, alignment = 16): number => {
    const addr = align(at, alignment);
    at = addr + size;
    return addr;
  };
  const dsdt = buildDsdt(p.dsdt);
  const madt = buildMadt(p.madt);
  const facs = buildFacs();
  const facsAddress = place(facs.length, 64); // the FACS must be 64-byte aligned
  const dsdtAddress = place(dsdt.length);
  const fadt = buildFadt({ ...p.fadt, facsAddress, dsdtAddress });
  const fadtAddress = place(fadt.length);
  const madtAddress = place(madt.length);
  const hpet = p.hpet === undefined ? undefined : buildHpetTable(p.hpet);
  const hpetAddress = hpet === undefined ? undefined : place(hpet.length);
  const pointed = hpetAddress === undefined ? [fadtAddress, madtAddress] : [fadtAddress, madtAddress, hpetAddress];
  const rsdtBody = new Uint8Array(pointed.length * 4);
  const xsdtBody = new Uint8Array(pointed.length * 8);
  pointed.forEach((addr, i) => {
    new DataView(rsdtBody.buffer).setUint32(i * 4, addr, true);
    new DataView(xsdtBody.buffer).setBigUint64(i * 8, BigInt(addr), true);
  });
  const rsdt = acpiTable('RSDT', 1, rsdtBody);
  const xsdt = acpiTable('XSDT', 1, xsdtBody);
  const rsdtAddress = place(rsdt.length);
  const xsdtAddress = place(xsdt.length);
  const bytes = new Uint8Array(at - base);
  const put = (addr: number, data: Uint8Array): void => bytes.set(data, addr - base);
  put(base, rsdp(rsdtAddress, xsdtAddress));
  put(facsAddress, facs);
  put(dsdtAddress, dsdt);
  put(fadtAddress, fadt);
  put(madtAddress, madt);
  if (hpet !== undefined) put(hpetAddress!, hpet);
  put(rsdtAddress, rsdt);
  put(xsdtAddress, xsdt);
  return {
    base,
    bytes,
    rsdpAddress: base,
    tables: {
      RSDT: rsdtAddress,
      XSDT: xsdtAddress,
      FACP: fadtAddress,
      APIC: madtAddress,
      FACS: facsAddress,
      DSDT: dsdtAddress,
      ...(hpetAddress === undefined ? {} : { HPET: hpetAddress }),
    },
  };
}
