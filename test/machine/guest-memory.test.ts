import test from 'ava';
import { GuestMemory, GuestMemoryError } from '../../lib/machine/guest-memory.js';

test('guest memory accesses are bounds-checked and writes invalidate code', (t) => {
  const invalidated: Array<[number, number]> = [];
  const mem = new GuestMemory(new Uint8Array(0x2000), (gpa, len) => invalidated.push([gpa, len]));
  mem.writeU32(0x100, 0xdeadbeef);
  t.is(mem.readU32(0x100), 0xdeadbeef);
  t.is(mem.readU16(0x102), 0xdead);
  mem.writeU64(0x1ff8, -1n);
  t.is(mem.readU64(0x1ff8), 0xffffffffffffffffn);
  mem.write(0x10, Uint8Array.of(1, 2, 3));
  t.deepEqual([...mem.read(0x10, 3)], [1, 2, 3]);
  t.deepEqual(invalidated, [[0x100, 4], [0x1ff8, 8], [0x10, 3]]);
  t.throws(() => mem.readU32(0x1ffe), { instanceOf: GuestMemoryError, message: /0x1ffe\+0x4 is outside guest RAM \(0x2000 bytes\)/ });
  t.throws(() => mem.write(-1, Uint8Array.of(0)), { instanceOf: GuestMemoryError });
  t.throws(() => mem.read(0, 0x2001), { instanceOf: GuestMemoryError });
  t.is(mem.subarray(0x1000, 0x1000).length, 0x1000);
});
