// Shared by the nested-QEMU runners (scripts/kvm-in-qemu.mjs, ...): boots Debian's
// cloud kernel (the cache scripts/fetch-linux.mjs fills) under
// qemu-system-x86_64 with an initramfs holding busybox, node (and other host
// programs) with their shared libraries, some of the kernel's modules, and a
// copy of this checkout in /w (package.json, build/Release/*.node, dist/,
// scripts/, node_modules). Its /init loads the modules, runs a setup script,
// then a shell command in /w, and powers off; the run's result is the
// command's exit status. Everything the guest prints goes to stdout.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const linuxCache = process.env.TSVISOR_CACHE ? path.join(process.env.TSVISOR_CACHE, 'linux') : path.join(homedir(), '.cache', 'tsvisor', 'linux');
const STATUS_MARKER = 'NESTED-QEMU-STATUS=';
// Build-time packages the guest does not need (they only make the initramfs bigger).
const SKIP_PACKAGES = new Set(['typescript', 'node-gyp', 'prebuildify', '@types', '.cache']);

/** A problem the user fixes (missing QEMU, cache, build): the CLIs print it as one line. */
export class NestedQemuError extends Error {}

/**
 * Parses the options every runner takes: [--memory MB] [--timeout SECONDS] [--keep DIR] [-- SHELL COMMAND],
 * and the runner's own on/off options (`switches`, e.g. ['--with-linux'], collected in opts.switches).
 * Throws NestedQemuError naming the option for anything else.
 */
export function parseRunnerArgs(argv, defaults, usage, switches = []) {
  const opts = { memoryMb: defaults.memoryMb ?? 2048, timeoutS: defaults.timeoutS ?? 3600, keep: undefined, command: defaults.command, switches: new Set() };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const value = () => {
      if (k + 1 >= argv.length) throw new NestedQemuError(`${a} needs a value`);
      return argv[++k];
    };
    if (a === '--') {
      if (k + 1 >= argv.length) throw new NestedQemuError('-- needs a shell command after it');
      opts.command = argv.slice(k + 1).join(' ');
      break;
    } else if (a === '--memory') {
      opts.memoryMb = Number(value());
      if (!Number.isInteger(opts.memoryMb) || opts.memoryMb < 512) throw new NestedQemuError('--memory: expected a whole number of MB, at least 512');
    } else if (a === '--timeout') {
      opts.timeoutS = Number(value());
      if (!(opts.timeoutS > 0)) throw new NestedQemuError('--timeout: expected a positive number of seconds');
    } else if (a === '--keep') {
      opts.keep = value();
    } else if (switches.includes(a)) {
      opts.switches.add(a);
    } else {
      throw new NestedQemuError(`unknown option '${a}' (usage: ${usage})`);
    }
  }
  return opts;
}

/** The cached Debian kernel: its vmlinuz and the module files asked for (paths under kernel/). */
export function findKernel(moduleFiles) {
  if (!existsSync(linuxCache)) throw new NestedQemuError(`${linuxCache} does not exist: run node scripts/fetch-linux.mjs first`);
  const image = readdirSync(linuxCache).find((d) => d.startsWith('linux-image-') && statSync(path.join(linuxCache, d)).isDirectory());
  if (!image) throw new NestedQemuError(`no extracted linux-image-* directory in ${linuxCache}: run node scripts/fetch-linux.mjs first`);
  const base = path.join(linuxCache, image);
  const vmlinuz = readdirSync(path.join(base, 'boot')).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new NestedQemuError(`${base}/boot has no vmlinuz-*`);
  const release = vmlinuz.slice('vmlinuz-'.length);
  const modules = moduleFiles.map((m) => path.join(base, 'lib', 'modules', release, 'kernel', m));
  for (const m of modules) if (!existsSync(m)) throw new NestedQemuError(`${m} is missing: this kernel does not build it as a module`);
  return { kernel: path.join(base, 'boot', vmlinuz), modules };
}

