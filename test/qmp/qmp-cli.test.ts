/**
 * The tsvisor command with -qmp and -monitor: a QMP client on the real socket
 * (wait=on holds the guest until it connects), QMP on stdio, the human
 * monitor on stdio, and the one-line refusals.
 */
import test from 'ava';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonAvailable, packageRoot } from '../../lib/hypervisor/addon.js';
import { assembleKernel, binutilsAvailable } from '../helpers/tiny-kernel.js';
import { QmpClient } from './qmp-client.js';
import { testWhen } from '../helpers/test-when.js';

const CLI = join(packageRoot(), 'dist', 'lib', 'cli.js');
const ready = addonAvailable() && binutilsAvailable();
const maybe = testWhen(ready, 'needs the native addon and binutils');

let spinKernel: string | undefined;
function spin(): string {
  spinKernel ??= assembleKernel('qmp-spin', '_start:\n  jmp _start\n');
  return spinKernel;
}

function launch(args: string[]): { child: ChildProcessWithoutNullStreams; output: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

maybe('-qmp unix:PATH,server,wait=on: the guest starts on connect; stop/cont/info registers/quit with events', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tsv-qmp-cli-')), 'qmp.sock');
  const { child, output, exited } = launch(['-kernel', spin(), '-serial', 'null', '-qmp', `unix:${path},server=on,wait=on`]);
  try {
    await until('the QMP socket', () => existsSync(path) && output.stderr.includes('waiting for a connection'));
    const client = await QmpClient.connect(path);
    await client.take((m) => 'QMP' in m);
    await client.execute('qmp_capabilities');
    t.deepEqual((await client.execute('query-status')).return, { status: 'running', running: true });
    await client.execute('stop');
    t.truthy(await client.event('STOP'));
    const regs = (await client.execute('human-monitor-command', { 'command-line': 'info registers' })).return as string;
    t.regex(regs, /RIP=00000000001000[0-9a-f]{2} /); // inside the spin kernel, linked at 1 MiB
    t.regex(regs, /CR0=[0-9a-f]{7}[13579bdf] /); // PE set: protected mode (multiboot entry state)
    await client.execute('cont');
    t.truthy(await client.event('RESUME'));
    t.deepEqual((await client.execute('quit')).return, {});
    t.deepEqual((await client.event('SHUTDOWN')).data, { guest: false, reason: 'host-qmp-quit' });
    await client.waitForEnd();
    t.is(await exited, 0);
    t.false(existsSync(path), 'the socket file is removed');
  } finally {
    child.kill();
  }
});

maybe('-qmp unix:PATH,server,nowait (bare forms) runs the guest without waiting', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tsv-qmp-cli-')), 'qmp.sock');
  const { child, exited } = launch(['-kernel', spin(), '-serial', 'null', '-qmp', `unix:${path},server,nowait`]);
  try {
    await until('the QMP socket', () => existsSync(path));
    const client = await QmpClient.connect(path);
    await client.take((m) => 'QMP' in m);
    await client.execute('qmp_capabilities');
    t.is((await client.execute('query-status')).return.status, 'running');
    await client.execute('quit');
    t.is(await exited, 0);
  } finally {
    child.kill();
  }
});

maybe('-S holds the vCPUs in prelaunch until QMP cont', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tsv-qmp-cli-')), 'qmp.sock');
  const { child, exited } = launch(['-S', '-kernel', spin(), '-serial', 'null', '-qmp', `unix:${path},server=on,wait=off`]);
  try {
    await until('the QMP socket', () => existsSync(path));
    const client = await QmpClient.connect(path);
    await client.take((m) => 'QMP' in m);
    await client.execute('qmp_capabilities');
    t.deepEqual((await client.execute('query-status')).return, { status: 'prelaunch', running: false });
    t.deepEqual((await client.execute('cont')).return, {});
    t.deepEqual((await client.execute('query-status')).return, { status: 'running', running: true });
    await client.execute('quit');
    t.is(await exited, 0);
  } finally {
    child.kill();
  }
});

maybe('-qmp stdio speaks QMP on stdin/stdout', async (t) => {
  const { child, output, exited } = launch(['-kernel', spin(), '-qmp', 'stdio']);
  try {
    await until('the greeting', () => output.stdout.includes('"QMP"'));
    child.stdin.write('{"execute":"qmp_capabilities"}\n{"execute":"query-status","id":1}\n');
    await until('the status reply', () => output.stdout.includes('"id":1'));
    child.stdin.write('{"execute":"quit"}\n');
    t.is(await exited, 0);
    const messages = output.stdout.trim().split(/\r?\n/).map((l) => JSON.parse(l) as Record<string, unknown>);
    t.deepEqual(messages[1], { return: {} });
    t.deepEqual(messages[2], { return: { status: 'running', running: true }, id: 1 });
    t.true(messages.some((m) => m.event === 'SHUTDOWN'));
  } finally {
    child.kill();
  }
});

maybe('-monitor stdio: info status, stop, info registers, quit', async (t) => {
  const { child, output, exited } = launch(['-kernel', spin(), '-monitor', 'stdio']);
  try {
    await until('the prompt', () => output.stdout.includes('(qemu) '));
    child.stdin.write('info status\nstop\ninfo status\ninfo registers\nbogus\nquit\n');
    t.is(await exited, 0);
    t.regex(output.stdout, /type 'help' for more information/);
    t.regex(output.stdout, /VM status: running/);
    t.regex(output.stdout, /VM status: paused/);
    t.regex(output.stdout, /RAX=[0-9a-f]{16}/);
    t.regex(output.stdout, /unknown command: 'bogus'/);
  } finally {
    child.kill();
  }
});

test('unsupported -qmp/-monitor forms and stdio conflicts are one line', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['-qmp', 'tcp:localhost:4444,server'], /^tsvisor: -qmp tcp:localhost:4444,server: character device 'tcp' is not supported for QMP/],
    [['-qmp', 'unix:/tmp/x.sock'], /^tsvisor: -qmp unix:\/tmp\/x.sock: QMP on a unix socket needs server=on/],
    [['-monitor', 'vc'], /^tsvisor: -monitor vc: monitor backend 'vc' is not supported/],
    [['-serial', 'stdio', '-qmp', 'stdio'], /^tsvisor: stdio can be used by only one character device, but -serial and -qmp both ask for it/],
    [['-nographic', '-monitor', 'stdio'], /^tsvisor: stdio can be used by only one character device, but -serial and -monitor both ask for it/],
  ];
  for (const [args, expected] of cases) {
    const { output, exited } = launch(['-kernel', '/nonexistent', ...args]);
    t.is(await exited, 1, args.join(' '));
    t.regex(output.stderr, expected);
    t.is(output.stderr.trim().split('\n').length, 1);
  }
});
