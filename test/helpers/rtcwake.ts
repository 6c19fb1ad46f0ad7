/**
 * util-linux's rtcwake for the S3 test (what `rtcwake -m mem -s N` does is
 * the point; busybox-static has no rtcwake applet). Debian's util-linux and
 * libc6 packages are fetched with `apt-get download` and unpacked with
 * `dpkg -x` into LINUX_CACHE/rtcwake (never committed), like the kernel and
 * busybox; the initramfs gets rtcwake with the dynamic loader and the libc it
 * links against, at the paths its ELF interpreter and the loader's default
 * search use.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CpioEntry } from '../../lib/machine/initramfs.js';
import { LINUX_CACHE } from './linux-kernel.js';

const DIR = join(LINUX_CACHE, 'rtcwake');
/** Cache file -> where it goes in the initramfs. */
const FILES: ReadonlyArray<[file: string, guestPath: string]> = [
  ['rtcwake', 'sbin/rtcwake'],
  ['ld-linux-x86-64.so.2', 'lib64/ld-linux-x86-64.so.2'],
  ['libc.so.6', 'lib/x86_64-linux-gnu/libc.so.6'],
];

function run(cmd: string, args: string[], cwd: string): string | undefined {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.error) return `${cmd}: ${r.error.message}`;
  return r.status === 0 ? undefined : `${cmd} ${args.join(' ')} failed (status ${r.status}): ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}`;
}

/** The first of `candidates` (paths inside root) that is a regular file (a symlink could point at the host's own file). */
function find(root: string, candidates: string[]): string | undefined {
  for (const c of candidates) {
    const p = join(root, c);
    if (existsSync(p) && lstatSync(p).isFile()) return p;
  }
  return undefined;
}

/** Downloads and unpacks the two packages once; returns why it could not, or undefined. */
function prepare(): string | undefined {
  if (FILES.every(([f]) => existsSync(join(DIR, f)))) return undefined;
  mkdirSync(DIR, { recursive: true });
  const root = join(DIR, 'root');
  for (const pkg of ['util-linux', 'libc6']) {
    let deb = readdirSync(DIR).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (deb === undefined) {
      const failed = run('apt-get', ['download', pkg], DIR);
      if (failed !== undefined) return failed;
      deb = readdirSync(DIR).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
      if (deb === undefined) return `apt-get download ${pkg} left no .deb in ${DIR}`;
    }
    const failed = run('dpkg', ['-x', join(DIR, deb), root], DIR);
    if (failed !== undefined) return failed;
  }
  // Debian's merged /usr moves files between / and /usr across releases: look in both.
  const sources: Record<string, string[]> = {
    rtcwake: ['usr/sbin/rtcwake', 'sbin/rtcwake', 'usr/bin/rtcwake'],
    'ld-linux-x86-64.so.2': ['lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'lib64/ld-linux-x86-64.so.2'],
    'libc.so.6': ['lib/x86_64-linux-gnu/libc.so.6', 'usr/lib/x86_64-linux-gnu/libc.so.6'],
  };
  for (const [file] of FILES) {
    const from = find(root, sources[file]!);
    if (from === undefined) return `${file} is not in Debian's util-linux/libc6 packages unpacked at ${root}`;
    copyFileSync(from, join(DIR, file));
  }
  return undefined;
}

/** rtcwake's initramfs entries (directories included), or why they cannot be had. */
export function rtcwakeInitramfsEntries(): CpioEntry[] | string {
  const missing = prepare();
  if (missing !== undefined) return missing;
  const entries: CpioEntry[] = [
    { type: 'dir', path: 'sbin' },
    { type: 'dir', path: 'lib64' },
    { type: 'dir', path: 'lib' },
    { type: 'dir', path: 'lib/x86_64-linux-gnu' },
  ];
  for (const [file, guestPath] of FILES) entries.push({ type: 'file', path: guestPath, data: readFileSync(join(DIR, file)), mode: 0o755 });
  return entries;
}
