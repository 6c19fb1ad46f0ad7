import test from 'ava';
import { FW_CFG_FILE_DIR, FW_CFG_FILE_FIRST, FwCfg } from '../../lib/devices/fw-cfg.js';
import { e820Map, encodeE820Table } from '../../lib/machine/e820.js';
import { PioBus } from '../../lib/machine/pio-bus.js';

function setup() {
  const pio = new PioBus();
  const fw = new FwCfg({ ramBytes: 128 << 20, cpus: 1, files: [{ name: 'etc/e820', data: encodeE820Table(e820Map(128 << 20)) }] });
  fw.attach(pio);
  const read = (key: number, n: number): number[] => {
    pio.write(0x510, 2, key);
    return Array.from({ length: n }, () => pio.read(0x511, 1));
  };
  return { pio, read };
}

test('signature, ID, RAM size, CPU count', (t) => {
  const { read } = setup();
  t.is(Buffer.from(read(0x0000, 4)).toString(), 'QEMU');
  t.deepEqual(read(0x0001, 4), [1, 0, 0, 0]);
  t.is(Buffer.from(read(0x0003, 8)).readBigUInt64LE(), 128n << 20n);
  t.deepEqual(read(0x0005, 2), [1, 0]);
  t.deepEqual(read(0x0000, 6), [0x51, 0x45, 0x4d, 0x55, 0, 0], 'reads past the end return 0');
  t.deepEqual(read(0x7777, 3), [0, 0, 0], 'unknown keys read 0');
});

test('file directory and etc/e820 in QEMU format', (t) => {
  const { read } = setup();
  const dir = Buffer.from(read(FW_CFG_FILE_DIR, 4 + 64));
  t.is(dir.readUInt32BE(0), 1);
  t.is(dir.readUInt32BE(4), 3 * 20);
  t.is(dir.readUInt16BE(8), FW_CFG_FILE_FIRST);
  t.is(dir.subarray(12, 12 + 8).toString(), 'etc/e820');
  t.is(dir[20], 0);
  const e820 = Buffer.from(read(FW_CFG_FILE_FIRST, 60));
  const entries = [0, 1, 2].map((i) => [Number(e820.readBigUInt64LE(i * 20)), Number(e820.readBigUInt64LE(i * 20 + 8)), e820.readUInt32LE(i * 20 + 16)]);
  t.deepEqual(entries, [
    [0, 0xa0000, 1],
    [0xa0000, 0x60000, 2],
    [0x100000, (128 << 20) - 0x100000, 1],
  ]);
});

test('re-selecting resets the offset; data writes are ignored', (t) => {
  const { pio, read } = setup();
  read(0, 2);
  pio.write(0x511, 1, 0x99);
  t.is(Buffer.from(read(0, 4)).toString(), 'QEMU');
});
