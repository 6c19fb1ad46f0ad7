/** The QMP server on a real unix socket, driving a machine through the Node API. */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { ACPI_PM1A_CNT_BLK, ACPI_PM1A_EVT_BLK, ACPI_SLP_TYP_S5 } from '../../lib/machine/addresses.js';
import { QmpServer } from '../../lib/qmp/index.js';
import { JsonObjectSplitter } from '../../lib/qmp/json-stream.js';
import { CODE_ADDRESS, JMP_SELF, REAL_MODE_CS, debugExit, realModeMachine } from '../api/real-mode-code.js';
import { QmpClient } from './qmp-client.js';
import { testWhen } from '../helpers/test-when.js';

const maybe = testWhen(addonAvailable(), 'needs the native addon');

function socketPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'tsv-qmp-')), 'qmp.sock');
}

async function serve(code: number[]): Promise<{ server: QmpServer; client: QmpClient; vm: ReturnType<typeof realModeMachine> }> {
  const vm = realModeMachine(code);
  const server = new QmpServer(vm);
  const path = socketPath();
  await server.listenUnix(path);
  const client = await QmpClient.connect(path);
  return { server, client, vm };
}

maybe('greeting, negotiation, refusal before it, and the query commands', async (t) => {
  const { server, client, vm } = await serve(JMP_SELF);
  const greeting = await client.take((m) => 'QMP' in m);
  t.deepEqual(greeting.QMP.version.qemu, { major: 8, minor: 2, micro: 0 });
  t.regex(greeting.QMP.version.package, /^tsvisor /);
  t.deepEqual(greeting.QMP.capabilities, []);

  const early = await client.execute('query-status');
  t.is(early.error.class, 'CommandNotFound');
  t.regex(early.error.desc, /qmp_capabilities/);
  t.deepEqual((await client.execute('qmp_capabilities')).return, {});
  t.is((await client.execute('qmp_capabilities')).error.class, 'CommandNotFound');

  t.deepEqual((await client.execute('query-status')).return, { status: 'prelaunch', running: false });
  const run = vm.start();
  t.deepEqual((await client.execute('query-status')).return, { status: 'running', running: true });
  const cpus = (await client.execute('query-cpus-fast')).return;
  t.is(cpus.length, 1);
  t.is(cpus[0]['cpu-index'], 0);
  t.is(cpus[0].target, 'x86_64');
  t.deepEqual((await client.execute('query-version')).return.qemu, { major: 8, minor: 2, micro: 0 });

  const unknown = await client.execute('no-such-command');
  t.deepEqual(unknown.error, { class: 'CommandNotFound', desc: 'The command no-such-command has not been found' });
  t.deepEqual((await client.execute('query-status', { bogus: 1 })).error, { class: 'GenericError', desc: "Parameter 'bogus' is unexpected" });
  client.socket.write('{"execute": oops}\n');
  t.is((await client.take((m) => m.error !== undefined)).error.class, 'GenericError');
  client.socket.write('[1, 2]\n');
  t.deepEqual((await client.take((m) => m.error !== undefined)).error, { class: 'GenericError', desc: 'QMP input must be a JSON object' });

  t.deepEqual((await client.execute('quit')).return, {});
  const shutdown = await client.event('SHUTDOWN');
  t.deepEqual(shutdown.data, { guest: false, reason: 'host-qmp-quit' });
  t.deepEqual(await run, { status: 0, reason: 'stopped' });
  await server.close();
  await client.waitForEnd();
});

