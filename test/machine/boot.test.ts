/**
 * End to end on the real backend: tiny multiboot kernels assembled here boot
 * on the interpreter, print through the UART and exit through isa-debug-exit.
 * Skipped when the native addon or binutils are missing.
 */
import test from 'ava';
import { PerformanceObserver } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { defaultMachineConfig, type MachineConfig } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';
import { runGuest, runKernel } from '../helpers/run-guest.js';
import { assembleKernel, binutilsAvailable } from '../helpers/tiny-kernel.js';
import { testWhen } from '../helpers/test-when.js';

const ready = addonAvailable() && binutilsAvailable();
const maybe = testWhen(ready, 'needs the native addon and binutils');
const maybeSerial = testWhen(ready, 'needs the native addon and binutils', { serial: true });

// Prints "magic ok" if EAX holds the bootloader magic, then the multiboot command line, then exits with 0x21.
const HELLO = `
_start:
  mov $0x90000, %esp        /* multiboot leaves ESP undefined */
  mov %ebx, %edi
  cmp $0x2BADB002, %eax
  jne bad
  mov $msg_ok, %esi
  call puts
  testl $4, (%edi)          /* flags: cmdline present */
  jz bad
  mov 16(%edi), %esi
  call puts
  mov $nl, %esi
  call puts
  mov $0xf4, %dx
  mov $0x21, %eax
  out %eax, %dx
  hlt
bad:
  mov $0xf4, %dx
  mov $0x7f, %al
  out %al, %dx
  hlt
puts:
  mov $0x3f8, %dx
1: lodsb
  test %al, %al
  jz 2f
  out %al, %dx
  jmp 1b
2: ret
msg_ok: .asciz "magic ok\\n"
nl: .asciz "\\n"
`;

// Polls LSR.DR, reads one byte, echoes it in brackets, exits with the byte's value.
const ECHO = `
_start:
  mov $0x3fd, %dx
1: in %dx, %al
  test $1, %al
  jz 1b
  mov $0x3f8, %dx
  in %dx, %al
  mov %al, %bl
  mov $'[', %al
  out %al, %dx
  mov %bl, %al
  out %al, %dx
  mov $']', %al
  out %al, %dx
  movzbl %bl, %eax
  mov $0xf4, %dx
  out %eax, %dx
  hlt
`;

// Loads an empty IDT and raises #UD: no handler -> double fault -> triple fault.
const TRIPLE_FAULT = `
_start:
  lidt idtr
  ud2
idtr: .word 0
  .long 0
`;

// Own GDT and an IDT gate for vector 0x20, then STI; HLT. The handler prints 'I'; after it
// returns the kernel prints 'R' and exits with 0x11.
const HALT_FOR_IRQ = `
_start:
  mov $0x90000, %esp
  lgdt gdtr
  ljmp $0x08, $1f
1:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $handler, %eax
  mov $(idt + 0x20 * 8), %edi
  mov %ax, (%edi)
  movw $0x08, 2(%edi)
  movw $0x8e00, 4(%edi)
  shr $16, %eax
  mov %ax, 6(%edi)
  lidt idtr
  sti
  hlt
  mov $0x3f8, %dx
  mov $'R', %al
  out %al, %dx
  mov $0xf4, %dx
  mov $0x11, %eax
  out %eax, %dx
  cli
  hlt
handler:
  mov $0x3f8, %dx
  mov $'I', %al
  out %al, %dx
  iret
  .align 8
gdt:
  .quad 0
  .quad 0x00cf9a000000ffff
  .quad 0x00cf92000000ffff
gdtr:
  .word 23
  .long gdt
  .align 8
idt:
  .fill 0x21 * 8, 1, 0
idtr:
  .word 0x21 * 8 - 1
  .long idt
`;

// 6 million OUTs to port 0x80, then exit 0.
const OUT_LOOP = `
_start:
  mov $6000000, %ecx
  mov $0x80, %dx
1: out %al, %dx
  dec %ecx
  jnz 1b
  mov $0xf4, %dx
  xor %eax, %eax
  out %eax, %dx
`;

