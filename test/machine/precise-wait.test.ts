import test from 'ava';
import { BLOCKING_WINDOW_NS, blockUntil, coarseDelayMs } from '../../lib/machine/precise-wait.js';

const now = (): bigint => process.hrtime.bigint();

test('blockUntil never returns before the deadline (futex part and clock-check part)', (t) => {
  for (const wait of [0n, 50_000n, 300_000n, 1_500_000n]) {
    const deadline = now() + wait;
    blockUntil(now, deadline);
    t.true(now() >= deadline, `waited ${wait} ns`);
  }
  const start = now();
  blockUntil(now, start - 1_000_000n);
  t.true(now() - start < 1_000_000_000n, 'a deadline already gone returns at once (not after a wait)');
});

test('coarseDelayMs leaves the last BLOCKING_WINDOW_NS (or less) to the precise wait, in whole ms', (t) => {
  t.is(coarseDelayMs(0n), 0);
  t.is(coarseDelayMs(BLOCKING_WINDOW_NS), 0);
  t.is(coarseDelayMs(BLOCKING_WINDOW_NS + 999_999n), 0);
  t.is(coarseDelayMs(BLOCKING_WINDOW_NS + 1_000_000n), 1);
  t.is(coarseDelayMs(BLOCKING_WINDOW_NS + 10_500_000n), 10);
  t.is(coarseDelayMs(-5n), 0);
});
