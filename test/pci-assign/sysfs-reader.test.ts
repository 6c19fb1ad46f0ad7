/** The pure parts of the sysfs reader: addresses, the `resource` file, the capability list walk. */
import test from 'ava';
import { canonicalHostPciAddress, parseHostPciAddress } from '../../lib/devices/pci/assigned/host-address.js';
import { capabilityList } from '../../lib/devices/pci/assigned/capability-list.js';
import { IORESOURCE_IO, IORESOURCE_MEM, IORESOURCE_MEM_64, parseResourceFile } from '../../lib/devices/pci/assigned/sysfs-device.js';

test('host addresses: [DDDD:]BB:DD.F, hex, device 0..1f, function 0..7', (t) => {
  t.deepEqual(parseHostPciAddress('04:08.0'), { domain: 0, bus: 4, device: 8, fn: 0 });
  t.deepEqual(parseHostPciAddress('10DE:a1:1f.7'), { domain: 0x10de, bus: 0xa1, device: 0x1f, fn: 7 });
  t.is(canonicalHostPciAddress('4:8.1'), '0000:04:08.1');
  for (const bad of ['04:08', '04:20.0', '04:08.8', '0:0:0:0.0', '12345:00:00.0', 'xx:00.0', ' 04:08.0', '04:08.0,']) {
    t.is(parseHostPciAddress(bad), undefined, bad);
  }
});

test('resource file: BARs 0-5 and the ROM; unused lines and bridge windows are left out', (t) => {
  const zero = '0x0000000000000000 0x0000000000000000 0x0000000000000000';
  const text = [
    '0x00000000fe000000 0x00000000fe003fff 0x0000000000040200',
    '0x000000000000c040 0x000000000000c05f 0x0000000000040101',
    '0x0000004000000000 0x000000400007ffff 0x0000000000140204',
    zero, zero, zero,
    '0x00000000fea00000 0x00000000fea3ffff 0x0000000000046200',
    '0x00000000fd000000 0x00000000fdffffff 0x0000000000000200', // a bridge window: not a BAR
  ].join('\n');
  const r = parseResourceFile(text);
  t.is(r.length, 7);
  t.deepEqual(r[0], { index: 0, start: 0xfe000000n, size: 0x4000, flags: 0x40200 });
  t.is(r[1]!.size, 32);
  t.true((r[1]!.flags & IORESOURCE_IO) !== 0);
  t.true((r[2]!.flags & IORESOURCE_MEM_64) !== 0 && (r[2]!.flags & IORESOURCE_MEM) !== 0);
  t.is(r[2]!.start, 0x4000000000n);
  t.deepEqual(r.slice(3, 6), [undefined, undefined, undefined]);
  t.is(r[6]!.size, 0x40000);
});

test('capability list: follows next pointers, stops at a loop, a pointer into the header, or without the status bit', (t) => {
  const c = new Uint8Array(256);
  c[0x06] = 0x10;
  c[0x34] = 0x43; // low bits are reserved: 0x40
  c.set([0x01, 0x50], 0x40);
  c.set([0x05, 0x40], 0x50); // loops back to 0x40
  t.deepEqual(capabilityList(c), [{ id: 1, offset: 0x40 }, { id: 5, offset: 0x50 }]);
  c[0x51] = 0x20; // into the header: the list ends
  t.deepEqual(capabilityList(c).map((e) => e.offset), [0x40, 0x50]);
  c[0x06] = 0;
  t.deepEqual(capabilityList(c), [], 'no capability list without status bit 4');
  t.deepEqual(capabilityList(c.subarray(0, 64)), [], 'only the header readable (no CAP_SYS_ADMIN)');
});
