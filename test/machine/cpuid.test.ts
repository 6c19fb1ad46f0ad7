import test from 'ava';
import { buildCpuidTable, checkCpuModel, cpuSignature, CPU_BRAND, FEATURES, tscFrequencyLeaves } from '../../lib/machine/cpuid.js';
import { effectiveCoreFeatures } from '../../lib/machine/cpu-models.js';
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
  t.is(l0.eax, 0x16);
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
  t.is(l1.edx, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 9) | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 16) | (1 << 19) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26));
  t.is(l1.ecx, (1 << 0) | (1 << 1) | (1 << 9) | (1 << 13) | (1 << 17) | (1 << 19) | (1 << 20) | (1 << 21) | (1 << 22) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26));
  t.is(l1.edx & (1 << 28), 0, 'no HTT with one logical processor');
  t.is(l1.ecx & (1 << 31), 0, 'no hypervisor bit');
  const e1 = leaf(table, 0x80000001);
  t.is(e1.edx >>> 0, ((1 << 11) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 29)) >>> 0);
  t.is(e1.ecx, 1 | (1 << 5), 'LAHF_LM, ABM');
  t.deepEqual(Object.keys(FEATURES.leaf1Edx), ['FPU', 'DE', 'PSE', 'TSC', 'MSR', 'PAE', 'MCE', 'CX8', 'APIC', 'SEP', 'MTRR', 'PGE', 'CMOV', 'PAT', 'PSE36', 'CLFSH', 'MMX', 'FXSR', 'SSE', 'SSE2']);
  const l7 = leaf(table, 7);
  t.deepEqual([l7.eax, l7.ebx, l7.ecx, l7.edx], [0, (1 << 1) | (1 << 3) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 19) | (1 << 20) | (1 << 23) | (1 << 24), 1 << 2, 1 << 29], 'TSC_ADJUST, BMI1, SMEP, BMI2, INVPCID, ADX, SMAP, CLFLUSHOPT, CLWB; UMIP; ARCH_CAPABILITIES');
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

const b = (...bits: number[]): number => bits.reduce((v, n) => (v | (1 << n)) >>> 0, 0);
/** QEMU's PPro set: FPU DE PSE TSC MSR PAE MCE CX8 APIC SEP PGE CMOV PAT MMX FXSR SSE SSE2. */
const PPRO_EDX = b(0, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 15, 16, 23, 24, 25, 26);
/** qemu64/kvm64 leaf 1 EDX: PPRO + MTRR, PSE36, CLFLUSH. */
const GENERIC64_EDX = (PPRO_EDX | b(12, 17, 19)) >>> 0;

function identity(table: CpuidEntry[]): { vendor: string; signature: number; brand: string; levels: [number, number] } {
  const l0 = leaf(table, 0);
  const brand = [2, 3, 4].map((i) => leaf(table, 0x80000000 + i)).flatMap((e) => [e.eax, e.ebx, e.ecx, e.edx]);
  return { vendor: regText(l0.ebx, l0.edx, l0.ecx), signature: leaf(table, 1).eax, brand: regText(...brand).replace(/\0+$/, ''), levels: [l0.eax, leaf(table, 0x80000000).eax] };
}

test('signature: family and model above 15 use the extended fields', (t) => {
  t.is(cpuSignature(6, 15, 1), 0x6f1);
  t.is(cpuSignature(15, 107, 1), 0x60fb1, 'qemu64: family 15 (no extended family), model 0x6b');
  t.is(cpuSignature(15, 6, 1), 0xf61, 'kvm64');
  t.is(cpuSignature(0x19, 0x21, 0), 0xa20f10, 'family 0x19 = 0xf + 0xa');
});

