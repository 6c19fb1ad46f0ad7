/**
 * Golden tests of -chardev and the -serial forms: argv -> QemuInvocation ->
 * MachineConfig, the host side they open (files for real, in a temporary
 * directory), the Ctrl-A multiplexer of mon:stdio, and every error line.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { effectiveSerial, fromQemuArgs, parseQemuArgs, QemuArgsError, type OpenedEndpoints } from '../../lib/qemu-compat/index.js';
import { StdioMux } from '../../lib/qemu-compat/stdio-mux.js';
import type { MachineConfig } from '../../lib/machine/config.js';

const KERNEL = ['-kernel', 'k.elf'];
const dir = mkdtempSync(join(tmpdir(), 'tsv-chardev-args-'));

function open(argv: string[], stdout: Uint8Array[] = []): { config: MachineConfig; opened: OpenedEndpoints } {
  const opened: OpenedEndpoints = { chardevs: [] };
  const config = fromQemuArgs(argv, { backends: ['interp'], stdout: { write: (d) => stdout.push(d) }, stdin: new PassThrough(), opened });
  return { config, opened };
}

function send(config: MachineConfig, text: string): void {
  if (config.serial === 'none' || config.serial.output === undefined) throw new Error('no serial output');
  config.serial.output(Buffer.from(text));
}

function errorOf(argv: string[]): string {
  try {
    open(argv);
  } catch (e) {
    if (e instanceof QemuArgsError) return e.message;
    throw e;
  }
  throw new Error(`expected QemuArgsError for ${argv.join(' ')}`);
}

// ---------------------------------------------------------------- -serial forms

test('-serial file:PATH truncates the file and receives the guest bytes', async (t) => {
  const path = join(dir, 'serial.txt');
  writeFileSync(path, 'old contents\n');
  t.deepEqual(parseQemuArgs([...KERNEL, '-serial', `file:${path}`]).serial, { kind: 'file', path, append: false });
  const { config, opened } = open([...KERNEL, '-serial', `file:${path}`]);
  t.is(readFileSync(path, 'utf8'), '', 'truncated when opened, as QEMU does');
  send(config, 'hello ');
  send(config, 'file\n');
  t.is(readFileSync(path, 'utf8'), 'hello file\n');
  t.is(config.serial !== 'none' && config.serial.input, undefined);
  t.deepEqual(opened.chardevs.map((c) => [c.option, c.value, c.chardev.label]), [['-serial', `file:${path}`, `file:${path}`]]);
  await opened.chardevs[0]!.chardev.close();
});

test('-serial stdio, null and none', (t) => {
  const out: Uint8Array[] = [];
  const stdio = open([...KERNEL, '-serial', 'stdio'], out).config;
  send(stdio, 'x');
  t.is(Buffer.concat(out).toString(), 'x');
  t.truthy(stdio.serial !== 'none' && stdio.serial.input);
  const sink = open([...KERNEL, '-serial', 'null'], out).config;
  send(sink, 'dropped');
  t.is(Buffer.concat(out).toString(), 'x');
  t.is(open([...KERNEL, '-serial', 'none']).config.serial, 'none');
});

test('-chardev file/null/stdio and -serial chardev:ID', async (t) => {
  const path = join(dir, 'append.txt');
  writeFileSync(path, 'kept\n');
  const inv = parseQemuArgs([...KERNEL, '-chardev', `file,id=log,path=${path},append=on`, '-chardev', 'null,id=sink', '-serial', 'chardev:log']);
  t.deepEqual(
    inv.chardevs.map(({ id, backend }) => ({ id, backend })),
    [
      { id: 'log', backend: { kind: 'file', path, append: true } },
      { id: 'sink', backend: { kind: 'null' } },
    ],
  );
  t.deepEqual(inv.serial, { kind: 'chardev', id: 'log' });
  const { config, opened } = open([...KERNEL, '-chardev', `file,id=log,path=${path},append=on`, '-serial', 'chardev:log']);
  send(config, 'added\n');
  t.is(readFileSync(path, 'utf8'), 'kept\nadded\n');
  for (const c of opened.chardevs) await c.chardev.close();

  const out: Uint8Array[] = [];
  const viaStdio = open([...KERNEL, '-chardev', 'stdio,id=con,signal=off', '-serial', 'chardev:con'], out).config;
  send(viaStdio, 'console');
  t.is(Buffer.concat(out).toString(), 'console');
  const viaNull = open([...KERNEL, '-chardev', 'null,id=n', '-serial', 'chardev:n'], out).config;
  send(viaNull, 'gone');
  t.is(Buffer.concat(out).toString(), 'console');
});

test('socket forms parse to a listening server (unix and TCP); the deprecated bare forms warn', (t) => {
  t.deepEqual(parseQemuArgs([...KERNEL, '-serial', 'unix:/tmp/s.sock,server=on,wait=off']).serial, {
    kind: 'socket',
    address: { unix: '/tmp/s.sock' },
    wait: false,
  });
  const tcp = parseQemuArgs([...KERNEL, '-serial', 'tcp::4444,server,nowait']);
  t.deepEqual(tcp.serial, { kind: 'socket', address: { host: '0.0.0.0', port: 4444 }, wait: false });
  t.is(tcp.warnings.length, 2);
  t.deepEqual(parseQemuArgs([...KERNEL, '-serial', 'tcp:127.0.0.1:5555,server=on']).serial, {
    kind: 'socket',
    address: { host: '127.0.0.1', port: 5555 },
    wait: true,
  });
  const c = parseQemuArgs([...KERNEL, '-chardev', 'socket,id=s,path=/tmp/c.sock,server=on,wait=off', '-chardev', 'socket,id=t,host=localhost,port=7000,server=on']);
  t.deepEqual(
    c.chardevs.map(({ id, backend }) => ({ id, backend })),
    [
      { id: 's', backend: { kind: 'socket', address: { unix: '/tmp/c.sock' }, wait: false } },
      { id: 't', backend: { kind: 'socket', address: { host: 'localhost', port: 7000 }, wait: true } },
    ],
  );
});

test('-serial mon:stdio shares stdio with the monitor through a multiplexer', (t) => {
  t.is(parseQemuArgs([...KERNEL, '-serial', 'mon:stdio']).serial, 'mon:stdio');
  const { config, opened } = open([...KERNEL, '-serial', 'mon:stdio']);
  t.truthy(opened.mux);
  t.is(config.serial !== 'none' && config.serial.input, opened.mux!.serialInput);
  opened.mux!.close();
  t.is(
    (() => {
      try {
        fromQemuArgs([...KERNEL, '-serial', 'mon:stdio'], { backends: ['interp'] });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })(),
    '-serial mon:stdio: needs a monitor, which only the tsvisor command runs',
  );
});

test('-nographic alone means -serial mon:stdio, as in QEMU; -monitor, -qmp or -serial take that back', (t) => {
  const eff = (argv: string[]) => effectiveSerial(parseQemuArgs([...KERNEL, ...argv]));
  t.is(eff(['-nographic']), 'mon:stdio');
  t.is(eff(['-nographic', '-monitor', 'none']), 'stdio');
  t.is(eff(['-nographic', '-qmp', 'unix:/tmp/q.sock,server=on,wait=off']), 'stdio');
  t.is(eff(['-nographic', '-serial', 'null']), 'null');
  t.is(eff(['-nographic', '-nodefaults']), 'none');
  t.is(eff([]), 'stdio');
  // The Node API runs no monitor: -nographic is plain stdio there.
  t.is(effectiveSerial(parseQemuArgs([...KERNEL, '-nographic']), false), 'stdio');
  const { config, opened } = open([...KERNEL, '-nographic']);
  t.truthy(opened.mux, 'the tsvisor command gets the Ctrl-A multiplexer');
  t.is(config.serial !== 'none' && config.serial.input, opened.mux!.serialInput);
  opened.mux!.close();
  const api = fromQemuArgs([...KERNEL, '-nographic'], { backends: ['interp'], stdout: { write: () => true }, stdin: new PassThrough() });
  t.true(api.serial !== 'none' && api.serial.input !== undefined);
});

test('the multiplexer: C-a c switches the focus, C-a C-a sends C-a, C-a x quits, C-a h helps', (t) => {
  const stdin = new PassThrough();
  const shown: string[] = [];
  const mux = new StdioMux(stdin, { write: (d) => shown.push(d.toString()) });
  const serial: Buffer[] = [];
  const monitor: Buffer[] = [];
  mux.serialInput.on('data', (d: Buffer) => serial.push(d));
  mux.monitorInput.on('data', (d: Buffer) => monitor.push(d));
  let quits = 0;
  mux.onQuit = () => quits++;
  stdin.write(Buffer.from('ab\x01\x01c'));
  stdin.write(Buffer.from('d\x01'));
  stdin.write(Buffer.from('cinfo status\n\x01c'));
  stdin.write(Buffer.from('e\x01h\x01x'));
  t.is(Buffer.concat(serial).toString(), 'ab\x01cde');
  t.is(Buffer.concat(monitor).toString(), '\ninfo status\n');
  t.is(mux.focused, 'serial');
  t.is(quits, 1);
  t.regex(shown.join(''), /C-a x/);
  t.regex(shown.join(''), /terminated/);
  // Monitor output shows only while the monitor has the focus.
  mux.monitorOutput.write('hidden');
  stdin.write(Buffer.from('\x01c'));
  mux.monitorOutput.write('(qemu) ');
  t.false(shown.join('').includes('hidden'));
  t.true(shown.join('').endsWith('(qemu) '));
  mux.close();
});

// ---------------------------------------------------------------- errors

test('-serial and -chardev errors are one line naming the option and the value', (t) => {
  const cases: Array<[string[], string]> = [
    [['-serial', 'file:/nonexistent/dir/x'], "-serial file:/nonexistent/dir/x: could not open '/nonexistent/dir/x': No such file or directory"],
    [['-serial', 'file:'], '-serial file:: file: needs a path'],
    [['-serial', 'pty'], "-serial pty: serial backend 'pty' is not supported (use stdio, null, none, file:PATH, chardev:ID, mon:stdio, unix:PATH,server=on, tcp:[HOST]:PORT,server=on)"],
    [['-serial', 'udp::4555'], "-serial udp::4555: serial backend 'udp' is not supported (use stdio, null, none, file:PATH, chardev:ID, mon:stdio, unix:PATH,server=on, tcp:[HOST]:PORT,server=on)"],
    [['-serial', 'mon:file:/x'], '-serial mon:file:/x: mon: is supported only as mon:stdio'],
    [['-serial', 'chardev:nope'], "-serial chardev:nope: chardev 'nope' is not defined (add -chardev BACKEND,id=nope)"],
    [['-serial', 'chardev:'], '-serial chardev:: chardev: needs an id'],
    [['-serial', 'unix:/tmp/x'], '-serial unix:/tmp/x: a socket needs server=on (tsvisor listens; it does not connect out as a client)'],
    [['-serial', 'tcp:4444,server=on'], '-serial tcp:4444,server=on: tcp: needs [HOST]:PORT'],
    [['-serial', 'tcp::99999,server=on'], "-serial tcp::99999,server=on: invalid port '99999'"],
    [['-serial', 'null', '-serial', 'null'], '-serial null: only one serial port is supported'],
    [['-chardev', 'pty,id=p'], "-chardev pty,id=p: chardev backend 'pty' is not supported (tsvisor has stdio, null, file, socket)"],
    [['-chardev', 'null'], "-chardev null: parameter 'id' is missing"],
    [['-chardev', 'null,id=1x'], "-chardev null,id=1x: parameter 'id' expects an identifier, not '1x'"],
    [['-chardev', 'file,id=f'], "-chardev file,id=f: parameter 'path' is missing"],
    [['-chardev', `file,id=f,path=${dir}`], `-chardev file,id=f,path=${dir}: could not open '${dir}': Is a directory`],
    [['-chardev', 'null,id=a', '-chardev', 'null,id=a'], "-chardev null,id=a: duplicate chardev id 'a'"],
    [['-chardev', 'null,id=a,path=/x'], "-chardev null,id=a,path=/x: invalid parameter 'path'"],
    [['-chardev', 'socket,id=s,path=/x'], '-chardev socket,id=s,path=/x: a socket needs server=on (tsvisor listens; it does not connect out as a client)'],
    [['-chardev', 'socket,id=s,path=/x,port=1,server=on'], '-chardev socket,id=s,path=/x,port=1,server=on: give either path= (unix) or host=/port= (TCP), not both'],
    [['-chardev', 'socket,id=s,server=on'], '-chardev socket,id=s,server=on: a socket needs path= (unix) or port= (TCP)'],
    [['-chardev', 'stdio,id=a', '-serial', 'stdio'], 'stdio can be used by only one character device, but -serial and -chardev a both ask for it'],
    [['-serial', 'mon:stdio', '-monitor', 'stdio'], 'stdio can be used by only one character device, but -serial and -monitor both ask for it'],
  ];
  for (const [argv, message] of cases) t.is(errorOf([...KERNEL, ...argv]), message, argv.join(' '));
});
