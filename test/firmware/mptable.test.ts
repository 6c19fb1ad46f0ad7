import test from 'ava';
import { buildPcMpTables } from '../../lib/machine/firmware/pc-acpi.js';
import { sumBytes } from '../../lib/machine/firmware/acpi-table.js';

test('MP tables: floating pointer and configuration table checksums, entries in spec order', (t) => {
  const b = Buffer.from(buildPcMpTables(2));
  t.is(b.toString('latin1', 0, 4), '_MP_');
  t.is(sumBytes(b, 0, 16), 0, 'floating pointer checksum');
  t.deepEqual([b[8], b[9], b[11]], [1, 4, 0], 'length 1, revision 1.4, configuration table present');
  t.is(b.readUInt32LE(4), 0xf0000 + 16);
  const c = b.subarray(16);
  const length = c.readUInt16LE(4);
  t.is(c.toString('latin1', 0, 4), 'PCMP');
  t.is(sumBytes(c, 0, length), 0, 'configuration table checksum');
  t.is(c.readUInt32LE(36), 0xfee0_0000);
  const count = c.readUInt16LE(34);
  const types: number[] = [];
  let at = 44;
  const io: Array<{ type: number; flags: number; bus: number; irq: number; pin: number }> = [];
  for (let i = 0; i < count; i++) {
    const type = c[at]!;
    types.push(type);
    if (type === 0) {
      t.is(c[at + 3]! & 1, 1, 'processor enabled');
      t.is(c[at + 3]! & 2, i === 0 ? 2 : 0, 'first processor is the BSP');
    }
    if (type === 3) io.push({ type: c[at + 1]!, flags: c.readUInt16LE(at + 2), bus: c[at + 4]!, irq: c[at + 5]!, pin: c[at + 7]! });
    at += type === 0 ? 20 : 8;
  }
  t.is(at, length, 'entries fill the table exactly');
  t.deepEqual([...new Set(types)], [0, 1, 2, 3, 4], 'processors, buses, IOAPIC, I/O interrupts, local interrupts');
  t.is(types.filter((x) => x === 0).length, 2);
  const isa = (irq: number) => io.find((e) => e.bus === 1 && e.irq === irq && e.type === 0);
  t.is(isa(0)?.pin, 2, 'IRQ 0 on pin 2');
  t.is(isa(9)?.flags, 0xd, 'SCI level, active high');
  t.is(isa(2), undefined);
  t.truthy(io.find((e) => e.type === 3 && e.pin === 0), 'the 8259 as ExtINT on pin 0');
  t.is(io.find((e) => e.bus === 0 && e.irq === ((1 << 2) | 0))?.pin, 10, 'slot 1 INTA# -> GSI 10');
  t.is(io.filter((e) => e.bus === 0).length, 128);
});
