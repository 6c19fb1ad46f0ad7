import test from 'ava';
import { I8254Pit, PIT_CATCH_UP_GAP_NS, PIT_HZ } from '../../lib/devices/i8254-pit.js';
import * as abi from '../../lib/hypervisor/abi.generated.js';
import { Clock } from '../../lib/machine/clock.js';
import { SystemControlPort } from '../../lib/devices/system-control-port.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { PioBus } from '../../lib/machine/pio-bus.js';
import { testClock } from './device-clock.js';

const TICK = 1e9 / PIT_HZ;

function setup() {
  const { clock, advance, skip } = testClock();
  const pio = new PioBus();
  const irqs = new IrqLines(24);
  const pit = new I8254Pit(clock, irqs.line(0));
  pit.attach(pio);
  const port61 = new SystemControlPort(pit, clock);
  port61.attach(pio);
  return { clock, advance, skip, pio, pit, irq0: irqs.line(0) };
}

function readCount(pio: PioBus, ch: number): number {
  pio.write(0x43, 1, ch << 6); // latch
  return pio.read(0x40 + ch, 1) | (pio.read(0x40 + ch, 1) << 8);
}

test('mode 2 rate generator: one IRQ0 edge per period, count reloads', (t) => {
  const { advance, pio, irq0 } = setup();
  pio.write(0x43, 1, 0x34); // ch0, lo/hi, mode 2
  pio.write(0x40, 1, 1193 & 0xff);
  pio.write(0x40, 1, 1193 >> 8); // ~1 kHz
  t.is(irq0.risingEdges, 0);
  advance(100 * TICK);
  t.is(readCount(pio, 0), 1193 - 100);
  advance(10_000_000); // 10 ms
  t.is(irq0.risingEdges, 10);
  advance(90_000_000);
  t.is(irq0.risingEdges, 100);
});

test('mode 3 square wave: rising edge per period, count decrements by two', (t) => {
  const { advance, pio, irq0 } = setup();
  pio.write(0x43, 1, 0x36);
  pio.write(0x40, 1, 0);
  pio.write(0x40, 1, 0x10); // 4096
  advance(10 * TICK);
  t.is(readCount(pio, 0), 4096 - 20);
  advance(4096 * 5 * TICK);
  t.is(irq0.risingEdges, 5);
});

test('mode 0: output low until terminal count, one edge, counter wraps', (t) => {
  const { advance, pio, irq0 } = setup();
  pio.write(0x43, 1, 0x30);
  pio.write(0x40, 1, 100);
  pio.write(0x40, 1, 0);
  advance(99 * TICK);
  t.is(irq0.risingEdges, 0);
  t.false(irq0.level);
  advance(2 * TICK);
  t.is(irq0.risingEdges, 1);
  t.true(irq0.level, 'OUT stays high');
  advance(1000 * TICK);
  t.is(irq0.risingEdges, 1);
  t.is(readCount(pio, 0), (0x10000 + 100 - 1101) & 0xffff, 'wrapped past 0');
  pio.write(0x43, 1, 0x30);
  t.false(irq0.level, 'a new control word drops OUT in mode 0');
});

test('access modes: LSB only, MSB only; BCD counting', (t) => {
  const { advance, pio } = setup();
  pio.write(0x43, 1, 0x50); // ch1, LSB only, mode 0
  pio.write(0x41, 1, 0x80);
  advance(0x10 * TICK);
  t.is(pio.read(0x41, 1), 0x70);
  pio.write(0x43, 1, 0x61); // ch1, MSB only, mode 0, BCD
  pio.write(0x41, 1, 0x12); // 1200 BCD
  advance(5 * TICK);
  t.is(pio.read(0x41, 1), 0x11, 'MSB of BCD 1195');
  pio.write(0x43, 1, 0x71); // lo/hi BCD
  pio.write(0x41, 1, 0x34);
  pio.write(0x41, 1, 0x12); // 1234
  advance(35 * TICK);
  pio.write(0x43, 1, 0x40);
  t.is(pio.read(0x41, 1), 0x99);
  t.is(pio.read(0x41, 1), 0x11, '1199 in BCD');
});

test('latched count stays until read; unlatched reads follow the clock', (t) => {
  const { advance, pio } = setup();
  pio.write(0x43, 1, 0x34);
  pio.write(0x40, 1, 0xff);
  pio.write(0x40, 1, 0xff);
  advance(0x100 * TICK);
  pio.write(0x43, 1, 0x00);
  advance(0x100 * TICK);
  t.is(pio.read(0x40, 1), 0xff);
  t.is(pio.read(0x40, 1), 0xfe, 'the latched 0xfeff');
  t.is(pio.read(0x40, 1) | (pio.read(0x40, 1) << 8), 0xfdff, 'live count');
});

test('read-back: status byte (OUTPUT, NULL COUNT, mode) then count', (t) => {
  const { advance, pio } = setup();
  pio.write(0x43, 1, 0xb0); // ch2, lo/hi, mode 0
  pio.write(0x43, 1, 0xe8); // read-back: status only, ch2
  t.is(pio.read(0x42, 1), 0x40 | 0x30, 'null count, OUT low, lo/hi mode 0');
  pio.write(0x42, 1, 10);
  pio.write(0x42, 1, 0);
  pio.write(0x61, 1, 0x01); // gate on
  advance(20 * TICK);
  pio.write(0x43, 1, 0xe8);
  t.is(pio.read(0x42, 1), 0x80 | 0x30, 'OUT high after terminal count');
  pio.write(0x43, 1, 0xc8); // latch both count and status (bits 5,4 = 0)
  t.is(pio.read(0x42, 1), 0x80 | 0x30);
  t.is(pio.read(0x42, 1), (0x10000 + 10 - 20) & 0xff);
});