/** Whether qemu-system-x86_64 runs; its version line, or undefined. */
export function qemuVersion() {
  const r = spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0];
}

/** A program's path: an absolute path as it is, otherwise looked up in PATH. */
function which(name) {
  if (name.startsWith('/')) return name;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new NestedQemuError(`${name} is not installed (the command in the guest needs it)`);
}

/** The shared libraries a program loads (ldd), at their own paths. */
function sharedLibraries(program) {
  const r = spawnSync('ldd', [program], { encoding: 'utf8' });
  if (r.status !== 0) return [];  // a static program
  const libs = [];
  for (const line of r.stdout.split('\n')) {
    const m = line.match(/(?:=>\s*)?(\/\S+)\s+\(0x/);
    if (m) libs.push(m[1]);
  }
  return libs;
}

/** Every file, directory and symlink under dir as cpio entries at prefix (symlinks to directories followed). */
function treeEntries(dir, prefix, entries, skip = new Set()) {
  entries.push({ type: 'dir', path: prefix });
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const full = path.join(dir, name), at = `${prefix}/${name}`;
    const st = statSync(full, { throwIfNoEntry: false });
    if (!st) continue;  // a dangling symlink
    if (st.isDirectory()) treeEntries(full, at, entries);
    else if (st.isFile()) entries.push({ type: 'file', path: at, data: readFileSync(full), mode: st.mode & 0o777 });
  }
}

function dirsOf(file, entries, seen) {
  const parts = file.split('/').filter(Boolean);
  for (let k = 1; k < parts.length; k++) {
    const d = parts.slice(0, k).join('/');
    if (!seen.has(d)) {
      seen.add(d);
      entries.push({ type: 'dir', path: d });
    }
  }
}

