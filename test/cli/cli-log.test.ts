/**
 * End to end: -d int,guest_errors -D FILE through the `tsvisor` bin, on guests
 * that take exceptions (exceptions.elf: #DE, #PF with error codes and CR2, a
 * #DF, software INTs from ring 3) and hardware timer interrupts (platform.elf
 * on the deterministic clock: PIT IRQ 0 through the 8259 at vector 0x20).
 * Needs the native addon and the built guests (npm run compile).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { testWhen } from '../helpers/test-when.js';

const ROOT = resolve(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'lib', 'cli.js');
const guest = (name: string): string => join(ROOT, 'dist', 'guests', `${name}.elf`);
const maybe = testWhen(addonAvailable() && existsSync(guest('exceptions')), 'needs the native addon and the built guests');
const EXIT_DEVICE = ['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4'];

function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
    child.stdin.end();
  });
}

function withLogFile<T>(fn: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-dlog-'));
  return fn(join(dir, 'guest.log')).finally(() => rmSync(dir, { recursive: true, force: true }));
}

maybe('exceptions guest: #DE, #PF with error code and CR2, #DF and ring-3 INT 0x80 in the -D file', async (t) => {
  await withLogFile(async (file) => {
    const r = await runCli(['-kernel', guest('exceptions'), ...EXIT_DEVICE, '-d', 'int,guest_errors', '-D', file]);
    t.regex(r.stdout, /SUMMARY: \d+ tests, 0 failures/);
    t.is(r.status, 1);
    t.is(r.stderr, '', 'the log went to the file');
    const log = readFileSync(file, 'utf8').split('\n');
    const has = (re: RegExp, what: string): void => void t.true(log.some((l) => re.test(l)), `${what}: ${re}`);
    has(/^exception #DE v=00 e=---- cpl=0 IP=0008:[0-9a-f]{16} SP=0010:[0-9a-f]{16} mode=long cpu=0 insn=\d+$/, 'divide error');
    // supervisor write to a not-present page: error 0x2, CR2 the address
    has(/^exception #PF v=0e e=0002 cpl=0 IP=0008:[0-9a-f]{16} SP=0010:[0-9a-f]{16} CR2=0000008000000010 mode=long /, '#PF write');
    // user read of a supervisor page: error 0x5 (P | U), from CPL 3
    has(/^exception #PF v=0e e=0005 cpl=3 IP=002b:[0-9a-f]{16} SP=0023:[0-9a-f]{16} CR2=0000008000002030 /, '#PF user');
    // the #PF gate is not present: #NP for IDT entry 14 (14 << 3 | IDT | EXT), which with #PF is a #DF
    has(/^exception #NP v=0b e=0073 .* \(raised delivering #PF: becomes #DF\)$/, 'the escalating #NP');
    has(/^exception #DF v=08 e=0000 .* \(raised delivering #PF\)$/, 'double fault');
    has(/^software interrupt INT=0x80 v=80 e=---- cpl=3 IP=002b:/, 'INT 0x80 from ring 3');
    has(/^exception #GP v=0d e=020a cpl=3 /, 'INT 0x41 through a DPL-0 gate from ring 3');
    t.false(log.some((l) => l.includes('lost')));
  });
});

maybe('platform guest (icount): hardware timer interrupts and the guest error of an unassigned port', async (t) => {
  await withLogFile(async (file) => {
    const r = await runCli([
      '-kernel', guest('platform'), '-append', 'ram_mb=128', '-m', '128', '-icount', 'shift=0',
      '-rtc', 'base=2006-06-17T16:01:21', ...EXIT_DEVICE, '-d', 'int,guest_errors', '-D', file,
    ]);
    t.regex(r.stdout, /PASS: 100 IRQ 0 ticks through the 8259 while halted/);
    const log = readFileSync(file, 'utf8').split('\n');
    const ticks = log.filter((l) => /^hardware interrupt INT=0x20 v=20 e=---- cpl=0 IP=0008:[0-9a-f]{16} SP=0010:[0-9a-f]{16} mode=long cpu=0 insn=\d+$/.test(l));
    t.true(ticks.length >= 100, `${ticks.length} timer interrupts logged`);
    // the guest drives a test port the CLI machine does not have
    t.true(log.some((l) => /^guest error: write 0x01 to unassigned I\/O port 0x200a \(size 1\) cpu=0 IP=0008:/.test(l)));
    t.false(log.some((l) => l.includes('lost')));
  });
});

maybe('without -D the log goes to stderr; -d help and an unknown item through the bin', async (t) => {
  const r = await runCli(['-kernel', guest('exceptions'), ...EXIT_DEVICE, '-serial', 'null', '-d', 'int']);
  t.is(r.status, 1);
  t.regex(r.stderr, /^exception #DE v=00 /m);
  const help = await runCli(['-d', 'help']);
  t.is(help.status, 0);
  t.is(help.stdout.split('\n')[0], 'Log items (comma separated):');
  const bad = await runCli(['-kernel', guest('exceptions'), '-d', 'foo']);
  t.is(bad.status, 1);
  t.is(bad.stderr, "tsvisor: -d foo: unknown log item 'foo' (-d help lists the items)\n");
  t.is(bad.stdout, '');
});
