import test from 'ava';
import { AcpiPm, PM_TIMER_HZ } from '../../lib/devices/acpi-pm.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { PioBus } from '../../lib/machine/pio-bus.js';
import { testClock } from './device-clock.js';

function setup() {
  const { clock, advance } = testClock();
  const pio = new PioBus();
  const irqs = new IrqLines(24);
  let poweroffs = 0;
  const pm = new AcpiPm(clock, irqs.line(9), () => poweroffs++);
  pm.attach(pio);
  return { pio, advance, pm, sci: irqs.line(9), poweroffs: () => poweroffs };
}

test('PM timer counts at 3.579545 MHz of guest time and wraps at 24 bits', (t) => {
  const { pio, advance } = setup();
  t.is(pio.read(0x608, 4), 0);
  advance(1e9);
  t.is(pio.read(0x608, 4), PM_TIMER_HZ);
  advance(4e9);
  t.is(pio.read(0x608, 4), (5 * PM_TIMER_HZ) & 0xffffff);
  t.is(pio.read(0x608, 2), (5 * PM_TIMER_HZ) & 0xffff);
});

test('TMR_STS on bit 23 changes; write 1 to clear; SCI when enabled', (t) => {
  const { pio, advance, sci } = setup();
  t.is(pio.read(0x604, 2) & 1, 1, 'SCI_EN is hard-wired on');
  advance(2.4e9); // past 2^23 ticks
  t.is(pio.read(0x600, 2) & 1, 1);
  t.false(sci.level, 'TMR_EN clear');
  pio.write(0x600, 2, 1);
  t.is(pio.read(0x600, 2) & 1, 0);
  pio.write(0x602, 2, 1); // TMR_EN
  t.is(pio.read(0x600, 4) >>> 16, 1, '32-bit read covers PM1_EN');
  advance(2.4e9);
  t.true(sci.level);
  pio.write(0x600, 2, 1);
  t.false(sci.level);
});

test('SLP_EN with SLP_TYP S5 powers off; other sleep types do nothing', (t) => {
  const { pio, poweroffs } = setup();
  pio.write(0x604, 2, (1 << 10) | (1 << 13));
  t.is(poweroffs(), 0);
  t.is(pio.read(0x604, 2), 1 | (1 << 10), 'SLP_EN reads 0');
  pio.write(0x604, 2, (0 << 10) | (1 << 13));
  t.is(poweroffs(), 1);
  pio.write(0x605, 1, 0x20); // byte write of the high half: SLP_EN, SLP_TYP 0
  t.is(poweroffs(), 2);
});

test('power button: PWRBTN_STS, SCI once the OS enables PWRBTN_EN, write 1 to clear', (t) => {
  const { pio, pm, sci } = setup();
  t.false(pm.powerButtonEnabled);
  pm.pressPowerButton();
  t.is(pio.read(0x600, 2) & 0x100, 0x100);
  t.false(sci.level);
  pio.write(0x602, 2, 0x100);
  t.true(pm.powerButtonEnabled);
  t.true(sci.level, 'pending status now enabled');
  pio.write(0x600, 2, 0x100);
  t.false(sci.level);
  t.is(pio.read(0x600, 2) & 0x100, 0);
});
