/** The typed wrapper validates arguments before they reach the addon, and maps the shared buffer at the ABI offsets. */
import test from 'ava';
import * as abi from '../../lib/hypervisor/abi.generated.js';
import { BackendUnavailableError, HypervisorArgumentError } from '../../lib/hypervisor/errors.js';
import { backendName, checkJitEnvironment, createVm } from '../../lib/hypervisor/vm.js';
import { FakeAddon } from '../helpers/fake-backend.js';

test('accelerator names: tcg is an alias of interp; kvm needs a kvm build', (t) => {
  t.is(backendName('tcg'), 'interp');
  t.is(backendName('interp'), 'interp');
  t.throws(() => backendName('hvf'), { instanceOf: HypervisorArgumentError, message: /unknown accelerator 'hvf'/ });
  const addon = new FakeAddon();
  t.is(createVm({ accel: 'tcg', addon }).accel, 'interp');
  t.throws(() => createVm({ accel: 'kvm', addon }), { instanceOf: BackendUnavailableError, message: /KVM backend not available/ });
});

test('memory regions: page multiples, buffer bounds, no overlap', (t) => {
  const addon = new FakeAddon();
  const vm = createVm({ accel: 'interp', addon });
  const ram = vm.allocateMemory(0x10000);
  t.throws(() => vm.allocateMemory(1000), { instanceOf: HypervisorArgumentError, message: /multiple of 4096/ });
  t.throws(() => vm.setMemoryRegion(0, 0x1001, 0x1000, ram), { message: /gpa must be a non-negative multiple of 4096/ });
  t.throws(() => vm.setMemoryRegion(0, 0, 0x20000, ram), { message: /exceeds the 65536-byte buffer/ });
  vm.setMemoryRegion(0, 0, 0x10000, ram);
  t.throws(() => vm.setMemoryRegion(1, 0x8000, 0x8000, ram, 0x8000), { message: /overlaps slot 0/ });
  t.throws(() => vm.setMemoryRegion(1, 0x10000, 0x1000, ram, 0, 4), { message: /unknown memory region flags/ });
  vm.setMemoryRegion(1, 0x10000, 0x1000, ram, 0, abi.TSV_MEM_READONLY);
  vm.setMemoryRegion(1, 0, 0, null);
  t.throws(() => vm.setMemoryRegion(1, 0, 0, null), { message: /slot 1 is not mapped/ });
  t.is(addon.vms[0]!.regions.size, 1);
});

test('cpuid, MSR ranges, vCPU ids are checked', (t) => {
  const addon = new FakeAddon();
  const vm = createVm({ accel: 'interp', addon });
  vm.setCpuid([{ function: 0x40000000, index: 0, eax: 1, ebx: 2, ecx: 3, edx: 4, significantIndex: true }]);
  t.deepEqual([...addon.vms[0]!.cpuid!], [0x40000000, 0, abi.TSV_CPUID_FLAG_SIGNIFICANT_INDEX, 1, 2, 3, 4]);
  t.throws(() => vm.setCpuid([{ function: -1, index: 0, eax: 0, ebx: 0, ecx: 0, edx: 0 }]), { message: /cpuid entry 0 function/ });
  vm.setMsrExitRanges([[0x40000000, 0x400000ff]]);
  t.throws(() => vm.setMsrExitRanges([[5, 4]]), { message: /below start/ });
  vm.createVcpu(0);
  t.throws(() => vm.createVcpu(0), { message: /already exists/ });
  t.throws(() => vm.createVcpu(256), { message: /0\.\.255/ });
  vm.destroy();
  t.throws(() => vm.createVcpu(1), { message: /destroyed/ });
});

test('vCPU views: registers, segments and exit record at the ABI offsets', (t) => {
  const addon = new FakeAddon();
  const vm = createVm({ accel: 'interp', addon });
  const vcpu = vm.createVcpu(0);
  const raw = new DataView(vcpu.state);
  vcpu.rax = 0x1122334455667788n;
  vcpu.r15 = -1n;
  vcpu.rip = 0x100000n;
  t.is(raw.getBigUint64(abi.TSV_OFF_GPR, true), 0x1122334455667788n);
  t.is(raw.getBigUint64(abi.TSV_OFF_GPR + 15 * 8, true), 0xffffffffffffffffn);
  t.is(vcpu.ripNumber, 0x100000);
  vcpu.setGpr32(3, 0xdeadbeef);
  t.is(vcpu.rbx, 0xdeadbeefn);
  vcpu.cs = { base: 0x1000n, limit: 0xffff, selector: 0x8, attr: 0x9b };
  t.is(raw.getUint16(abi.TSV_OFF_SEG + abi.TSV_SEG_CS * abi.TSV_SEG_SIZE + abi.TSV_SEG_OFF_SELECTOR, true), 8);
  t.deepEqual(vcpu.cs, { base: 0x1000n, limit: 0xffff, selector: 0x8, attr: 0x9b });
  vcpu.gdtr = { base: 0x5000n, limit: 0x27 };
  t.deepEqual(vcpu.gdtr, { base: 0x5000n, limit: 0x27 });
  raw.setUint16(abi.TSV_OFF_EXIT_IO_PORT, 0x3f8, true);
  raw.setUint8(abi.TSV_OFF_EXIT_IO_DIRECTION, abi.TSV_IO_OUT);
  t.is(vcpu.ioPort, 0x3f8);
  t.true(vcpu.ioIsOut);
  raw.setBigUint64(abi.TSV_OFF_EXIT_MMIO_GPA, 0xfee00300n, true);
  t.is(vcpu.mmioGpa, 0xfee00300);
  vcpu.pendingIrq = 0x20;
  t.is(raw.getInt32(abi.TSV_OFF_PENDING_IRQ, true), 0x20);
  t.throws(() => (vcpu.pendingIrq = 256), { instanceOf: HypervisorArgumentError });
  vcpu.raiseException(13, 0);
  t.is(raw.getUint8(abi.TSV_OFF_PENDING_EXCEPTION_VALID), 1);
  t.is(raw.getUint8(abi.TSV_OFF_PENDING_EXCEPTION_HAS_ERROR), 1);
  vcpu.setMaxInstructions(2 ** 40 + 5);
  t.is(raw.getBigUint64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, true), 2n ** 40n + 5n);
  t.throws(() => vcpu.getGpr(16), { message: /0\.\.15/ });
});

test('TSVISOR_JIT and TSVISOR_JIT_ARENA_KB: the documented values pass, anything else is a one-line error naming the variable', (t) => {
  for (const mode of [undefined, '', 'on', '1', 'off', '0', 'always']) t.notThrows(() => checkJitEnvironment({ TSVISOR_JIT: mode }));
  for (const kb of ['64', '16384', '1048576']) t.notThrows(() => checkJitEnvironment({ TSVISOR_JIT_ARENA_KB: kb }));
  t.throws(() => checkJitEnvironment({ TSVISOR_JIT: 'of' }), { instanceOf: HypervisorArgumentError, message: "TSVISOR_JIT: expected on, off or always, not 'of'" });
  for (const kb of ['63', '1048577', '16M', '-1', '1e3']) {
    t.throws(() => checkJitEnvironment({ TSVISOR_JIT_ARENA_KB: kb }), {
      instanceOf: HypervisorArgumentError,
      message: `TSVISOR_JIT_ARENA_KB: expected a size in KiB from 64 to 1048576, not '${kb}'`,
    });
  }
});
