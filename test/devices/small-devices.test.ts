import test from 'ava';
import { debugExitStatus, IsaDebugExit } from '../../lib/devices/isa-debug-exit.js';
import { PcTestdev } from '../../lib/devices/pc-testdev.js';
import { Port80 } from '../../lib/devices/port80.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { MmioBus } from '../../lib/machine/mmio-bus.js';
import { PioBus } from '../../lib/machine/pio-bus.js';

test('isa-debug-exit maps v to (v << 1) | 1', (t) => {
  const statuses: number[] = [];
  const dev = new IsaDebugExit((s) => statuses.push(s));
  dev.pioWrite(0, 1, 0);
  dev.pioWrite(0, 1, 1);
  dev.pioWrite(0, 4, 0x7f);
  t.deepEqual(statuses, [1, 3, 0xff]);
  t.is(debugExitStatus(0xffffffff), 0x1ffffffff);
});

test('port 0x80 remembers the last POST code', (t) => {
  const p = new Port80();
  p.pioWrite(0, 1, 0x55);
  p.pioWrite(0, 1, 0x1aa);
  t.is(p.pioRead(0, 1), 0xaa);
  t.is(p.writes, 2);
});

function testdev() {
  const pio = new PioBus();
  const mmio = new MmioBus();
  const irqs = new IrqLines(24);
  const flushed: number[] = [];
  const dev = new PcTestdev(irqs, (p) => flushed.push(p));
  dev.attach(pio, mmio);
  return { pio, mmio, irqs, flushed, dev };
}

test('pc-testdev scratch port: any width at any offset, byte view at 0xe8', (t) => {
  const { pio } = testdev();
  pio.write(0xe0, 4, 0x12345678);
  t.is(pio.read(0xe0, 4), 0x12345678);
  t.is(pio.read(0xe1, 1), 0x56);
  t.is(pio.read(0xe2, 2), 0x1234);
  pio.write(0xe3, 1, 0xab);
  t.is(pio.read(0xe0, 4), 0xab345678);
  t.is(pio.read(0xe8, 1), 0x78);
  t.is(pio.read(0xeb, 1), 0xab);
  pio.write(0xe9, 1, 0x00);
  t.is(pio.read(0xe0, 4), 0xab340078);
  t.is(pio.read(0xe8, 4), 0xab340078, 'wide access to the byte port is split into bytes');
});

test('pc-testdev flush-page port and IRQ lines', (t) => {
  const { pio, irqs, flushed } = testdev();
  pio.write(0xe4, 4, 0x00123456);
  t.deepEqual(flushed, [0x00123000]);
  pio.write(0x2000 + 10, 1, 1);
  t.true(irqs.line(10).level);
  t.is(pio.read(0x200a, 1), 1);
  pio.write(0x2000 + 10, 1, 0);
  t.false(irqs.line(10).level);
  t.is(irqs.line(10).risingEdges, 1);
  t.is(pio.read(0x2018, 1), 0xff, 'only 24 lines are claimed');
});

test('pc-testdev iomem behaves as memory', (t) => {
  const { mmio } = testdev();
  mmio.write(0xff000100, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 8);
  const data = new Uint8Array(16);
  mmio.read(0xff000102, data, 4);
  t.deepEqual([...data.subarray(0, 4)], [3, 4, 5, 6]);
  mmio.read(0xff00fffe, data, 4);
  t.deepEqual([...data.subarray(0, 4)], [0, 0, 0xff, 0xff]);
});
