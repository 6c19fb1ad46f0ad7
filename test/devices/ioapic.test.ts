import test from 'ava';
import { IOAPIC_PINS, IoApic, ioapicPinOfLine } from '../../lib/devices/ioapic.js';
import type { ApicBus, ApicMessage } from '../../lib/machine/interrupt-types.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { MmioBus } from '../../lib/machine/mmio-bus.js';

class FakeBus implements ApicBus {
  readonly messages: ApicMessage[] = [];
  private readonly eoi: Array<(v: number) => void> = [];
  deliver(m: ApicMessage): void {
    this.messages.push(m);
  }
  addEoiListener(l: (v: number) => void): void {
    this.eoi.push(l);
  }
  broadcastEoi(vector: number): void {
    for (const l of this.eoi) l(vector);
  }
}

function setup() {
  const bus = new FakeBus();
  const mmio = new MmioBus();
  const irqs = new IrqLines(24);
  const ioapic = new IoApic(bus);
  ioapic.attach(mmio);
  ioapic.connect(irqs);
  const data = new Uint8Array(16);
  const write = (reg: number, value: number): void => {
    new DataView(data.buffer).setUint32(0, reg, true);
    mmio.write(0xfec00000, data, 4);
    new DataView(data.buffer).setUint32(0, value >>> 0, true);
    mmio.write(0xfec00010, data, 4);
  };
  const read = (reg: number): number => {
    new DataView(data.buffer).setUint32(0, reg, true);
    mmio.write(0xfec00000, data, 4);
    mmio.read(0xfec00010, data, 4);
    return new DataView(data.buffer).getUint32(0, true);
  };
  return { bus, ioapic, irqs, write, read };
}

test('ID, version 0x11 with 24 entries, arbitration ID', (t) => {
  const { read, write } = setup();
  t.is(read(0x01), 0x00170011);
  write(0x00, 0x0a000000);
  t.is(read(0x00), 0x0a000000);
  t.is(read(0x02), 0x0a000000);
  write(0x01, 0);
  t.is(read(0x01), 0x00170011, 'version is read-only');
});

test('entries reset masked; read back what was written (RO bits excluded)', (t) => {
  const { read, write } = setup();
  for (let n = 0; n < IOAPIC_PINS; n++) t.is(read(0x10 + 2 * n), 0x10000);
  write(0x10 + 2 * 5, 0x1ffff);
  t.is(read(0x10 + 2 * 5), 0x1afff, 'delivery status and remote IRR are read-only');
  write(0x11 + 2 * 5, 0xffffffff);
  t.is(read(0x11 + 2 * 5), 0xff000000);
});

test('edge-triggered pin: one message per rising edge; masked edges are dropped', (t) => {
  const { bus, irqs, write } = setup();
  write(0x10 + 2 * 4, 0x31); // vector 0x31, fixed, physical, edge
  write(0x11 + 2 * 4, 0x01000000);
  irqs.line(4).pulse();
  irqs.line(4).set(true);
  irqs.line(4).set(true);
  t.deepEqual(bus.messages, [
    { vector: 0x31, deliveryMode: 0, logical: false, destination: 1, levelTriggered: false },
    { vector: 0x31, deliveryMode: 0, logical: false, destination: 1, levelTriggered: false },
  ]);
  irqs.line(4).set(false);
  write(0x10 + 2 * 4, 0x10031);
  irqs.line(4).pulse();
  t.is(bus.messages.length, 2);
});

test('level-triggered pin: remote IRR until EOI, then fires again while asserted', (t) => {
  const { bus, irqs, read, write } = setup();
  write(0x10 + 2 * 10, 0x8000 | 0x800 | 0x100 | 0x45); // level, logical, lowest priority
  write(0x11 + 2 * 10, 0x03000000);
  irqs.line(10).set(true);
  t.is(bus.messages.length, 1);
  t.deepEqual(bus.messages[0], { vector: 0x45, deliveryMode: 1, logical: true, destination: 3, levelTriggered: true });
  t.is(read(0x10 + 2 * 10) & 0x4000, 0x4000, 'remote IRR');
  bus.broadcastEoi(0x44);
  t.is(bus.messages.length, 1, 'other vectors do not clear it');
  bus.broadcastEoi(0x45);
  t.is(bus.messages.length, 2, 'still asserted: delivered again');
  irqs.line(10).set(false);
  bus.broadcastEoi(0x45);
  t.is(bus.messages.length, 2);
  t.is(read(0x10 + 2 * 10) & 0x4000, 0);
});

test('unmasking an asserted level pin delivers it', (t) => {
  const { bus, irqs, write } = setup();
  irqs.line(11).set(true);
  t.is(bus.messages.length, 0);
  write(0x10 + 2 * 11, 0x8000 | 0x52);
  t.is(bus.messages.length, 1);
});

test('ISA IRQ 0 is pin 2; the cascade line has no pin', (t) => {
  t.is(ioapicPinOfLine(0), 2);
  t.is(ioapicPinOfLine(2), -1);
  t.is(ioapicPinOfLine(8), 8);
  t.is(ioapicPinOfLine(23), 23);
  const { bus, irqs, write } = setup();
  write(0x10 + 2 * 2, 0x30);
  irqs.line(0).pulse();
  t.is(bus.messages[0]!.vector, 0x30);
});

test('unknown registers read all ones; reset masks everything', (t) => {
  const { read, write, ioapic } = setup();
  t.is(read(0x03), 0xffffffff);
  t.is(read(0x40), 0xffffffff);
  write(0x10, 0x20);
  ioapic.reset();
  t.is(read(0x10), 0x10000);
});

test('kvm-msi-ext-dest-id: entry bits 55:49 are APIC ID bits 14:8 of a physical destination', (t) => {
  const { bus, ioapic, irqs, read, write } = setup();
  write(0x11 + 2 * 4, 0x12fe_0000);
  t.is(read(0x11 + 2 * 4), 0x1200_0000, 'bits 55:49 are reserved without the feature');
  ioapic.extendedDestId = true;
  write(0x11 + 2 * 4, 0x12b4_0000 | 0xffff); // bits 55:49 = 0x5a; bits 48:32 stay reserved
  t.is(read(0x11 + 2 * 4), 0x12b4_0000);
  write(0x10 + 2 * 4, 0x30);
  irqs.line(4).set(true);
  t.is(bus.messages.at(-1)?.destination, 0x5a12);
  write(0x10 + 2 * 4, 0x30 | (1 << 11));
  irqs.line(4).set(false);
  irqs.line(4).set(true);
  t.is(bus.messages.at(-1)?.destination, 0x12, 'logical: no extension');
});
