/**
 * Waiting for a host deadline more precisely than a millisecond timer can.
 *
 * Node's setTimeout counts whole milliseconds and fires when the event loop
 * gets round to it, typically 0.1-1.5 ms late; a guest timer due every
 * millisecond (a Hyper-V synthetic timer, a 1 kHz LAPIC tick) would be late
 * by most of a period. The run loop therefore sleeps on setTimeout only for
 * the bulk of a wait and finishes the last BLOCKING_WINDOW_NS here: a futex
 * wait (Atomics.wait: no CPU used) up to SPIN_WINDOW_NS before the deadline,
 * then a check of the clock in a loop, because a futex wake-up carries the
 * kernel's timer slack (50 us by default) on top of the request.
 *
 * Blocking the thread for at most BLOCKING_WINDOW_NS delays I/O callbacks by
 * as much; the caller gives the event loop a turn just before.
 */

/** The last stretch of a wait that is spent blocking instead of on a setTimeout. */
export const BLOCKING_WINDOW_NS = 2_000_000n;
/** The last stretch of a blocking wait that is spent checking the clock. */
export const SPIN_WINDOW_NS = 100_000n;

/** A futex word nobody ever wakes: Atomics.wait on it is a sleep with a fractional-ms timeout. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread until hostNow() >= deadline (host ns). */
export function blockUntil(hostNow: () => bigint, deadline: bigint): void {
  for (;;) {
    const left = deadline - hostNow();
    if (left <= 0n) return;
    if (left > SPIN_WINDOW_NS) Atomics.wait(sleepCell, 0, 0, Number(left - SPIN_WINDOW_NS) / 1e6);
  }
}

/** How long to leave to setTimeout before finishing with blockUntil (whole ms, 0 = finish now). */
export function coarseDelayMs(left: bigint): number {
  if (left <= BLOCKING_WINDOW_NS) return 0;
  return Math.floor(Number(left - BLOCKING_WINDOW_NS) / 1e6);
}
