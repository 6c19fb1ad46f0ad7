import test from 'ava';
import { I8259Pair } from '../../lib/devices/i8259-pic.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { PioBus } from '../../lib/machine/pio-bus.js';

/** Programs the pair as Linux does: bases 0x20/0x28, 8086 mode, all unmasked. */
function setup(opts: { autoEoi?: boolean } = {}) {
  const pio = new PioBus();
  const irqs = new IrqLines(24);
  const pic = new I8259Pair();
  pic.attach(pio);
  pic.connect(irqs);
  const icw4 = opts.autoEoi ? 0x03 : 0x01;
  pio.write(0x20, 1, 0x11);
  pio.write(0x21, 1, 0x20);
  pio.write(0x21, 1, 0x04);
  pio.write(0x21, 1, icw4);
  pio.write(0xa0, 1, 0x11);
  pio.write(0xa1, 1, 0x28);
  pio.write(0xa1, 1, 0x02);
  pio.write(0xa1, 1, icw4);
  pio.write(0x21, 1, 0x00);
  pio.write(0xa1, 1, 0x00);
  return { pio, irqs, pic };
}

test('power-on state is what a BIOS leaves: bases 0x08/0x70, all masked but the cascade', (t) => {
  const pio = new PioBus();
  const pic = new I8259Pair();
  pic.attach(pio);
  t.is(pio.read(0x21, 1), 0xfb);
  t.is(pio.read(0xa1, 1), 0xff);
  pic.setIrq(0, true);
  t.false(pic.intr, 'masked');
  pio.write(0x21, 1, 0xfa);
  t.true(pic.intr);
  t.is(pic.acknowledge(), 0x08);
});

test('edge IRQ: IRR latch, INTA moves it to ISR, non-specific EOI', (t) => {
  const { pio, irqs, pic } = setup();
  const changes: boolean[] = [];
  pic.onIntrChange((l) => changes.push(l));
  irqs.line(1).pulse();
  t.true(pic.intr);
  pio.write(0x20, 1, 0x0a); // OCW3: read IRR
  t.is(pio.read(0x20, 1), 0x02);
  t.is(pic.peekVector(), 0x21);
  t.is(pic.acknowledge(), 0x21);
  t.false(pic.intr);
  t.is(pio.read(0x20, 1), 0x00, 'IRR cleared');
  pio.write(0x20, 1, 0x0b); // OCW3: read ISR
  t.is(pio.read(0x20, 1), 0x02);
  pio.write(0x20, 1, 0x20); // EOI
  t.is(pio.read(0x20, 1), 0x00);
  t.deepEqual(changes, [true, false]);
});

test('priority: a higher-priority request preempts, a lower one waits for EOI', (t) => {
  const { pio, irqs, pic } = setup();
  irqs.line(3).pulse();
  t.is(pic.acknowledge(), 0x23);
  irqs.line(5).pulse();
  t.false(pic.intr, 'IRQ5 is below the in-service IRQ3');
  irqs.line(1).pulse();
  t.true(pic.intr);
  t.is(pic.acknowledge(), 0x21);
  pio.write(0x20, 1, 0x20); // EOI of the highest in service: 1
  t.false(pic.intr, '3 still in service');
  pio.write(0x20, 1, 0x63); // specific EOI 3
  t.is(pic.acknowledge(), 0x25);
});

test('mask register hides requests without losing them', (t) => {
  const { pio, irqs, pic } = setup();
  pio.write(0x21, 1, 0x10);
  irqs.line(4).pulse();
  t.false(pic.intr);
  t.is(pio.read(0x21, 1), 0x10);
  pio.write(0x21, 1, 0x00);
  t.is(pic.acknowledge(), 0x24);
});

test('slave IRQs cascade through IR2; EOI both', (t) => {
  const { pio, irqs, pic } = setup();
  irqs.line(8).pulse();
  t.true(pic.intr);
  t.is(pic.acknowledge(), 0x28);
  pio.write(0x20, 1, 0x0b);
  t.is(pio.read(0x20, 1), 0x04, 'master IR2 in service');
  pio.write(0xa0, 1, 0x0b);
  t.is(pio.read(0xa0, 1), 0x01, 'slave IR0 in service');
  irqs.line(12).pulse();
  t.false(pic.intr, 'blocked by the cascade in service');
  pio.write(0xa0, 1, 0x20);
  pio.write(0x20, 1, 0x20);
  t.is(pic.acknowledge(), 0x2c);
});

test('spurious interrupts: IRQ 7 on the master, IRQ 15 on the slave', (t) => {
  const { pio, irqs, pic } = setup();
  t.is(pic.acknowledge(), 0x27);
  pio.write(0x20, 1, 0x0b);
  t.is(pio.read(0x20, 1), 0, 'spurious IRQ 7 is not put in service');
  // A level request that goes away before INTA.
  pio.write(0x4d1, 1, 0x02); // IRQ9 level
  irqs.line(9).set(true);
  t.is(pic.peekVector(), 0x29);
  irqs.line(9).set(false);
  t.false(pic.intr);
  t.is(pic.acknowledge(), 0x27);
});

