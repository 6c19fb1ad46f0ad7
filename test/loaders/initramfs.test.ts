import test from 'ava';
import { buildTestInitramfs, CPIO_TRAILER, LINUX_TEST_MARKER, writeNewcCpio } from '../../lib/machine/initramfs.js';

interface Parsed {
  name: string;
  mode: number;
  size: number;
  rdev: [number, number];
  data: Buffer;
  headerAt: number;
}

/** A reader written from the newc description, to check the writer's output field by field. */
function parseNewc(buf: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  for (;;) {
    const headerAt = at;
    if (buf.toString('latin1', at, at + 6) !== '070701') throw new Error(`bad magic at ${at}`);
    const field = (i: number): number => parseInt(buf.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const rdev: [number, number] = [field(9), field(10)];
    const name = buf.toString('latin1', at + 110, at + 110 + nameSize - 1);
    if (buf[at + 110 + nameSize - 1] !== 0) throw new Error('name not NUL-terminated');
    at += 110 + nameSize;
    at += (4 - (at % 4)) % 4;
    const data = buf.subarray(at, at + size);
    at += size;
    at += (4 - (at % 4)) % 4;
    out.push({ name, mode, size, rdev, data, headerAt });
    if (name === CPIO_TRAILER) break;
  }
  if (at !== buf.length) throw new Error('bytes after the trailer');
  return out;
}

test('newc cpio: headers, 4-byte padding of names and data, modes, symlinks, device nodes, trailer', (t) => {
  const cpio = Buffer.from(writeNewcCpio([
    { type: 'dir', path: '/bin' },
    { type: 'file', path: 'bin/x', data: Buffer.from('hello'), mode: 0o755 },
    { type: 'symlink', path: 'bin/y', target: 'x' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
  ]));
  t.is(cpio.toString('latin1', 0, 6), '070701');
  const e = parseNewc(cpio);
  t.deepEqual(e.map((x) => x.name), ['bin', 'bin/x', 'bin/y', 'dev/console', 'TRAILER!!!']);
  t.deepEqual(e.map((x) => x.mode.toString(8)), ['40755', '100755', '120777', '20600', '0']);
  t.is(e[1]!.data.toString(), 'hello');
  t.is(e[2]!.data.toString(), 'x');
  t.deepEqual(e[3]!.rdev, [5, 1]);
  for (const x of e) t.is(x.headerAt % 4, 0, `${x.name} header is 4-byte aligned`);
  t.throws(() => writeNewcCpio([{ type: 'dir', path: '../escape' }]));
});

test('test initramfs: busybox, /init that prints the marker and powers off', (t) => {
  const busybox = Buffer.from('\x7fELF fake busybox');
  const e = parseNewc(Buffer.from(buildTestInitramfs(busybox)));
  const byName = new Map(e.map((x) => [x.name, x]));
  t.deepEqual(byName.get('bin/busybox')!.data, busybox);
  t.is(byName.get('bin/sh')!.data.toString(), 'busybox');
  const init = byName.get('init')!;
  t.is(init.mode, 0o100755);
  t.true(init.data.toString().startsWith('#!/bin/busybox sh\n'));
  t.true(init.data.toString().includes(`echo ${LINUX_TEST_MARKER}`));
  t.true(init.data.toString().includes('poweroff -f'));
  t.deepEqual(byName.get('dev/console')!.rdev, [5, 1]);
});
