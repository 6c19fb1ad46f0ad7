/**
 * lib/hyperv pieces without a guest program: flag resolution, the CPUID
 * leaves, the 32-bit hypercall convention and #UD outside protected mode
 * (driven on a real vCPU's registers), the hypercall page MSR, the reference
 * TSC page's seqlock and its agreement with TIME_REF_COUNT.
 */
import test from 'ava';
import { defaultMachineConfig, type MachineConfig } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';
import { MachineConfigError } from '../../lib/machine/errors.js';
import { resolveHypervFeatures, HYPERV_IMPLEMENTED } from '../../lib/hyperv/features.js';
import { hypervCpuidLeaves } from '../../lib/hyperv/cpuid-leaves.js';
import { mulHigh64, referenceScale } from '../../lib/hyperv/reference-time.js';
import * as hv from '../../lib/hyperv/hyperv-proto.js';

function machine(flags: MachineConfig['cpuFlags'], smp = 1): Machine {
  return new Machine({ ...defaultMachineConfig(), serial: 'none', smp, cpuFlags: flags });
}

test('features: no hv flag = no Hyper-V; passthrough = the implemented set; -flag after passthrough removes it', (t) => {
  t.is(resolveHypervFeatures(new Map([['kvmclock', true]])), undefined);
  const all = resolveHypervFeatures(new Map([['hv-passthrough', true]]))!;
  t.deepEqual([...all.on].sort(), [...HYPERV_IMPLEMENTED].sort());
  t.is(all.vendorId, 'Microsoft Hv');
  t.is(all.spinlockRetries, 0xffff_ffff);
  const some = resolveHypervFeatures(new Map<string, boolean | number>([['hv-passthrough', true], ['hv-crash', false], ['hv-spinlocks', 0x10]]))!;
  t.false(some.on.has('hv-crash'));
  t.is(some.spinlockRetries, 0xfff, 'raised to 0xfff as QEMU does');
});

test('features: dependencies are checked, a bad vendor id is refused', (t) => {
  t.throws(() => resolveHypervFeatures(new Map([['hv-tlbflush', true]])), { instanceOf: MachineConfigError, message: /hv-tlbflush requires hv-vpindex/ });
  t.throws(() => resolveHypervFeatures(new Map([['hv-stimer', true], ['hv-synic', true], ['hv-vpindex', true]])), {
    message: /hv-stimer requires hv-time/,
  });
  t.throws(() => resolveHypervFeatures(new Map([['hv-synic', true]])), { message: /hv-synic requires hv-vpindex/ });
  t.throws(() => resolveHypervFeatures(new Map([['hv-vendor-id', 'much too long a vendor']])), { message: /1 to 12 printable/ });
});

test('CPUID leaves: vendor, interface, privileges per flag, limits', (t) => {
  const f = resolveHypervFeatures(new Map<string, boolean | string>([['hv-time', true], ['hv-vendor-id', 'tsvisorHv']]))!;
  const leaves = hypervCpuidLeaves(f, { vcpus: 4 });
  const get = (fn: number) => leaves.find((l) => l.function === fn)!;
  const v = get(0x4000_0000);
  t.is(v.eax, 0x4000_000a);
  const vendor = Buffer.alloc(12);
  vendor.writeUInt32LE(v.ebx, 0);
  vendor.writeUInt32LE(v.ecx, 4);
  vendor.writeUInt32LE(v.edx, 8);
  t.is(vendor.toString('latin1').replace(/\0+$/, ''), 'tsvisorHv');
  t.is(get(0x4000_0001).eax, hv.HYPERV_INTERFACE_SIGNATURE);
  t.is(get(0x4000_0003).eax, hv.HV_MSR_HYPERCALL_AVAILABLE | hv.HV_MSR_TIME_REF_COUNT_AVAILABLE | hv.HV_MSR_REFERENCE_TSC_AVAILABLE);
  t.is(get(0x4000_0003).edx, 0);
  t.is(get(0x4000_0005).eax, 4);
  t.deepEqual(leaves.map((l) => l.function), [...Array(11).keys()].map((i) => 0x4000_0000 + i));
});

test('Machine: Hyper-V exists only with an hv flag', (t) => {
  const plain = machine(undefined);
  t.is(plain.hyperv, undefined);
  plain.destroy();
  const m = machine({ 'hv-relaxed': true });
  t.truthy(m.hyperv);
  m.destroy();
});

