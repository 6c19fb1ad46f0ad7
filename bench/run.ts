/**
 * `npm run bench`: tsvisor's speed figures, side by side with
 * qemu-system-x86_64 -accel tcg on the same guest when QEMU is installed.
 *
 * Every figure is a difference of two runs (N and 2N iterations) of the same
 * guest process, so process start-up, loading and teardown cancel out and
 * both systems are measured the same way. Timing never decides a test.
 *
 *   node dist/bench/run.js [--quick] [--accel interp|kvm] [--only NAME[,NAME...]]
 *
 * NAME: alu, mem, branch, string, x87, sse, pio, start, hcqueue, hyperv, linux (Debian's kernel to the
 * busybox marker and power-off; needs `node scripts/fetch-linux.mjs`).
 *
 * --accel kvm measures the KVM backend and the interpreter side by side.
 * --quick: fewer and shorter runs (one N/2N pair, N grown from a small start by
 * what the last run took), for slow hosts such as a nested /dev/kvm
 * (scripts/kvm-in-qemu.mjs). Each figure is also printed on stderr when known.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { printHypercallQueueBench } from './hcqueue.js';
import { printHypervBench } from './hyperv.js';
import { printLinuxBootBench, type BootSystem } from './linux-boot.js';
import { backendUnavailableReason } from '../lib/hypervisor/vm.js';

const root = join(__dirname, '..', '..');
const guests = join(root, 'dist', 'guests');
const cli = join(root, 'dist', 'lib', 'cli.js');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const accel = argValue('--accel') ?? 'tcg';
const only = argValue('--only')?.split(',');
const BENCH_NAMES = ['alu', 'mem', 'branch', 'string', 'x87', 'sse', 'pio', 'start', 'hcqueue', 'hyperv', 'linux'];
for (const name of only ?? []) {
  if (!BENCH_NAMES.includes(name)) {
    console.error(`bench: --only: unknown figure '${name}' (known: ${BENCH_NAMES.join(', ')})`);
    process.exit(1);
  }
}

function argValue(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

interface System {
  name: string;
  command(kernel: string, append: string): { file: string; argv: string[] };
}

const COMMON = ['-m', '128', '-nographic', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4'];

/** tsvisor on one backend: 'tsvisor' is the interpreter, 'tsvisor-kvm' the KVM backend. */
function tsvisorOn(backend: string): System {
  return {
    name: backend === 'kvm' ? 'tsvisor-kvm' : 'tsvisor',
    command: (kernel, append) => ({
      file: process.execPath,
      argv: [cli, '-accel', backend, ...COMMON, '-kernel', kernel, '-append', append],
    }),
  };
}