// RDTSC around 2000 loop instructions; exits with the low 32 bits of the TSC delta.
const TSC_DELTA = `
_start:
  rdtsc
  mov %eax, %esi
  mov $1000, %ecx
1: dec %ecx
  jnz 1b
  rdtsc
  sub %esi, %eax
  mov $0xf4, %dx
  out %eax, %dx
`;

function config(kernel: string, patch: Partial<MachineConfig> = {}): { config: MachineConfig; serial: () => string } {
  const out: Buffer[] = [];
  return {
    config: {
      ...defaultMachineConfig(),
      memoryBytes: 16 << 20,
      kernel,
      serial: { output: (d) => out.push(Buffer.from(d)) },
      devices: [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 }],
      ...patch,
    },
    serial: () => Buffer.concat(out).toString(),
  };
}

maybe('a multiboot kernel prints through the UART and exits through isa-debug-exit', async (t) => {
  const kernel = assembleKernel('hello', HELLO);
  const { config: c, serial } = config(kernel, { append: 'hello=world' });
  const m = new Machine(c);
  const exit = await m.run();
  t.is(serial(), `magic ok\n${kernel} hello=world\n`);
  t.deepEqual(exit, { status: 0x43, reason: 'debug-exit' });
  m.destroy();
});

maybe('the same kernel runs under icount', async (t) => {
  const kernel = assembleKernel('hello', HELLO);
  const { config: c, serial } = config(kernel, { clock: { mode: 'icount', shift: 0 } });
  const m = new Machine(c);
  const exit = await m.run();
  t.is(exit.status, 0x43);
  t.true(m.clock.nowNs() > 0, 'guest time advanced with instructions');
  t.regex(serial(), /^magic ok\n/);
  m.destroy();
});

maybe('a polled driver receives serial input', async (t) => {
  const kernel = assembleKernel('echo', ECHO);
  const input = new PassThrough();
  const { config: c, serial } = config(kernel, { serial: { input } });
  const out: Buffer[] = [];
  c.serial = { input, output: (d) => out.push(Buffer.from(d)) };
  const m = new Machine(c);
  const running = m.run();
  setTimeout(() => input.write('K'), 30);
  const exit = await running;
  t.is(Buffer.concat(out).toString(), '[K]');
  t.is(exit.status, 0x4b * 2 + 1);
  void serial;
  m.destroy();
});

maybe('triple fault: shutdown with -no-reboot', async (t) => {
  const kernel = assembleKernel('triple', TRIPLE_FAULT);
  const m = new Machine(config(kernel, { noReboot: true }).config);
  t.deepEqual(await m.run(), { status: 0, reason: 'shutdown' });
  m.destroy();
});

maybe('triple fault without -no-reboot resets and boots again', async (t) => {
  const kernel = assembleKernel('triple', TRIPLE_FAULT);
  const m = new Machine(config(kernel).config);
  const running = m.run();
  const started = Date.now();
  // generous: only a failing run waits that long, and a loaded host is slow to reset three times
  while (m.resets < 3 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 5));
  m.stop();
  t.deepEqual(await running, { status: 0, reason: 'stopped' });
  t.true(m.resets >= 3, `resets: ${m.resets}`);
  m.destroy();
});

/** A one-shot interrupt source raised by a clock timer: the stand-in for the interrupt controllers. */
function timerInterrupt(m: Machine, atNs: number, vector: number): { firedAtNs: number[] } {
  const record = { firedAtNs: [] as number[] };
  let pending = -1;
  m.setInterruptSource({ pendingVector: () => pending, acknowledge: () => (pending = -1) });
  m.clock.addTimer(() => {
    record.firedAtNs.push(m.clock.nowNs());
    pending = vector;
  }).arm(atNs);
  return record;
}

