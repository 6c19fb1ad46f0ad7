/**
 * The HPET in the PC's ACPI tables: the HPET description table (IA-PC HPET
 * 1.0a) listed in the RSDT and XSDT, and the DSDT's PNP0103 device with its
 * 1 KiB register block; neither with -machine hpet=off.
 */
import test from 'ava';
import { buildPcAcpiTables } from '../../lib/machine/firmware/pc-acpi.js';
import { sumBytes } from '../../lib/machine/firmware/acpi-table.js';
import { eisaIdValue } from '../../lib/machine/firmware/aml.js';
import { hpetCapabilities } from '../../lib/devices/hpet.js';

type Layout = ReturnType<typeof buildPcAcpiTables>;

function at(l: Layout, addr: number, len: number): Buffer {
  return Buffer.from(l.bytes.subarray(addr - l.base, addr - l.base + len));
}
function table(l: Layout, addr: number): Buffer {
  return at(l, addr, at(l, addr, 8).readUInt32LE(4));
}
function contains(haystack: Buffer, needle: number[]): boolean {
  return haystack.indexOf(Buffer.from(needle)) >= 0;
}

test('HPET table: event timer block ID, base address GAS, number, minimum tick; in the RSDT and XSDT', (t) => {
  const l = buildPcAcpiTables(2, { s3: true, hpet: true });
  const addr = l.tables.HPET!;
  t.truthy(addr);
  const h = table(l, addr);
  t.is(h.toString('latin1', 0, 4), 'HPET');
  t.is(h.length, 56);
  t.is(h[8], 1, 'revision');
  t.is(sumBytes(h), 0, 'checksum');
  t.is(h.readUInt32LE(36), Number(hpetCapabilities() & 0xffff_ffffn));
  t.is(h.readUInt32LE(36), 0x8086_a201, 'vendor 8086, LEG_RT_CAP, 64-bit, 3 timers, rev 1');
  t.deepEqual([h[40], h[41], h[42]], [0, 64, 0], 'GAS: system memory, 64 bits, offset 0');
  t.is(Number(h.readBigUInt64LE(44)), 0xfed0_0000);
  t.is(h[52], 0, 'HPET number');
  t.is(h.readUInt16LE(53), 128, 'minimum tick');
  t.is(h[55], 0, 'no page protection promised');
  const rsdt = table(l, l.tables.RSDT);
  t.deepEqual([rsdt.readUInt32LE(36), rsdt.readUInt32LE(40), rsdt.readUInt32LE(44)], [l.tables.FACP, l.tables.APIC, addr]);
  const xsdt = table(l, l.tables.XSDT);
  t.is(Number(xsdt.readBigUInt64LE(52)), addr);
  t.is(sumBytes(rsdt), 0);
  t.is(sumBytes(xsdt), 0);
});

test('DSDT: \\_SB.HPET with _HID PNP0103 and Memory32Fixed 0xFED00000 length 0x400', (t) => {
  const dsdt = (hpet: boolean): Buffer => {
    const l = buildPcAcpiTables(1, { s3: true, hpet });
    return table(l, l.tables.DSDT);
  };
  const id = eisaIdValue('PNP0103');
  const hid = [0x08, ...Buffer.from('_HID'), 0x0c, id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24];
  const memory32Fixed = [0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0xd0, 0xfe, 0x00, 0x04, 0x00, 0x00];
  const on = dsdt(true);
  t.true(contains(on, [...Buffer.from('HPET')]));
  t.true(contains(on, hid));
  t.true(contains(on, memory32Fixed));
  t.is(sumBytes(on), 0);
  const off = dsdt(false);
  t.false(contains(off, hid));
  t.false(contains(off, memory32Fixed));
});

test('hpet=off: no HPET table, the RSDT lists the FADT and MADT only', (t) => {
  const l = buildPcAcpiTables(1, { s3: true, hpet: false });
  t.is(l.tables.HPET, undefined);
  t.is(table(l, l.tables.RSDT).length, 36 + 8);
});
