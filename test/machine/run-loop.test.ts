/** The Machine and its run loop against the scripted fake backend (no interpreter needed). */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as abi from '../../lib/hypervisor/abi.generated.js';
import { defaultMachineConfig, type MachineConfig } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';
import { MachineConfigError } from '../../lib/machine/errors.js';
import { MULTIBOOT_HEADER_MAGIC } from '../../lib/machine/loaders/multiboot.js';
import { FakeAddon, type FakeStep } from '../helpers/fake-backend.js';

const str = (s: string) => [...Buffer.from(s)];

function machine(script: FakeStep[], patch: Partial<MachineConfig> = {}, hostClock?: () => bigint) {
  const addon = new FakeAddon(script);
  if (hostClock !== undefined) addon.hostMonotonicNs = hostClock;
  const out: number[] = [];
  const config: MachineConfig = {
    ...defaultMachineConfig(),
    memoryBytes: 4 << 20,
    serial: { output: (d) => out.push(...d) },
    devices: [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 }, { driver: 'pc-testdev' }],
    ...patch,
  };
  const m = new Machine(config, { addon });
  return { m, addon, fake: addon.vcpu, serial: () => Buffer.from(out).toString() };
}

/** A tiny a.out-kludge multiboot image (just a header and a few bytes) at 1 MiB. */
function tinyKernel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-rl-'));
  const b = Buffer.alloc(64, 0x90);
  const flags = 0x10000;
  [MULTIBOOT_HEADER_MAGIC, flags, (-(MULTIBOOT_HEADER_MAGIC + flags)) >>> 0, 0x100000, 0x100000, 0x100040, 0, 0x100020].forEach((v, i) =>
    b.writeUInt32LE(v, i * 4),
  );
  const path = join(dir, 'tiny.bin');
  writeFileSync(path, b);
  return path;
}

test('serial output and isa-debug-exit end the run with (v << 1) | 1', async (t) => {
  const { m, fake, serial } = machine([
    { kind: 'out', port: 0x3f8, size: 1, values: str('Hi') }, // REP OUTSB batch
    { kind: 'out', port: 0x3f8, size: 1, values: str('!\n') },
    { kind: 'out', port: 0xf4, size: 4, values: [3] },
    { kind: 'out', port: 0x3f8, size: 1, values: str('never') },
  ]);
  const exit = await m.run();
  t.deepEqual(exit, { status: 7, reason: 'debug-exit' });
  t.is(serial(), 'Hi!\n');
  t.is(fake.script.length, 1, 'nothing runs after debug-exit');
});

test('IN: unclaimed ports float high, REP INSB from fw_cfg, port 0x80 reads back', async (t) => {
  const { m, fake } = machine([
    { kind: 'in', port: 0x1234, size: 2 },
    { kind: 'out', port: 0x510, size: 2, values: [0] },
    { kind: 'in', port: 0x511, size: 1, count: 4 },
    { kind: 'out', port: 0x80, size: 1, values: [0x42] },
    { kind: 'in', port: 0x80, size: 1 },
    { kind: 'out', port: 0xf4, size: 1, values: [0] },
  ]);
  t.is((await m.run()).status, 1);
  const ins = fake.completions.filter((c) => c.step.kind === 'in').map((c) => c.values);
  t.deepEqual(ins, [[0xffff], str('QEMU'), [0x42]]);
});

test('MMIO exits reach pc-testdev iomem; unclaimed MMIO reads all-ones', async (t) => {
  const { m, fake } = machine([
    { kind: 'mmio-write', gpa: 0xff000010, data: [1, 2, 3, 4, 5, 6, 7, 8] },
    { kind: 'mmio-read', gpa: 0xff000012, length: 4 },
    { kind: 'mmio-read', gpa: 0xfe000000, length: 2 },
    { kind: 'out', port: 0xf4, size: 1, values: [0] },
  ]);
  await m.run();
  const reads = fake.completions.filter((c) => c.step.kind === 'mmio-read').map((c) => c.values);
  t.deepEqual(reads, [[3, 4, 5, 6], [0xff, 0xff]]);
  t.deepEqual([...m.testdev!.iomem.subarray(0x10, 0x14)], [1, 2, 3, 4]);
});

test('unrequested MSR exits answer #GP; VMCALL answers #UD at the instruction', async (t) => {
  const { m, fake } = machine([
    { kind: 'msr-read', index: 0x4b564d00 },
    { kind: 'hypercall', insnLength: 3 },
    { kind: 'out', port: 0xf4, size: 1, values: [0] },
  ]);
  await m.run();
  t.true(fake.completions[0]!.msrError);
  t.is(fake.completions[1]!.pendingException, 6);
  t.is(fake.completions[1]!.rip, 0xfff0n, 'RIP rewound to the VMCALL');
});