test('port 0x61: counter 2 gate and output (the TSC calibration path)', (t) => {
  const { advance, pio } = setup();
  pio.write(0x61, 1, 0x00);
  pio.write(0x43, 1, 0xb0); // ch2 mode 0
  pio.write(0x42, 1, 0xe8);
  pio.write(0x42, 1, 0x03); // 1000
  advance(2000 * TICK);
  t.is(pio.read(0x61, 1) & 0x20, 0, 'gate low: not counting');
  t.is(readCount(pio, 2), 1000);
  pio.write(0x61, 1, 0x01);
  advance(999 * TICK);
  t.is(pio.read(0x61, 1) & 0x21, 0x01, 'counting, OUT low');
  advance(2 * TICK);
  t.is(pio.read(0x61, 1) & 0x21, 0x21, 'terminal count reached');
  t.is(pio.read(0x61, 1) & 0x0f, 0x01, 'written bits read back');
});

test('port 0x61: refresh toggle flips with guest time', (t) => {
  const { advance, pio } = setup();
  const a = pio.read(0x61, 1) & 0x10;
  advance(15_085);
  t.not(pio.read(0x61, 1) & 0x10, a);
});

test('mode 2: a new count takes effect at the end of the period', (t) => {
  const { advance, pio, irq0 } = setup();
  pio.write(0x43, 1, 0x34);
  pio.write(0x40, 1, 100);
  pio.write(0x40, 1, 0);
  advance(50 * TICK);
  pio.write(0x40, 1, 200);
  pio.write(0x40, 1, 0);
  t.is(readCount(pio, 0), 50, 'old period continues');
  advance(51 * TICK);
  t.is(irq0.risingEdges, 1);
  advance(200 * TICK);
  t.is(irq0.risingEdges, 2);
});

test('mode 1 and 5 on counter 2 are triggered by the gate', (t) => {
  const { advance, pio } = setup();
  pio.write(0x43, 1, 0xb2); // ch2 mode 1
  pio.write(0x42, 1, 50);
  pio.write(0x42, 1, 0);
  advance(100 * TICK);
  t.is(pio.read(0x61, 1) & 0x20, 0x20, 'not triggered: OUT high');
  pio.write(0x61, 1, 1);
  advance(10 * TICK);
  t.is(pio.read(0x61, 1) & 0x20, 0, 'triggered: OUT low');
  advance(41 * TICK);
  t.is(pio.read(0x61, 1) & 0x20, 0x20);
});

test('reset stops the counters and timers', (t) => {
  const { advance, pio, pit, irq0, clock } = setup();
  pio.write(0x43, 1, 0x34);
  pio.write(0x40, 1, 100);
  pio.write(0x40, 1, 0);
  pit.reset();
  t.is(clock.nextDeadlineNs(), Infinity);
  advance(1000 * TICK);
  t.is(irq0.risingEdges, 0);
});

test('edges the host was too late to emit are owed and emitted PIT_CATCH_UP_GAP_NS apart', (t) => {
  const { clock, pio, irq0, skip } = setup();
  pio.write(0x43, 1, 0x34);
  pio.write(0x40, 1, 1193 & 0xff);
  pio.write(0x40, 1, 1193 >> 8); // ~1 ms
  // Let guest time run 5.5 ms without running timers, as a descheduled host would.
  skip(5_500_000);
  clock.runExpiredTimers();
  t.is(irq0.risingEdges, 1, 'one edge now');
  t.is(clock.nextDeadlineNs(), clock.nowNs() + PIT_CATCH_UP_GAP_NS, 'the next owed edge follows soon');
  for (let i = 0; i < 4; i++) {
    skip(PIT_CATCH_UP_GAP_NS);
    clock.runExpiredTimers();
  }
  t.is(irq0.risingEdges, 5, 'all five missed edges delivered');
  t.is(clock.nextDeadlineNs(), Math.ceil((6 * 1193 * 1e9) / PIT_HZ), 'back on the regular schedule: the 6th edge');
});


test('real time: an owed edge waits while the previous one is still held in an interrupt controller (no merged, lost tick)', (t) => {
  let hostNs = 1_000_000_000n;
  const clock = new Clock(new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE), { mode: 'realtime' }, () => hostNs);
  const irqs = new IrqLines(24);
  let held = false;
  const pit = new I8254Pit(clock, irqs.line(0), () => held);
  const pio = new PioBus();
  pit.attach(pio);
  const irq0 = irqs.line(0);
  pio.write(0x43, 1, 0x34);
  pio.write(0x40, 1, 1193 & 0xff);
  pio.write(0x40, 1, 1193 >> 8); // ~1 ms
  const run = (ns: number): void => {
    hostNs += BigInt(ns);
    clock.runExpiredTimers();
  };
  run(1_000_000);
  t.is(irq0.risingEdges, 1, 'the first edge');
  held = true; // the CPU has interrupts off: the edge waits in IRR
  for (let i = 0; i < 40; i++) run(100_000); // 4 ms: four more edges come due
  t.is(irq0.risingEdges, 1, 'none emitted while the previous one is held');
  held = false;
  for (let i = 0; i < 10; i++) run(PIT_CATCH_UP_GAP_NS);
  t.is(irq0.risingEdges, 5, 'once it is taken, the four owed edges follow');
});
