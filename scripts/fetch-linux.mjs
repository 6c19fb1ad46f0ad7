#!/usr/bin/env node
// Prepares a Linux kernel and initramfs for tsvisor's Linux boot test
// (test/linux/boot.test.ts, part of npm test, which runs this script when the cache is incomplete):
//  1. `apt-get download`s Debian's linux-image-cloud-amd64 dependency (the real
//     linux-image-<version>-cloud-amd64 package) and busybox-static into a cache
//     outside the repository ($TSVISOR_CACHE, default ~/.cache/tsvisor/linux);
//  2. `dpkg -x`es them and copies the bzImage to <cache>/bzImage;
//  3. extracts the uncompressed vmlinux (for PVH) from the bzImage's payload
//     (payload_offset/payload_length in the setup header), decompressing with
//     the tool its magic names (xz, zstd, gzip...);
//  4. writes <cache>/initramfs.cpio: busybox and an /init that prints a marker,
//     the processor count and the clocksource, then powers off.
// Needs `npm run compile` first (it uses dist/lib/machine/initramfs.js).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.TSVISOR_CACHE ? path.join(process.env.TSVISOR_CACHE, 'linux') : path.join(homedir(), '.cache', 'tsvisor', 'linux');

function die(message) {
  console.error(`fetch-linux: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: opts.input ? undefined : 'utf8', maxBuffer: 1 << 30, ...opts });
  if (r.error) die(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) die(`${cmd} ${args.join(' ')} failed (status ${r.status}): ${String(r.stderr).trim()}`);
  return r.stdout;
}

/** The package the meta-package depends on: linux-image-cloud-amd64 -> linux-image-6.1.0-NN-cloud-amd64. */
function resolveKernelPackage() {
  const out = run('apt-cache', ['depends', 'linux-image-cloud-amd64']);
  const m = out.match(/Depends:\s+(linux-image-[^\s<>]+-cloud-amd64)/);
  if (!m) die(`could not find the kernel package linux-image-cloud-amd64 depends on:\n${out}`);
  return m[1];
}

function download(pkg) {
  const have = readdirSync(cache).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (have) return path.join(cache, have);
  console.log(`fetch-linux: apt-get download ${pkg}`);
  run('apt-get', ['download', pkg], { cwd: cache, stdio: ['ignore', 'inherit', 'pipe'] });
  const deb = readdirSync(cache).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) die(`apt-get download ${pkg} left no .deb in ${cache}`);
  return path.join(cache, deb);
}

function extract(deb, dir) {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    run('dpkg', ['-x', deb, dir]);
  }
  return dir;
}

const MAGICS = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00, 0x00]],
];

/** The compressed kernel inside the bzImage, decompressed: an ELF vmlinux. */
function extractVmlinux(bz) {
  const v = new DataView(bz.buffer, bz.byteOffset, bz.byteLength);
  if (v.getUint32(0x202, true) !== 0x53726448) die('the kernel image has no "HdrS" setup header');
  const setupSects = bz[0x1f1] || 4;
  const payloadOffset = v.getUint32(0x248, true);
  const payloadLength = v.getUint32(0x24c, true);
  const start = (setupSects + 1) * 512 + payloadOffset;
  const payload = bz.subarray(start, start + payloadLength);
  const kind = MAGICS.find(([, magic]) => magic.every((b, i) => payload[i] === b))?.[0];
  if (!kind) die(`unknown payload compression (first bytes ${Buffer.from(payload.subarray(0, 6)).toString('hex')})`);
  console.log(`fetch-linux: payload is ${kind}, ${payloadLength} bytes`);
  // The kernel build appends the uncompressed size (4 bytes) after the stream: decompressors
  // must stop at the end of the first stream / be given the stream alone.
  const stream = kind === 'gzip' ? payload : payload.subarray(0, payload.length - 4);
  switch (kind) {
    case 'gzip':
      return gunzipSync(payload);
    case 'xz':
      return run('xz', ['-dc', '--single-stream'], { input: payload });
    case 'zstd':
      return run('zstd', ['-dc'], { input: stream });
    case 'lz4':
      return run('lz4', ['-dc'], { input: stream });
    case 'bzip2':
      return run('bzip2', ['-dc'], { input: stream });
    default:
      return run('xz', ['-dc', '--format=lzma'], { input: stream });
  }
}

const initramfsModule = path.join(root, 'dist', 'lib', 'machine', 'initramfs.js');
if (!existsSync(initramfsModule)) die('dist/ is not built: run `npm run compile` first');
const { buildTestInitramfs } = await import(initramfsModule);

mkdirSync(cache, { recursive: true });
const kernelPkg = resolveKernelPackage();
const kernelRoot = extract(download(kernelPkg), path.join(cache, kernelPkg));
const busyboxRoot = extract(download('busybox-static'), path.join(cache, 'busybox-static'));

const bootDir = path.join(kernelRoot, 'boot');
const vmlinuz = readdirSync(bootDir).find((f) => f.startsWith('vmlinuz-'));
if (!vmlinuz) die(`no vmlinuz-* in ${bootDir}`);
copyFileSync(path.join(bootDir, vmlinuz), path.join(cache, 'bzImage'));
const vmlinux = extractVmlinux(readFileSync(path.join(bootDir, vmlinuz)));
if (vmlinux.readUInt32LE(0) !== 0x464c457f) die('the decompressed payload is not an ELF vmlinux');
writeFileSync(path.join(cache, 'vmlinux'), vmlinux);

const busybox = readFileSync(path.join(busyboxRoot, 'bin', 'busybox'));
writeFileSync(path.join(cache, 'initramfs.cpio'), buildTestInitramfs(busybox));
writeFileSync(path.join(cache, 'VERSION'), `${kernelPkg}\n`);
console.log(`fetch-linux: ${cache}/{bzImage,vmlinux,initramfs.cpio} ready (${kernelPkg})`);
