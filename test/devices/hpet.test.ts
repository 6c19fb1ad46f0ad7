/**
 * The HPET device (lib/devices/hpet.ts) on a deterministic test clock:
 * narrow accesses, periodic catch-up after a late host, two level-triggered
 * timers sharing a GSI, far deadlines, the LegacyReplacement switch keeping
 * the PIT's level, FSB messages, and reset. The guest program
 * test/guests/hpet.c covers the rest on the real CPU core.
 */
import test from 'ava';
import {
  CFG_ENABLE,
  CFG_LEG_RT,
  Hpet,
  HPET_REG_CONFIG,
  HPET_REG_COUNTER,
  HPET_REG_STATUS,
  HPET_REG_TIMER0,
  TN_FSB_EN,
  TN_INT_ENB,
  TN_INT_ROUTE_SHIFT,
  TN_INT_TYPE_LEVEL,
  TN_TYPE_PERIODIC,
  TN_VAL_SET,
} from '../../lib/devices/hpet.js';
import { LegacyRoutedLine } from '../../lib/devices/hpet-legacy-route.js';
import type { ApicMessage } from '../../lib/machine/interrupt-types.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { testClock } from './device-clock.js';

const cfg = (n: number): number => HPET_REG_TIMER0 + 0x20 * n;
const cmp = (n: number): number => cfg(n) + 8;
const fsb = (n: number): number => cfg(n) + 0x10;

function rig() {
  const t = testClock();
  const irqs = new IrqLines();
  const edges = new Map<number, number>();
  irqs.onChange((line, level) => {
    if (level) edges.set(line, (edges.get(line) ?? 0) + 1);
  });
  const messages: ApicMessage[] = [];
  const irq0 = new LegacyRoutedLine(irqs.line(0));
  const irq8 = new LegacyRoutedLine(irqs.line(8));
  const hpet = new Hpet(t.clock, {
    legacyIrq0: irq0,
    legacyIrq8: irq8,
    gsi: (n) => irqs.line(n),
    apicBus: { deliver: (m) => messages.push(m), addEoiListener: () => {} },
    extendedDestId: () => false,
  });
  t.clock.resume();
  const write = (reg: number, value: bigint | number, length = 8): void => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigUint64(0, BigInt(value), true);
    hpet.mmioWrite(reg, data, length);
  };
  const read = (reg: number, length = 8): bigint => {
    const data = new Uint8Array(16);
    hpet.mmioRead(reg, data, length);
    return new DataView(data.buffer).getBigUint64(0, true);
  };
  return { ...t, irqs, edges, messages, irq0, irq8, hpet, write, read };
}

test('byte and word accesses reach the right bytes of a 64-bit register', (t) => {
  const r = rig();
  r.write(HPET_REG_COUNTER, 0x1122_3344_5566_7788n);
  t.is(r.read(HPET_REG_COUNTER + 3, 1), 0x55n);
  t.is(r.read(HPET_REG_COUNTER + 6, 2), 0x1122n);
  r.write(HPET_REG_COUNTER + 2, 0xabcd, 2);
  t.is(r.read(HPET_REG_COUNTER), 0x1122_3344_abcd_7788n);
  t.is(r.read(0x3f8), 0n, 'reserved offsets read 0');
});

test('the counter counts 10 ns ticks of guest time only while enabled', (t) => {
  const r = rig();
  r.advance(1000);
  t.is(r.read(HPET_REG_COUNTER), 0n);
  r.write(HPET_REG_CONFIG, CFG_ENABLE);
  r.advance(1005);
  t.is(r.read(HPET_REG_COUNTER), 100n);
  r.write(HPET_REG_CONFIG, 0);
  r.advance(5000);
  t.is(r.read(HPET_REG_COUNTER), 100n);
});

test('a periodic timer the host ran late for advances past the counter and interrupts once', (t) => {
  const r = rig();
  r.write(cfg(0), TN_INT_ENB | TN_TYPE_PERIODIC | TN_VAL_SET | (16 << TN_INT_ROUTE_SHIFT));
  r.write(cmp(0), 100); // 1 us
  r.write(HPET_REG_CONFIG, CFG_ENABLE);
  r.advance(1000);
  t.is(r.edges.get(16), 1);
  r.skip(10_500); // ten periods pass with no timer run
  r.advance(0);
  t.is(r.edges.get(16), 2, 'one interrupt for the missed periods');
  t.is(r.read(cmp(0)), 1200n, 'the accumulator is the next match after the counter (1150)');
  r.advance(500);
  t.is(r.edges.get(16), 3);
});

