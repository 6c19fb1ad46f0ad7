/**
 * The package's two doors: the Node entry (package.json "main") exports the
 * documented API, and the bin (package.json "bin") is a runnable script.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tsvisor from '../../lib/index.js';

const ROOT = resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; bin: Record<string, string> };

test('the package entry exports the machine API and fromQemuArgs', (t) => {
  t.is(typeof tsvisor.Machine, 'function');
  t.is(typeof tsvisor.defaultMachineConfig, 'function');
  t.is(typeof tsvisor.fromQemuArgs, 'function');
  for (const cls of [tsvisor.MachineConfigError, tsvisor.KernelLoadError, tsvisor.QemuArgsError]) t.true(new cls('x', 'y', 'z') instanceof Error);
  const config = tsvisor.fromQemuArgs(['-kernel', 'k.elf', '-m', '64M', '-serial', 'none'], { backends: ['interp'] });
  t.deepEqual(config, { ...tsvisor.defaultMachineConfig(), kernel: 'k.elf', memoryBytes: 64 * 1024 * 1024, serial: 'none' });
  t.throws(() => tsvisor.fromQemuArgs(['-bogus']), { instanceOf: tsvisor.QemuArgsError, message: '-bogus: invalid option' });
});

test('package.json main and bin point at the compiled entry and CLI; the CLI has a shebang', (t) => {
  t.is(manifest.main, 'dist/lib/index.js');
  t.is(manifest.bin.tsvisor, 'dist/lib/cli.js');
  const cli = readFileSync(join(ROOT, manifest.bin.tsvisor), 'utf8');
  t.true(cli.startsWith('#!/usr/bin/env node\n'));
  t.notThrows(() => require(join(ROOT, manifest.main)));
});
