/**
 * -no-shutdown through the real CLI and a QMP client: the guest's ACPI
 * power-off pauses the machine (SHUTDOWN then STOP, status 'shutdown', the
 * process stays), cont is refused until system_reset, after which the guest
 * boots again and powers off again; quit ends the process with status 0.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonAvailable, packageRoot } from '../../lib/hypervisor/addon.js';
import { QmpClient } from './qmp-client.js';
import { testWhen } from '../helpers/test-when.js';

const CLI = join(packageRoot(), 'dist', 'lib', 'cli.js');
const RESET_GUEST = join(packageRoot(), 'dist', 'guests', 'reset.elf');
const maybe = testWhen(addonAvailable() && existsSync(RESET_GUEST), 'needs the native addon and the built guests');

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const [how, what, reason] of [
  ['3', 'an ACPI S5 power-off', 'guest-shutdown'],
  ['1', 'a 0xCF9 reset under -no-reboot', 'guest-reset'],
] as const) {
  maybe(`-no-shutdown: ${what} pauses the machine until system_reset and cont`, async (t) => {
    const path = join(mkdtempSync(join(tmpdir(), 'tsv-noshut-')), 'qmp.sock');
    const args = ['-kernel', RESET_GUEST, '-append', `how=${how}`, '-no-shutdown', '-no-reboot', '-name', 'guest=noshut,,vm', '-serial', 'null', '-S', '-qmp', `unix:${path},server=on,wait=off`];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until('the QMP socket', () => existsSync(path));
      const client = await QmpClient.connect(path);
      await client.take((m) => 'QMP' in m);
      await client.execute('qmp_capabilities');
      t.deepEqual((await client.execute('query-name')).return, { name: 'noshut,vm' });
      // -S: the guest starts once this client can receive events (QMP drops events before negotiation).
      await client.execute('cont');

      t.deepEqual((await client.event('SHUTDOWN')).data, { guest: true, reason });
      await client.event('STOP');
      t.deepEqual((await client.execute('query-status')).return, { status: 'shutdown', running: false });
      // The machine waits: the process is still there a while later.
      await new Promise((r) => setTimeout(r, 300));
      t.is(child.exitCode, null);
      t.deepEqual((await client.execute('cont')).error, { class: 'GenericError', desc: 'Resetting the Virtual Machine is required' });
      const regs = (await client.execute('human-monitor-command', { 'command-line': 'info registers' })).return as string;
      t.regex(regs, /RIP=/);

      await client.execute('system_reset');
      t.deepEqual((await client.event('RESET')).data, { guest: false, reason: 'host-qmp-system-reset' });
      t.deepEqual((await client.execute('query-status')).return, { status: 'prelaunch', running: false });
      t.deepEqual((await client.execute('cont')).return, {});
      await client.event('RESUME');
      // The kernel was reloaded and runs from its entry again, to the same request.
      t.deepEqual((await client.event('SHUTDOWN')).data, { guest: true, reason });
      await client.event('STOP');
      t.is((await client.execute('query-status')).return.status, 'shutdown');

      await client.execute('quit');
      t.deepEqual((await client.event('SHUTDOWN')).data, { guest: false, reason: 'host-qmp-quit' });
      t.is(await exited, 0);
      t.is(stderr, '');
    } finally {
      child.kill();
    }
  });
}
