/** The Node API's life cycle on the real backend: start, pause/resume (frozen clock), reset, stop, exit events. */
import test from 'ava';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { MachineStateError } from '../../lib/index.js';
import { CODE_ADDRESS, JMP_SELF, REAL_MODE_CS, debugExit, realModeMachine } from './real-mode-code.js';
import { testWhen } from '../helpers/test-when.js';

const maybe = testWhen(addonAvailable(), 'needs the native addon');

maybe('start resolves with the debug-exit status and emits exit', async (t) => {
  const vm = realModeMachine(debugExit(3));
  const exitEvent = once(vm, 'exit');
  const exit = await vm.start();
  t.deepEqual(exit, { status: 7, reason: 'debug-exit' });
  t.deepEqual((await exitEvent)[0], exit);
  t.is(vm.state, 'exited');
  t.throws(() => vm.start(), { instanceOf: MachineStateError });
  vm.destroy();
  t.is(vm.state, 'destroyed');
  t.throws(() => vm.readPhysical(0, 1), { instanceOf: MachineStateError });
});

maybe('pause stops guest time; registers and memory are usable while paused; resume runs new code', async (t) => {
  const vm = realModeMachine(JMP_SELF);
  const events: string[] = [];
  vm.on('stop', () => events.push('stop'));
  vm.on('resume', () => events.push('resume'));
  const run = vm.start();
  await delay(20);
  t.throws(() => vm.getRegisters(0), { instanceOf: MachineStateError, message: /running/ });
  t.throws(() => vm.writePhysical(0, new Uint8Array(1)), { instanceOf: MachineStateError });
  await vm.pause();
  t.is(vm.state, 'paused');
  t.is(vm.getRegisters(0).rip, BigInt(CODE_ADDRESS));
  const clock = vm.machine.clock;
  const frozen = clock.nowNs();
  await delay(60);
  t.is(clock.nowNs(), frozen, 'guest time stands still while paused');
  // Replace the spin loop under the paused vCPU; the CPU must not run its stale decoded copy.
  vm.writePhysical(CODE_ADDRESS, Uint8Array.from(debugExit(0x21)));
  t.deepEqual([...vm.readPhysical(CODE_ADDRESS, 4)], debugExit(0x21));
  vm.resume();
  const exit = await run;
  t.deepEqual(exit, { status: 0x43, reason: 'debug-exit' });
  t.true(clock.nowNs() - frozen < 50e6, 'after resume the clock continued from the pause, not from wall time');
  t.deepEqual(events, ['stop', 'resume']);
});

maybe('stop ends a running machine and a paused one', async (t) => {
  const running = realModeMachine(JMP_SELF);
  void running.start();
  await delay(10);
  t.deepEqual(await running.stop(), { status: 0, reason: 'stopped' });

  const paused = realModeMachine(JMP_SELF);
  const run = paused.start();
  await paused.pause();
  t.deepEqual(await paused.stop(), { status: 0, reason: 'stopped' });
  t.deepEqual(await run, { status: 0, reason: 'stopped' });
  t.is(paused.state, 'exited');
});

maybe('reset of a running machine happens at a slice boundary; a reset listener may set up the vCPU', async (t) => {
  const vm = realModeMachine(JMP_SELF);
  const run = vm.start();
  await delay(10);
  let resetCs: bigint | undefined;
  vm.on('reset', () => {
    // The vCPU is back at its power-on state (CS base 0xFFFF0000); with no firmware, point it at new code.
    resetCs = vm.getRegisters(0).cs.base;
    vm.writePhysical(CODE_ADDRESS, Uint8Array.from(debugExit(5)));
    vm.setRegisters(0, { cs: REAL_MODE_CS, rip: CODE_ADDRESS });
  });
  await vm.reset();
  t.is(resetCs, 0xffff0000n);
  t.deepEqual(await run, { status: 11, reason: 'debug-exit' });
  t.is(vm.machine.resets, 1);
});

maybe('pause before start and resume while running are state errors', (t) => {
  const vm = realModeMachine(JMP_SELF);
  t.throws(() => vm.pause(), { instanceOf: MachineStateError, message: /created/ });
  t.throws(() => vm.resume(), { instanceOf: MachineStateError });
  vm.destroy();
});

maybe('pause right after resume keeps the machine paused; the next resume runs it', async (t) => {
  const vm = realModeMachine(JMP_SELF);
  const run = vm.start();
  await vm.pause();
  vm.resume();
  await vm.pause();
  t.is(vm.state, 'paused');
  t.true(vm.machine.paused);
  t.is(vm.getRegisters(0).rip, BigInt(CODE_ADDRESS));
  vm.resume();
  await delay(20);
  t.is(vm.state, 'running');
  t.false(vm.machine.paused);
  t.deepEqual(await vm.stop(), { status: 0, reason: 'stopped' });
  await run;
});
