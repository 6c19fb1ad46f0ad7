#!/usr/bin/env node
// Runs tsvisor's KVM backend for real on a host without /dev/kvm: boots Debian's
// Linux kernel under qemu-system-x86_64 -accel tcg -cpu max (QEMU's TCG emulates
// AMD SVM), loads kvm_amd there, and runs a command against the /dev/kvm it
// offers, in a copy of this checkout. Not part of `npm test` (it needs QEMU
// and takes minutes); see docs/backends.md "How the KVM backend was verified
// without /dev/kvm".
//
//   node scripts/kvm-in-qemu.mjs [--memory MB] [--timeout SECONDS] [--keep DIR] [-- SHELL COMMAND]
//
// The default command runs the KVM tests (test/kvm/*.test.js) with ava. The
// command runs in /w, a copy of package.json, build/Release/*.node, dist/,
// scripts/ and node_modules, with node and its shared libraries; `npm run compile` and the
// native build must be done first. The kernel and busybox come from the cache
// scripts/fetch-linux.mjs fills ($TSVISOR_CACHE or ~/.cache/tsvisor/linux).
// Everything the guest prints goes to stdout; the exit status is the command's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.TSVISOR_CACHE ? path.join(process.env.TSVISOR_CACHE, 'linux') : path.join(homedir(), '.cache', 'tsvisor', 'linux');
const STATUS_MARKER = 'KVM-IN-QEMU-STATUS=';
const DEFAULT_COMMAND = 'node node_modules/ava/entrypoints/cli.mjs --verbose --serial dist/test/kvm/*.test.js';
// Modules that kvm-amd needs, in load order (kvm needs irqbypass).
const KVM_MODULES = ['virt/lib/irqbypass.ko', 'arch/x86/kvm/kvm.ko', 'arch/x86/kvm/kvm-amd.ko'];
// Host programs copied into the guest with their shared libraries: node runs the tests,
// as and ld assemble the conformance test's scenarios (test/native/harness.ts).
const GUEST_PROGRAMS = [process.execPath, 'as', 'ld'];
// Build-time packages the guest does not need (they only make the initramfs bigger).
const SKIP_PACKAGES = new Set(['typescript', 'node-gyp', 'prebuildify', '@types', '.cache']);