test('two level-triggered timers on one GSI: the line stays up until both status bits are clear', (t) => {
  const r = rig();
  for (const n of [1, 2]) r.write(cfg(n), TN_INT_ENB | TN_INT_TYPE_LEVEL | (20 << TN_INT_ROUTE_SHIFT));
  r.write(cmp(1), 10);
  r.write(cmp(2), 20);
  r.write(HPET_REG_CONFIG, CFG_ENABLE);
  r.advance(300);
  t.is(r.read(HPET_REG_STATUS), 6n);
  t.true(r.irqs.line(20).level);
  r.write(HPET_REG_STATUS, 2);
  t.true(r.irqs.line(20).level, 'timer 2 still holds it');
  r.write(HPET_REG_STATUS, 4);
  t.false(r.irqs.line(20).level);
  // Disabling the HPET drops a level it holds; the status bit stays.
  r.write(cmp(1), 40);
  r.advance(200);
  t.true(r.irqs.line(20).level);
  r.write(HPET_REG_CONFIG, 0);
  t.false(r.irqs.line(20).level);
  t.is(r.read(HPET_REG_STATUS), 2n);
});

test('a 64-bit comparator years away is re-planned, never fired early', (t) => {
  const r = rig();
  r.write(cfg(2), TN_INT_ENB | (17 << TN_INT_ROUTE_SHIFT));
  r.write(cmp(2), 1n << 60n);
  r.write(HPET_REG_CONFIG, CFG_ENABLE);
  t.true(r.clock.nextDeadlineNs() <= 2 ** 50 + 10);
  r.advance(2 ** 50 + 100);
  t.is(r.edges.get(17), undefined);
  t.true(r.clock.nextDeadlineNs() > 2 ** 50, 'the timer is armed again further on');
});

test('LegacyReplacement route: the PIT\'s level comes back to IRQ 0 when the route goes off', (t) => {
  const r = rig();
  r.irq0.legacy.set(true); // the PIT's OUT0 is high
  t.true(r.irqs.line(0).level);
  r.write(cfg(0), TN_INT_ENB);
  r.write(cmp(0), 50);
  r.write(HPET_REG_CONFIG, CFG_ENABLE | CFG_LEG_RT);
  t.false(r.irqs.line(0).level, 'the HPET owns IRQ 0');
  r.irq0.legacy.set(false);
  r.irq0.legacy.set(true);
  t.is(r.edges.get(0), 1, 'PIT edges do not reach the line');
  r.advance(1000);
  t.is(r.edges.get(0), 2, 'timer 0 does');
  r.write(HPET_REG_CONFIG, CFG_ENABLE);
  t.true(r.irqs.line(0).level, 'route off: the line follows the PIT again');
  // LEG_RT_CNF without ENABLE_CNF is no route.
  r.write(HPET_REG_CONFIG, CFG_LEG_RT);
  t.true(r.irqs.line(0).level);
});

test('FSB delivery sends the route register\'s message instead of raising the GSI', (t) => {
  const r = rig();
  r.write(fsb(2), (0xfee0_1000n << 32n) | 0x4051n); // address: APIC 1, physical; data: vector 0x51, fixed, assert (bit 14)
  r.write(cfg(2), TN_INT_ENB | TN_FSB_EN | (18 << TN_INT_ROUTE_SHIFT));
  r.write(cmp(2), 5);
  r.write(HPET_REG_CONFIG, CFG_ENABLE);
  r.advance(100);
  t.is(r.messages.length, 1);
  t.like(r.messages[0]!, { vector: 0x51, destination: 1, logical: false, levelTriggered: false });
  t.is(r.edges.get(18), undefined);
});

test('reset: halted, zeroed, comparators all ones, route back to the PIT', (t) => {
  const r = rig();
  r.write(cfg(1), TN_INT_ENB | TN_INT_TYPE_LEVEL | (21 << TN_INT_ROUTE_SHIFT));
  r.write(cmp(1), 1);
  r.write(HPET_REG_CONFIG, CFG_ENABLE | CFG_LEG_RT);
  r.advance(100);
  r.hpet.reset();
  t.is(r.read(HPET_REG_CONFIG), 0n);
  t.is(r.read(HPET_REG_STATUS), 0n);
  t.is(r.read(HPET_REG_COUNTER), 0n);
  t.is(r.read(cmp(1)), 0xffff_ffff_ffff_ffffn);
  t.is(r.read(cfg(1)) & 0xffffn, 0x8030n, 'only the capability bits');
  t.is(r.clock.nextDeadlineNs(), Infinity);
});