test('exit hooks: registered MSR ranges reach their handler (and the backend); a hypercall handler replaces #UD', async (t) => {
  const { m, fake, addon } = machine([
    { kind: 'msr-read', index: 0x4b564d01 },
    { kind: 'msr-read', index: 0x4b564d02 },
    { kind: 'hypercall', insnLength: 3 },
    { kind: 'out', port: 0xf4, size: 1, values: [0] },
  ]);
  const seen: string[] = [];
  m.msrs.register(0x4b564d00, 0x4b564d01, {
    read: (vcpu, index) => (seen.push(`rdmsr ${vcpu.id} 0x${index.toString(16)}`), 0x1234n),
    write: () => false,
  });
  m.hypercalls.setHandler((vcpu, kind) => {
    seen.push(`hypercall ${typeof kind}`);
    vcpu.setGpr32(0, 42);
  });
  await m.run();
  t.deepEqual(seen, ['rdmsr 0 0x4b564d01', 'hypercall number']);
  t.false(fake.completions[0]!.msrError);
  t.true(fake.completions[1]!.msrError, 'outside the range: #GP');
  t.is(fake.completions[2]!.pendingException, undefined, 'no #UD');
  const ranges = [...addon.vms[0]!.msrRanges!];
  t.true(ranges.includes(0x4b564d00) && ranges.includes(0x800) && ranges.includes(0x6e0), 'x2APIC, TSC deadline and the new range exit');
});

test('triple fault with noReboot ends with shutdown, status 0', async (t) => {
  const { m } = machine([{ kind: 'shutdown' }, { kind: 'out', port: 0xf4, size: 1, values: [5] }], { noReboot: true });
  t.deepEqual(await m.run(), { status: 0, reason: 'shutdown' });
});

test('triple fault without noReboot resets the machine and reloads the kernel', async (t) => {
  const kernel = tinyKernel();
  const { m, fake, addon } = machine(
    [
      { kind: 'out', port: 0x3f8 + 7, size: 1, values: [0x77] }, // UART scratch register
      { kind: 'shutdown' },
      { kind: 'in', port: 0x3f8 + 7, size: 1 },
      { kind: 'out', port: 0xf4, size: 1, values: [1] },
    ],
    { kernel },
  );
  t.is(fake.view.getBigUint64(abi.TSV_OFF_RIP, true), 0x100020n);
  t.is(fake.view.getBigUint64(abi.TSV_OFF_GPR, true), 0x2badb002n);
  m.ram[0x100030] = 0xcc; // the guest scribbles over its own code
  const exit = await m.run();
  t.is(exit.status, 3);
  t.is(m.resets, 1);
  t.is(fake.resets, 1);
  t.is(m.ram[0x100030], 0x90, 'kernel reloaded');
  t.is(fake.view.getBigUint64(abi.TSV_OFF_RIP, true), 0x100020n, 'entry state set again');
  t.deepEqual(fake.completions.find((c) => c.step.kind === 'in')!.values, [0], 'devices reset');
  t.true(addon.vms[0]!.invalidations.length >= 2, 'decoded code dropped after each load');
});

test('backend internal error ends with status 1 and names the exit and RIP', async (t) => {
  const { m } = machine([{ kind: 'internal-error', suberror: abi.TSV_INTERNAL_UNSUPPORTED, rip: 0x100234, message: 'opcode 0f 0b' }]);
  const exit = await m.run();
  t.is(exit.status, 1);
  t.is(exit.reason, 'error');
  t.regex(exit.message!, /INTERNAL_ERROR/);
  t.regex(exit.message!, /RIP 0x100234/);
  t.regex(exit.message!, /opcode 0f 0b/);
});

test('stop() ends a halted machine with reason stopped', async (t) => {
  const { m } = machine([{ kind: 'hlt' }]);
  const running = m.run();
  setTimeout(() => m.stop(), 20);
  t.deepEqual(await running, { status: 0, reason: 'stopped' });
  t.true(m.halted);
});

test('icount: a timer fires exactly at its instruction count, reproducibly', async (t) => {
  const once = async () => {
    const { m, fake } = machine(
      [{ kind: 'execute', instructions: 10_000 }, { kind: 'out', port: 0xf4, size: 1, values: [0] }],
      { clock: { mode: 'icount', shift: 2 } },
    );
    const seen: number[] = [];
    const timer = m.clock.addTimer(() => {
      seen.push(m.clock.vmInstructions, m.clock.nowNs());
      if (seen.length < 6) timer.arm(m.clock.nowNs() + 4000);
    });
    timer.arm(1000);
    await m.run();
    return { seen, runs: fake.runs };
  };
  const a = await once();
  t.deepEqual(a.seen, [250, 1000, 1250, 5000, 2250, 9000]);
  t.deepEqual(await once(), a);
});

