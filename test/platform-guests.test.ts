/**
 * The legacy platform devices seen from guest programs on the real CPU core
 * (test/guests/platform.c, reset.c): timer interrupts through the 8259 and
 * the IOAPIC, PIT channel 2 and port 0x61, the RTC and CMOS, the PM timer,
 * the UART's THR-empty interrupt, and guest-requested reset and power-off.
 * Interrupt-driven guests run on the deterministic clock so counts and
 * intervals are exact.
 */
import test from 'ava';
import { defaultMachineConfig, MIB } from '../lib/machine/config.js';
import { Machine } from '../lib/machine/machine.js';
import { guestPath, runGuest } from './helpers/run-guest.js';

const TIMEOUT_MS = 120_000;
const ICOUNT = { mode: 'icount', shift: 0 } as const;

function failLines(serial: string): string[] {
  return serial.split('\n').filter((l) => l.startsWith('FAIL:'));
}

test('platform: PIC/PIT/RTC/PM timer/UART/IOAPIC/i8042 from the guest', async (t) => {
  const r = await runGuest('platform', {
    clock: ICOUNT,
    rtcBase: { datetime: '2006-06-17T16:01:21' },
    memoryMb: 128,
    append: 'ram_mb=128',
    timeoutMs: TIMEOUT_MS,
  });
  t.deepEqual(failLines(r.serial), []);
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.regex(r.serial, /PASS: 100 IRQ 0 ticks through the 8259 while halted \(100\)/);
  t.regex(r.serial, /PASS: 64 RTC periodic interrupts on IRQ 8/);
  t.regex(r.serial, /PASS: 20 PIT ticks through IOAPIC pin 2/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
});

test('platform: the same guest is reproducible in icount mode', async (t) => {
  const opts = { clock: ICOUNT, rtcBase: { datetime: '2006-06-17T16:01:21' }, append: 'ram_mb=128', timeoutMs: TIMEOUT_MS };
  const a = await runGuest('platform', opts);
  const b = await runGuest('platform', opts);
  t.is(a.serial, b.serial);
});

for (const [how, what, reason] of [
  [1, 'reset control register 0xCF9', 'shutdown'],
  [2, 'i8042 command 0xFE', 'shutdown'],
  [3, 'ACPI S5 (SLP_TYP 0 | SLP_EN)', 'poweroff'],
] as const) {
  test(`reset guest: ${what} under -no-reboot ends the machine with '${reason}'`, async (t) => {
    const r = await runGuest('reset', { append: `how=${how}`, timeoutMs: TIMEOUT_MS });
    t.deepEqual(failLines(r.serial), []);
    t.is(r.reason, reason);
    t.is(r.status, 0);
  });
}

test('reset guest: without -no-reboot the i8042 reset reboots the machine and the kernel runs again', async (t) => {
  const m = new Machine({
    ...defaultMachineConfig(),
    memoryBytes: 64 * MIB,
    kernel: guestPath('reset'),
    append: 'how=2',
    serial: 'none',
  });
  let resets = 0;
  m.events.on('reset', () => {
    if (++resets === 3) m.stop();
  });
  const timer = setTimeout(() => m.stop(), TIMEOUT_MS);
  try {
    const exit = await m.run();
    t.is(exit.reason, 'stopped');
  } finally {
    clearTimeout(timer);
    m.destroy();
  }
  t.is(resets, 3);
  t.is(m.resets, 3);
});
