/**
 * docs/api.md stays true: every ```js block in it is a complete ES module that
 * imports 'tsvisor'; each one runs here as a separate node process against
 * this package and must exit 0 (the examples assert what they claim).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addonAvailable, packageRoot } from '../../lib/hypervisor/addon.js';
import { testWhen } from '../helpers/test-when.js';

const run = promisify(execFile);
const ROOT = packageRoot();
const DOC = join(ROOT, 'docs', 'api.md');

/** The ```js blocks of a markdown file, with the heading they sit under. */
export function jsBlocks(markdown: string): Array<{ heading: string; code: string }> {
  const blocks: Array<{ heading: string; code: string }> = [];
  let heading = '';
  let code: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (code !== undefined) {
      if (line.startsWith('```')) {
        blocks.push({ heading, code: code.join('\n') + '\n' });
        code = undefined;
      } else code.push(line);
    } else if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    else if (line.trim() === '```js') code = [];
  }
  return blocks;
}

const blocks = jsBlocks(readFileSync(DOC, 'utf8'));
const maybe = testWhen(addonAvailable(), 'needs the native addon');

test('docs/api.md has examples for each part of the API', (t) => {
  t.true(blocks.length >= 5);
  for (const b of blocks) t.regex(b.code, /from 'tsvisor'/, `example under "${b.heading}" imports the package`);
});

// A project directory where `import 'tsvisor'` resolves to this package.
let project: string | undefined;
function projectDir(): string {
  if (project === undefined) {
    project = mkdtempSync(join(tmpdir(), 'tsv-docs-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'tsvisor'));
  }
  return project;
}

blocks.forEach((block, i) => {
  maybe(`docs/api.md example ${i + 1} (${block.heading}) runs`, async (t) => {
    const file = join(projectDir(), `example-${i + 1}.mjs`);
    writeFileSync(file, block.code);
    const result = await run(process.execPath, [file], { cwd: projectDir(), timeout: 60_000 }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    const failed = (result as { code?: number }).code;
    t.is(failed ?? 0, 0, `example ${i + 1} failed:\n${result.stderr}\n${result.stdout}`);
  });
});