test('icount: a halted vCPU warps to the next deadline and is woken by the interrupt source', async (t) => {
  const { m, fake } = machine([{ kind: 'hlt' }, { kind: 'out', port: 0xf4, size: 1, values: [0] }], { clock: { mode: 'icount', shift: 0 } });
  let pending = -1;
  m.setInterruptSource({ pendingVector: () => pending, acknowledge: () => (pending = -1) });
  m.clock.addTimer(() => (pending = 0x20)).arm(1_000_000);
  const exit = await m.run();
  t.is(exit.status, 1);
  t.deepEqual(fake.injected, [0x20]);
  t.is(m.clock.nowNs(), 1_000_000 + 1, 'warped to the deadline, then one OUT retired');
});

test('interrupt window: a vector waits for readiness, then is injected', async (t) => {
  const { m, fake } = machine([{ kind: 'yield' }, { kind: 'out', port: 0xf4, size: 1, values: [0] }]);
  let pending = 0x30;
  m.setInterruptSource({ pendingVector: () => pending, acknowledge: () => (pending = -1) });
  // not ready: the loop must ask for a window instead of injecting
  fake.u8[abi.TSV_OFF_READY_FOR_INJECTION] = 0;
  const origRun = fake.run.bind(fake);
  let sawWindowRequest = false;
  fake.run = () => {
    if (fake.u8[abi.TSV_OFF_REQUEST_IRQ_WINDOW]) sawWindowRequest = true;
    fake.u8[abi.TSV_OFF_READY_FOR_INJECTION] = 1;
    return origRun();
  };
  await m.run();
  t.true(sawWindowRequest);
  t.deepEqual(fake.injected, [0x30]);
});

test('serial input from a stream reaches the guest (polled)', async (t) => {
  const input = new PassThrough();
  const { m, fake } = machine(
    [
      { kind: 'yield' },
      { kind: 'yield' },
      { kind: 'in', port: 0x3fd, size: 1 },
      { kind: 'in', port: 0x3f8, size: 1 },
      { kind: 'in', port: 0x3fd, size: 1 },
      { kind: 'out', port: 0xf4, size: 1, values: [0] },
    ],
    { serial: { input } },
  );
  input.write('z');
  await m.run();
  const vals = fake.completions.filter((c) => c.step.kind === 'in').map((c) => c.values![0]);
  t.deepEqual(vals, [0x61, 0x7a, 0x60]);
  t.is(input.listenerCount('data'), 0, 'listener removed at the end');
});

test('machine wiring: RAM region, CPUID table, bus map', (t) => {
  const { m, addon } = machine([]);
  const vm = addon.vms[0]!;
  t.is(vm.regions.get(0)!.size, 4 << 20);
  t.is(vm.cpuid!.length % abi.TSV_CPUID_ENTRY_WORDS, 0);
  t.true(vm.cpuid!.length > 0);
  t.is(m.pio.deviceAt(0x3f8)?.name, 'serial0 (COM1)');
  t.is(m.pio.deviceAt(0xf4)?.name, 'isa-debug-exit');
  t.is(m.pio.deviceAt(0x80)?.name, 'post-port80');
  t.is(m.mmio.deviceAt(0xff000000)?.name, 'pc-testdev-iomem');
  t.throws(() => new Machine({ ...defaultMachineConfig(), devices: [{ driver: 'isa-debug-exit', iobase: 0x3f9, iosize: 1 }] }, { addon }), {
    instanceOf: MachineConfigError,
    message: /^-device isa-debug-exit: isa-debug-exit: ports 0x3f9-0x3f9 overlap serial0/,
  });
  t.true(addon.vms[1]!.destroyed, 'the half-built VM is released');
});

test('icount: a halted vCPU with a periodic timer and nothing to inject still lets stop() through', async (t) => {
  const { m } = machine([{ kind: 'hlt' }], { clock: { mode: 'icount', shift: 0 } });
  let ticks = 0;
  const timer = m.clock.addTimer(() => {
    ticks++;
    timer.arm(m.clock.nowNs() + 1000);
  });
  timer.arm(1000);
  const running = m.run();
  // A macrotask (as a signal handler or a test timeout would be) must get through while time warps.
  const poll = setInterval(() => {
    if (ticks >= 50) m.stop();
  }, 1);
  t.deepEqual(await running, { status: 0, reason: 'stopped' });
  clearInterval(poll);
  t.true(ticks >= 50, `guest time kept warping (${ticks} ticks)`);
});

