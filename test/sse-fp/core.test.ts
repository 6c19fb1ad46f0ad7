/**
 * The SSE floating-point core (native/cpu/sse_fp.cc) against the host CPU:
 * check-core.cc runs every scalar operation of the core and the same SSE
 * instruction on random and boundary operands under random MXCSR control
 * (rounding, DAZ, FTZ) and compares result bits and exception flags. It needs
 * an x86-64 host (the reference is the host's own SSE unit) and g++.
 * check-approx.cc does the same for RCPPS/RSQRTPS (every fraction at a spread
 * of exponents; run it without `quick` for all 2^32 inputs).
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testWhen } from '../helpers/test-when.js';

// dist/test/sse-fp -> repo root
const rootDir = join(__dirname, '..', '..', '..');

function hasGxx(): boolean {
  return spawnSync('g++', ['--version'], { stdio: 'ignore' }).status === 0;
}

if (process.arch !== 'x64') {
  test.skip('SSE FP core matches the host CPU (the reference is an x86-64 host)', () => {});
} else {
  testWhen(hasGxx(), 'g++ is not installed')('SSE FP core and RCPPS/RSQRTPS match the host CPU bit for bit, flags and #XM included', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsv-ssefp-'));
    try {
      const exe = join(dir, 'check-core');
      execFileSync('g++', ['-std=c++17', '-O2', '-msse4.1', '-mno-red-zone', `-I${join(rootDir, 'native')}`, '-o', exe,
        join(rootDir, 'test', 'sse-fp', 'check-core.cc'), join(rootDir, 'native', 'cpu', 'sse_fp.cc')],
      { stdio: ['ignore', 'ignore', 'pipe'] });
      for (const seed of ['1']) {
        const run = spawnSync(exe, ['20000', seed], { encoding: 'utf8' });
        t.is(run.status, 0, run.stdout + run.stderr);
        t.regex(run.stdout, /^ok: \d+ operations/m);
      }
      const approx = join(dir, 'check-approx');
      execFileSync('g++', ['-std=c++17', '-O2', `-I${join(rootDir, 'native')}`, '-o', approx,
        join(rootDir, 'test', 'sse-fp', 'check-approx.cc')], { stdio: ['ignore', 'ignore', 'pipe'] });
      const run = spawnSync(approx, ['quick'], { encoding: 'utf8' });
      t.is(run.status, 0, run.stdout + run.stderr);
      t.regex(run.stdout, /^ok: \d+ inputs, 0 differ/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
