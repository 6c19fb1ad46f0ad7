import test from 'ava';
import { buildAcpiTables, type AcpiParams } from '../../lib/machine/firmware/acpi.js';
import { sumBytes } from '../../lib/machine/firmware/acpi-table.js';
import { intxGsi } from '../../lib/devices/pci/intx-routing.js';

const params: AcpiParams = {
  madt: {
    localApicAddress: 0xfee0_0000,
    apicIds: [0, 1],
    ioApicId: 0,
    ioApicAddress: 0xfec0_0000,
    overrides: [
      { irq: 0, gsi: 2, flags: 0 },
      { irq: 9, gsi: 9, flags: 0xd },
    ],
  },
  fadt: { sciIrq: 9, pm1aEventBlock: 0x600, pm1aControlBlock: 0x604, pmTimerBlock: 0x608, gpe0Block: 0x620, gpe0BlockLength: 4, pmTimer32Bit: false, resetPort: 0xcf9, resetValue: 6, centuryIndex: 0x32 },
  dsdt: { pci: { mmioBase: 0xe000_0000, mmioEnd: 0xfec0_0000, configPort: 0xcf8, configPortCount: 8, intxGsi, slots: 32, hotplug: { registers: 0x630, gpe: 1, slots: [1, 2, 31] } }, s5SleepType: 0 },
};

function at(layout: ReturnType<typeof buildAcpiTables>, addr: number, len: number): Buffer {
  return Buffer.from(layout.bytes.subarray(addr - layout.base, addr - layout.base + len));
}

test('RSDP v2 points at RSDT and XSDT; every checksum sums to zero', (t) => {
  const l = buildAcpiTables(0xe0000, params);
  const r = at(l, l.rsdpAddress, 36);
  t.is(r.toString('latin1', 0, 8), 'RSD PTR ');
  t.is(r[15], 2);
  t.is(sumBytes(r, 0, 20), 0);
  t.is(sumBytes(r, 0, 36), 0);
  t.is(r.readUInt32LE(16), l.tables.RSDT);
  t.is(Number(r.readBigUInt64LE(24)), l.tables.XSDT);
  for (const sig of ['RSDT', 'XSDT', 'FACP', 'APIC', 'DSDT'] as const) {
    const addr = l.tables[sig];
    const len = at(l, addr, 8).readUInt32LE(4);
    t.is(at(l, addr, 4).toString('latin1'), sig === 'FACP' ? 'FACP' : sig);
    t.is(sumBytes(at(l, addr, len)), 0, `${sig} checksum`);
  }
  const rsdt = at(l, l.tables.RSDT, 44);
  t.deepEqual([rsdt.readUInt32LE(36), rsdt.readUInt32LE(40)], [l.tables.FACP, l.tables.APIC]);
  const xsdt = at(l, l.tables.XSDT, 52);
  t.deepEqual([Number(xsdt.readBigUInt64LE(36)), Number(xsdt.readBigUInt64LE(44))], [l.tables.FACP, l.tables.APIC]);
  t.is(l.tables.FACS % 64, 0);
  t.is(at(l, l.tables.FACS, 4).toString('latin1'), 'FACS');
});

test('MADT: one LAPIC per vCPU, the IOAPIC, overrides', (t) => {
  const l = buildAcpiTables(0xe0000, params);
  const m = at(l, l.tables.APIC, at(l, l.tables.APIC, 8).readUInt32LE(4));
  t.is(m.readUInt32LE(36), 0xfee0_0000);
  t.is(m.readUInt32LE(40), 1, 'PCAT_COMPAT');
  const entries: Array<{ type: number; data: Buffer }> = [];
  for (let off = 44; off < m.length; off += m[off + 1]!) entries.push({ type: m[off]!, data: m.subarray(off, off + m[off + 1]!) });
  t.deepEqual(entries.map((e) => e.type), [0, 0, 1, 2, 2]);
  t.deepEqual([...entries[1]!.data], [0, 8, 1, 1, 1, 0, 0, 0]);
  t.is(entries[2]!.data.readUInt32LE(4), 0xfec0_0000);
  t.deepEqual([entries[3]!.data[3], entries[3]!.data.readUInt32LE(4), entries[3]!.data.readUInt16LE(8)], [0, 2, 0]);
  t.deepEqual([entries[4]!.data[3], entries[4]!.data.readUInt32LE(4), entries[4]!.data.readUInt16LE(8)], [9, 9, 0xd]);
});