maybe('realtime: a halted vCPU sleeps until the timer and is woken by injecting its vector', async (t) => {
  const kernel = assembleKernel('halt_irq', HALT_FOR_IRQ);
  const { config: c, serial } = config(kernel);
  const m = new Machine(c);
  const rec = timerInterrupt(m, 20_000_000, 0x20);
  const started = Date.now();
  const exit = await m.run();
  t.is(serial(), 'IR');
  t.is(exit.status, 0x23);
  t.true(Date.now() - started >= 19, 'slept until the 20 ms deadline');
  t.true(rec.firedAtNs[0]! >= 20_000_000);
  t.true(m.exitCount < 100, `few exits while halted (${m.exitCount})`);
  m.destroy();
});

maybe('icount: a halted vCPU warps to the timer deadline; runs are reproducible', async (t) => {
  const once = async () => {
    const kernel = assembleKernel('halt_irq', HALT_FOR_IRQ);
    const { config: c, serial } = config(kernel, { clock: { mode: 'icount', shift: 3 } });
    const m = new Machine(c);
    const rec = timerInterrupt(m, 60_000_000_000, 0x20); // a minute of guest time, no waiting
    const exit = await m.run();
    const result = { serial: serial(), status: exit.status, fired: rec.firedAtNs, end: m.clock.nowNs(), insns: m.clock.vmInstructions };
    m.destroy();
    return result;
  };
  const started = Date.now();
  const a = await once();
  // real waiting would take a minute; a loaded host still runs this small kernel in seconds
  t.true(Date.now() - started < 30_000, 'no real waiting for the minute of guest time');
  t.is(a.serial, 'IR');
  t.is(a.status, 0x23);
  t.deepEqual(a.fired, [60_000_000_000]);
  t.deepEqual(await once(), a);
});

// Serial, so that no other test allocates meanwhile. 16 bytes per exit would be ~96 MB: many scavenges.
maybeSerial('the port-I/O exit path does not allocate (no young-generation GC over 6 million exits)', async (t) => {
  const kernel = assembleKernel('out_loop', OUT_LOOP);
  const m = new Machine(config(kernel).config);
  let collections = 0;
  const obs = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const started = process.hrtime.bigint();
  const exit = await m.run();
  const ns = Number(process.hrtime.bigint() - started);
  await new Promise((r) => setImmediate(r));
  obs.disconnect();
  t.is(exit.status, 1);
  t.is(m.port80.writes, 6_000_000);
  t.log(`${(ns / m.exitCount).toFixed(0)} ns per OUT round trip (including 3 guest instructions), ${collections} GCs`);
  t.true(collections <= 3, `GC events during the run: ${collections}`);
  m.destroy();
});

maybe('icount: RDTSC counts instructions << shift at the advertised 2 GHz, identically on every run', async (t) => {
  const kernel = assembleKernel('tsc_delta', TSC_DELTA);
  const delta = async (shift: number): Promise<number> => {
    const m = new Machine(config(kernel, { clock: { mode: 'icount', shift } }).config);
    const exit = await m.run();
    m.destroy();
    t.is(exit.reason, 'debug-exit');
    return (exit.status - 1) / 2;
  };
  const d0 = await delta(0);
  t.is(await delta(0), d0, 'reproducible');
  // 2 mov + 2000 loop instructions (+/- the RDTSC itself), 1 ns each, 2 TSC ticks per ns
  t.true(d0 >= 2 * 2002 && d0 <= 2 * 2004, `delta ${d0}`);
  t.is(await delta(3), d0 * 8);
});

maybe('runGuest-style runs fail clearly on timeout and on a missing guest', async (t) => {
  const kernel = assembleKernel('spin', `
_start:
  mov $0x3f8, %dx
  mov $'.', %al
  out %al, %dx
1: jmp 1b
`);
  await t.throwsAsync(runKernel(kernel, { timeoutMs: 200 }, 'spin'), { message: /^spin did not finish within 200 ms; serial output so far:\n\.$/ });
  await t.throwsAsync(runGuest('no-such-guest'), { message: /guest 'no-such-guest' is not built: .*no-such-guest\.elf is missing/ });
});
