import test from 'ava';
import { buildCpuidTable, checkCpuModel, CPU_BRAND, FEATURES } from '../../lib/machine/cpuid.js';
import type { CpuidEntry } from '../../lib/hypervisor/vm.js';

function leaf(entries: CpuidEntry[], fn: number): CpuidEntry {
  const e = entries.find((x) => x.function === fn && x.index === 0);
  if (!e) throw new Error('no leaf ' + fn.toString(16));
  return e;
}
const regText = (...regs: number[]) => Buffer.concat(regs.map((r) => { const b = Buffer.alloc(4); b.writeUInt32LE(r); return b; })).toString('latin1');

test('vendor, max leaves, signature, APIC ID', (t) => {
  const table = buildCpuidTable({ apicId: 3 });
  const l0 = leaf(table, 0);
  t.is(regText(l0.ebx, l0.edx, l0.ecx), 'GenuineIntel');
  t.is(l0.eax, 0xd);
  const l1 = leaf(table, 1);
  t.is((l1.eax >> 8) & 0xf, 6);
  t.is(l1.ebx >>> 24, 3);
  t.is((l1.ebx >> 8) & 0xff, 8, 'CLFLUSH line size in 8-byte units');
  t.is((l1.ebx >> 16) & 0xff, 1);
  t.is(leaf(table, 0x80000000).eax, 0x80000008);
  const brand = [2, 3, 4].map((i) => leaf(table, 0x80000000 + i)).flatMap((e) => [e.eax, e.ebx, e.ecx, e.edx]);
  t.is(regText(...brand).replace(/\0+$/, ''), CPU_BRAND);
  t.is(leaf(table, 0x80000008).eax, 40 | (48 << 8));
});

test('feature bits are exactly the advertised list (no hypervisor bit)', (t) => {
  const table = buildCpuidTable();
  const l1 = leaf(table, 1);
  t.is(l1.edx, (1 << 0) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 9) | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 16) | (1 << 19) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26));
  t.is(l1.ecx, (1 << 0) | (1 << 1) | (1 << 9) | (1 << 13) | (1 << 17) | (1 << 19) | (1 << 20) | (1 << 21) | (1 << 22) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26));
  t.is(l1.edx & (1 << 28), 0, 'no HTT with one logical processor');
  t.is(l1.ecx & (1 << 31), 0, 'no hypervisor bit');
  const e1 = leaf(table, 0x80000001);
  t.is(e1.edx >>> 0, ((1 << 11) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 29)) >>> 0);
  t.is(e1.ecx, 1 | (1 << 5), 'LAHF_LM, ABM');
  t.deepEqual(Object.keys(FEATURES.leaf1Edx), ['FPU', 'PSE', 'TSC', 'MSR', 'PAE', 'CX8', 'APIC', 'SEP', 'PGE', 'CMOV', 'PAT', 'CLFSH', 'MMX', 'FXSR', 'SSE', 'SSE2']);
  const l7 = leaf(table, 7);
  t.deepEqual([l7.eax, l7.ebx, l7.ecx, l7.edx], [0, (1 << 1) | (1 << 3) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 19) | (1 << 20) | (1 << 23) | (1 << 24), 1 << 2, 0], 'TSC_ADJUST, BMI1, SMEP, BMI2, INVPCID, ADX, SMAP, CLFLUSHOPT, CLWB; UMIP');
});

test('cpu model names', (t) => {
  t.notThrows(() => checkCpuModel(undefined));
  t.notThrows(() => checkCpuModel('max'));
  t.throws(() => checkCpuModel('Skylake'), { message: "unknown CPU model 'Skylake' (known: base, qemu64, kvm64, max, host)" });
});

test('SMP: per-vCPU APIC IDs, HTT and logical count, leaf 0xB topology', (t) => {
  const table = buildCpuidTable({ apicId: 5, logicalProcessors: 6 });
  const l1 = leaf(table, 1);
  t.is(l1.ebx >>> 24, 5);
  t.is((l1.ebx >> 16) & 0xff, 6);
  t.not(l1.edx & (1 << 28), 0, 'HTT');
  const sub = (i: number) => table.find((e) => e.function === 0xb && e.index === i)!;
  t.deepEqual([sub(0).eax, sub(0).ebx, sub(0).ecx, sub(0).edx], [0, 1, 0x100, 5], 'SMT level: one thread per core');
  t.deepEqual([sub(1).eax, sub(1).ebx, sub(1).ecx, sub(1).edx], [3, 6, 0x201, 5], 'core level: 6 cores, 3 ID bits');
  t.deepEqual([sub(2).ecx & 0xff00, sub(2).edx], [0, 5], 'no further level');
  t.true(sub(0).significantIndex);
});
