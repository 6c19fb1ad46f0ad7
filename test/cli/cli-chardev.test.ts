/**
 * End to end through the tsvisor bin: the serial port on a file, on a named
 * -chardev, on a listening unix socket and on mon:stdio (Ctrl-A keys), and
 * -no-shutdown holding the process after the guest powers off.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonAvailable, packageRoot } from '../../lib/hypervisor/addon.js';
import { testWhen } from '../helpers/test-when.js';

const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'lib', 'cli.js');
const HELLO = join(ROOT, 'dist', 'guests', 'hello.elf');
const RESET = join(ROOT, 'dist', 'guests', 'reset.elf');
const EXIT_DEV = ['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4'];
const maybe = testWhen(addonAvailable() && existsSync(HELLO) && existsSync(RESET), 'needs the native addon and the built guests');
const dir = mkdtempSync(join(tmpdir(), 'tsv-cli-chardev-'));

function launch(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  void exited.then(() => clearTimeout(timer));
  return { child, out, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

maybe('-serial file:PATH: the guest output is in the file, nothing on stdout', async (t) => {
  const path = join(dir, 'hello.txt');
  const { child, out, exited } = launch(['-kernel', HELLO, ...EXIT_DEV, '-serial', `file:${path}`, '-append', 'foo']);
  child.stdin.end();
  t.is(await exited, 1); // guest_exit(0) through isa-debug-exit
  t.is(out.stdout, '');
  t.is(out.stderr, '');
  t.regex(readFileSync(path, 'utf8'), /Hello from tsvisor guest[\s\S]*cmdline: .*\bfoo\b/);
});

maybe('-chardev file,...,id=X with -serial chardev:X', async (t) => {
  const path = join(dir, 'chardev.txt');
  const { child, out, exited } = launch(['-nodefaults', '-kernel', HELLO, ...EXIT_DEV, '-chardev', `file,id=con0,path=${path}`, '-serial', 'chardev:con0']);
  child.stdin.end();
  t.is(await exited, 1);
  t.is(out.stdout, '');
  t.regex(readFileSync(path, 'utf8'), /Hello from tsvisor guest/);
});

maybe('-serial unix:PATH,server=on: wait=on holds the guest until a client connects, which gets the output', async (t) => {
  const path = join(dir, 'serial.sock');
  const { child, out, exited } = launch(['-kernel', HELLO, ...EXIT_DEV, '-serial', `unix:${path},server=on`]);
  child.stdin.end();
  await until('the wait message', () => out.stderr.includes('waiting for a connection'));
  t.is(out.stderr, `tsvisor: -serial unix:${path},server=on: waiting for a connection on unix:${path}\n`);
  let received = '';
  const socket = connect(path);
  socket.setEncoding('utf8').on('data', (d: string) => (received += d));
  t.is(await exited, 1);
  await until('the socket to close', () => socket.destroyed || socket.readableEnded);
  t.regex(received, /Hello from tsvisor guest/);
  t.is(out.stdout, '');
  t.false(existsSync(path), 'the socket file is removed at exit');
});

/** Ctrl-A c to the monitor, `info status`, Ctrl-A x: tsvisor exits 0 with the guest's output first. */
async function monitorThenQuit(t: ExecutionContext, { child, out, exited }: ReturnType<typeof launch>): Promise<void> {
  child.stdin.write('\x01c');
  await until('the monitor prompt', () => out.stdout.includes('(qemu) '));
  child.stdin.write('info status\n');
  // QEMU's words: a machine held after a -no-shutdown power-off is 'paused (shutdown)'.
  await until('the status line', () => /VM status: (paused \(shutdown\)|running)/.test(out.stdout));
  child.stdin.write('\x01x');
  t.is(await exited, 0);
  t.regex(out.stdout, /^INFO: requesting ACPI S5/);
}

maybe('-serial mon:stdio: guest output on stdout, C-a c reaches the monitor, C-a x quits', async (t) => {
  const run = launch(['-kernel', RESET, '-append', 'how=3', '-no-shutdown', '-serial', 'mon:stdio']);
  const { out } = run;
  await until('the guest output', () => out.stdout.includes('requesting ACPI S5'));
  await monitorThenQuit(t, run);
  t.false(out.stdout.slice(0, out.stdout.indexOf('(qemu) ')).includes('monitor'), 'no monitor banner inside the console output');
});

maybe('-nographic alone is mon:stdio: C-a h lists the keys, C-a c reaches the monitor, C-a x quits', async (t) => {
  const run = launch(['-kernel', RESET, '-append', 'how=3', '-no-shutdown', '-nographic']);
  const { child, out } = run;
  await until('the guest output', () => out.stdout.includes('requesting ACPI S5'));
  child.stdin.write('\x01h');
  await until('the key help', () => out.stdout.includes('C-a x    exit tsvisor'));
  await monitorThenQuit(t, run);
});

maybe('-no-shutdown without a monitor: the process stays after the guest powers off, a signal ends it', async (t) => {
  const { child, out, exited } = launch(['-kernel', RESET, '-append', 'how=3', '-no-shutdown']);
  child.stdin.end();
  await until('the guest output', () => out.stdout.includes('requesting ACPI S5'));
  await new Promise((r) => setTimeout(r, 1000));
  t.is(child.exitCode, null, 'still there after the power-off');
  child.kill('SIGTERM');
  t.is(await exited, 128 + 15);
  t.is(out.stderr, 'tsvisor: terminating on signal SIGTERM\n');
});

maybe('without -no-shutdown the same power-off ends the process with status 0', async (t) => {
  const { child, exited } = launch(['-kernel', RESET, '-append', 'how=3']);
  child.stdin.end();
  t.is(await exited, 0);
});