export function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function initScript(run) {
  const insmods = run.modules.map((m) => {
    const name = path.basename(m.file);
    return `insmod /lib/modules/${name}${m.params ? ` ${m.params}` : ''} || echo "${run.label}: insmod ${name} failed"`;
  });
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin HOME=/tmp
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
${insmods.join('\n')}
${run.setup ?? ''}
cd /w
sh -c ${shellQuote(run.command)}
echo "${STATUS_MARKER}$?"
poweroff -f
`;
}

async function buildInitramfs(run, modulePaths) {
  const { writeNewcCpio } = await import(pathToFileURL(path.join(root, 'dist', 'lib', 'machine', 'initramfs.js')).href);
  const busybox = path.join(linuxCache, 'busybox-static', 'bin', 'busybox');
  if (!existsSync(busybox)) throw new NestedQemuError(`${busybox} is missing: run node scripts/fetch-linux.mjs first`);
  const addons = existsSync(path.join(root, 'build', 'Release')) ? readdirSync(path.join(root, 'build', 'Release')).filter((f) => f.endsWith('.node')) : [];
  if (addons.length === 0) throw new NestedQemuError('build/Release has no .node addon: run npx node-gyp rebuild first');
  for (const d of run.requiredPaths ?? []) {
    if (!existsSync(path.join(root, d))) throw new NestedQemuError(`${d} is missing: run npm run compile first`);
  }

  const entries = [];
  const seen = new Set();
  for (const d of ['bin', 'lib', 'lib/modules', 'usr', 'usr/bin', 'w', 'w/build', 'w/build/Release']) {
    seen.add(d);
    entries.push({ type: 'dir', path: d });
  }
  entries.push({ type: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 });
  entries.push({ type: 'file', path: 'init', data: new TextEncoder().encode(initScript(run)), mode: 0o755 });
  for (const m of modulePaths) entries.push({ type: 'file', path: `lib/modules/${path.basename(m)}`, data: readFileSync(m) });
  const libs = new Set();
  for (const tool of [process.execPath, ...(run.programs ?? [])]) {
    const file = which(tool);
    entries.push({ type: 'file', path: `usr/bin/${path.basename(file)}`, data: readFileSync(realpathSync(file)), mode: 0o755 });
    for (const lib of sharedLibraries(realpathSync(file))) libs.add(lib);
  }
  for (const lib of libs) {
    dirsOf(lib, entries, seen);
    entries.push({ type: 'file', path: lib.replace(/^\//, ''), data: readFileSync(realpathSync(lib)), mode: 0o755 });
  }
  entries.push({ type: 'file', path: 'w/package.json', data: readFileSync(path.join(root, 'package.json')) });
  for (const a of addons) entries.push({ type: 'file', path: `w/build/Release/${a}`, data: readFileSync(path.join(root, 'build', 'Release', a)) });
  treeEntries(path.join(root, 'dist'), 'w/dist', entries);
  treeEntries(path.join(root, 'scripts'), 'w/scripts', entries);
  treeEntries(path.join(root, 'node_modules'), 'w/node_modules', entries, SKIP_PACKAGES);
  for (const f of run.files ?? []) {
    if (!existsSync(f.source)) throw new NestedQemuError(`${f.source} is missing${f.hint ? `: ${f.hint}` : ''}`);
    dirsOf(f.path, entries, seen);
    entries.push({ type: 'file', path: f.path, data: readFileSync(f.source), mode: 0o644 });
  }
  return writeNewcCpio(entries);
}

/**
 * Boots the kernel under QEMU and runs the command; resolves to the command's exit status.
 * run: {
 *   label: prefix of this runner's own messages,
 *   command: shell command run in /w,
 *   modules: [{ file: path under the kernel's modules' kernel/ directory, params?: 'name=value ...' }], in load order,
 *   setup?: shell lines run after the modules are loaded, before the command,
 *   programs?: host programs copied in besides node (with their shared libraries),
 *   requiredPaths?: paths of the checkout that must exist (built output the command needs),
 *   files?: [{ path: where in the guest (relative to /), source: host file, hint?: how to get it when missing }],
 *   qemuArgs: machine arguments (accelerator, -cpu, -machine, devices), before the common ones,
 *   append?: kernel command line words added to the common ones,
 *   memoryMb, timeoutS, keep?: directory to keep the initramfs in,
 * }
 */
export async function runNestedQemu(run) {
  const version = qemuVersion();
  if (version === undefined) throw new NestedQemuError('qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
  const { kernel, modules } = findKernel(run.modules.map((m) => m.file));
  const dir = run.keep ?? mkdtempSync(path.join(tmpdir(), 'nested-qemu-'));
  mkdirSync(dir, { recursive: true });
  const initrd = path.join(dir, 'initramfs.cpio');
  writeFileSync(initrd, await buildInitramfs(run, modules));
  console.error(`${run.label}: ${version}; kernel ${kernel}; initramfs ${initrd} (${(statSync(initrd).size / 1048576).toFixed(0)} MB)`);

  const append = ['console=ttyS0', 'panic=-1', 'quiet', 'no_timer_check', ...(run.append ?? [])].join(' ');
  const args = [...run.qemuArgs, '-m', String(run.memoryMb), '-smp', '1', '-nographic', '-no-reboot', '-kernel', kernel, '-initrd', initrd, '-append', append];
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let status;
  let tail = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString('latin1')).slice(-4096);
    const m = tail.match(new RegExp(`${STATUS_MARKER}(\\d+)`));
    if (m) status = Number(m[1]);
  });
  const timer = setTimeout(() => {
    console.error(`${run.label}: no result after ${run.timeoutS} s; stopping QEMU`);
    child.kill('SIGTERM');
  }, run.timeoutS * 1000);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (!run.keep) rmSync(dir, { recursive: true, force: true });
  if (status === undefined) throw new NestedQemuError(`QEMU exited (status ${code}) before the command reported its status`);
  return status;
}

/** A runner CLI's main: runs and exits with the command's status, or prints `label: message` and exits 1. */
export async function runnerMain(label, makeRun) {
  try {
    process.exit(await runNestedQemu(makeRun()));
  } catch (err) {
    if (!(err instanceof NestedQemuError)) throw err;
    console.error(`${label}: ${err.message}`);
    process.exit(1);
  }
}
