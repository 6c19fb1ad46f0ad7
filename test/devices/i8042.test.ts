import test from 'ava';
import { I8042 } from '../../lib/devices/i8042.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { PioBus } from '../../lib/machine/pio-bus.js';

function setup() {
  const pio = new PioBus();
  const irqs = new IrqLines(24);
  let resets = 0;
  const kbc = new I8042(irqs.line(1), irqs.line(12), () => resets++);
  kbc.attach(pio);
  return { pio, kbc, irqs, resets: () => resets };
}

test('self-test, interface tests and the status register', (t) => {
  const { pio } = setup();
  t.is(pio.read(0x64, 1) & 0x01, 0, 'output buffer empty');
  pio.write(0x64, 1, 0xaa);
  t.is(pio.read(0x64, 1) & 0x0d, 0x0d, 'OBF, system flag, last write was a command');
  t.is(pio.read(0x60, 1), 0x55);
  pio.write(0x64, 1, 0xab);
  t.is(pio.read(0x60, 1), 0x00);
  pio.write(0x64, 1, 0xa9);
  t.is(pio.read(0x60, 1), 0x00);
  t.is(pio.read(0x64, 1) & 0x01, 0);
});

test('read and write the command byte; keyboard IRQ follows OBF when enabled', (t) => {
  const { pio, irqs } = setup();
  pio.write(0x64, 1, 0x20);
  t.true(irqs.line(1).level, 'command byte 0x45 enables IRQ 1');
  t.is(pio.read(0x60, 1), 0x45);
  t.false(irqs.line(1).level);
  pio.write(0x64, 1, 0x60);
  pio.write(0x60, 1, 0x44);
  pio.write(0x64, 1, 0x20);
  t.false(irqs.line(1).level, 'IRQ disabled');
  t.is(pio.read(0x60, 1), 0x44);
});

test('keyboard commands are acknowledged; reset answers 0xAA, identify 0xAB 0x83', (t) => {
  const { pio } = setup();
  pio.write(0x60, 1, 0xff);
  t.deepEqual([pio.read(0x60, 1), pio.read(0x60, 1)], [0xfa, 0xaa]);
  pio.write(0x60, 1, 0xf2);
  t.deepEqual([pio.read(0x60, 1), pio.read(0x60, 1), pio.read(0x60, 1)], [0xfa, 0xab, 0x83]);
  pio.write(0x60, 1, 0xed);
  pio.write(0x60, 1, 0x07);
  t.deepEqual([pio.read(0x60, 1), pio.read(0x60, 1)], [0xfa, 0xfa]);
});

test('aux loopback sets the aux data bit and IRQ 12 when enabled; no mouse answers with a timeout', (t) => {
  const { pio, irqs } = setup();
  pio.write(0x64, 1, 0x60);
  pio.write(0x60, 1, 0x47);
  pio.write(0x64, 1, 0xd3);
  pio.write(0x60, 1, 0x5a);
  t.is(pio.read(0x64, 1) & 0x21, 0x21);
  t.true(irqs.line(12).level);
  t.is(pio.read(0x60, 1), 0x5a);
  pio.write(0x64, 1, 0xd4);
  pio.write(0x60, 1, 0xf2);
  t.is(pio.read(0x64, 1) & 0x40, 0x40, 'timeout');
  t.is(pio.read(0x60, 1), 0xfe);
});

test('0xFE pulses the reset line; so does writing the output port with bit 0 clear', (t) => {
  const { pio, resets } = setup();
  pio.write(0x64, 1, 0xff);
  t.is(resets(), 0, '0xFF pulses nothing');
  pio.write(0x64, 1, 0xfe);
  t.is(resets(), 1);
  pio.write(0x64, 1, 0xd0);
  t.is(pio.read(0x60, 1) & 0x03, 0x03, 'reset line high, A20 on');
  pio.write(0x64, 1, 0xd1);
  pio.write(0x60, 1, 0x02);
  t.is(resets(), 2);
});