test('sti; hlt: a vector taken but not injected before the HLT exit wakes the vCPU (KVM\'s STI shadow)', async (t) => {
  const { m, fake } = machine([{ kind: 'hlt' }, { kind: 'out', port: 0xf4, size: 1, values: [0] }], { clock: { mode: 'icount', shift: 0 } });
  let pending = 0x30;
  m.setInterruptSource({ pendingVector: () => pending, acknowledge: () => (pending = -1) });
  fake.u8[abi.TSV_OFF_READY_FOR_INJECTION] = 1;
  // Like KVM inside an STI shadow: the entry cannot inject, the vector stays in the record and the
  // guest's HLT exits with it still held.
  const origRun = fake.run.bind(fake);
  let held = false;
  fake.run = () => {
    const irq = fake.view.getInt32(abi.TSV_OFF_PENDING_IRQ, true);
    if (irq < 0 || held) return origRun();
    held = true;
    fake.view.setInt32(abi.TSV_OFF_PENDING_IRQ, -1, true);
    const reason = origRun();
    fake.view.setInt32(abi.TSV_OFF_PENDING_IRQ, irq, true);
    return reason;
  };
  const running = m.run();
  const guard = setTimeout(() => m.stop(), 2000);
  const result = await running;
  clearTimeout(guard);
  t.true(held);
  t.deepEqual(result, { status: 1, reason: 'debug-exit' });
  t.deepEqual(fake.injected, [0x30]);
});

test('cli; hlt: a maskable interrupt does not wake a vCPU halted with IF=0', async (t) => {
  const { m, fake } = machine([{ kind: 'hlt' }, { kind: 'out', port: 0xf4, size: 1, values: [0] }], { clock: { mode: 'icount', shift: 0 } });
  fake.interruptsEnabled = false;
  let pending = -1;
  m.setInterruptSource({ pendingVector: () => pending, acknowledge: () => (pending = -1) });
  m.clock.addTimer(() => (pending = 0x20)).arm(1000);
  const running = m.run();
  setTimeout(() => m.stop(), 30);
  t.deepEqual(await running, { status: 0, reason: 'stopped' });
  t.deepEqual(fake.injected, []);
  t.true(m.halted);
});

test('realtime: a halted vCPU waits for its timers precisely, never fires one early, and stop() still gets through', async (t) => {
  // The host's own monotonic clock: the fake's stands still, and a precise wait watches it pass.
  const hostClock = (): bigint => process.hrtime.bigint();
  const { m, fake } = machine([{ kind: 'hlt' }, { kind: 'out', port: 0xf4, size: 1, values: [0] }], {}, hostClock);
  let pending = -1;
  m.setInterruptSource({ pendingVector: () => pending, acknowledge: () => (pending = -1) });
  const early: number[] = [];
  // A 1 ms periodic timer with nothing to inject (the precise wait, inside the last 2 ms); its last
  // tick arms one 10 ms away (a setTimeout for the bulk first) whose interrupt ends the halt.
  let ticks = 0;
  let due = m.clock.nowNs() + 1_000_000;
  let wakeAt = Infinity;
  const wake = m.clock.addTimer(() => {
    if (m.clock.nowNs() < wakeAt) early.push(wakeAt - m.clock.nowNs());
    pending = 0x20;
  });
  const periodic = m.clock.addTimer(() => {
    if (m.clock.nowNs() < due) early.push(due - m.clock.nowNs());
    due = m.clock.nowNs() + 1_000_000;
    if (++ticks < 20) periodic.arm(due);
    else wake.arm((wakeAt = m.clock.nowNs() + 10_000_000));
  });
  periodic.arm(due);
  let turns = 0;
  const poll = setInterval(() => turns++, 1);
  const exit = await m.run();
  clearInterval(poll);
  t.deepEqual(exit, { status: 1, reason: 'debug-exit' });
  t.deepEqual(early, [], 'no timer fired before its deadline');
  t.is(ticks, 20);
  t.deepEqual(fake.injected, [0x20]);
  t.true(turns > 0, 'the event loop ran its timers while the guest waited');

  // A periodic 1 ms timer forever: stop() from a macrotask ends the run.
  const { m: m2 } = machine([{ kind: 'hlt' }], {}, hostClock);
  let ticks2 = 0;
  const forever = m2.clock.addTimer(() => {
    ticks2++;
    forever.arm(m2.clock.nowNs() + 1_000_000);
  });
  forever.arm(m2.clock.nowNs() + 1_000_000);
  const running = m2.run();
  setTimeout(() => m2.stop(), 20);
  t.deepEqual(await running, { status: 0, reason: 'stopped' });
  t.true(ticks2 >= 1, `the timer ran (${ticks2} ticks)`);
});