test('qemu64: QEMU\'s identity and features (without MCA, SVM: not implemented)', (t) => {
  const table = buildCpuidTable({ model: 'qemu64' });
  t.deepEqual(identity(table), { vendor: 'AuthenticAMD', signature: 0x60fb1, brand: 'QEMU Virtual CPU version 2.5+', levels: [0xd, 0x8000000a] });
  const l1 = leaf(table, 1);
  t.is(l1.edx, GENERIC64_EDX);
  t.is(l1.ecx, b(0, 13), 'SSE3, CX16');
  const l7 = leaf(table, 7);
  t.deepEqual([l7.ebx, l7.ecx, l7.edx], [0, 0, 0]);
  const e0 = leaf(table, 0x80000000);
  t.is(regText(e0.ebx, e0.edx, e0.ecx), 'AuthenticAMD', 'AMD repeats the vendor in 0x80000000');
  const e1 = leaf(table, 0x80000001);
  t.is(e1.edx, ((GENERIC64_EDX & 0x0183f3ff) | b(11, 20, 29)) >>> 0, 'AMD aliases of leaf 1 EDX + SYSCALL, NX, LM');
  t.is(e1.ecx, b(0), 'LAHF_LM (SVM not implemented)');
  t.deepEqual(table.filter((e) => e.function === 0x80000009 || e.function === 0x8000000a).map((e) => [e.eax, e.ebx, e.ecx, e.edx]), [[0, 0, 0, 0], [0, 0, 0, 0]]);
});

test('kvm64: QEMU\'s identity and features (without VME, MCA: not implemented)', (t) => {
  const table = buildCpuidTable({ model: 'kvm64' });
  t.deepEqual(identity(table), { vendor: 'GenuineIntel', signature: 0xf61, brand: 'Common KVM processor', levels: [0xd, 0x80000008] });
  const l1 = leaf(table, 1);
  t.is(l1.edx, GENERIC64_EDX);
  t.is(l1.ecx, b(0, 13), 'SSE3, CX16');
  const e0 = leaf(table, 0x80000000);
  t.deepEqual([e0.ebx, e0.ecx, e0.edx], [0, 0, 0]);
  const e1 = leaf(table, 0x80000001);
  t.is(e1.edx, b(11, 20, 29), 'SYSCALL, NX, LM');
  t.is(e1.ecx, 0);
});

test('max and host: every implemented feature, tsvisor\'s identity', (t) => {
  for (const model of ['max', 'host']) {
    const table = buildCpuidTable({ model });
    t.deepEqual(identity(table), { vendor: 'GenuineIntel', signature: 0x6f1, brand: CPU_BRAND, levels: [0x16, 0x80000008] });
    const l1 = leaf(table, 1);
    t.is(l1.edx, (buildCpuidTable().find((e) => e.function === 1)!.edx | b(7, 12, 17)) >>> 0, 'base + MCE, MTRR, PSE36');
    t.is(l1.ecx, (leaf(buildCpuidTable(), 1).ecx | b(30)) >>> 0, 'base + RDRAND');
    const l7 = leaf(table, 7);
    t.is(l7.ebx, Object.values(FEATURES.leaf7Ebx).reduce((v, n) => (v | (1 << n)) >>> 0, 0));
    t.is(l7.ecx, b(2, 16), 'UMIP, LA57');
    t.is(leaf(table, 0x80000008).eax, 40 | (57 << 8), '57-bit linear addresses with LA57');
    t.is(l7.edx, b(29), 'ARCH_CAPABILITIES');
  }
});

