import test from 'ava';
import type { ApicBus, ApicMessage } from '../../lib/machine/interrupt-types.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { MmioBus } from '../../lib/machine/mmio-bus.js';
import { PioBus } from '../../lib/machine/pio-bus.js';
import { PlatformDevices } from '../../lib/machine/platform-devices.js';
import { testClock } from '../devices/device-clock.js';

function setup() {
  const { clock, advance } = testClock();
  const messages: ApicMessage[] = [];
  const bus: ApicBus = { deliver: (m) => void messages.push(m), addEoiListener: () => {} };
  const pio = new PioBus();
  const mmio = new MmioBus();
  const irqs = new IrqLines(24);
  const events: string[] = [];
  const platform = new PlatformDevices({
    pio,
    mmio,
    irqs,
    clock,
    apicBus: bus,
    ramBytes: 64 * 1024 * 1024,
    rtcBase: { datetime: '2020-02-29T12:00:00' },
    requestReset: () => events.push('reset'),
    powerOff: () => events.push('poweroff'),
    suspend: () => events.push('suspend'),
    rtcWake: () => events.push('rtc-wake'),
  });
  return { platform, pio, mmio, irqs, messages, events, advance };
}

test('every platform device is on its PC address', (t) => {
  const { pio, mmio } = setup();
  const ports = pio.list().map((r) => `${r.base.toString(16)}+${r.length}`);
  for (const p of ['20+2', 'a0+2', '4d0+2', '40+4', '61+1', '60+1', '64+1', '70+2', '600+4', '604+2', '608+4', '620+4']) t.true(ports.includes(p), p);
  t.deepEqual(mmio.list().map((r) => [r.base, r.length]), [[0xfec00000, 0x1000]]);
});

test('IRQ 0 reaches the 8259 on IR0 and the IOAPIC on pin 2', (t) => {
  const { platform, pio, mmio, irqs, messages } = setup();
  pio.write(0x21, 1, 0xfe);
  const data = new Uint8Array(16);
  const dv = new DataView(data.buffer);
  dv.setUint32(0, 0x14, true);
  mmio.write(0xfec00000, data, 4);
  dv.setUint32(0, 0x41, true); // pin 2: vector 0x41, unmasked
  mmio.write(0xfec00010, data, 4);
  irqs.line(0).pulse();
  t.true(platform.pic.intr);
  t.is(platform.pic.acknowledge(), 0x08, 'BIOS vector base');
  t.is(messages.length, 1);
  t.is(messages[0]!.vector, 0x41);
});

test('the RTC shows -rtc base and CMOS the RAM size; reset requests and S5 reach the host', (t) => {
  const { pio, events } = setup();
  pio.write(0x70, 1, 0x09);
  t.is(pio.read(0x71, 1), 0x20);
  pio.write(0x70, 1, 0x08);
  t.is(pio.read(0x71, 1), 0x02);
  pio.write(0x70, 1, 0x07);
  t.is(pio.read(0x71, 1), 0x29, 'leap day');
  const cmos = (i: number): number => (pio.write(0x70, 1, i), pio.read(0x71, 1));
  t.is(cmos(0x34) | (cmos(0x35) << 8), ((64 - 16) * 1024) / 64);
  pio.write(0x64, 1, 0xfe);
  pio.write(0x604, 2, 1 << 13);
  t.deepEqual(events, ['reset', 'poweroff']);
});

test('S3: SLP_EN with SLP_TYP 1 reaches the host; the RTC alarm sets RTC_STS and wakes only with RTC_EN', (t) => {
  const { pio, events, advance } = setup();
  pio.write(0x604, 2, (1 << 10) | (1 << 13));
  t.deepEqual(events, ['suspend']);
  t.is(pio.read(0x604, 2) & (7 << 10), 1 << 10, 'SLP_TYP reads back');
  const rtc = (i: number, v: number): void => (pio.write(0x70, 1, i), pio.write(0x71, 1, v));
  // Alarm "don't care" in seconds, minutes and hours: it matches at every update; AIE on.
  rtc(0x01, 0xc0);
  rtc(0x03, 0xc0);
  rtc(0x05, 0xc0);
  rtc(0x0b, 0x22); // 24-hour, AIE
  advance(1_100_000_000);
  t.deepEqual(events, ['suspend'], 'RTC_EN clear: the alarm does not wake');
  t.is(pio.read(0x600, 2) & (1 << 10), 1 << 10, 'RTC_STS set');
  pio.write(0x600, 2, 1 << 10); // clear RTC_STS
  pio.write(0x602, 2, 1 << 10); // RTC_EN
  pio.write(0x70, 1, 0x0c);
  pio.read(0x71, 1); // reading C clears AF, so the next alarm is a new one
  advance(1_000_000_000);
  t.deepEqual(events, ['suspend', 'rtc-wake']);
});

test('with the HPET: its block at 0xFED00000, and its legacy route takes IRQ 0 from the PIT', (t) => {
  const { clock, advance } = testClock();
  const pio = new PioBus();
  const mmio = new MmioBus();
  const irqs = new IrqLines(24);
  let irq0Edges = 0;
  irqs.onChange((line, level) => {
    if (line === 0 && level) irq0Edges++;
  });
  const platform = new PlatformDevices({
    pio,
    mmio,
    irqs,
    clock,
    apicBus: { deliver: () => {}, addEoiListener: () => {} },
    ramBytes: 64 * 1024 * 1024,
    rtcBase: 'utc',
    hpet: true,
    requestReset: () => {},
    powerOff: () => {},
    rtcWake: () => {},
  });
  clock.resume();
  t.truthy(platform.hpet);
  t.deepEqual(mmio.list().map((r) => [r.base, r.length]), [
    [0xfec00000, 0x1000],
    [0xfed00000, 0x400],
  ]);
  // PIT counter 0, mode 2, 1193 counts (1 ms).
  pio.write(0x43, 1, 0x34);
  pio.write(0x40, 1, 1193 & 0xff);
  pio.write(0x40, 1, 1193 >> 8);
  advance(10_000_000);
  t.is(irq0Edges, 10);
  const data = new Uint8Array(16);
  data[0] = 3; // ENABLE_CNF | LEG_RT_CNF
  mmio.write(0xfed00010, data, 4);
  advance(10_000_000);
  t.is(irq0Edges, 10, 'the PIT does not reach IRQ 0 under the route');
  data[0] = 1;
  mmio.write(0xfed00010, data, 4);
  advance(10_000_000);
  t.true(irq0Edges >= 20 && irq0Edges <= 21, `the PIT is back on IRQ 0 (${irq0Edges})`);
});
