import test from 'ava';
import * as abi from '../../lib/hypervisor/abi.generated.js';
import { Clock, DEFAULT_TSC_KHZ } from '../../lib/machine/clock.js';

function icountClock(shift: number) {
  const buf = new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE);
  const view = new DataView(buf);
  const clock = new Clock(buf, { mode: 'icount', shift }, () => 0n);
  const retire = (n: number) => view.setBigUint64(abi.TSV_OFF_VM_INSTRET, view.getBigUint64(abi.TSV_OFF_VM_INSTRET, true) + BigInt(n), true);
  return { clock, view, retire };
}

test('icount: guest ns = instructions << shift, written to the VM clock buffer', (t) => {
  const { clock, view, retire } = icountClock(3);
  t.is(view.getUint32(abi.TSV_OFF_VM_CLOCK_MODE, true), abi.TSV_CLOCK_ICOUNT);
  t.is(view.getUint32(abi.TSV_OFF_VM_ICOUNT_SHIFT, true), 3);
  t.is(view.getBigUint64(abi.TSV_OFF_VM_TSC_KHZ, true), BigInt(DEFAULT_TSC_KHZ));
  t.is(clock.nowNs(), 0);
  retire(1000);
  t.is(clock.nowNs(), 8000);
  t.is(clock.instructionsUntil(8000 + 20), 3, 'rounds up to reach the deadline');
  t.is(clock.tsc(), (8000n * 2_000_000n) / 1_000_000n);
});

test('icount: timers fire in deadline order; warp jumps to a deadline; reproducible', (t) => {
  const run = () => {
    const { clock, retire } = icountClock(0);
    const fired: string[] = [];
    const a = clock.addTimer(() => fired.push(`a@${clock.nowNs()}`));
    const b = clock.addTimer(() => {
      fired.push(`b@${clock.nowNs()}`);
      b.arm(clock.nowNs() + 500); // periodic
    });
    a.arm(300);
    b.arm(200);
    t.is(clock.nextDeadlineNs(), 200);
    retire(250);
    clock.runExpiredTimers();
    retire(100);
    clock.runExpiredTimers();
    clock.warpTo(clock.nextDeadlineNs());
    clock.runExpiredTimers();
    a.arm(5000);
    a.cancel();
    t.is(clock.nextDeadlineNs(), 1250);
    return fired;
  };
  const first = run();
  t.deepEqual(first, ['b@250', 'a@350', 'b@750']);
  t.deepEqual(run(), first);
});

test('realtime: follows the host clock; pause/resume re-bases without a jump', (t) => {
  let host = 5_000_000_000n;
  const buf = new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE);
  const view = new DataView(buf);
  const clock = new Clock(buf, { mode: 'realtime' }, () => host);
  t.is(view.getUint32(abi.TSV_OFF_VM_CLOCK_MODE, true), abi.TSV_CLOCK_REALTIME);
  t.is(view.getBigUint64(abi.TSV_OFF_VM_HOST_BASE_NS, true), host);
  host += 1000n;
  t.is(clock.nowNs(), 1000);
  clock.pause();
  host += 1_000_000n;
  t.is(clock.nowNs(), 1000, 'frozen while paused');
  clock.resume();
  t.is(view.getBigUint64(abi.TSV_OFF_VM_GUEST_BASE_NS, true), 1000n);
  t.is(view.getBigUint64(abi.TSV_OFF_VM_HOST_BASE_NS, true), host);
  host += 10n;
  t.is(clock.nowNs(), 1010);
  // the backend's formula gives the same time
  const backendNs = view.getBigUint64(abi.TSV_OFF_VM_GUEST_BASE_NS, true) + (host - view.getBigUint64(abi.TSV_OFF_VM_HOST_BASE_NS, true));
  t.is(Number(backendNs), clock.nowNs());
  t.is(clock.hostTimeOf(2010), host + 1000n);
  t.throws(() => clock.warpTo(5000), { message: /icount/ });
});

test('pause/resume in icount mode ignores instructions retired while paused', (t) => {
  const { clock, retire, view } = icountClock(1);
  retire(10);
  clock.pause();
  retire(100);
  t.is(clock.nowNs(), 20);
  clock.resume();
  t.is(view.getBigUint64(abi.TSV_OFF_VM_ICOUNT_BASE, true), 110n);
  retire(5);
  t.is(clock.nowNs(), 30);
});

test('realtime: a timer re-armed for a time already past waits for the next runExpiredTimers', (t) => {
  // The host clock moves 100 ns at every look, more than the 1 ns period the callback re-arms for:
  // each round of the loop would find the timer due again.
  let host = 0n;
  const clock = new Clock(new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE), { mode: 'realtime' }, () => (host += 100n));
  let fired = 0;
  const tick = clock.addTimer(() => {
    fired++;
    tick.arm(clock.nowNs() + 1);
  });
  tick.arm(clock.nowNs() + 1);
  t.is(clock.runExpiredTimers(), 1, 'one expiry per call');
  t.is(clock.runExpiredTimers(), 1);
  t.is(fired, 2);
});
