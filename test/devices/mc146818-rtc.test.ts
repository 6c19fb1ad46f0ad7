import test from 'ava';
import {
  Mc146818Rtc,
  periodicPeriodNs,
  REG_A_UIP,
  REG_C_AF,
  REG_C_IRQF,
  REG_C_PF,
  REG_C_UF,
  rtcStartSeconds,
  UIP_LEAD_NS,
} from '../../lib/devices/mc146818-rtc.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { PioBus } from '../../lib/machine/pio-bus.js';
import { testClock } from './device-clock.js';

const START = rtcStartSeconds({ datetime: '2026-11-23T21:59:58' }); // a Monday
const MIB = 1024 * 1024;

function setup(ramBytes = 128 * MIB) {
  const { clock, advance } = testClock();
  const pio = new PioBus();
  const irqs = new IrqLines(24);
  const rtc = new Mc146818Rtc(clock, irqs.line(8), { startSeconds: START, ramBytes });
  rtc.attach(pio);
  const rd = (reg: number): number => {
    pio.write(0x70, 1, reg);
    return pio.read(0x71, 1);
  };
  const wr = (reg: number, v: number): void => {
    pio.write(0x70, 1, reg);
    pio.write(0x71, 1, v);
  };
  return { clock, advance, pio, rtc, rd, wr, irq8: irqs.line(8) };
}

test('-rtc base parsing', (t) => {
  t.is(rtcStartSeconds({ datetime: '2000-01-01' }), 946684800);
  t.is(rtcStartSeconds('utc', 1_700_000_000_500), 1_700_000_000);
  t.throws(() => rtcStartSeconds({ datetime: '2000-02-30T00:00:00' }), { instanceOf: RangeError });
  t.throws(() => rtcStartSeconds({ datetime: 'yesterday' }), { instanceOf: RangeError });
});

test('BCD 24 h time, date and century; the clock advances with guest time', (t) => {
  const { advance, rd } = setup();
  t.is(rd(0x0b), 0x02, '24 h, BCD');
  t.deepEqual([rd(0), rd(2), rd(4), rd(6), rd(7), rd(8), rd(9), rd(0x32)], [0x58, 0x59, 0x21, 0x02, 0x23, 0x11, 0x26, 0x20]);
  advance(2e9);
  t.deepEqual([rd(0), rd(2), rd(4)], [0x00, 0x00, 0x22]);
  t.is(rd(0x0d), 0x80, 'VRT');
});

test('binary and 12 h formats', (t) => {
  const { rd, wr } = setup();
  wr(0x0b, 0x04); // binary, 12 h
  t.is(rd(4), 0x80 | 9, '21 h = 9 PM');
  t.is(rd(0), 58);
  t.is(rd(9), 26);
  wr(4, 0x80 | 12); // 12 PM = noon
  wr(0x0b, 0x06);
  t.is(rd(4), 12);
  wr(4, 0);
  wr(0x0b, 0x04);
  t.is(rd(4), 12, 'midnight is 12 AM');
});

test('SET freezes the clock for writing; clearing it restarts a full second later', (t) => {
  const { advance, rd, wr } = setup();
  wr(0x0b, 0x82);
  wr(0, 0x30);
  wr(2, 0x15);
  wr(4, 0x08);
  wr(7, 0x01);
  wr(8, 0x02);
  wr(9, 0x99);
  wr(0x32, 0x19);
  advance(5e9);
  t.deepEqual([rd(0), rd(2), rd(4), rd(7), rd(8), rd(9), rd(0x32)], [0x30, 0x15, 0x08, 0x01, 0x02, 0x99, 0x19]);
  wr(0x0b, 0x02);
  advance(0.999e9);
  t.is(rd(0), 0x30);
  advance(0.002e9);
  t.is(rd(0), 0x31);
});

test('UIP is set in the 244 us before each update', (t) => {
  const { advance, rd } = setup();
  t.is(rd(0x0a) & REG_A_UIP, 0);
  advance(1e9 - UIP_LEAD_NS + 1);
  t.is(rd(0x0a) & REG_A_UIP, REG_A_UIP);
  t.is(rd(0), 0x58, 'the update has not happened yet');
  advance(UIP_LEAD_NS);
  t.is(rd(0x0a) & REG_A_UIP, 0);
  t.is(rd(0), 0x59);
});

