/**
 * The published package works where no compiler is: pack tsvisor with a
 * prebuilt addon, install the tarball into an empty directory with gcc, g++,
 * cc and make hidden from PATH, and run `npx tsvisor --demo` and a multiboot
 * kernel from there. An install that tried to compile would fail here, and
 * the installed package must have no build/ directory.
 *
 * The prebuild comes from the repository's prebuilds/ when `npm run prebuild`
 * ran after the last native build; otherwise the test runs `npm run prebuild`
 * (prebuildify --napi --strip, about 25 s) itself in a staging copy of the
 * package, so the repository's build/ is never touched.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../lib/hypervisor/addon.js';
import { testWhen } from '../helpers/test-when.js';

const run = promisify(execFile);
const ROOT = packageRoot();
const PREBUILD_DIR = join('prebuilds', `${process.platform}-${process.arch}`);
const BUILT_ADDON = join(ROOT, 'build', 'Release', 'tsvisor.node');
const NPM_CLI = realpathSync(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'));
const NPX_CLI = join(dirname(NPM_CLI), 'npx-cli.js');

const supported = process.platform === 'linux' && process.arch === 'x64' && existsSync(NPM_CLI);
const maybe = testWhen(supported, 'packaging is proven on linux-x64 with npm');

function mtime(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : -1;
}

/** The repository's prebuild, if `npm run prebuild` made it after the last native build. */
function freshRepoPrebuild(): string | undefined {
  const dir = join(ROOT, PREBUILD_DIR);
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir).find((f) => f.endsWith('.node'));
  if (file === undefined) return undefined;
  return mtime(join(dir, file)) >= mtime(BUILT_ADDON) ? join(dir, file) : undefined;
}

/** Compiler drivers and make, under any of their usual names (x86_64-linux-gnu-gcc-12, c++, clang...). */
const COMPILER = /^(?:.*-)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|cpp|make|gmake)(?:-[\d.]+)?$/;

/**
 * A PATH directory like the host's (sh, tar, node...) minus every compiler and make,
 * so an install that tried to build the addon from source would fail.
 */
function compilerFreeBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '' && existsSync(d));
  for (const source of [dirname(process.execPath), ...dirs]) {
    for (const name of readdirSync(source)) {
      if (COMPILER.test(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(source, name), join(bin, name));
    }
  }
  return bin;
}

maybe('npm pack + install with no compiler on PATH: npx tsvisor --demo and a multiboot kernel run from the prebuild', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'tsv-package-'));
  try {
    // 1. Pack the repository as it is (dist already compiled by `npm test`).
    const packed = await run(process.execPath, [NPM_CLI, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
    const firstTgz = join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);

    // 2. Stage it and put the current prebuild in.
    const stage = join(work, 'stage');
    mkdirSync(stage);
    await run('tar', ['-xzf', firstTgz, '-C', stage]);
    const staged = join(stage, 'package');
    rmSync(join(staged, 'prebuilds'), { recursive: true, force: true });
    const repoPrebuild = freshRepoPrebuild();
    if (repoPrebuild !== undefined) {
      mkdirSync(join(staged, PREBUILD_DIR), { recursive: true });
      copyFileSync(repoPrebuild, join(staged, PREBUILD_DIR, basename(repoPrebuild)));
    } else {
      // prebuildify needs node-gyp and node-addon-api: borrow the repository's node_modules for the build.
      symlinkSync(join(ROOT, 'node_modules'), join(staged, 'node_modules'));
      await run(process.execPath, [NPM_CLI, 'run', 'prebuild'], { cwd: staged, env: { ...process.env, JOBS: '2' }, maxBuffer: 64 * 1024 * 1024 });
      rmSync(join(staged, 'node_modules'));
      rmSync(join(staged, 'build'), { recursive: true, force: true });
    }
    const prebuilt = readdirSync(join(staged, PREBUILD_DIR)).filter((f) => f.endsWith('.node'));
    t.is(prebuilt.length, 1, 'one N-API prebuild for linux-x64');
    rmSync(firstTgz);
    const repacked = await run(process.execPath, [NPM_CLI, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: staged });
    const info = (JSON.parse(repacked.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
    const tgz = join(work, info.filename);
    const files = info.files.map((f) => f.path);
    for (const needed of ['dist/lib/index.js', 'dist/lib/cli.js', 'dist/guests/demo.elf', `${PREBUILD_DIR}/${prebuilt[0]}`, 'binding.gyp', 'native/include/tsvisor_abi.h', 'scripts/list-sources.js']) {
      t.true(files.includes(needed), `the tarball has ${needed}`);
    }
    t.false(files.some((f) => f.startsWith('dist/test/') || f.startsWith('build/')), 'no tests or local build output in the tarball');

    // 3. Install into an empty project with no compiler reachable.
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'tsvisor-package-test', version: '1.0.0', private: true }));
    const env = { ...process.env, PATH: compilerFreeBin(work), CC: 'false', CXX: 'false', npm_config_update_notifier: 'false' };
    for (const tool of ['gcc', 'g++', 'cc', 'c++', 'make']) t.false(existsSync(join(env.PATH, tool)), `${tool} is hidden`);
    t.true(existsSync(join(env.PATH, 'node')) && existsSync(join(env.PATH, 'sh')));
    await run(process.execPath, [NPM_CLI, 'install', tgz, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: app, env });
    const installed = join(app, 'node_modules', 'tsvisor');
    t.false(existsSync(join(installed, 'build')), 'the install did not compile the addon');
    t.deepEqual(readdirSync(join(installed, PREBUILD_DIR)), prebuilt);

    // 4. Run it from there.
    const demo = await run(process.execPath, [NPX_CLI, '--no-install', 'tsvisor', '--demo'], { cwd: app, env });
    t.regex(demo.stdout, /Hello from inside tsvisor!/);
    t.regex(demo.stdout, /long mode: ok/);

    const kernel = join(ROOT, 'dist', 'guests', 'hello.elf');
    const hello = await run(
      join(app, 'node_modules', '.bin', 'tsvisor'),
      ['-kernel', kernel, '-append', 'from-the-package', '-display', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4'],
      { cwd: app, env },
    ).catch((err: { code: number; stdout: string }) => err);
    t.is((hello as { code?: number }).code, 1, 'hello exits through isa-debug-exit with status (0 << 1) | 1');
    t.regex(hello.stdout, /Hello from tsvisor guest/);
    t.regex(hello.stdout, /cmdline: \S*hello.elf from-the-package/);
    t.regex(hello.stdout, /SUMMARY: \d+ tests, 0 failures/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
