/**
 * The freestanding guest programs (test/guests, built into dist/guests by
 * scripts/build-guests.mjs) run on tsvisor's CPU core; each prints PASS/FAIL
 * lines and a SUMMARY on the serial port and exits through isa-debug-exit
 * (status 1 = success, 3 = failure, QEMU's convention).
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runGuest } from './helpers/run-guest.js';

const guestDir = path.resolve(__dirname, '..', 'guests');
const GUESTS = ['hello', 'xsave', 'protect', 'exceptions', 'paging', 'pio', 'cpuid_msr', 'modes', 'demo', 'bench_alu', 'bench_mem', 'bench_pio'];
const TIMEOUT_MS = 120_000;

type GuestResult = Awaited<ReturnType<typeof runGuest>>;

/** Status 1, a SUMMARY with zero failures, no FAIL line, nothing tolerated only on QEMU. */
function assertPassed(t: ExecutionContext, r: GuestResult): void {
  const failLines = r.serial.split('\n').filter((l) => l.startsWith('FAIL:'));
  t.deepEqual(failLines, [], 'no FAIL: lines');
  t.regex(r.serial, /SUMMARY: \d+ tests, 0 failures/);
  t.notRegex(r.serial, /KNOWN-QEMU-DEVIATION/);
  t.is(r.status, 1, `exit status (reason: ${r.reason})`);
}

function assertLines(t: ExecutionContext, serial: string, lines: Array<string | RegExp>): void {
  for (const line of lines) {
    if (typeof line === 'string') t.true(serial.includes(line), `serial output has "${line}"`);
    else t.regex(serial, line);
  }
}

// ---- the images themselves (no CPU needed) ---------------------------------