maybe('stop/cont emit STOP and RESUME with timestamps; info registers while stopped; system_reset emits RESET', async (t) => {
  const { server, client, vm } = await serve(JMP_SELF);
  await client.take((m) => 'QMP' in m);
  await client.execute('qmp_capabilities');
  const run = vm.start();

  t.deepEqual((await client.execute('stop')).return, {});
  const stop = await client.event('STOP');
  t.deepEqual(stop.data, {});
  t.true(Number.isInteger(stop.timestamp.seconds) && stop.timestamp.seconds > 1_600_000_000);
  t.true(stop.timestamp.microseconds >= 0 && stop.timestamp.microseconds < 1_000_000);
  t.deepEqual((await client.execute('query-status')).return, { status: 'paused', running: false });

  const info = (await client.execute('human-monitor-command', { 'command-line': 'info registers' })).return as string;
  t.regex(info, new RegExp(`RIP=0*${CODE_ADDRESS.toString(16)} `));
  t.regex(info, /CS =0000 0000000000000000 0000ffff 009b/);

  t.deepEqual((await client.execute('cont')).return, {});
  await client.event('RESUME');
  // While running, as in QEMU, the registers are those at the end of the last slice.
  const running = await client.execute('human-monitor-command', { 'command-line': 'info registers' });
  t.regex(running.return, new RegExp(`RIP=0*${CODE_ADDRESS.toString(16)} `));

  // After the reset the vCPU is at the reset vector with no firmware: point it at an exit.
  vm.once('reset', () => {
    vm.writePhysical(CODE_ADDRESS, Uint8Array.from(debugExit(9)));
    vm.setRegisters(0, { cs: REAL_MODE_CS, rip: CODE_ADDRESS });
  });
  t.deepEqual((await client.execute('system_reset')).return, {});
  const reset = await client.event('RESET');
  t.deepEqual(reset.data, { guest: false, reason: 'host-qmp-system-reset' });
  const shutdown = await client.event('SHUTDOWN');
  t.deepEqual(shutdown.data, { guest: true, reason: 'guest-shutdown' });
  t.deepEqual(await run, { status: 19, reason: 'debug-exit' });
  t.is((await client.execute('cont')).error.class, 'GenericError');
  await server.close();
});

// Enables the ACPI power button event, polls PM1_STS.PWRBTN_STS, then enters S5 (SLP_TYP=S5, SLP_EN).
const lo = (v: number): number => v & 0xff;
const hi = (v: number): number => v >> 8;
const POWER_BUTTON_GUEST = [
  0xba, lo(ACPI_PM1A_EVT_BLK + 2), hi(ACPI_PM1A_EVT_BLK + 2), // 0: mov dx, PM1_EN
  0xb8, 0x00, 0x01, // 3: mov ax, PWRBTN_EN
  0xef, // 6: out dx, ax
  0xba, lo(ACPI_PM1A_EVT_BLK), hi(ACPI_PM1A_EVT_BLK), // 7: mov dx, PM1_STS
  0xed, // 10: in ax, dx
  0xf6, 0xc4, 0x01, // 11: test ah, PWRBTN_STS >> 8
  0x74, 0xf7, // 14: jz 7
  0xba, lo(ACPI_PM1A_CNT_BLK), hi(ACPI_PM1A_CNT_BLK), // 16: mov dx, PM1_CNT
  0xb8, lo((ACPI_SLP_TYP_S5 << 10) | 0x2000), hi((ACPI_SLP_TYP_S5 << 10) | 0x2000), // 19: mov ax, SLP_TYP | SLP_EN
  0xef, // 22: out dx, ax
  ...JMP_SELF,
];

maybe('system_powerdown presses the ACPI power button; the guest powers off and SHUTDOWN says so', async (t) => {
  const { server, client, vm } = await serve(POWER_BUTTON_GUEST);
  await client.take((m) => 'QMP' in m);
  await client.execute('qmp_capabilities');
  const run = vm.start();
  t.deepEqual((await client.execute('system_powerdown')).return, {});
  t.deepEqual((await client.event('SHUTDOWN')).data, { guest: true, reason: 'guest-shutdown' });
  t.deepEqual(await run, { status: 0, reason: 'poweroff' });
  await server.close();
});

test('the JSON splitter handles objects split across chunks, several per chunk, braces in strings', (t) => {
  const out: string[] = [];
  const s = new JsonObjectSplitter((text) => out.push(text));
  s.push('{"execute":"a","x":"}{"');
  s.push('}{"execute"');
  s.push(':"b"}\n  \n{"c":[1,{"d":"\\"}"}]}');
  s.push('garbage\n');
  t.deepEqual(out, ['{"execute":"a","x":"}{"}', '{"execute":"b"}', '{"c":[1,{"d":"\\"}"}]}', 'garbage']);
});
