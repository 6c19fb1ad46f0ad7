/** The KVM CPUID leaves and the -cpu effect on the CPUID table. */
import test from 'ava';
import { buildCpuidTable, HYPERVISOR_BIT } from '../../lib/machine/cpuid.js';
import type { CpuidEntry } from '../../lib/hypervisor/vm.js';
import { hypervisorLeaves, resolveCpuSelection } from '../../lib/paravirt/cpu-selection.js';

function tableFor(model: string | undefined, flags?: Record<string, boolean | number | string>): CpuidEntry[] {
  const sel = resolveCpuSelection(model, flags);
  return buildCpuidTable({ model: sel.model, features: sel.coreFeatures, hypervisorLeaves: hypervisorLeaves(sel, []) });
}
const find = (t: CpuidEntry[], fn: number) => t.find((e) => e.function === fn);
const text = (...regs: number[]) => Buffer.concat(regs.map((r) => { const b = Buffer.alloc(4); b.writeUInt32LE(r); return b; })).toString('latin1');

test('no -cpu: no hypervisor bit and no hypervisor leaves', (t) => {
  const table = tableFor(undefined);
  t.is(find(table, 1)!.ecx & (1 << HYPERVISOR_BIT), 0);
  t.is(find(table, 0x40000000), undefined);
});

test('qemu64/kvm64: KVMKVMKVM, QEMU\'s implemented defaults (kvmclock, nopiodelay, steal time, PV EOI, stable bit)', (t) => {
  for (const model of ['qemu64', 'kvm64']) {
    const table = tableFor(model);
    t.not(find(table, 1)!.ecx & (1 << HYPERVISOR_BIT), 0);
    const sig = find(table, 0x40000000)!;
    t.is(sig.eax, 0x40000001);
    t.is(text(sig.ebx, sig.ecx, sig.edx), 'KVMKVMKVM\0\0\0');
    t.is(find(table, 0x40000001)!.eax, (1 << 0) | (1 << 1) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 24));
    t.is(find(table, 0x40000001)!.edx, 0, 'no hints');
  }
});

test('flags add and remove KVM bits; kvm=off hides the leaves', (t) => {
  const eax = (flags: Record<string, boolean>) => find(tableFor('qemu64', flags), 0x40000001)?.eax;
  const base = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 5) | (1 << 6);
  t.is(eax({ 'kvm-pv-ipi': true, 'kvm-pv-sched-yield': true, 'kvmclock-stable-bit': false }), base | (1 << 11) | (1 << 13));
  t.is(eax({ kvmclock: false, 'kvmclock-stable-bit': false, 'kvm-nopiodelay': false, 'kvm-steal-time': false, 'kvm-pv-eoi': false }), 0);
  t.is(eax({ 'kvm-hcqueue': true }), (base | (1 << 24) | (1 << 30)) >>> 0, 'tsvisor\'s queue: bit 30');
  t.is(
    eax({ 'kvm-pv-tlb-flush': true, 'kvm-poll-control': true, 'kvm-msi-ext-dest-id': true, 'kvm-pv-eoi': false }),
    ((base & ~(1 << 6)) | (1 << 9) | (1 << 12) | (1 << 15) | (1 << 24)) >>> 0,
    'PV TLB flush 9, poll control 12, MSI extended destination ID 15; PV EOI 6 off',
  );
  const off = tableFor('qemu64', { kvm: false });
  t.is(find(off, 0x40000000), undefined);
  t.is(find(off, 1)!.ecx & (1 << HYPERVISOR_BIT), 0);
});

test('max: every KVM feature tsvisor implements except the opt-in PV unhalt', (t) => {
  t.is(find(tableFor('max'), 0x40000001)!.eax, 0x4100ba6b);
});

test('PV TLB flush works through steal time: a model default without steal time drops it', (t) => {
  t.is(find(tableFor('max', { 'kvm-steal-time': false }), 0x40000001)!.eax & ((1 << 5) | (1 << 9)), 0);
});

test('with a Hyper-V flag on, the model\'s KVM leaves are offered only on request', (t) => {
  const table = tableFor('qemu64', { 'hv-relaxed': true });
  t.is(find(table, 0x40000100), undefined, 'no KVM signature a guest could prefer to Hyper-V');
  const asked = tableFor('qemu64', { 'hv-relaxed': true, kvmclock: true });
  t.not(find(asked, 0x40000100), undefined, 'a KVM feature named asks for the leaves');
});

test('with a Hyper-V flag on the KVM leaves move to 0x40000100', (t) => {
  const table = tableFor('qemu64', { 'hv-relaxed': true, kvm: true });
  t.is(find(table, 0x40000000), undefined, 'lib/hyperv provides 0x40000000 itself');
  const sig = find(table, 0x40000100)!;
  t.is(sig.eax, 0x40000101);
  t.is(text(sig.ebx, sig.ecx, sig.edx), 'KVMKVMKVM\0\0\0');
});

test('-feature really removes the CPUID bit', (t) => {
  const table = tableFor('max', { popcnt: false, nx: false, 'tsc-adjust': false, clflush: false });
  t.is(find(table, 1)!.ecx & (1 << 23), 0, 'POPCNT');
  t.is(find(table, 1)!.edx & (1 << 19), 0, 'CLFSH');
  t.is(find(table, 0x80000001)!.edx & (1 << 20), 0, 'NX');
  t.is(find(table, 7)!.ebx & (1 << 1), 0, 'TSC_ADJUST');
  t.not(find(table, 1)!.ecx & (1 << 22), 0, 'MOVBE stays');
});
