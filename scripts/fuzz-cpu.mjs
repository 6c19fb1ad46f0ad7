#!/usr/bin/env node
// Long differential run of the interpreter against the host CPU; see docs/cpu-diff.md.
// Usage: npm run fuzz:cpu [-- --cases N --seed S --mode 64|32|both]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { main } = require(join(root, 'dist', 'test', 'cpu-diff', 'fuzz.js'));
try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`fuzz:cpu: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