test('leaves 0x15/0x16: the TSC is 2x the 1 GHz crystal that drives the APIC timer; 2000 MHz base and maximum', (t) => {
  for (const model of [undefined, 'max', 'host']) {
    const table = buildCpuidTable({ model });
    const l15 = leaf(table, 0x15);
    t.deepEqual([l15.eax, l15.ebx, l15.ecx, l15.edx], [1, 2, 1_000_000_000, 0], `${model ?? 'base'}: denominator, numerator, crystal Hz`);
    const l16 = leaf(table, 0x16);
    t.deepEqual([l16.eax, l16.ebx, l16.ecx, l16.edx], [2000, 2000, 1000, 0], `${model ?? 'base'}: base, max, bus MHz`);
    for (let fn = 0xe; fn <= 0x14; fn++) t.deepEqual([leaf(table, fn).eax, leaf(table, fn).ebx, leaf(table, fn).ecx, leaf(table, fn).edx], [0, 0, 0, 0], `leaf 0x${fn.toString(16)} empty`);
  }
  // the machine's own rate (a KVM backend's) is stated as a reduced ratio
  const kvm = buildCpuidTable({ tscKhz: 2_400_000, crystalHz: 1_000_000_000 });
  t.deepEqual([leaf(kvm, 0x15).eax, leaf(kvm, 0x15).ebx], [5, 12]);
  t.is(leaf(kvm, 0x16).eax, 2400);
  // QEMU's models stop at leaf 0xD
  for (const model of ['qemu64', 'kvm64']) t.is(buildCpuidTable({ model }).find((e) => e.function === 0x15), undefined, model);
});

test('leaves 0x15/0x16 stay zero for a TSC rate a guest could not compute exactly', (t) => {
  // 2899.998 MHz: crystal kHz x numerator overflows Linux's 32-bit product, and 0x16 holds whole MHz
  t.is(tscFrequencyLeaves(2_899_998, 1_000_000_000), undefined);
  const table = buildCpuidTable({ tscKhz: 2_899_998 });
  t.deepEqual([leaf(table, 0x15).eax, leaf(table, 0x15).ebx, leaf(table, 0x15).ecx], [0, 0, 0]);
  t.deepEqual([leaf(table, 0x16).eax, leaf(table, 0x16).ebx, leaf(table, 0x16).ecx], [0, 0, 0]);
  t.is(tscFrequencyLeaves(2_000_000, 999_999), undefined, 'crystal not a whole kHz');
  t.deepEqual(tscFrequencyLeaves(3_000_000, 25_000_000), { l15: [1, 120, 25_000_000], l16: [3000, 3000, 25] });
});

test('LA57 only in max/host, and through the -cpu edits', (t) => {
  for (const model of [undefined, 'qemu64', 'kvm64']) {
    const table = buildCpuidTable({ model });
    t.is(leaf(table, 7).ecx & b(16), 0, `${model ?? 'base'}: no LA57`);
    t.is(leaf(table, 1).ecx & b(30), 0, `${model ?? 'base'}: no RDRAND`);
    t.is(leaf(table, 7).ebx & b(18), 0, `${model ?? 'base'}: no RDSEED`);
    t.is(leaf(table, 0x80000008).eax >> 8, 48, `${model ?? 'base'}: 48-bit linear addresses`);
  }
  const qemu = buildCpuidTable({ model: 'qemu64', features: effectiveCoreFeatures('qemu64', new Map([['la57', true]])) });
  t.is(leaf(qemu, 7).ecx & b(16), b(16), 'qemu64,+la57');
  t.is(leaf(qemu, 0x80000008).eax >> 8, 57);
  const max = buildCpuidTable({ model: 'max', features: effectiveCoreFeatures('max', new Map([['la57', false]])) });
  t.is(leaf(max, 7).ecx & b(16), 0, 'max,-la57');
  t.is(leaf(max, 0x80000008).eax >> 8, 48);
});

test('-cpu edits: +feature adds an implemented bit to a model, -feature removes it', (t) => {
  const features = effectiveCoreFeatures('qemu64', new Map<string, unknown>([['popcnt', true], ['sse4-2', true], ['nx', false], ['kvmclock', false]]));
  const table = buildCpuidTable({ model: 'qemu64', features });
  t.is(leaf(table, 1).ecx, b(0, 13, 20, 23), 'SSE3, CX16 + SSE4.2, POPCNT');
  t.is(leaf(table, 0x80000001).edx & (1 << 20), 0, 'NX removed');
  const max = buildCpuidTable({ model: 'max', features: effectiveCoreFeatures('max', new Map([['x2apic', false], ['mtrr', false]])) });
  t.is(leaf(max, 1).ecx & (1 << 21), 0);
  t.is(leaf(max, 1).edx & (1 << 12), 0);
});