test('hypercalls: 32-bit convention (EDX:EAX control, EBX:ECX input, result in EDX:EAX); #UD in real mode', (t) => {
  const m = machine({ 'hv-passthrough': true, 'hv-spinlocks': 0x2000 });
  const hyperv = m.hyperv!;
  t.true(hyperv.writeMsr(m.vcpu, hv.HV_X64_MSR_GUEST_OS_ID, 1n));
  t.true(hyperv.writeMsr(m.vcpu, hv.HV_X64_MSR_HYPERCALL, 0x10_0000n | 1n));
  t.deepEqual([...m.ram.subarray(0x10_0000, 0x10_0004)], [0x0f, 0x01, 0xc1, 0xc3]);
  const v = m.vcpu;
  // 32-bit protected mode, CPL 0: CS with D=1 and L=0.
  v.cr0 = 0x11n;
  v.efer = 0n;
  v.cs = { base: 0n, limit: 0xffff_ffff, selector: 0x08, attr: 0xc9b };
  v.rdx = 0n;
  v.rax = 0x7777n; // unknown code
  t.true(hyperv.hypercalls.claims(v, 0));
  hyperv.hypercalls.handle(v);
  t.is(v.rax, BigInt(hv.HV_STATUS_INVALID_HYPERCALL_CODE));
  t.is(v.rdx, 0n);
  // Memory form, input GPA in EBX:ECX: misaligned.
  v.rdx = 0n;
  v.rax = BigInt(hv.HVCALL_NOTIFY_LONG_SPIN_WAIT);
  v.rbx = 0n;
  v.rcx = 0x2004n;
  hyperv.hypercalls.handle(v);
  t.is(v.rax, BigInt(hv.HV_STATUS_INVALID_ALIGNMENT));
  // Fast form: rep count in EDX (bits 43:32 of the control) on a simple call.
  v.rdx = 1n;
  v.rax = BigInt(hv.HVCALL_NOTIFY_LONG_SPIN_WAIT) | 0x1_0000n;
  hyperv.hypercalls.handle(v);
  t.is(v.rax, BigInt(hv.HV_STATUS_INVALID_HYPERCALL_INPUT));
  v.rdx = 0n;
  v.rax = BigInt(hv.HVCALL_NOTIFY_LONG_SPIN_WAIT) | 0x1_0000n;
  hyperv.hypercalls.handle(v);
  t.is(v.rax, BigInt(hv.HV_STATUS_SUCCESS));
  // Real mode: #UD at the VMCALL, RAX untouched.
  v.cr0 = 0x10n;
  v.rax = 0x7777n;
  const before = hyperv.hypercalls.count;
  hyperv.hypercalls.handle(v);
  t.is(v.rax, 0x7777n);
  t.is(hyperv.hypercalls.count, before);
  m.destroy();
});

test('HYPERCALL MSR: a page outside RAM is #GP; the page is not written before GUEST_OS_ID', (t) => {
  const m = machine({ 'hv-relaxed': true });
  const h = m.hyperv!;
  m.ram.fill(0x11, 0x20_0000, 0x20_1000);
  t.true(h.writeMsr(m.vcpu, hv.HV_X64_MSR_HYPERCALL, 0x20_0001n));
  t.is(m.ram[0x20_0000], 0x11);
  t.is(h.readMsr(m.vcpu, hv.HV_X64_MSR_HYPERCALL), 0x20_0000n);
  h.writeMsr(m.vcpu, hv.HV_X64_MSR_GUEST_OS_ID, 5n);
  t.false(h.writeMsr(m.vcpu, hv.HV_X64_MSR_HYPERCALL, BigInt(m.ram.length) | 1n));
  t.is(h.readMsr(m.vcpu, hv.HV_X64_MSR_VP_INDEX), undefined, 'no hv-vpindex: #GP');
  m.destroy();
});

test('reference TSC page: seqlock publish, scale/offset agree with TIME_REF_COUNT; reset disables it', (t) => {
  const m = machine({ 'hv-time': true });
  const h = m.hyperv!;
  const page = 0x30_0000;
  t.true(h.writeMsr(m.vcpu, hv.HV_X64_MSR_REFERENCE_TSC, BigInt(page) | 1n));
  const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
  const seq1 = dv.getUint32(page, true);
  t.not(seq1, 0);
  const scale = dv.getBigUint64(page + 8, true);
  t.is(scale, referenceScale(m.clock.tscKhz));
  t.is(dv.getBigInt64(page + 16, true), 0n);
  const tsc = m.clock.tsc();
  t.is(mulHigh64(tsc, scale), h.readMsr(m.vcpu, hv.HV_X64_MSR_TIME_REF_COUNT)!);
  h.clockChanged();
  t.is(dv.getUint32(page, true), seq1 + 1, 'a republish moves the sequence on');
  // 2 GHz: 200 TSC ticks per 100 ns.
  t.is(mulHigh64(2_000_000_000n, scale), 9_999_999n, '1 s of TSC is 10^7 units, rounded down by the truncated scale');
  h.reset();
  t.is(h.readMsr(m.vcpu, hv.HV_X64_MSR_REFERENCE_TSC), 0n);
  m.destroy();
});
