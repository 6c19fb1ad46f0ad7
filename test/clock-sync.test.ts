/**
 * On the real-time clock the TSC, PIT and ACPI PM timer stay mutually
 * consistent whatever the host does (test/guests/clock_sync.c): while the
 * guest samples them, the test stalls the thread that runs the machine with
 * busy callbacks of 5 to 80 ms (longer than a PIT counter 2 wrap), on top of
 * whatever load the host has. Each of the guest's checks holds exactly when
 * the three clocks are one clock, so no amount of load can make it fail; a
 * stall only makes a sample's window wider. PIT counter 0's IRQ 0 ticks must
 * not pile up beyond real time, and every edge the PIT emitted must reach the
 * guest as one tick (none merged while the guest had interrupts off): how
 * soon late ticks arrive depends on the CPU the host gives, that they all do
 * does not.
 */
import test from 'ava';
import { DEFAULT_TSC_KHZ } from '../lib/machine/clock.js';
import { runGuest } from './helpers/run-guest.js';

/** Busy stalls of the event-loop thread, in ms, repeated in this order. */
const STALLS_MS = [5, 30, 80, 12, 60];
const STALL_EVERY_MS = 100;

function busy(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < end) {
    // the machine's thread is held here, as a loaded host or a long device callback would hold it
  }
}

test('TSC, PIT counter 2 and PM timer agree in real time across host stalls; IRQ 0 ticks neither pile up nor go missing', async (t) => {
  t.timeout(300_000);
  let n = 0;
  const stalls = setInterval(() => busy(STALLS_MS[n++ % STALLS_MS.length]!), STALL_EVERY_MS);
  let r;
  let edges = 0;
  try {
    r = await runGuest('clock_sync', {
      clock: { mode: 'realtime' },
      append: `tsc_khz=${DEFAULT_TSC_KHZ} ms=1200`,
      timeoutMs: 240_000,
      afterRun: (m) => (edges = m.irqs.line(0).risingEdges),
    });
  } finally {
    clearInterval(stalls);
  }
  t.log(r.serial.split('\n').filter((l) => l.startsWith('INFO')).join('\n'));
  t.true(n >= 3, `the host stalled the machine ${n} times`);
  t.deepEqual(
    r.serial.split('\n').filter((l) => l.startsWith('FAIL')),
    [],
  );
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  // Every rising edge of IRQ 0 reached the guest as one tick: none merged with another in the
  // 8259 while the guest had interrupts off (after its count, one more edge may wait in IRR).
  const ticks = Number(/IRQ0-TICKS (\d+)/.exec(r.serial)?.[1] ?? NaN);
  t.true(edges === ticks || edges === ticks + 1, `IRQ 0 edges emitted ${edges}, ticks the guest took ${ticks}`);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
});