test('periodic interrupt on IRQ 8 at the rate select, C clears on read', (t) => {
  const { advance, rd, wr, irq8 } = setup();
  wr(0x0a, 0x26); // 1024 Hz
  wr(0x0b, 0x42); // PIE
  t.is(periodicPeriodNs(6), 1e9 / 1024);
  let interrupts = 0;
  for (let i = 0; i < 100; i++) {
    advance(1e9 / 1024);
    if (irq8.level) {
      interrupts++;
      t.is(rd(0x0c) & (REG_C_IRQF | REG_C_PF), REG_C_IRQF | REG_C_PF);
      t.false(irq8.level, 'read of C lowers IRQ 8');
    }
  }
  t.is(interrupts, 100);
  t.is(irq8.risingEdges, 100);
});

test('periodic flag without PIE is visible in C, no interrupt', (t) => {
  const { advance, rd, wr, irq8 } = setup();
  wr(0x0a, 0x2f); // 2 Hz
  rd(0x0c);
  advance(0.6e9);
  t.is(rd(0x0c) & (REG_C_PF | REG_C_IRQF), REG_C_PF);
  t.is(rd(0x0c) & REG_C_PF, 0);
  t.false(irq8.level);
});

test('update-ended and alarm interrupts', (t) => {
  const { advance, rd, wr, irq8 } = setup();
  wr(0x01, 0x05); // alarm at 22:00:05
  wr(0x03, 0x00);
  wr(0x05, 0x22);
  wr(0x0b, 0x12); // UIE
  advance(1e9);
  t.true(irq8.level);
  t.is(rd(0x0c) & (REG_C_IRQF | REG_C_UF | REG_C_AF), REG_C_IRQF | REG_C_UF, 'PF may be set too (1024 Hz rate, no PIE)');
  wr(0x0b, 0x22); // AIE only
  advance(6e9);
  t.true(irq8.level);
  t.is(rd(0x0c) & (REG_C_IRQF | REG_C_AF), REG_C_IRQF | REG_C_AF);
  wr(0x01, 0xc0); // "don't care" seconds: every second in 22:00 matches
  advance(1e9);
  t.is(rd(0x0c) & REG_C_AF, REG_C_AF);
});

test('NVRAM: memory sizes, century, general bytes; index bit 7 is the NMI mask', (t) => {
  const { rd, wr, pio, rtc } = setup(512 * MIB);
  t.is(rd(0x15) | (rd(0x16) << 8), 640);
  t.is(rd(0x17) | (rd(0x18) << 8), 0xffff, 'extended memory capped');
  t.is(rd(0x30) | (rd(0x31) << 8), 0xffff);
  t.is(rd(0x34) | (rd(0x35) << 8), (512 - 16) * 16, '64 KiB units above 16 MiB');
  t.deepEqual([rd(0x5b), rd(0x5c), rd(0x5d)], [0, 0, 0]);
  wr(0x40, 0xa5);
  t.is(rd(0x40), 0xa5);
  pio.write(0x70, 1, 0x80 | 0x40);
  t.true(rtc.nmiDisabled);
  t.is(pio.read(0x71, 1), 0xa5);
  const small = setup(32 * MIB);
  t.is(small.rd(0x17) | (small.rd(0x18) << 8), 31 * 1024);
});

test('divider reset holds the clock; release gives the first update 500 ms later', (t) => {
  const { advance, rd, wr } = setup();
  wr(0x0a, 0x66);
  advance(3e9);
  t.is(rd(0), 0x58);
  wr(0x0a, 0x26);
  advance(0.49e9);
  t.is(rd(0), 0x58);
  advance(0.02e9);
  t.is(rd(0), 0x59);
});

test('day of week is its own counter', (t) => {
  const { advance, rd, wr } = setup();
  wr(4, 0x23);
  wr(2, 0x59);
  wr(6, 0x05);
  t.is(rd(6), 0x05);
  advance(3e9); // past midnight
  t.is(rd(6), 0x06);
  t.is(rd(7), 0x24);
});

test('without UIE/AIE no timer runs; UF and AF are still reported by register C', (t) => {
  const { advance, rd, wr, clock, irq8 } = setup();
  wr(0x0a, 0x20); // no periodic rate
  wr(0x01, 0x00); // alarm 22:00:00, passed 2 s from the start
  wr(0x03, 0x00);
  wr(0x05, 0x22);
  rd(0x0c);
  t.is(clock.nextDeadlineNs(), Infinity, 'nothing to wake the machine for');
  advance(0.5e9);
  t.is(rd(0x0c), 0, 'no update yet');
  advance(3e9);
  t.is(rd(0x0c), REG_C_UF | REG_C_AF, 'updates happened and one matched the alarm; no IRQF without enables');
  t.is(rd(0x0c), 0);
  t.false(irq8.level);
  advance(86_400e9 * 2);
  t.is(rd(0x0c), REG_C_UF | REG_C_AF, 'two days later the alarm has matched again');
});
