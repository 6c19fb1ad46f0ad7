/** A deterministic Clock for device unit tests: guest time moves only when the test advances it. */
import * as abi from '../../lib/hypervisor/abi.generated.js';
import { Clock } from '../../lib/machine/clock.js';

export interface TestClock {
  clock: Clock;
  /** Moves guest time forward by ns (icount shift 0: one instruction per ns) and fires due timers. */
  advance(ns: number): void;
  /** Moves guest time forward without firing timers (a host that runs them late). */
  skip(ns: number): void;
}

export function testClock(): TestClock {
  const buf = new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE);
  const view = new DataView(buf);
  const clock = new Clock(buf, { mode: 'icount', shift: 0 }, () => 0n);
  const retire = (n: number): void =>
    view.setBigUint64(abi.TSV_OFF_VM_INSTRET, view.getBigUint64(abi.TSV_OFF_VM_INSTRET, true) + BigInt(Math.ceil(n)), true);
  const advance = (ns: number): void => {
    // Step timer by timer so each callback sees its own deadline as "now".
    const target = clock.nowNs() + ns;
    for (;;) {
      const next = Math.min(clock.nextDeadlineNs(), target);
      const step = next - clock.nowNs();
      if (step > 0) retire(step);
      clock.runExpiredTimers();
      if (clock.nowNs() >= target) return;
    }
  };
  return { clock, advance, skip: retire };
}
