/** Every API argument is checked in TypeScript with a typed error naming it. */
import test from 'ava';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { ApiArgumentError, BusConflictError, GuestMemoryError, MachineConfigError, MachineStateError, createMachine } from '../../lib/index.js';
import { JMP_SELF, realModeMachine } from './real-mode-code.js';
import { testWhen } from '../helpers/test-when.js';

const maybe = testWhen(addonAvailable(), 'needs the native addon');

maybe('config errors name the field', (t) => {
  t.throws(() => createMachine({ memoryBytes: 12345 }), { instanceOf: MachineConfigError, message: /memoryBytes/ });
  t.throws(() => createMachine(null as never), { instanceOf: ApiArgumentError, message: /config must be an object/ });
  t.throws(() => createMachine({ serial: { output: 42 as never } }), { instanceOf: ApiArgumentError, message: /serial.output/ });
});

maybe('memory access is bounds-checked', (t) => {
  const vm = realModeMachine(JMP_SELF);
  const size = vm.machine.config.memoryBytes;
  t.is(vm.readPhysical(size - 4, 4).length, 4);
  t.throws(() => vm.readPhysical(size - 4, 5), { instanceOf: GuestMemoryError });
  t.throws(() => vm.readPhysical(-1, 1), { instanceOf: ApiArgumentError, message: /gpa/ });
  t.throws(() => vm.readPhysical(2n ** 60n, 1), { instanceOf: ApiArgumentError, message: /gpa/ });
  t.throws(() => vm.readPhysical(0, 1.5), { instanceOf: ApiArgumentError, message: /length/ });
  t.throws(() => vm.writePhysical(size, Uint8Array.of(1)), { instanceOf: GuestMemoryError });
  t.throws(() => vm.writePhysical(0, [1, 2] as never), { instanceOf: ApiArgumentError, message: /Uint8Array/ });
  vm.destroy();
});

maybe('register access checks names, values and the cpu index', (t) => {
  const vm = realModeMachine(JMP_SELF);
  vm.setRegisters(0, { rax: 0xffff_ffff_ffff_ffffn, rbx: 5, r15: -1n });
  const regs = vm.getRegisters(0);
  t.is(regs.rax, 0xffff_ffff_ffff_ffffn);
  t.is(regs.rbx, 5n);
  t.is(regs.r15, 0xffff_ffff_ffff_ffffn);
  t.throws(() => vm.setRegisters(0, { cr0: 1n } as never), { instanceOf: ApiArgumentError, message: /'cr0' cannot be set/ });
  t.throws(() => vm.setRegisters(0, { rax: 2n ** 64n }), { instanceOf: ApiArgumentError, message: /64 bits/ });
  t.throws(() => vm.setRegisters(0, { rax: 1.5 }), { instanceOf: ApiArgumentError });
  t.throws(() => vm.setRegisters(0, { rflags: 0n }), { instanceOf: ApiArgumentError, message: /reserved/ });
  t.throws(() => vm.setRegisters(0, { cs: { base: 0n, limit: 0xffff, selector: 0x10000, attr: 0 } }), { instanceOf: ApiArgumentError, message: /cs.selector/ });
  t.throws(() => vm.getRegisters(1), { instanceOf: ApiArgumentError, message: /cpu/ });
  // A bad field leaves the others unwritten.
  t.throws(() => vm.setRegisters(0, { rcx: 9n, rdx: 'x' as never }));
  t.is(vm.getRegisters(0).rcx, 0n);
  vm.destroy();
});

maybe('devices are checked and only added before start', async (t) => {
  const vm = realModeMachine(JMP_SELF);
  t.throws(() => vm.addPioDevice(0xfffe, 4, { read: () => 0 }), { instanceOf: ApiArgumentError, message: /past 0xffff/ });
  t.throws(() => vm.addPioDevice(0x60, 1, {}), { instanceOf: ApiArgumentError, message: /read or a write/ });
  t.throws(() => vm.addPioDevice(0x60, 1, { read: 1 } as never), { instanceOf: ApiArgumentError, message: /handler.read/ });
  t.throws(() => vm.addPioDevice(0xf4, 1, { read: () => 0 }), { instanceOf: BusConflictError });
  t.throws(() => vm.addMmioDevice(0x1000, 16, { read: () => 0 }), { instanceOf: ApiArgumentError, message: /guest RAM/ });
  t.throws(() => vm.addMmioDevice(0xfee0_0800, 16, { read: () => 0 }), { instanceOf: ApiArgumentError, message: /local APIC/ });
  t.throws(() => vm.addMmioDevice(0xfec0_0000, 16, { read: () => 0 }), { instanceOf: BusConflictError });
  t.throws(() => vm.addMsrHandler(5, 4, { read: () => 0n }), { instanceOf: ApiArgumentError, message: /last/ });
  t.throws(() => vm.setHypercallHandler('x' as never), { instanceOf: ApiArgumentError });
  const run = vm.start();
  t.throws(() => vm.addPioDevice(0x60, 1, { read: () => 0 }), { instanceOf: MachineStateError });
  await vm.stop();
  await run;
});
