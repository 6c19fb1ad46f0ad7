/**
 * Choosing the kvm backend: the QEMU spellings, the fallback list with its
 * one-line note, the one-line error when KVM alone is asked for and the host
 * cannot run it, and what the machine refuses or drops on kvm. Everything but
 * the last test runs without /dev/kvm (the host's answer is injected).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fromQemuArgs } from '../../lib/qemu-compat/index.js';
import { createVm } from '../../lib/hypervisor/vm.js';
import { BackendUnavailableError } from '../../lib/hypervisor/errors.js';
import { hypercallInstruction, hypercallPageCode, KVM_HYPERCALL_PORT } from '../../lib/hypervisor/hypercall-trap.js';
import type { NativeAddon } from '../../lib/hypervisor/native-types.js';
import { defaultMachineConfig, validateMachineConfig } from '../../lib/machine/config.js';
import { cpuSelectionForBackend } from '../../lib/machine/kvm-backend-limits.js';
import { resolveCpuSelection } from '../../lib/paravirt/cpu-selection.js';
import { HypercallPage } from '../../lib/hyperv/hypercall-page.js';
import { GuestMemory } from '../../lib/machine/guest-memory.js';
import { kvmUnavailable } from '../helpers/kvm-host.js';
import { guestPath } from '../helpers/run-guest.js';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { testWhen } from '../helpers/test-when.js';

const KERNEL = ['-kernel', 'k.elf'];
const NO_DEV_KVM = 'KVM is not usable: /dev/kvm does not exist';

function choose(argv: string[], kvmReason: string | undefined): { accel?: string; error?: string; notes: string[] } {
  const notes: string[] = [];
  try {
    const config = fromQemuArgs([...KERNEL, ...argv], {
      backends: ['interp', 'kvm'],
      unusableReason: (a) => (a === 'kvm' ? kvmReason : undefined),
      warn: (line) => notes.push(line),
      stdout: { write: () => true },
      stdin: process.stdin,
    });
    return { accel: config.accel, notes };
  } catch (err) {
    return { error: (err as Error).message, notes };
  }
}

test('every KVM spelling selects kvm when the host can run it, silently', (t) => {
  for (const argv of [['-accel', 'kvm'], ['-enable-kvm'], ['-machine', 'accel=kvm'], ['-M', 'pc,accel=kvm:tcg'], ['-accel', 'kvm', '-accel', 'tcg']]) {
    t.deepEqual(choose(argv, undefined), { accel: 'kvm', notes: [] }, argv.join(' '));
  }
});

test('kvm alone on a host without usable KVM: one line naming the option and the reason', (t) => {
  t.deepEqual(choose(['-accel', 'kvm'], NO_DEV_KVM), { error: `-accel kvm: ${NO_DEV_KVM}`, notes: [] });
  t.deepEqual(choose(['-enable-kvm'], NO_DEV_KVM), { error: `-enable-kvm: ${NO_DEV_KVM}`, notes: [] });
  t.deepEqual(choose(['-machine', 'accel=kvm'], 'KVM is not usable: cannot open /dev/kvm: Permission denied'), {
    error: '-machine accel=kvm: KVM is not usable: cannot open /dev/kvm: Permission denied',
    notes: [],
  });
});

test('accel=kvm:tcg falls back to the interpreter with one line saying why', (t) => {
  t.deepEqual(choose(['-machine', 'accel=kvm:tcg'], NO_DEV_KVM), {
    accel: 'interp',
    notes: [`-machine accel=kvm:tcg: ${NO_DEV_KVM}; falling back to tcg`],
  });
  t.deepEqual(choose(['-accel', 'kvm', '-accel', 'tcg'], NO_DEV_KVM), { accel: 'interp', notes: [`-accel kvm: ${NO_DEV_KVM}; falling back to tcg`] });
  // tcg first: kvm is never considered
  t.deepEqual(choose(['-machine', 'accel=tcg:kvm'], NO_DEV_KVM), { accel: 'interp', notes: [] });
});

test('createVm reports the probe answer of the addon', (t) => {
  const addon = {
    abiVersion: 1,
    backends: () => ['interp', 'kvm'],
    hostMonotonicNs: () => 0n,
    createVm: () => {
      throw new Error('must not be reached');
    },
    kvmProbe: () => 'KVM_CREATE_VM fails: Device or resource busy',
  } as unknown as NativeAddon;
  t.throws(() => createVm({ accel: 'kvm', addon }), { instanceOf: BackendUnavailableError, message: 'KVM is not usable: KVM_CREATE_VM fails: Device or resource busy' });
});

test('the machine refuses -icount and VMCALL-only KVM features on kvm, and drops model defaults of them', (t) => {
  const kvm = { ...defaultMachineConfig(), accel: 'kvm' as const };
  t.throws(() => validateMachineConfig({ ...kvm, clock: { mode: 'icount', shift: 0 } }), { message: /-icount is not allowed with hardware virtualization/ });
  t.throws(() => validateMachineConfig({ ...kvm, cpuModel: 'max', cpuFlags: { 'kvm-pv-unhalt': true } }), {
    message: /'kvm-pv-unhalt' needs KVM hypercalls in user space/,
  });
  t.notThrows(() => validateMachineConfig({ ...kvm, cpuModel: 'max' }));
  const max = resolveCpuSelection('max', undefined);
  t.true(max.kvm.has('kvm-pv-ipi') && max.kvm.has('kvm-hcqueue'), 'max offers them on the interpreter');
  const onKvm = cpuSelectionForBackend(max, 'kvm');
  for (const f of ['kvm-pv-unhalt', 'kvm-pv-ipi', 'kvm-pv-sched-yield', 'kvm-hcqueue']) t.false(onKvm.kvm.has(f), f);
  t.true(onKvm.kvm.has('kvmclock'));
  t.is(cpuSelectionForBackend(max, 'interp'), max);
});

test('the Hyper-V hypercall page traps with OUT 0x7e on kvm (CPL 0 only) and VMCALL on the interpreter', (t) => {
  t.is(KVM_HYPERCALL_PORT, 0x7e);
  t.deepEqual([...hypercallInstruction('kvm')], [0xe6, 0x7e]);
  t.deepEqual([...hypercallInstruction('interp')], [0x0f, 0x01, 0xc1]);
  const ram = new Uint8Array(0x10000);
  const memory = new GuestMemory(ram, () => {});
  // kvm: push rax; mov eax, cs; test al, 3; pop rax; jnz +3; out 0x7e, al; ret; ud2
  const kvmPage = [0x50, 0x8c, 0xc8, 0xa8, 0x03, 0x58, 0x75, 0x03, 0xe6, 0x7e, 0xc3, 0x0f, 0x0b];
  for (const [accel, bytes] of [['kvm', kvmPage], ['interp', [0x0f, 0x01, 0xc1, 0xc3]]] as const) {
    const page = new HypercallPage(memory, hypercallPageCode(accel));
    page.writeGuestOsId(1n);
    t.true(page.writeHypercallMsr(0x2000n | 1n));
    t.deepEqual([...ram.subarray(0x2000, 0x2000 + bytes.length)], [...bytes], accel);
    t.is(ram[0x2000 + bytes.length], 0xcc, `${accel}: INT3 after the sequence`);
  }
});

// The real host: on this machine either KVM runs the guest, or the CLI says in one line why not.
testWhen(addonAvailable(), 'the native addon is not built')('tsvisor -accel kvm on this host: runs, or one line and status 1', (t) => {
  const cli = join(__dirname, '..', '..', 'lib', 'cli.js');
  const r = spawnSync(process.execPath, [cli, '-accel', 'kvm', '-nographic', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4', '-kernel', guestPath('hello')], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (kvmUnavailable !== undefined) {
    t.is(r.status, 1);
    t.is(r.stderr, `tsvisor: -accel kvm: ${kvmUnavailable}\n`);
  } else {
    t.regex(r.stdout, /Hello from tsvisor guest/);
    t.is(r.status, 1, r.stderr); // isa-debug-exit: the guest wrote 0 → (0 << 1) | 1
  }
});
