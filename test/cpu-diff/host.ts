/**
 * Runs cases on the host CPU: compiles runner.c with gcc once per content
 * (cached in the OS temp directory) and feeds it batches through files.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN, OUT } from './layout.js';
import type { Suite } from './suite.js';

// dist/test/cpu-diff -> repo root
const rootDir = join(__dirname, '..', '..', '..');
const runnerSource = join(rootDir, 'test', 'cpu-diff', 'runner.c');

let runnerPath: string | undefined;
export function hostRunner(): string {
  if (runnerPath) return runnerPath;
  const src = readFileSync(runnerSource);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const out = join(tmpdir(), `tsv-cpudiff-runner-${hash}`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}`;
    execFileSync('gcc', ['-O1', '-no-pie', '-o', tmp, runnerSource], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(tmp, out);
  }
  runnerPath = out;
  return out;
}

/** Runs a batch of case_in records; returns the case_out records. */
export function runOnHost(suite: Suite, cases: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-cpudiff-'));
  try {
    writeFileSync(join(dir, 'code.bin'), suite.hostCode);
    writeFileSync(join(dir, 'cases.bin'), cases);
    execFileSync(hostRunner(), [String(suite.bits), join(dir, 'code.bin'), join(dir, 'cases.bin'), join(dir, 'out.bin')],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const out = readFileSync(join(dir, 'out.bin'));
    if (out.length !== (cases.length / IN.size) * OUT.size) throw new Error('host runner: short output');
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
