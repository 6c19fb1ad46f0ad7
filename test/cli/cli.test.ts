/**
 * End to end: spawn the `tsvisor` bin (node dist/lib/cli.js) the way a user or
 * a QEMU-driving tool would, and check status codes and the exact lines tools
 * depend on. The run cases need the native addon and the built guests
 * (npm run compile, npx node-gyp rebuild).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'lib', 'cli.js');
const HELLO = join(ROOT, 'dist', 'guests', 'hello.elf');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], timeoutMs = 120_000, cli = CLI): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
    child.stdin.end();
  });
}

test('-version prints the QEMU-style version line first', async (t) => {
  const r = await runCli(['-version']);
  t.is(r.status, 0);
  t.is(r.stdout.split('\n')[0], `QEMU emulator version 8.2.0 (tsvisor ${VERSION})`);
  t.is(r.stderr, '');
});

test('-h and --help print the usage, naming QEMU', async (t) => {
  for (const flag of ['-h', '-help', '--help']) {
    const r = await runCli([flag]);
    t.is(r.status, 0, flag);
    t.is(r.stdout.split('\n')[0], `QEMU emulator version 8.2.0 (tsvisor ${VERSION})`);
    t.regex(r.stdout, /QEMU/);
    t.regex(r.stdout, /-kernel FILE/);
  }
});

test('an unknown option is one exact line on stderr and status 1, no stack trace', async (t) => {
  const r = await runCli(['-foo']);
  t.is(r.status, 1);
  t.is(r.stderr, 'tsvisor: -foo: invalid option\n');
  t.is(r.stdout, '');
});

test('option errors keep the one-line format', async (t) => {
  const cases: Array<[string[], string]> = [
    [['-kernel'], 'tsvisor: -kernel: requires an argument\n'],
    [['-kernel', 'k', '-m', '12Q'], 'tsvisor: -m 12Q: invalid size\n'],
    [['-kernel', 'k', '-device', 'foo'], "tsvisor: -device foo: 'foo' is not a valid device model name\n"],
    [['-kernel', 'k', '-smp', '65'], 'tsvisor: -smp 65: at most 64 vCPUs are supported\n'],
  ];
  for (const [args, line] of cases) {
    const r = await runCli(args);
    t.is(r.status, 1, args.join(' '));
    t.is(r.stderr, line);
  }
});

test('a missing kernel gives QEMU\'s wording with the OS reason', async (t) => {
  const r = await runCli(['-kernel', '/nonexistent/kernel.elf']);
  t.is(r.status, 1);
  t.is(r.stderr, "tsvisor: could not load kernel '/nonexistent/kernel.elf': No such file or directory\n");
  const dir = await runCli(['-kernel', ROOT]);
  t.is(dir.status, 1);
  t.is(dir.stderr, `tsvisor: could not load kernel '${ROOT}': Is a directory\n`);
});

test('no arguments: the usage hint and status 1', async (t) => {
  const r = await runCli([]);
  t.is(r.status, 1);
  t.is(r.stderr, 'tsvisor: no kernel given (use -kernel FILE or --demo; -h for help)\n');
});

test('-device help lists the device models', async (t) => {
  const r = await runCli(['-device', 'help']);
  t.is(r.status, 0);
  t.regex(r.stdout, /isa-debug-exit/);
});

test('--demo prints the banner, streams the guest and exits 0', async (t) => {
  const r = await runCli(['--demo']);
  t.is(r.stderr, '');
  t.regex(r.stdout.split('\n')[0], new RegExp(`^tsvisor ${VERSION.replace(/\./g, '\\.')} demo: interp backend, 64 MiB RAM, guest .*demo\\.elf$`));
  t.true(r.stdout.split('\n').length > 2, 'the guest printed something');
  t.is(r.status, 0);
});

test('a multiboot guest runs with -append and exits through isa-debug-exit with its status', async (t) => {
  const r = await runCli(['-kernel', HELLO, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4', '-append', 'foo']);
  t.is(r.stderr, '');
  t.regex(r.stdout, /Hello from tsvisor guest/);
  t.regex(r.stdout, /cmdline: .*\bfoo\b/);
  // guest_exit(0) -> status (0 << 1) | 1 = 1, exactly as QEMU reports it.
  t.is(r.status, 1);
});

test('-nodefaults without -serial: no serial port, so no guest output', async (t) => {
  const r = await runCli(['-nodefaults', '-kernel', HELLO, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4']);
  t.is(r.stderr, '');
  t.is(r.stdout, '');
  t.is(r.status, 1);
});

test('-serial null runs the guest with its output discarded', async (t) => {
  const r = await runCli(['-serial', 'null', '-kernel', HELLO, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4']);
  t.is(r.stderr, '');
  t.is(r.stdout, '');
  t.is(r.status, 1);
});

test('-initrd becomes the multiboot module; the full test-runner flag set is accepted', async (t) => {
  const r = await runCli([
    '-nodefaults', '-nographic', '-serial', 'stdio', '-display', 'none', '-machine', 'pc,accel=tcg', '-m', '64M', '-smp', '1',
    '-no-reboot', '-icount', 'shift=3', '-device', 'pc-testdev', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4',
    '-kernel', HELLO, '-initrd', join(ROOT, 'package.json'),
  ]);
  t.is(r.stderr, '');
  t.regex(r.stdout, /modules: 1/);
  t.regex(r.stdout, /module\[0\] head: \{\.  "name": "tsvisor"/);
  t.is(r.status, 1);
});

test('a missing initrd is one line and status 1', async (t) => {
  const r = await runCli(['-kernel', HELLO, '-initrd', '/nonexistent/initrd']);
  t.is(r.status, 1);
  t.is(r.stderr, "tsvisor: could not load initrd '/nonexistent/initrd': No such file or directory\n");
});

test('SIGTERM stops a running guest cleanly with status 128+15', async (t) => {
  const child = spawn(process.execPath, [CLI, '-kernel', join(ROOT, 'dist', 'guests', 'bench_alu.elf'), '-append', 'iters=1000000000000'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((res) => child.on('close', (status) => res(status)));
  // Signal once the guest is inside its loop, so the stop lands mid-run; once only (a second signal exits at once).
  let signalled = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (!signalled && /insns-per-iter/.test(stdout)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const status = await closed;
  clearTimeout(killer);
  t.is(status, 143);
  t.is(stderr, 'tsvisor: terminating on signal SIGTERM\n');
});

test('--demo without the shipped guest is a clear one-line error', async (t) => {
  // A copy of the compiled package without dist/guests: the CLI finds its package root from its own location.
  const pkg = mkdtempSync(join(tmpdir(), 'tsvisor-nodemo-'));
  try {
    cpSync(join(ROOT, 'dist', 'lib'), join(pkg, 'dist', 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'tsvisor', version: VERSION }));
    const r = await runCli(['--demo'], 60_000, join(pkg, 'dist', 'lib', 'cli.js'));
    t.is(r.status, 1);
    t.is(r.stdout, '');
    t.is(r.stderr, `tsvisor: --demo: the demo guest is missing (${join(pkg, 'dist', 'guests', 'demo.elf')}); build it with \`npm run compile\`\n`);
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
});
