/**
 * User devices, serial streams and the MSR/hypercall hooks of the Node API,
 * each driven by a guest on the real backend.
 */
import test from 'ava';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { createMachine, RAISE_UD } from '../../lib/index.js';
import { assembleKernel, binutilsAvailable } from '../helpers/tiny-kernel.js';
import { debugExit, realModeMachine } from './real-mode-code.js';
import { testWhen } from '../helpers/test-when.js';

const maybe = testWhen(addonAvailable(), 'needs the native addon');
const maybeAsm = testWhen(addonAvailable() && binutilsAvailable(), 'needs the native addon and binutils');
const ISA_DEBUG_EXIT = { driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 } as const;

// Echo COM1 input back until 'q': poll LSR.DR, read RBR, write THR.
const ECHO_UNTIL_Q = [
  0xba, 0xfd, 0x03, // 0: mov dx, 0x3fd
  0xec, // 3: in al, dx
  0xa8, 0x01, // 4: test al, 1
  0x74, 0xf8, // 6: jz 0
  0xba, 0xf8, 0x03, // 8: mov dx, 0x3f8
  0xec, // 11: in al, dx
  0xee, // 12: out dx, al
  0x3c, 0x71, // 13: cmp al, 'q'
  0x75, 0xef, // 15: jne 0
  ...debugExit(0), // 17
];

maybe('serial[0] is a Duplex: guest input from writes, guest output on read and on the serial event', async (t) => {
  const vm = realModeMachine(ECHO_UNTIL_Q, { serial: {} });
  t.is(vm.serial.length, 1);
  const port = vm.serial[0]!;
  let fromStream = '';
  let fromEvents = '';
  port.on('data', (chunk: Buffer) => (fromStream += chunk.toString()));
  vm.on('serial', (data, index) => {
    t.is(index, 0);
    fromEvents += data.toString();
  });
  port.write('hello q');
  const exit = await vm.start();
  t.deepEqual(exit, { status: 1, reason: 'debug-exit' });
  await new Promise((resolve) => port.once('end', resolve));
  t.is(fromStream, 'hello q');
  t.is(fromEvents, 'hello q');
});

maybe('a user PIO device sees offsets and sizes and answers reads', async (t) => {
  const writes: Array<[number, number, number]> = [];
  // in al, 0xd1 (offset 1); out 0xd2, al (offset 2); then exit with what the device answered.
  // Ports 0xd0-0xd3 (the second DMA controller on a real PC) are free on this machine; 0x60-0x64 are the i8042's and port 0x61's.
  const vm = realModeMachine([0xe4, 0xd1, 0xe6, 0xd2, ...[0xe6, 0xf4]]);
  vm.addPioDevice(0xd0, 4, {
    read: (offset, size) => (offset === 1 && size === 1 ? 0x2a : 0xff),
    write: (offset, size, value) => void writes.push([offset, size, value]),
  });
  t.deepEqual(await vm.start(), { status: 0x55, reason: 'debug-exit' });
  t.deepEqual(writes, [[2, 1, 0x2a]]);
});

maybe('a PIO read handler returning garbage ends the machine with an error naming the device', async (t) => {
  const vm = realModeMachine([0xe4, 0xd1, ...debugExit(0)]);
  vm.addPioDevice(0xd0, 4, { read: () => 0x1234 }, 'bad-device');
  const exit = await vm.start();
  t.is(exit.reason, 'error');
  t.regex(exit.message ?? '', /bad-device: read\(0x1, 1\) returned 4660/);
});

maybeAsm('MMIO device, MSR hook and hypercall hook from a 32-bit multiboot kernel', async (t) => {
  const kernel = assembleKernel(
    'api-hooks',
    `
_start:
  movl $0xd0000000, %ebx
  movl $0x11223344, 8(%ebx)
  movl 0x10(%ebx), %esi          # MMIO read -> 0x2a
  movl $0x40000123, %ecx
  rdmsr                          # hook: 0x100000007 -> edx:eax
  addl %eax, %esi                # 0x2a + 7
  addl %edx, %esi                # + 1
  movl $0x40000123, %ecx
  movl $0x99, %eax
  xorl %edx, %edx
  wrmsr                          # hook records it
  movl $5, %eax
  vmcall                         # hook: rax * 3
  addl %eax, %esi                # + 15 = 0x41
  movl %esi, %eax
  outb %al, $0xf4
`,
  );
  const vm = createMachine({ kernel, memoryBytes: 8 * 1024 * 1024, serial: 'none', devices: [ISA_DEBUG_EXIT] });
  const mmio: string[] = [];
  vm.addMmioDevice(0xd000_0000, 0x1000, {
    read: (offset, size) => {
      mmio.push(`r ${offset} ${size}`);
      return 0x2a;
    },
    write: (offset, size, value) => void mmio.push(`w ${offset} ${size} 0x${value.toString(16)}`),
  });
  const msrWrites: bigint[] = [];
  vm.addMsrHandler(0x40000123, 0x40000123, {
    read: () => 0x1_0000_0007n,
    write: (_index, value) => void msrWrites.push(value),
  });
  vm.setHypercallHandler((call) => {
    t.is(call.instruction, 'vmcall');
    return call.rax * 3n;
  });
  t.deepEqual(await vm.start(), { status: (0x41 << 1) | 1, reason: 'debug-exit' });
  t.deepEqual(mmio, ['w 8 4 0x11223344', 'r 16 4']);
  t.deepEqual(msrWrites, [0x99n]);
});

maybeAsm('a hypercall hook returning RAISE_UD gives the guest #UD (no IDT: triple fault, shutdown)', async (t) => {
  const kernel = assembleKernel('api-ud', `_start:\n  vmcall\n  movb $1, %al\n  outb %al, $0xf4\n`);
  const vm = createMachine({ kernel, memoryBytes: 8 * 1024 * 1024, serial: 'none', noReboot: true, devices: [ISA_DEBUG_EXIT] });
  vm.setHypercallHandler(() => RAISE_UD);
  t.deepEqual(await vm.start(), { status: 0, reason: 'shutdown' });
});
