/**
 * -cpu: golden argv -> MachineConfig (model and flags) and the exact one-line message of every error.
 */
import test from 'ava';
import { parseQemuArgs, QemuArgsError, toMachineConfig } from '../../lib/qemu-compat/index.js';
import { validateMachineConfig, defaultMachineConfig } from '../../lib/machine/config.js';
import { MachineConfigError } from '../../lib/machine/errors.js';

const KERNEL = ['-kernel', 'k.elf'];

function cpuOf(arg: string): { model?: string; flags?: Record<string, unknown> } {
  const config = toMachineConfig(parseQemuArgs([...KERNEL, '-cpu', arg]), { backends: ['interp'] });
  return { model: config.cpuModel, flags: config.cpuFlags };
}

function errorOf(arg: string): string {
  const err = (() => {
    try {
      parseQemuArgs([...KERNEL, '-cpu', arg]);
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  if (!(err instanceof QemuArgsError)) throw new Error(`-cpu ${arg} was accepted`);
  return err.message;
}

test('a model alone: no flags in the config', (t) => {
  for (const m of ['qemu64', 'kvm64', 'max', 'host']) t.deepEqual(cpuOf(m), { model: m, flags: undefined });
  const plain = toMachineConfig(parseQemuArgs(KERNEL), { backends: ['interp'] });
  t.is(plain.cpuModel, undefined, 'no -cpu: the base model');
});

test('every spelling of a boolean flag, later settings win', (t) => {
  t.deepEqual(cpuOf('qemu64,+kvm-pv-ipi,-kvmclock-stable-bit,kvmclock,kvm-nopiodelay=off,kvm_pv_sched_yield=on'), {
    model: 'qemu64',
    flags: { 'kvm-pv-ipi': true, 'kvmclock-stable-bit': false, kvmclock: true, 'kvm-nopiodelay': false, 'kvm-pv-sched-yield': true },
  });
  t.deepEqual(cpuOf('kvm64,-kvm-asyncpf,kvm_asyncpf_int=off'), { model: 'kvm64', flags: undefined }, 'unimplemented KVM flags may be turned off');
  t.deepEqual(cpuOf('kvm64,kvm_pv_eoi=off,+kvm-pv-tlb-flush,kvm-poll-control,kvm_msi_ext_dest_id=on'), {
    model: 'kvm64',
    flags: { 'kvm-pv-eoi': false, 'kvm-pv-tlb-flush': true, 'kvm-poll-control': true, 'kvm-msi-ext-dest-id': true },
  });
  t.deepEqual(cpuOf('kvm64,kvm_steal_time=off'), { model: 'kvm64', flags: { 'kvm-steal-time': false } });
  t.deepEqual(cpuOf('kvm64,+x2apic,-x2apic'), { model: 'kvm64', flags: { x2apic: false } });
  t.deepEqual(cpuOf('max,-popcnt,-tsc_deadline,pdpe1gb=on'), { model: 'max', flags: { popcnt: false, 'tsc-deadline': false, pdpe1gb: true } });
  t.deepEqual(cpuOf('qemu64,kvm=off'), { model: 'qemu64', flags: { kvm: false } });
  t.deepEqual(cpuOf('max,-sse4.2,sse4_1=off,+sse4-1'), { model: 'max', flags: { 'sse4-2': false, 'sse4-1': true } }, "QEMU's sse4.2 / sse4_1 spellings");
  t.deepEqual(cpuOf('qemu64,,+kvm-pv-ipi'), { model: 'qemu64', flags: { 'kvm-pv-ipi': true } }, 'empty items are skipped');
});

test('CPUID feature flags: QEMU\'s names and aliases, unimplemented ones refused on and accepted off', (t) => {
  t.deepEqual(cpuOf('qemu64,+popcnt,sse4.1=on,+ssse3,-nx,lahf_lm=off'), {
    model: 'qemu64',
    flags: { popcnt: true, 'sse4-1': true, ssse3: true, nx: false, 'lahf-lm': false },
  });
  t.deepEqual(cpuOf('kvm64,+pni,-i64,xd=off,+mtrr,+pse36,+mce'), { model: 'kvm64', flags: { sse3: true, lm: false, nx: false, mtrr: true, pse36: true, mce: true } }, 'pni, i64, xd');
  t.deepEqual(cpuOf('max,-avx,avx2=off,-svm,-vmx,-fsgsbase,-rdpid'), { model: 'max', flags: undefined }, 'turning off what no model has');
  t.deepEqual(cpuOf('qemu64,+la57'), { model: 'qemu64', flags: { la57: true } }, '5-level paging is implemented');
  t.deepEqual(cpuOf('max,la57=off'), { model: 'max', flags: { la57: false } });
  t.deepEqual(cpuOf('kvm64,+rdrand,rdseed=on'), { model: 'kvm64', flags: { rdrand: true, rdseed: true } }, 'RDRAND/RDSEED are implemented');
  t.is(errorOf('max,+avx'), "-cpu max,+avx: property 'avx' is not implemented by tsvisor");
  t.is(errorOf('qemu64,svm=on'), "-cpu qemu64,svm=on: property 'svm' is not implemented by tsvisor");
  t.is(errorOf('qemu64,+avx512f'), "-cpu qemu64,+avx512f: property 'avx512f' is not implemented by tsvisor");
  t.is(errorOf('kvm64,mca'), "-cpu kvm64,mca: property 'mca' is not implemented by tsvisor");
  t.is(errorOf('kvm64,vme'), "-cpu kvm64,vme: property 'vme' is not implemented by tsvisor");
  t.is(errorOf('qemu64,+sse5'), "-cpu qemu64,+sse5: property 'sse5' not found");
  t.is(errorOf('max,+sse4.3'), "-cpu max,+sse4.3: property 'sse4-3' not found");
});

test('valued flags (Hyper-V) and their dependencies', (t) => {
  t.deepEqual(cpuOf('qemu64,hv_spinlocks=0x1fff,hv-vendor-id=tsvisor,hv-vpindex,hv-synic'), {
    model: 'qemu64',
    flags: { 'hv-spinlocks': 0x1fff, 'hv-vendor-id': 'tsvisor', 'hv-vpindex': true, 'hv-synic': true },
  });
  t.deepEqual(cpuOf('qemu64,hv-passthrough,hv-stimer'), { model: 'qemu64', flags: { 'hv-passthrough': true, 'hv-stimer': true } });
});

test('hv-evmcs is refused with the reason (no VMX emulation); turning it off is harmless', (t) => {
  t.is(
    errorOf('qemu64,hv-vapic,hv-evmcs'),
    "-cpu qemu64,hv-vapic,hv-evmcs: property 'hv-evmcs' is not implemented by tsvisor: the enlightened VMCS is an interface for nested VMX, which tsvisor does not emulate",
  );
  t.is(
    errorOf('qemu64,hv-passthrough,+hv_evmcs'),
    "-cpu qemu64,hv-passthrough,+hv_evmcs: property 'hv-evmcs' is not implemented by tsvisor: the enlightened VMCS is an interface for nested VMX, which tsvisor does not emulate",
  );
  t.is(errorOf('qemu64,hv-xmm-input=on'), "-cpu qemu64,hv-xmm-input=on: property 'hv-xmm-input' is not implemented by tsvisor");
  t.deepEqual(cpuOf('qemu64,hv-passthrough,hv-evmcs=off,-hv-tlbflush-direct'), { model: 'qemu64', flags: { 'hv-passthrough': true } });
});

test('errors: one line naming the option, the argument and the problem', (t) => {
  t.is(errorOf('qemu64,+foo'), "-cpu qemu64,+foo: property 'foo' not found");
  t.is(errorOf('qemu64,foo=on'), "-cpu qemu64,foo=on: property 'foo' not found");
  t.is(errorOf('Skylake-Client'), "-cpu Skylake-Client: unable to find CPU model 'Skylake-Client'");
  t.is(errorOf(''), '-cpu : a CPU model name is required');
  t.is(errorOf('qemu64,+kvm-asyncpf'), "-cpu qemu64,+kvm-asyncpf: property 'kvm-asyncpf' is not implemented by tsvisor");
  t.is(errorOf('qemu64,kvm_asyncpf_int=on'), "-cpu qemu64,kvm_asyncpf_int=on: property 'kvm-asyncpf-int' is not implemented by tsvisor");
  t.is(errorOf('qemu64,+kvm-pv-tlb-flush,-kvm-steal-time'), "-cpu qemu64,+kvm-pv-tlb-flush,-kvm-steal-time: 'kvm-pv-tlb-flush' requires 'kvm-steal-time'");
  t.is(errorOf('qemu64,x2apic=maybe'), "-cpu qemu64,x2apic=maybe: property 'x2apic' takes on or off, not 'maybe'");
  t.is(errorOf('qemu64,hv-spinlocks'), "-cpu qemu64,hv-spinlocks: property 'hv-spinlocks' needs a value (hv-spinlocks=...)");
  t.is(errorOf('qemu64,+hv-spinlocks'), "-cpu qemu64,+hv-spinlocks: property 'hv-spinlocks' needs a value (hv-spinlocks=...), not +hv-spinlocks");
  t.is(errorOf('qemu64,hv-spinlocks=lots'), "-cpu qemu64,hv-spinlocks=lots: parameter 'hv-spinlocks' expects a number, not 'lots'");
  t.is(errorOf('qemu64,hv-synic'), "-cpu qemu64,hv-synic: 'hv-synic' requires 'hv-vpindex'");
  t.is(errorOf('qemu64,hv-stimer,hv-vpindex,hv-synic'), "-cpu qemu64,hv-stimer,hv-vpindex,hv-synic: 'hv-stimer' requires 'hv-time'");
  t.is(errorOf('qemu64,+kvmclock-stable-bit,-kvmclock'), "-cpu qemu64,+kvmclock-stable-bit,-kvmclock: 'kvmclock-stable-bit' requires 'kvmclock'");
  t.is(errorOf('qemu64,kvm=off,+kvm-pv-ipi'), "-cpu qemu64,kvm=off,+kvm-pv-ipi: 'kvm-pv-ipi' requires 'kvm'");
});

test('-cpu help lists the models and every flag', (t) => {
  const inv = parseQemuArgs(['-cpu', 'help']);
  t.is(inv.request.kind, 'list');
  const text = inv.request.kind === 'list' ? inv.request.text : '';
  for (const m of ['qemu64', 'kvm64', 'max', 'host']) t.regex(text, new RegExp(`^x86 ${m} `, 'm'));
  for (const f of ['kvmclock', 'kvm-pv-ipi', 'popcnt', 'x2apic', 'mtrr', 'pse36', 'sse4-1', 'hv-time', 'hv-spinlocks=UINT']) t.true(text.includes(`  ${f} `), f);
  t.regex(text, /^x86 qemu64 +QEMU Virtual CPU version 2\.5\+/m);
  t.regex(text, /^x86 kvm64 +Common KVM processor/m);
});

test('MachineConfig validation of cpuFlags (the programmatic API)', (t) => {
  const base = { ...defaultMachineConfig(), cpuModel: 'qemu64' };
  t.notThrows(() => validateMachineConfig({ ...base, cpuFlags: { kvmclock: false, popcnt: false } }));
  t.throws(() => validateMachineConfig({ ...base, cpuFlags: { nope: true } }), { instanceOf: MachineConfigError, message: "cpuFlags: property 'nope' not found" });
  t.throws(() => validateMachineConfig({ ...base, cpuFlags: { kvmclock: 1 } }), { message: "cpuFlags: property 'kvmclock' takes on or off" });
  t.throws(() => validateMachineConfig({ ...base, cpuFlags: { 'hv-passthrough': true, 'hv-evmcs': true } }), {
    instanceOf: MachineConfigError,
    message: "cpuFlags: property 'hv-evmcs' is not implemented by tsvisor: the enlightened VMCS is an interface for nested VMX, which tsvisor does not emulate",
  });
  t.throws(() => validateMachineConfig({ ...base, cpuFlags: { 'hv-spinlocks': -1 } }), { message: "cpuFlags: property 'hv-spinlocks' takes an unsigned 32-bit number" });
  t.throws(() => validateMachineConfig({ ...base, cpuModel: 'pentium' }), { message: "unknown CPU model 'pentium' (known: base, qemu64, kvm64, max, host)" });
});