test('level-triggered (ELCR): IRR follows the line; reasserts after EOI while the line is high', (t) => {
  const { pio, irqs, pic } = setup();
  pio.write(0x4d0, 1, 0xff);
  t.is(pio.read(0x4d0, 1), 0xf8, 'IRQ 0-2 stay edge');
  pio.write(0x4d1, 1, 0xff);
  t.is(pio.read(0x4d1, 1), 0xde, 'IRQ 8 and 13 stay edge');
  irqs.line(10).set(true);
  t.is(pic.acknowledge(), 0x2a);
  pio.write(0xa0, 1, 0x20);
  pio.write(0x20, 1, 0x20);
  t.true(pic.intr, 'still asserted');
  t.is(pic.acknowledge(), 0x2a);
  irqs.line(10).set(false);
  pio.write(0xa0, 1, 0x20);
  pio.write(0x20, 1, 0x20);
  t.false(pic.intr);
});

test('auto-EOI mode leaves nothing in service', (t) => {
  const { pio, irqs, pic } = setup({ autoEoi: true });
  irqs.line(4).pulse();
  t.is(pic.acknowledge(), 0x24);
  pio.write(0x20, 1, 0x0b);
  t.is(pio.read(0x20, 1), 0);
  irqs.line(6).pulse();
  t.is(pic.acknowledge(), 0x26);
});

test('rotation: rotate on non-specific EOI and set-priority', (t) => {
  const { pio, irqs, pic } = setup();
  irqs.line(0).pulse();
  t.is(pic.acknowledge(), 0x20);
  pio.write(0x20, 1, 0xa0); // rotate on non-specific EOI: IR0 becomes lowest
  irqs.line(0).pulse();
  irqs.line(5).pulse();
  t.is(pic.acknowledge(), 0x25, 'IR5 now outranks IR0');
  pio.write(0x20, 1, 0x20);
  pio.write(0x20, 1, 0xc4); // set priority: IR4 lowest, IR5 highest
  irqs.line(3).pulse();
  t.is(pic.acknowledge(), 0x20, 'IR0 ranks above IR3 after rotating to 4');
});

test('special mask mode lets lower priorities through while one is in service', (t) => {
  const { pio, irqs, pic } = setup();
  irqs.line(2 + 1).pulse();
  t.is(pic.acknowledge(), 0x23);
  pio.write(0x21, 1, 0x08); // mask the in-service IR3
  pio.write(0x20, 1, 0x68); // OCW3: set special mask
  irqs.line(6).pulse();
  t.is(pic.acknowledge(), 0x26);
  pio.write(0x20, 1, 0x48); // clear special mask
});

test('poll command returns the highest request and acknowledges it', (t) => {
  const { pio, irqs, pic } = setup();
  irqs.line(6).pulse();
  pio.write(0x20, 1, 0x0c);
  t.is(pio.read(0x20, 1), 0x86);
  t.false(pic.intr, 'in service now');
  pio.write(0x20, 1, 0x0c);
  t.is(pio.read(0x20, 1), 0x00);
});

test('polling through the cascade: the master answers IR2, then the slave is polled', (t) => {
  const { pio, irqs } = setup();
  irqs.line(13).pulse();
  pio.write(0x20, 1, 0x0c);
  t.is(pio.read(0x20, 1), 0x82);
  pio.write(0xa0, 1, 0x0c);
  t.is(pio.read(0xa0, 1), 0x85);
  pio.write(0xa0, 1, 0x0b);
  t.is(pio.read(0xa0, 1), 0x20, 'slave IR5 in service');
});

test('ICW1 clears the edge latches, masks and ISR', (t) => {
  const { pio, irqs, pic } = setup();
  irqs.line(3).pulse();
  pic.acknowledge();
  irqs.line(4).pulse();
  pio.write(0x20, 1, 0x11);
  t.false(pic.intr, 'in initialisation');
  pio.write(0x21, 1, 0x30);
  pio.write(0x21, 1, 0x04);
  pio.write(0x21, 1, 0x01);
  t.false(pic.intr, 'IRR and ISR were reset');
  t.is(pio.read(0x21, 1), 0, 'IMR cleared');
  irqs.line(4).pulse();
  t.is(pic.acknowledge(), 0x34);
});

test('reset restores the BIOS state', (t) => {
  const { pio, pic } = setup();
  pic.reset();
  t.is(pio.read(0x21, 1), 0xfb);
  t.is(pio.read(0xa1, 1), 0xff);
});
