#!/usr/bin/env node
// Builds the freestanding guest programs (test/guests) into dist/guests/<name>.elf
// with the system gcc/ld/objcopy through make. Incremental: make only rebuilds
// what changed. Run by `npm run compile`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'guests');

const tools = [
  ['gcc', 'the C compiler (apt install gcc / build-essential)'],
  ['as', 'the GNU assembler (apt install binutils)'],
  ['ld', 'the GNU linker (apt install binutils)'],
  ['objcopy', 'objcopy (apt install binutils)'],
  ['make', 'make (apt install make)'],
];
const missing = tools.filter(([tool]) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);
if (missing.length) {
  console.error('build-guests: cannot build the guest programs in test/guests; missing:');
  for (const [tool, hint] of missing) console.error(`  ${tool}: ${hint}`);
  process.exit(1);
}

const result = spawnSync('make', ['-C', path.join(root, 'test', 'guests'), `OUT=${out}`, '-j2', '--no-print-directory', '-s'], {
  stdio: 'inherit',
});
if (result.error) {
  console.error(`build-guests: could not run make: ${result.error.message}`);
  process.exit(1);
}
if (result.status !== 0) {
  console.error(`build-guests: make failed (exit status ${result.status})`);
  process.exit(result.status ?? 1);
}