test('every guest is built as an ELF32 i386 image with a valid multiboot header', (t) => {
  const built = new Set(readdirSync(guestDir).filter((f) => f.endsWith('.elf')));
  for (const name of GUESTS) {
    t.true(built.has(`${name}.elf`), `${name}.elf built`);
    const img = readFileSync(path.join(guestDir, `${name}.elf`));
    t.deepEqual([...img.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${name}: ELF magic`);
    t.is(img[4], 1, `${name}: ELFCLASS32`);
    t.is(img.readUInt16LE(18), 3, `${name}: EM_386`);
    let header = -1;
    for (let off = 0; off + 12 <= Math.min(img.length, 8192); off += 4) {
      const magic = img.readUInt32LE(off);
      if (magic === 0x1badb002 && ((magic + img.readUInt32LE(off + 4) + img.readUInt32LE(off + 8)) >>> 0) === 0) {
        header = off;
        break;
      }
    }
    t.true(header >= 0, `${name}: multiboot header in the first 8 KiB`);
  }
});

// ---- the guests on the CPU --------------------------------------------------

test('hello greets, echoes the cmdline and the memory size', async (t) => {
  const r = await runGuest('hello', { append: 'hello-arg=42 second', memoryMb: 64, timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    'Hello from tsvisor guest',
    /cmdline: \S*hello\.elf hello-arg=42 second/,
    /mem_lower: \d+ KiB/,
    `mem_upper: ${64 * 1024 - 1024} KiB`,
    'modules: 0',
  ]);
});

test('hello sees an initrd as multiboot module 0', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsvisor-guest-'));
  try {
    const initrd = path.join(dir, 'module.txt');
    writeFileSync(initrd, 'tsvisor initrd module\n');
    const r = await runGuest('hello', { initrd, timeoutMs: TIMEOUT_MS });
    assertPassed(t, r);
    assertLines(t, r.serial, ['modules: 1', /module\[0\]: size 22 /, 'module[0] head: tsvisor initrd module.']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exceptions: vectors, error codes, saved RIP and CR2 as the SDM says', async (t) => {
  const r = await runGuest('exceptions', { timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    'PASS: #DE on DIV by zero: vector 0 error 0x0 rip ok',
    'PASS: #DE on IDIV overflow: vector 0 error 0x0 rip ok',
    'PASS: #UD on UD2: vector 6',
    'PASS: #UD on opcode 0x06 in 64-bit mode',
    'PASS: #GP loading DS with selector 0x60 beyond the GDT: error 0x60',
    'PASS: #NP loading DS with a not-present segment: error 0x50',
    'PASS: #SS(0) on a non-canonical RBP-based load',
    'PASS: #GP loading DS with the TSS selector: error 0x40',
    'PASS: #GP(0) on a non-canonical load',
    'PASS: #GP(0) on WRMSR to an unknown MSR',
    'PASS: #PF read of a not-present page: error 0x0',
    'PASS: #PF write to a not-present page: error 0x2',
    'PASS: #PF supervisor write to a read-only page (CR0.WP=1): error 0x3',
    'PASS: #PF user read of a supervisor page: error 0x5',
    'PASS: #PF user write to a supervisor page: error 0x7',
    'PASS: #PF on instruction fetch from an NX page: error 0x11',
    'PASS: #BP from INT3 saves the RIP after INT3',
    'PASS: INT 0x41 delivered to vector 0x41',
    'PASS: INT 0x41 from CPL 3 through a DPL 0 gate: #GP error 0x20a',
    'PASS: #PF with a not-present #PF gate becomes #DF with error 0',
    'PASS: #DF ran on IST1 stack',
    'PASS: #UD inside the INT 0x42 handler is delivered nested',
  ]);
});

test('paging: 4K/2M aliasing, NX, WP, U/S, A/D bits and TLB flushes', async (t) => {
  const r = await runGuest('paging', { timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    'PASS: 4 KiB pages: two linear aliases of one frame see the same data',
    'PASS: 2 MiB page: write through it lands at its frame',
    /PASS: (1 GiB page \(Page1GB advertised\) maps physical 0\.\.1 GiB|Page1GB not advertised: PS in a PDPTE is reserved)/,
    'PASS: fetch from an NX page: #PF error 0x11',
    'PASS: CR0.WP=0: supervisor write to a read-only page succeeds',
    'PASS: U=0 in a PDE denies user access',
    'PASS: PS set in a PML4E: #PF with RSVD|P',
    'PASS: a read sets A at all four levels and D nowhere',
    'PASS: D stays clear in PDE, PDPTE and PML4E',
    'PASS: after INVLPG the new frame is seen',
    'PASS: after a CR3 reload the new frame is seen',
    'PASS: toggling CR4.PGE flushes the global translation',
    /INFO: global page after a CR3 reload: (old translation survived|flushed)/,
  ]);
});

test('pio: IN/OUT, string I/O, pc-testdev, port 0x80, unclaimed ports, fw_cfg', async (t) => {
  const r = await runGuest('pio', { append: 'ram_mb=64', memoryMb: 64, timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    'PASS: OUT/IN dword with an immediate port (0x44332211)',
    'PASS: OUT byte with DX merges into the register (0x4433aa11)',
    'PASS: REP OUTSB: 4 bytes',
    'PASS: REP INSD reads 3 dwords and stops',
    'PASS: REP OUTSB with DF=1 walks down',
    'PASS: REP INSB with DF=1 stores the stream backwards',
    'PASS: unclaimed port 0x2f0 reads all-ones',
    'PASS: fw_cfg signature "QEMU"',
    'PASS: fw_cfg NB_CPUS == 1',
    'fw_cfg RAM_SIZE: 64 MiB',
    'PASS: fw_cfg RAM_SIZE equals -m 64',
    'INFO: port 0x80 read back 0xa5 (latched)',
  ]);
});

test('cpuid_msr: CPUID tells the truth, architectural MSRs behave', async (t) => {
  const r = await runGuest('cpuid_msr', { timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    /vendor: \S{12}, max leaf 0x[0-9a-f]+/,
    'PASS: CPUID.80000001:EDX.LM advertised',
    'PASS: EFER.LME and LMA set: we are in long mode',
    /PASS: (SSE2? advertised and working|SSE not advertised: XORPS is #UD)/,
    /PASS: (NX advertised and EFER\.NXE settable|NX not advertised: setting EFER\.NXE is #GP)/,
    'PASS: #GP(0) setting reserved EFER bit 1',
    'PASS: FS_BASE moves what %fs:8 addresses',
    'PASS: SWAPGS exchanges GS_BASE and KERNEL_GS_BASE',
    'PASS: writing IA32_TSC moves the counter',
    'PASS: #GP writing reserved type 2 into PAT',
    'PASS: #GP(0) on RDMSR 0x60000000 (unknown)',
    /PASS: (RDTSCP returns TSC_AUX in ECX|RDTSCP not advertised: #UD)/,
  ]);
});

// The same binary under QEMU's models and with features edited out: what CPUID hides is #GP.
for (const [label, cpuModel, cpuFlags] of [
  ['qemu64 (AMD, no leaf 7 features, MTRR)', 'qemu64', undefined],
  ['kvm64', 'kvm64', undefined],
  ['max with x2apic, tsc-deadline, pat, sep, tsc-adjust, rdtscp, mce, mtrr, umip, xsave, pcid, smep removed', 'max',
    { x2apic: false, 'tsc-deadline': false, pat: false, sep: false, 'tsc-adjust': false, rdtscp: false, mce: false, de: false, mtrr: false, umip: false, xsave: false, pcid: false, smep: false, invpcid: false }],
] as const) {
  test(`cpuid_msr -cpu ${label}: hidden features' MSRs and CR4 bits are #GP`, async (t) => {
    const r = await runGuest('cpuid_msr', { timeoutMs: TIMEOUT_MS, cpuModel, ...(cpuFlags ? { cpuFlags } : {}) });
    assertPassed(t, r);
    if (cpuModel === 'qemu64') {
      assertLines(t, r.serial, ['vendor: AuthenticAMD, max leaf 0xd', 'family 15 model 107 stepping 1', 'brand: QEMU Virtual CPU version 2.5+',
        'PASS: MTRR: reserved PHYSBASE0 bit 8 is #GP', 'PASS: MCE advertised: CR4 bit 6 settable', 'PASS: TSC_ADJUST not advertised: RDMSR/WRMSR 0x3b are #GP (13, 13)',
        'PASS: x2APIC not advertised: setting IA32_APIC_BASE.EXTD is #GP (got 13)', 'PASS: RDTSCP not advertised: #UD', 'PASS: SMEP not advertised: setting CR4 bit 20 is #GP (got 13)', 'PASS: AMD: SYSCFG and INT_PENDING_MSG read 0']);
    } else if (cpuModel === 'kvm64') {
      assertLines(t, r.serial, ['vendor: GenuineIntel, max leaf 0xd', 'family 15 model 6 stepping 1', 'brand: Common KVM processor', 'PASS: TSC_DEADLINE not advertised: RDMSR/WRMSR 0x6e0 are #GP (13, 13)']);
    } else {
      assertLines(t, r.serial, ['PASS: PAT not advertised: RDMSR/WRMSR 0x277 are #GP (13, 13)', 'PASS: SEP not advertised: RDMSR/WRMSR 0x174 are #GP (13, 13)',
        'PASS: MTRR not advertised: RDMSR/WRMSR 0xfe are #GP (13, 13)', 'PASS: MCE not advertised: setting CR4 bit 6 is #GP (got 13)', 'PASS: DE not advertised: setting CR4 bit 3 is #GP (got 13)',
        'PASS: XSAVE not advertised: setting CR4 bit 18 is #GP (got 13)', 'PASS: UMIP not advertised: setting CR4 bit 11 is #GP (got 13)']);
    }
  });
}

test('xsave: FXSAVE/FXRSTOR, MXCSR, XGETBV/XSETBV, XSAVE/XRSTOR/XSAVEOPT, cache-line flushes and fences', async (t) => {
  const r = await runGuest('xsave', { timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    'PASS: XMM0-XMM15 round-trip',
    'PASS: FXSAVE with CR0.TS is #NM (got 7)',
    'PASS: CPUID.1:ECX.OSXSAVE follows CR4.OSXSAVE',
    'PASS: XCR0 after reset is 1 (x87), got 0x1',
    'PASS: XRSTOR with XSTATE_BV[1]=0 zeroes XMM0-15 and still loads MXCSR',
    'PASS: CLWB advertised and executes',
  ]);
});

test('protect: SMEP, SMAP with STAC/CLAC/POPF, UMIP, PCID and INVPCID', async (t) => {
  const r = await runGuest('protect', { timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    'PASS: CPUID: SMEP 1, SMAP 1, UMIP 1, PCID 1, INVPCID 1',
    'PASS: SMEP: supervisor fetch from a user page is #PF with P|I/D (vector 14, error 0x11)',
    'PASS: CLAC: the same page faults again (no stale permission)',
    'PASS: UMIP: SMSW at CPL 3 is #GP(0) (vector 13)',
    'PASS: INVPCID type 2 drops the global page',
  ]);
});

test('protect on kvm64 (no SMEP, SMAP, UMIP, PCID or INVPCID): CR4.PCIDE is #GP and INVPCID is #UD', async (t) => {
  // kvm-quirks=1 lets the guest accept a model narrower than the default (as the kvm backend's
  // intersection with the host's KVM can be); what is not offered must then be refused.
  const r = await runGuest('protect', { cpuModel: 'kvm64', append: 'kvm-quirks=1', timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    'KNOWN-KVM-DEVIATION: CPUID: SMEP 0, SMAP 0, UMIP 0, PCID 0, INVPCID 0',
    'PASS: PCID not offered: setting CR4.PCIDE is #GP',
    'PASS: INVPCID not offered: INVPCID is #UD',
  ]);
});

test('modes: real mode, 32-bit protected mode and long mode', async (t) => {
  const r = await runGuest('modes', { timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    'PASS: #DE delivered through the 32-bit IDT',
    'PASS: real-mode #DE through IVT vector 0',
    'PASS: INT 0x30 through the real-mode IVT',
    'modes exercised: real protected32 long64',
  ]);
});

test('demo prints its banner from the hardware', async (t) => {
  const r = await runGuest('demo', { memoryMb: 128, timeoutMs: TIMEOUT_MS });
  assertPassed(t, r);
  assertLines(t, r.serial, [
    /cpu: \S{12}/,
    'real mode: ok',
    'protected mode: ok',
    /long mode: ok \(4-level paging(, NX)?\)/,
    'memory: 128 MiB',
  ]);
});

for (const [name, insns] of [['bench_alu', 10], ['bench_mem', 7], ['bench_branch', 14], ['bench_string', 9], ['bench_pio', 3]] as const) {
  test(`${name} runs the iteration count from its cmdline`, async (t) => {
    const r = await runGuest(name, { append: 'iters=20000', memoryMb: 64, timeoutMs: TIMEOUT_MS });
    assertPassed(t, r);
    assertLines(t, r.serial, [`${name}: iterations: 20000`, `insns-per-iter: ${insns}`, `PASS: ${name} ran 20000 iterations`]);
  });
}