function die(message) {
  console.error(`kvm-in-qemu: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { memoryMb: 2048, timeoutS: 3600, keep: undefined, command: DEFAULT_COMMAND };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const value = () => {
      if (k + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++k];
    };
    if (a === '--') {
      if (k + 1 >= argv.length) die('-- needs a shell command after it');
      opts.command = argv.slice(k + 1).join(' ');
      break;
    } else if (a === '--memory') {
      opts.memoryMb = Number(value());
      if (!Number.isInteger(opts.memoryMb) || opts.memoryMb < 512) die('--memory: expected a whole number of MB, at least 512');
    } else if (a === '--timeout') {
      opts.timeoutS = Number(value());
      if (!(opts.timeoutS > 0)) die('--timeout: expected a positive number of seconds');
    } else if (a === '--keep') {
      opts.keep = value();
    } else {
      die(`unknown option '${a}' (usage: kvm-in-qemu.mjs [--memory MB] [--timeout SECONDS] [--keep DIR] [-- COMMAND])`);
    }
  }
  return opts;
}

/** The cached Debian kernel image directory: its vmlinuz and the three KVM modules. */
function findKernel() {
  if (!existsSync(cache)) die(`${cache} does not exist: run node scripts/fetch-linux.mjs first`);
  const image = readdirSync(cache).find((d) => d.startsWith('linux-image-') && statSync(path.join(cache, d)).isDirectory());
  if (!image) die(`no extracted linux-image-* directory in ${cache}: run node scripts/fetch-linux.mjs first`);
  const base = path.join(cache, image);
  const vmlinuz = readdirSync(path.join(base, 'boot')).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) die(`${base}/boot has no vmlinuz-*`);
  const release = vmlinuz.slice('vmlinuz-'.length);
  const modules = KVM_MODULES.map((m) => path.join(base, 'lib', 'modules', release, 'kernel', m));
  for (const m of modules) if (!existsSync(m)) die(`${m} is missing: this kernel does not build KVM as modules`);
  return { kernel: path.join(base, 'boot', vmlinuz), modules };
}

/** A program's path: an absolute path as it is, otherwise looked up in PATH. */
function which(name) {
  if (name.startsWith('/')) return name;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  die(`${name} is not installed (the KVM tests need it in the guest)`);
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

function initScript(command) {
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin HOME=/tmp
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "kvm-in-qemu: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPU, svm: $(grep -o -w -m1 svm /proc/cpuinfo), npt: $(grep -o -w -m1 npt /proc/cpuinfo)"
for m in ${KVM_MODULES.map((m) => path.basename(m)).join(' ')}; do insmod /lib/modules/$m || echo "kvm-in-qemu: insmod $m failed"; done
dmesg | grep -i -E 'kvm|svm|tsc' | sed 's/^/kvm-in-qemu: dmesg: /'
ls -l /dev/kvm 2>&1 | sed 's/^/kvm-in-qemu: /'
cd /w
sh -c ${shellQuote(command)}
echo "${STATUS_MARKER}$?"
poweroff -f
`;
}

function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function buildInitramfs(command, modules) {
  const { writeNewcCpio } = await import(pathToFileURL(path.join(root, 'dist', 'lib', 'machine', 'initramfs.js')).href);
  const busybox = path.join(cache, 'busybox-static', 'bin', 'busybox');
  if (!existsSync(busybox)) die(`${busybox} is missing: run node scripts/fetch-linux.mjs first`);
  const addons = existsSync(path.join(root, 'build', 'Release')) ? readdirSync(path.join(root, 'build', 'Release')).filter((f) => f.endsWith('.node')) : [];
  if (addons.length === 0) die('build/Release has no .node addon: run npx node-gyp rebuild first');
  if (!existsSync(path.join(root, 'dist', 'test', 'kvm'))) die('dist/test/kvm is missing: run npm run compile first');

  const entries = [];
  const seen = new Set();
  for (const d of ['bin', 'lib', 'lib/modules', 'usr', 'usr/bin', 'w', 'w/build', 'w/build/Release']) {
    seen.add(d);
    entries.push({ type: 'dir', path: d });
  }
  entries.push({ type: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 });
  entries.push({ type: 'file', path: 'init', data: new TextEncoder().encode(initScript(command)), mode: 0o755 });
  for (const m of modules) entries.push({ type: 'file', path: `lib/modules/${path.basename(m)}`, data: readFileSync(m) });
  // node, and the assembler and linker test/native/harness.ts runs for the conformance scenarios
  const libs = new Set();
  for (const tool of GUEST_PROGRAMS) {
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
  return writeNewcCpio(entries);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const qemu = spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' });
  if (qemu.error || qemu.status !== 0) die('qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
  const { kernel, modules } = findKernel();
  const dir = opts.keep ?? mkdtempSync(path.join(tmpdir(), 'kvm-in-qemu-'));
  mkdirSync(dir, { recursive: true });
  const initrd = path.join(dir, 'initramfs.cpio');
  writeFileSync(initrd, await buildInitramfs(opts.command, modules));
  console.error(`kvm-in-qemu: ${qemu.stdout.split('\n')[0]}; kernel ${kernel}; initramfs ${initrd} (${(statSync(initrd).size / 1048576).toFixed(0)} MB)`);

  const args = ['-accel', 'tcg', '-cpu', 'max', '-m', String(opts.memoryMb), '-smp', '1', '-nographic', '-no-reboot',
    '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 panic=-1 quiet no_timer_check'];
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
    console.error(`kvm-in-qemu: no result after ${opts.timeoutS} s; stopping QEMU`);
    child.kill('SIGTERM');
  }, opts.timeoutS * 1000);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  if (status === undefined) die(`QEMU exited (status ${code}) before the command reported its status`);
  process.exit(status);
}

await main();
