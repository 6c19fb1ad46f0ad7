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

/**
 * Why the host cannot run 32-bit code, or undefined when it can. Some kernels
 * (ia32_emulation off, and some paravirtualized hosts) fault every far
 * transfer into a 32-bit code segment, from the GDT and from the LDT alike;
 * the 32-bit oracle does not exist there.
 */
export function host32BitUnavailable(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-cpudiff-probe-'));
  try {
    writeFileSync(join(dir, 'code.bin'), Buffer.alloc(0));
    writeFileSync(join(dir, 'cases.bin'), Buffer.alloc(0));
    execFileSync(hostRunner(), ['32', join(dir, 'code.bin'), join(dir, 'cases.bin'), join(dir, 'out.bin')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return undefined;
  } catch (err) {
    const e = err as { status?: number; stderr?: Buffer };
    if (e.status === 3) return (e.stderr?.toString() ?? '').trim().replace(/^runner: /, '');
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
