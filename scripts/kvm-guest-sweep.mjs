#!/usr/bin/env node
// Runs the guest programs of test/guests on one backend and prints one line per
// guest: "pass", or "FAIL" with the reason and the guest's own FAIL: lines. For
// finding out which guests a /dev/kvm runs (scripts/kvm-in-qemu.mjs runs it inside
// a nested KVM), not a test: the tests that gate are test/kvm/*.test.ts.
//
//   node scripts/kvm-guest-sweep.mjs [--accel kvm|interp] [NAME...]
//
// The options follow the guests' own tests, with the real-time clock (KVM has no
// -icount). Left out: the benchmarks and demo, pci_assign (a sysfs fixture),
// hcqueue (VMCALL hypercalls, which KVM keeps in the kernel: docs/backends.md).
// Needs `npm run compile`; exit status 1 when a guest fails.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { runGuest } = await import(pathToFileURL(path.join(root, 'dist', 'test', 'helpers', 'run-guest.js')).href);

const STIMER = { 'hv-vpindex': true, 'hv-time': true, 'hv-synic': true, 'hv-stimer': true, 'hv-stimer-direct': true };
/** name -> runGuest options (as in the guest's test, realtime clock) */
const GUESTS = {
  hello: { append: 'hello-arg=42 second', memoryMb: 64 },
  pio: { append: 'ram_mb=64', memoryMb: 64 },
  exceptions: {},
  paging: {},
  modes: {},
  protect: {},
  cpuid_msr: {},
  xsave: {},
  apic: { append: 'realtime=1' },
  smp: { smp: 2 },
  platform: { rtcBase: { datetime: '2006-06-17T16:01:21' }, memoryMb: 128, append: 'ram_mb=128 realtime=1' },
  reset: { append: 'how=3' },
  pci: { extraDevices: [{ driver: 'pci-testdev' }] },
  acpi: { smp: 2, append: 'cpus=2' },
  kvmclock: { smp: 2, cpuModel: 'kvm64', append: 'reads=1000' },
  hv_basic: { smp: 2, cpuFlags: { 'hv-passthrough': true, 'hv-spinlocks': 0x1fff } },
  hv_synic: { smp: 2, cpuFlags: { 'hv-vpindex': true, 'hv-synic': true }, extraDevices: [{ driver: 'hyperv-testdev' }] },
  hv_stimer: { smp: 2, append: 'realtime=1', cpuFlags: STIMER },
  x87: {},
  simd_int: {},
  sse_fp: {},
  sse4: {},
};
// Guests whose passing run ends another way than isa-debug-exit status 1.
const EXPECTED_REASON = { reset: 'poweroff', acpi: 'poweroff' };

let accel = 'kvm';
const names = [];
const argv = process.argv.slice(2);
for (let k = 0; k < argv.length; k++) {
  if (argv[k] === '--accel') accel = argv[++k];
  else names.push(argv[k]);
}
if (accel !== 'kvm' && accel !== 'interp') {
  console.error(`kvm-guest-sweep: --accel: expected kvm or interp, not '${accel}'`);
  process.exit(1);
}
for (const n of names) {
  if (!(n in GUESTS)) {
    console.error(`kvm-guest-sweep: unknown guest '${n}' (known: ${Object.keys(GUESTS).join(', ')})`);
    process.exit(1);
  }
}

let failed = 0;
for (const name of names.length ? names : Object.keys(GUESTS)) {
  const started = Date.now();
  let line;
  try {
    // Inside kvm-in-qemu.mjs QEMU's TCG executes the guest's instructions: QEMU's documented
    // deviations from the SDM are reported as KNOWN-QEMU-DEVIATION (counted below), not failures.
    const opts = { ...GUESTS[name] };
    // On kvm, KVM's own answers where user space cannot give the machine's are KNOWN-KVM-DEVIATION
    // lines (report_kvm in test/guests/runtime/report.c; docs/backends.md lists them).
    if (accel === 'kvm') opts.append = `${opts.append ?? ''} kvm-quirks=1`.trim();
    if (accel === 'kvm' && process.env.TSVISOR_KVM_OUTER_CPU === 'qemu-tcg') opts.append = `${opts.append} qemu-quirks=1`;
    const r = await runGuest(name, { ...opts, accel, clock: { mode: 'realtime' }, timeoutMs: 300_000 });
    const fails = r.serial.split('\n').filter((l) => l.startsWith('FAIL:')).map((l) => l.trim());
    const want = EXPECTED_REASON[name];
    const ok = fails.length === 0 && (want ? r.reason === want : r.status === 1 && /SUMMARY: \d+ tests, 0 failures/.test(r.serial));
    let summary = r.serial.match(/SUMMARY: [^\r\n]*/)?.[0] ?? 'no SUMMARY';
    const deviations = r.serial.split('\n').filter((l) => l.startsWith('KNOWN-QEMU-DEVIATION')).length;
    const kvmDeviations = r.serial.split('\n').filter((l) => l.startsWith('KNOWN-KVM-DEVIATION')).length;
    if (deviations) summary += `, ${deviations} known QEMU deviation(s)`;
    if (kvmDeviations) summary += `, ${kvmDeviations} known KVM deviation(s)`;
    line = ok ? `pass (${summary})` : `FAIL (${r.reason}${r.message ? ': ' + r.message : ''}; status ${r.status}; ${summary})${fails.map((f) => '\n    ' + f).join('')}`;
    if (!ok) failed++;
  } catch (e) {
    failed++;
    line = `FAIL (${e instanceof Error ? e.message : String(e)})`;
  }
  console.log(`guest ${name} on ${accel}: ${line} [${((Date.now() - started) / 1000).toFixed(1)} s]`);
}
process.exit(failed ? 1 : 0);
