/**
 * -d logging on a whole machine (lib/machine/guest-log.ts): the run loop
 * drains the backend's event ring after every run(), cpu_reset dumps the
 * registers before a reset or a triple-fault shutdown, guest_errors reports
 * accesses no device claims and routed MSRs that refuse. Tiny kernels
 * assembled here; skipped without the addon or binutils.
 */
import test from 'ava';
import * as abi from '../../lib/hypervisor/abi.generated.js';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { defaultMachineConfig, type MachineConfig } from '../../lib/machine/config.js';
import type { GuestLogItem } from '../../lib/machine/guest-log-items.js';
import { Machine } from '../../lib/machine/machine.js';
import { assembleKernel, binutilsAvailable } from '../helpers/tiny-kernel.js';
import { testWhen } from '../helpers/test-when.js';

const maybe = testWhen(addonAvailable() && binutilsAvailable(), 'needs the native addon and binutils');

// An empty IDT, then #UD: #GP for the missing gate, #DF for the #GP, then a triple fault.
const TRIPLE_FAULT = `
_start:
  lidt idtr
  ud2
idtr: .word 0
  .long 0
`;

// Touches a port and an address nothing claims, then exits through isa-debug-exit.
const GUEST_ERRORS = `
_start:
  mov $0x90000, %esp
  mov $0x5a, %al
  mov $0x2345, %dx
  out %al, %dx
  in %dx, %al
  movl $0x12345678, 0xfe000000
  mov 0xfe000010, %eax
  mov $0x21, %eax
  mov $0xf4, %dx
  out %eax, %dx
  hlt
`;

function machine(kernel: string, items: GuestLogItem[], patch: Partial<MachineConfig> = {}): { m: Machine; lines: string[] } {
  const lines: string[] = [];
  const m = new Machine({
    ...defaultMachineConfig(),
    memoryBytes: 16 << 20,
    kernel,
    serial: 'none',
    devices: [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 }],
    log: { items, write: (l) => lines.push(l) },
    ...patch,
  });
  return { m, lines };
}

maybe('int: the escalation to a triple fault, one line per step; cpu_reset: the registers before the shutdown', async (t) => {
  const { m, lines } = machine(assembleKernel('triple', TRIPLE_FAULT), ['int', 'cpu_reset'], { noReboot: true });
  t.deepEqual(await m.run(), { status: 0, reason: 'shutdown' });
  m.destroy();
  const events = lines.filter((l) => !/^(RAX|RSI|R8 |R12|RIP|ES |CS |SS |DS |FS |GS |LDT|TR |GDT|IDT|CR0|CR8)/.test(l));
  t.is(events.length, 6, events.join('\n'));
  t.regex(events[0]!, /^exception #UD v=06 e=---- cpl=0 IP=0008:0000000000[0-9a-f]{6} SP=0010:\S+ mode=prot cpu=0 insn=\d+$/);
  // the missing gate: #GP with the IDT error code (vector 6 << 3 | IDT | EXT); #UD is benign, so #GP is delivered next
  t.regex(events[1]!, /^exception #GP v=0d e=0033 .* \(raised delivering #UD\)$/);
  // #GP's own gate is missing too: contributory on contributory is a double fault
  t.regex(events[2]!, /^exception #GP v=0d e=006b .* \(raised delivering #GP: becomes #DF\)$/);
  t.regex(events[3]!, /^exception #DF v=08 e=0000 .* \(raised delivering #GP\)$/);
  t.regex(events[4]!, /^triple fault: #GP raised while delivering #DF, shutdown v=0d e=0043 cpl=0 /);
  t.is(events[5], 'CPU Reset (CPU 0): triple fault (-no-reboot: the machine shuts down)');
  const dump = lines.slice(lines.indexOf(events[5]!) + 1);
  t.regex(dump[0]!, /^RAX=[0-9a-f]{16} RBX=/);
  t.true(dump.some((l) => /^IDT=\s+0000000000000000 00000000$/.test(l)), dump.join('\n'));
});

maybe('cpu_reset without -no-reboot: a dump before each reset, and nothing is logged for items that are off', async (t) => {
  const { m, lines } = machine(assembleKernel('triple', TRIPLE_FAULT), ['cpu_reset']);
  const running = m.run();
  const started = Date.now();
  while (m.resets < 2 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 5));
  m.stop();
  await running;
  m.destroy();
  const heads = lines.filter((l) => l.startsWith('CPU Reset'));
  t.true(heads.length >= 2);
  t.true(heads.every((l) => l === 'CPU Reset (CPU 0): triple fault'));
  t.false(lines.some((l) => l.startsWith('exception')), 'int is off');
});

maybe('guest_errors: unassigned port and memory accesses, one line each with the vCPU and RIP', async (t) => {
  const { m, lines } = machine(assembleKernel('guest-errors', GUEST_ERRORS), ['guest_errors']);
  t.is((await m.run()).status, 0x21 * 2 + 1);
  m.destroy();
  const at = / cpu=0 IP=0008:0000000000[0-9a-f]{6}$/;
  t.is(lines.length, 4, lines.join('\n'));
  t.regex(lines[0]!, /^guest error: write 0x5a to unassigned I\/O port 0x2345 \(size 1\)/);
  t.regex(lines[1]!, /^guest error: read from unassigned I\/O port 0x2345 \(size 1\)/);
  t.regex(lines[2]!, /^guest error: write 0x12345678 to unassigned memory 0xfe000000 \(size 4\)/);
  t.regex(lines[3]!, /^guest error: read from unassigned memory 0xfe000010 \(size 4\)/);
  for (const l of lines) t.regex(l, at);
});

maybe('a machine without log config leaves the ring off and installs no taps', async (t) => {
  const m = new Machine({ ...defaultMachineConfig(), memoryBytes: 16 << 20, kernel: assembleKernel('triple', TRIPLE_FAULT), serial: 'none', noReboot: true });
  t.is(m.pio.onUnassigned, null);
  t.is(m.mmio.onUnassigned, null);
  t.is(m.msrs.onRejected, null);
  t.is(m.vcpus[0]!.u8[abi.TSV_OFF_EVENT_RING_ENABLE], 0);
  await m.run();
  t.is(m.vcpus[0]!.u32[abi.TSV_OFF_EVENT_RING_HEAD >> 2], 0, 'nothing recorded');
  m.destroy();
});
