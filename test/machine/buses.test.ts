import test from 'ava';
import type { MmioDevice, PioDevice } from '../../lib/machine/bus-device.js';
import { BusConflictError } from '../../lib/machine/errors.js';
import { MmioBus } from '../../lib/machine/mmio-bus.js';
import { PioBus } from '../../lib/machine/pio-bus.js';

function recordingPio(name: string): PioDevice & { log: string[] } {
  const log: string[] = [];
  return {
    name,
    log,
    pioRead: (offset, size) => {
      log.push(`r ${offset} ${size}`);
      return 0x40 + offset;
    },
    pioWrite: (offset, size, value) => {
      log.push(`w ${offset} ${size} ${value.toString(16)}`);
    },
  };
}

test('pio bus dispatches with offsets relative to the range base', (t) => {
  const bus = new PioBus();
  const dev = recordingPio('dev');
  bus.register(0x3f8, 8, dev);
  t.is(bus.read(0x3fd, 1), 0x45);
  bus.write(0x3f8, 2, 0xbeef);
  t.deepEqual(dev.log, ['r 5 1', 'w 0 2 beef']);
  t.is(bus.deviceAt(0x3ff), dev);
  t.is(bus.deviceAt(0x400), undefined);
});

test('pio bus rejects overlapping ranges with both names', (t) => {
  const bus = new PioBus();
  bus.register(0x3f8, 8, recordingPio('uart'));
  const err = t.throws(() => bus.register(0x3fc, 2, recordingPio('other')), { instanceOf: BusConflictError });
  t.regex(err!.message, /other: ports 0x3fc-0x3fd overlap uart at 0x3f8-0x3ff/);
  // adjacent ranges are fine
  bus.register(0x3f0, 8, recordingPio('left'));
  bus.register(0x400, 1, recordingPio('right'));
  t.deepEqual(bus.list().map((r) => r.name), ['left', 'uart', 'right']);
  t.throws(() => bus.register(0xfffe, 4, recordingPio('past-end')), { instanceOf: BusConflictError });
});

test('unclaimed ports read all-ones and drop writes', (t) => {
  const bus = new PioBus();
  t.is(bus.read(0x1234, 1), 0xff);
  t.is(bus.read(0x1234, 2), 0xffff);
  t.is(bus.read(0x1234, 4), 0xffffffff);
  t.notThrows(() => bus.write(0x1234, 4, 1));
});

test('mmio bus finds ranges by binary search and passes offsets', (t) => {
  const bus = new MmioBus();
  const seen: string[] = [];
  const mk = (name: string): MmioDevice => ({
    name,
    mmioRead: (offset, data, length) => {
      seen.push(`${name} r ${offset.toString(16)} ${length}`);
      data.fill(0xab, 0, length);
    },
    mmioWrite: (offset, data, length) => {
      seen.push(`${name} w ${offset.toString(16)} ${[...data.subarray(0, length)].join(',')}`);
    },
  });
  bus.register(0xfee00000, 0x1000, mk('lapic'));
  bus.register(0xfec00000, 0x1000, mk('ioapic'));
  bus.register(0xff000000, 0x10000, mk('testdev'));
  const data = new Uint8Array(16);
  bus.read(0xfec00010, data, 4);
  t.deepEqual([...data.subarray(0, 4)], [0xab, 0xab, 0xab, 0xab]);
  bus.write(0xff00fff0, Uint8Array.of(1, 2), 2);
  bus.read(0xfee00300, data, 8);
  t.deepEqual(seen, ['ioapic r 10 4', 'testdev w fff0 1,2', 'lapic r 300 8']);
  t.throws(() => bus.register(0xfec00800, 0x1000, mk('clash')), { instanceOf: BusConflictError, message: /clash: MMIO 0xfec00800\+0x1000 overlaps ioapic/ });
  // unclaimed
  data.fill(0);
  bus.read(0x1000_0000, data, 4);
  t.deepEqual([...data.subarray(0, 5)], [0xff, 0xff, 0xff, 0xff, 0]);
});
