/**
 * Assembles many one-instruction snippets with a single GNU as run: each
 * snippet is preceded by its length (`.long 2f-1f`), so the flat .text
 * section splits back into the individual encodings.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function assembleSnippets(bits: 64 | 32, snippets: string[]): Buffer[] {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-cpudiff-as-'));
  try {
    const lines = [bits === 64 ? '.code64' : '.code32', '.text'];
    for (const s of snippets) lines.push('.long 2f-1f', `1: ${s}`, '2:');
    writeFileSync(join(dir, 'a.s'), lines.join('\n') + '\n');
    try {
      execFileSync('as', ['--64', '-o', join(dir, 'a.o'), join(dir, 'a.s')], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new Error(`as failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
    }
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.o'), join(dir, 'a.bin')]);
    const bin = readFileSync(join(dir, 'a.bin'));
    const out: Buffer[] = [];
    let off = 0;
    for (let k = 0; k < snippets.length; k++) {
      const len = bin.readUInt32LE(off);
      out.push(Buffer.from(bin.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    if (off !== bin.length) throw new Error(`assembleSnippets: ${bin.length - off} stray bytes`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
