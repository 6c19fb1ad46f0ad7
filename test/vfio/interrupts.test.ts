/**
 * VfioInterrupts against a recording stand-in for the addon's VFIO calls:
 * which SET_IRQS requests go to the kernel, in which order, and what a
 * signalled eventfd does to the device (the real kernel path is covered by
 * vfio-in-qemu.test.ts).
 */
import test from 'ava';
import { openSync } from 'node:fs';
import type { AssignedInterruptMode } from '../../lib/devices/pci/assigned/assigned-device.js';
import { VfioInterrupts } from '../../lib/devices/pci/assigned/vfio-interrupts.js';
import type { VfioNative } from '../../lib/devices/pci/assigned/vfio-native.js';

interface Recorder {
  native: VfioNative;
  calls: string[];
  /** Signals the eventfd the kernel was given for (index, vector). */
  signal(index: number, vector: number): void;
  openWatches(): number;
}

function recorder(options: { failMsi?: boolean } = {}): Recorder {
  const calls: string[] = [];
  const callbacks = new Map<number, (count: number) => void>();
  const given = new Map<string, number>();
  const native = {
    // Real descriptors (of /dev/null), so closing them is checked by the OS.
    createEventfd: () => openSync('/dev/null', 'r'),
    watchEventfd: (fd: number, cb: (count: number) => void) => {
      callbacks.set(fd, cb);
      return { close: () => callbacks.delete(fd) };
    },
    setIrqs: (_fd: number, index: number, action: string, start: number, count: number, eventfds?: number[]) => {
      calls.push(`${action} ${index} ${start}+${count}${eventfds ? ' fds' : ''}`);
      if (options.failMsi && index === 1 && count > 0) throw Object.assign(new Error('VFIO_DEVICE_SET_IRQS: Invalid argument'), { code: 'EINVAL' });
      eventfds?.forEach((fd, v) => given.set(`${index}:${v}`, fd));
    },
  } as unknown as VfioNative;
  return {
    native,
    calls,
    signal: (index, vector) => callbacks.get(given.get(`${index}:${vector}`)!)!(1),
    openWatches: () => callbacks.size,
  };
}

function target() {
  const events: string[] = [];
  return {
    events,
    setIntx: (level: boolean) => events.push(`intx ${level ? 1 : 0}`),
    signalMessage: (vector: number) => {
      events.push(`message ${vector}`);
      return true;
    },
  };
}

test('INTx: the eventfd asserts the line; the EOI lowers it and unmasks the host line', (t) => {
  const r = recorder();
  const dev = target();
  const irqs = new VfioInterrupts(r.native, 99, dev, true, (m) => t.fail(m));
  irqs.start();
  t.deepEqual(r.calls, ['trigger 0 0+1 fds']);
  irqs.eoi(); // an EOI with nothing pending does nothing
  t.deepEqual(r.calls, ['trigger 0 0+1 fds']);
  r.signal(0, 0);
  t.deepEqual(dev.events, ['intx 1']);
  irqs.eoi();
  t.deepEqual(dev.events, ['intx 1', 'intx 0']);
  t.deepEqual(r.calls, ['trigger 0 0+1 fds', 'unmask 0 0+1']);
  t.is(irqs.received.intx, 1);
  irqs.close();
  t.is(r.openWatches(), 0);
});

test('MSI: INTx is turned off first (vfio-pci takes one kind at a time), then one eventfd for the vector', (t) => {
  const r = recorder();
  const dev = target();
  const irqs = new VfioInterrupts(r.native, 99, dev, true, (m) => t.fail(m));
  irqs.start();
  r.signal(0, 0); // INTx asserted when the guest switches to MSI: it is lowered
  irqs.setMode({ kind: 'msi' });
  t.deepEqual(r.calls, ['trigger 0 0+1 fds', 'trigger 0 0+0', 'trigger 1 0+1 fds']);
  t.deepEqual(dev.events, ['intx 1', 'intx 0']);
  r.signal(1, 0);
  t.deepEqual(dev.events.slice(2), ['message 0']);
  irqs.setMode({ kind: 'intx' });
  t.deepEqual(r.calls.slice(3), ['trigger 1 0+0', 'trigger 0 0+1 fds']);
  t.is(r.openWatches(), 1);
  irqs.close();
});

test('MSI-X: one eventfd per table entry, each signalling its own vector', (t) => {
  const r = recorder();
  const dev = target();
  const irqs = new VfioInterrupts(r.native, 99, dev, false, (m) => t.fail(m));
  irqs.start();
  t.deepEqual(r.calls, [], 'no INTx pin: nothing armed');
  const mode: AssignedInterruptMode = { kind: 'msix', vectors: 3 };
  irqs.setMode(mode);
  t.deepEqual(r.calls, ['trigger 2 0+3 fds']);
  r.signal(2, 2);
  r.signal(2, 0);
  t.deepEqual(dev.events, ['message 2', 'message 0']);
  t.is(irqs.received.msix, 2);
  irqs.close();
  t.deepEqual(r.calls.slice(1), ['trigger 2 0+0']);
  t.is(r.openWatches(), 0);
});

test('a refused SET_IRQS ends the run with one line and leaves nothing armed', (t) => {
  const r = recorder({ failMsi: true });
  const failures: string[] = [];
  const irqs = new VfioInterrupts(r.native, 99, target(), true, (m) => failures.push(m));
  irqs.start();
  irqs.setMode({ kind: 'msi' });
  t.deepEqual(failures, ["cannot route the device's MSI interrupts through VFIO: VFIO_DEVICE_SET_IRQS: Invalid argument"]);
  t.is(r.openWatches(), 0);
});