function findQemu(): System | undefined {
  try {
    execFileSync('qemu-system-x86_64', ['-version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return {
    name: 'qemu-tcg',
    command: (kernel, append) => ({
      file: 'qemu-system-x86_64',
      argv: ['-accel', 'tcg', '-display', 'none', ...COMMON, '-kernel', kernel, '-append', append],
    }),
  };
}

interface Run {
  seconds: number;
  serial: string;
}

/** Runs a guest once. `guestReports`: it ends with a SUMMARY line, which must say 0 failures. */
function runOnce(sys: System, kernel: string, append: string, guestReports = true): Run {
  const { file, argv } = sys.command(kernel, append);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 600_000 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // The guests exit through isa-debug-exit with 0, which is status 1. A machine that stops with
  // an error exits 1 too (QEMU's status for it), so the guest's own summary decides.
  if (r.status !== 1 || (guestReports && !/SUMMARY: \d+ tests, 0 failures/.test(r.stdout))) {
    const why = r.stderr.split('\n').find((l) => l.trim() !== '') ?? (guestReports ? 'no passing SUMMARY' : '');
    throw new Error(`${sys.name} ${basename(kernel)} ${append}: exit status ${r.status}: ${why}\n${r.stderr}${r.stdout.slice(-2000)}`);
  }
  return { seconds, serial: r.stdout };
}

/** --quick: the longest loop (seconds) a run is grown to. */
const QUICK_MAX_LOOP_S = 20;

/** Finds N so that a run takes at least `target` seconds, then measures N and 2N. */
function perIteration(sys: System, kernel: string, target: number): { secondsPerIter: number; serial: string } {
  // Grow N until the loop itself (run time minus start-up) takes `target` seconds. --quick starts
  // small and scales N by what the last run took, so a slow system (a nested /dev/kvm emulating
  // guest instructions at ~1.5 M/s, an interpreter inside QEMU) needs few runs to get there; and
  // the loop must also take as long as a start-up, whose jitter on such a host (seconds) would
  // otherwise be all that the N/2N difference measures.
  let startup = runOnce(sys, kernel, 'iters=1').seconds;
  // (at most QUICK_MAX_LOOP_S: a start-up slowed by a busy host must not grow the runs past the run timeout)
  const loopTarget = quick ? Math.min(Math.max(target, startup), QUICK_MAX_LOOP_S) : target;
  let iters = quick ? 1 << 10 : 1 << 16;
  let first = runOnce(sys, kernel, `iters=${iters}`);
  // No run is faster than the start-up: a faster one shows the first measurement was slowed down.
  if (quick) startup = Math.min(startup, first.seconds);
  while (first.seconds - startup < loopTarget && iters < 2 ** 34) {
    const loop = first.seconds - startup;
    iters *= loop < loopTarget / 8 ? 8 : quick ? Math.min(8, Math.max(2, Math.ceil((1.25 * loopTarget) / loop))) : 2;
    first = runOnce(sys, kernel, `iters=${iters}`);
    if (quick) startup = Math.min(startup, first.seconds);
  }
  // The median of three N/2N pairs (one with --quick): on a busy host one pair can come out with
  // the 2N run barely slower (or faster) than the N run, which would print an absurd figure.
  const pairs = quick ? 1 : 3;
  const estimates: number[] = [];
  for (let k = 0; k < 3 && estimates.length < pairs; k++) {
    const n = k === 0 ? first : runOnce(sys, kernel, `iters=${iters}`);
    const delta = runOnce(sys, kernel, `iters=${iters * 2}`).seconds - n.seconds;
    if (delta > 0) estimates.push(delta / iters);
  }
  if (estimates.length === 0) throw new Error(`${sys.name} ${kernel}: the 2N runs were never slower than the N runs (host too busy to measure)`);
  estimates.sort((a, b) => a - b);
  return { secondsPerIter: estimates[estimates.length >> 1]!, serial: first.serial };
}

function insnsPerIter(serial: string, guest: string): number {
  const m = /insns-per-iter:\s*(\d+)/.exec(serial);
  if (!m) throw new Error(`${guest}: the guest did not print insns-per-iter`);
  return Number(m[1]);
}

/** A multiboot kernel whose first instruction exits through isa-debug-exit. */
function firstInstructionKernel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsvisor-bench-'));
  writeFileSync(
    join(dir, 'first.S'),
    [
      '.section .multiboot, "a"',
      '.align 4',
      '.long 0x1BADB002, 0, -0x1BADB002',
      '.text',
      '.globl _start',
      '_start:',
      '  movw $0xf4, %dx',
      '  xorl %eax, %eax',
      '  outl %eax, %dx',
      '1: hlt',
      '  jmp 1b',
    ].join('\n') + '\n',
  );
  execFileSync('as', ['--32', '-o', join(dir, 'first.o'), join(dir, 'first.S')]);
  execFileSync('ld', ['-m', 'elf_i386', '-Ttext', '0x100000', '-e', '_start', '-o', join(dir, 'first.elf'), join(dir, 'first.o')]);
  return join(dir, 'first.elf');
}

interface Row {
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  values: Map<string, number>;
}

function main(): void {
  for (const g of ['bench_alu', 'bench_mem', 'bench_branch', 'bench_string', 'bench_pio', 'bench_x87', 'bench_sse']) {
    if (!existsSync(join(guests, `${g}.elf`))) {
      console.error(`bench: ${join(guests, g + '.elf')} is missing; run npm run compile first`);
      process.exit(1);
    }
  }
  // --accel kvm: the KVM backend's figures beside the interpreter's (and QEMU's when installed).
  const systems: System[] = accel === 'kvm' ? [tsvisorOn('kvm'), tsvisorOn('tcg')] : [tsvisorOn(accel)];
  if (accel === 'kvm') {
    const why = backendUnavailableReason('kvm');
    if (why !== undefined) {
      console.error(`bench: --accel kvm: ${why}`);
      process.exit(1);
    }
  }
  const qemu = findQemu();
  if (qemu) systems.push(qemu);
  else console.log('qemu-system-x86_64 not installed: printing tsvisor figures only');

  const target = quick ? 0.3 : 0.6;
  const rows: Row[] = [];
  // One figure of one system. A failed measurement is printed as '-' with its reason on stderr (the
  // other figures still come); every figure is also reported on stderr as soon as it is known.
  const measure = (row: Row, sys: System, figure: () => number): void => {
    let value = NaN;
    try {
      value = figure();
      console.error(`bench: ${row.metric}: ${sys.name} ${fmt(value)} ${row.unit}`);
    } catch (e) {
      console.error(`bench: ${row.metric}: ${sys.name} failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    }
    row.values.set(sys.name, value);
  };
  const mips = (guest: string, metric: string): Row => {
    const row: Row = { metric, unit: 'MIPS', higherIsBetter: true, values: new Map() };
    for (const sys of systems) {
      measure(row, sys, () => {
        const r = perIteration(sys, join(guests, `${guest}.elf`), target);
        return insnsPerIter(r.serial, guest) / r.secondsPerIter / 1e6;
      });
    }
    return row;
  };
  const want = (name: string) => !only || only.includes(name);
  if (want('alu')) rows.push(mips('bench_alu', 'integer ALU loop'));
  if (want('mem')) rows.push(mips('bench_mem', 'memory loop, 4 KiB paging'));
  if (want('branch')) rows.push(mips('bench_branch', 'branchy loop (random branches)'));
  if (want('string')) rows.push(mips('bench_string', 'string instructions (MOVS/LODS/STOS/CMPS/SCAS)'));
  if (want('x87')) rows.push(mips('bench_x87', 'x87 arithmetic loop'));
  if (want('sse')) rows.push(mips('bench_sse', 'SSE/SSE2 floating-point loop'));
  if (want('pio')) {
    const row: Row = { metric: 'port-I/O exit round trip', unit: 'ns', higherIsBetter: false, values: new Map() };
    for (const sys of systems) measure(row, sys, () => perIteration(sys, join(guests, 'bench_pio.elf'), target).secondsPerIter * 1e9);
    rows.push(row);
  }
  if (want('start')) {
    const kernel = firstInstructionKernel();
    const row: Row = { metric: 'CLI start to first guest instruction', unit: 'ms', higherIsBetter: false, values: new Map() };
    for (const sys of systems) {
      measure(row, sys, () => {
        const samples: number[] = [];
        for (let i = 0; i < (quick ? 3 : 7); i++) samples.push(runOnce(sys, kernel, '', false).seconds * 1e3);
        samples.sort((a, b) => a - b);
        return samples[samples.length >> 1]!;
      });
    }
    rows.push(row);
  }
  print(rows, systems);
  // In-process benches one after the other: running together they would share the event loop and skew each other.
  void (async () => {
    if (want('hcqueue')) await printHypercallQueueBench(quick ? 16384 : 65536);
    if (want('hyperv')) {
      for (const a of accel === 'kvm' ? (['kvm', 'interp'] as const) : (['interp'] as const)) await printHypervBench(quick ? 20_000 : 100_000, a);
    }
    if (want('linux')) {
      const boot: BootSystem[] = systems
        .filter((s) => s.name.startsWith('tsvisor'))
        .map((s) => ({ name: s.name, file: process.execPath, argv: [cli, '-accel', s.name === 'tsvisor-kvm' ? 'kvm' : 'tcg', '-nographic'] }));
      if (qemu) boot.push({ name: 'qemu-tcg', file: 'qemu-system-x86_64', argv: ['-accel', 'tcg', '-display', 'none', '-nographic'] });
      await printLinuxBootBench(boot, quick ? 1 : 3);
    }
  })();
}

function print(rows: Row[], systems: System[]): void {
  const header = ['metric', ...systems.map((s) => s.name), ...(systems.length > 1 ? [`${systems[0]!.name} vs ${systems[1]!.name}`] : [])];
  const lines = [header];
  for (const row of rows) {
    const cells = [row.metric + ` (${row.unit})`];
    for (const s of systems) cells.push(fmt(row.values.get(s.name)!));
    if (systems.length > 1) {
      const a = row.values.get(systems[0]!.name)!;
      const b = row.values.get(systems[1]!.name)!;
      // ratio > 1 means the first system is better, whichever direction the unit goes
      const ratio = row.higherIsBetter ? a / b : b / a;
      cells.push(Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}x`);
    }
    lines.push(cells);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

main();