test('FADT: PM blocks, SCI, reset register, DSDT/FACS pointers', (t) => {
  const l = buildAcpiTables(0xe0000, params);
  const f = at(l, l.tables.FACP, 244);
  t.is(f.readUInt32LE(4), 244);
  t.is(f[8], 3);
  t.is(f.readUInt32LE(36), l.tables.FACS);
  t.is(f.readUInt32LE(40), l.tables.DSDT);
  t.is(f.readUInt16LE(46), 9);
  t.is(f.readUInt32LE(48), 0, 'no SMI command port');
  t.is(f.readUInt32LE(56), 0x600);
  t.is(f.readUInt32LE(64), 0x604);
  t.is(f.readUInt32LE(76), 0x608);
  t.deepEqual([f[88], f[89], f[91]], [4, 2, 4]);
  t.is(f.readUInt32LE(112) & (1 << 10), 1 << 10, 'RESET_REG_SUP');
  t.is(f.readUInt32LE(112) & (1 << 8), 0, '24-bit PM timer');
  t.deepEqual([f[116], f[117], f[119]], [1, 8, 1], 'reset register: system I/O, 8 bits, byte access');
  t.is(Number(f.readBigUInt64LE(120)), 0xcf9);
  t.is(f[128], 6);
  t.is(Number(f.readBigUInt64LE(140)), l.tables.DSDT);
  t.is(Number(f.readBigUInt64LE(172 + 4)), 0x604);
  t.is(f.readUInt32LE(80), 0x620, 'GPE0_BLK');
  t.is(f[92], 4, 'GPE0_BLK_LEN');
  t.deepEqual([f[220], f[221]], [1, 32], 'X_GPE0_BLK: system I/O, 32 bits');
  t.is(Number(f.readBigUInt64LE(220 + 4)), 0x620);
});

test('DSDT: ACPI PCI hotplug slots with _ADR/_SUN/_EJ0, the register fields and \\_GPE._E01', (t) => {
  const l = buildAcpiTables(0xe0000, params);
  const len = at(l, l.tables.DSDT, 8).readUInt32LE(4);
  const d = at(l, l.tables.DSDT, len);
  const has = (seq: number[]): boolean => d.indexOf(Buffer.from(seq)) >= 0;
  // OperationRegion(PCHP, SystemIO, 0x630, 16)
  t.true(has([0x5b, 0x80, ...Buffer.from('PCHP'), 0x01, 0x0b, 0x30, 0x06, 0x0a, 0x10]));
  // Field(PCHP, DWordAcc, NoLock, Preserve) { PCIU, 32, PCID, 32, PCEJ, 32, PCHS, 32 }
  t.true(has([...Buffer.from('PCHP'), 0x03, ...Buffer.from('PCIU'), 32, ...Buffer.from('PCID'), 32, ...Buffer.from('PCEJ'), 32, ...Buffer.from('PCHS'), 32]));
  // Device(S1F) { Name(_ADR, 0x1F0000) Name(_SUN, 31) Method(_EJ0, 1) { Store(0x80000000, PCEJ) } }
  t.true(has([...Buffer.from('S1F_'), 0x08, ...Buffer.from('_ADR'), 0x0c, 0x00, 0x00, 0x1f, 0x00, 0x08, ...Buffer.from('_SUN'), 0x0a, 31]));
  t.true(has([...Buffer.from('_EJ0'), 0x01, 0x70, 0x0c, 0x00, 0x00, 0x00, 0x80, ...Buffer.from('PCEJ')]));
  // If (And(Local1, 4)) { Notify(S02, 3) }
  t.true(has([0xa0, 0x0d, 0x7b, 0x61, 0x0a, 0x04, 0x00, 0x86, ...Buffer.from('S02_'), 0x0a, 0x03]));
  // Scope(\_GPE) { Method(_E01) { \_SB.PCI0.PCNT } }
  t.true(has([0x5c, ...Buffer.from('_GPE')]));
  t.true(has([...Buffer.from('_E01'), 0x00, 0x5c, 0x2f, 0x03, ...Buffer.from('_SB_PCI0PCNT')]));
  t.false(has([...Buffer.from('S03_')]), 'only the slots asked for');
});

test('DSDT holds the PCI root bridge, _PRT and _S5', (t) => {
  const l = buildAcpiTables(0xe0000, params);
  const len = at(l, l.tables.DSDT, 8).readUInt32LE(4);
  const d = at(l, l.tables.DSDT, len);
  const has = (seq: number[]): boolean => d.indexOf(Buffer.from(seq)) >= 0;
  t.true(has([0x08, ...Buffer.from('_HID'), 0x0c, 0x41, 0xd0, 0x0a, 0x03]), 'Name(_HID, EISAID("PNP0A03"))');
  t.true(has([0x5b, 0x82]), 'a Device');
  t.true(has([...Buffer.from('PCI0')]));
  t.true(has([0x08, 0x5c, ...Buffer.from('_S5_'), 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00]), 'Name(\\_S5, Package(){0,0,0,0})');
  // _PRT entry for slot 3 pin INTA: Package(){0x3FFFF, 0, 0, 11}
  t.true(has([0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x03, 0x00, 0x00, 0x00, 0x0a, 11]));
  t.true(has([0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08]), 'config ports in _CRS');
});

test('DSDT offers \\_S3 only when asked (s3SleepType): PIIX4_PM.disable_s3 leaves it out', (t) => {
  const dsdtOf = (p: AcpiParams): Buffer => {
    const l = buildAcpiTables(0xe0000, p);
    return at(l, l.tables.DSDT, at(l, l.tables.DSDT, 8).readUInt32LE(4));
  };
  const s3 = Buffer.from([0x08, 0x5c, ...Buffer.from('_S3_'), 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00]);
  t.true(dsdtOf({ ...params, dsdt: { ...params.dsdt, s3SleepType: 1 } }).includes(s3), 'Name(\\_S3, Package(){1,1,0,0})');
  t.false(dsdtOf(params).includes(Buffer.from('_S3_')));
});
