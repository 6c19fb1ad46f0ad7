/**
 * Linux boot figures for `npm run bench`: Debian's cloud kernel with the
 * busybox initramfs of scripts/fetch-linux.mjs, booted from the bzImage
 * (Linux's own decompressor runs), in real time: seconds from process start
 * to the init script's marker and to the process exit after the ACPI
 * power-off, each system on the same kernel, initramfs and command line.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LINUX_TEST_MARKER } from '../lib/machine/initramfs.js';

export interface BootSystem {
  name: string;
  file: string;
  /** argv before the kernel options (accelerator, display, memory...) */
  argv: string[];
}

export interface BootFigures {
  marker: number;
  exit: number;
}

/** A boot that takes longer is stopped and reported as failed (a nested /dev/kvm under an emulator is slow). */
const BOOT_TIMEOUT_MS = 1_200_000;

const cache = process.env.TSVISOR_CACHE ? join(process.env.TSVISOR_CACHE, 'linux') : join(homedir(), '.cache', 'tsvisor', 'linux');

export function linuxBootFiles(): { kernel: string; initrd: string } | undefined {
  const kernel = join(cache, 'bzImage'), initrd = join(cache, 'initramfs.cpio');
  return existsSync(kernel) && existsSync(initrd) ? { kernel, initrd } : undefined;
}

/** One boot: resolves with the seconds to the marker and to the exit. */
export function bootOnce(sys: BootSystem, kernel: string, initrd: string): Promise<BootFigures> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - t0) / 1e9;
    const argv = [...sys.argv, '-m', '256', '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 panic=-1'];
    const child = spawn(sys.file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let marker = -1;
    const timer = setTimeout(() => child.kill('SIGKILL'), BOOT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (marker < 0 && out.includes(LINUX_TEST_MARKER)) marker = since();
    });
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const exit = since();
      if (marker < 0 || status !== 0) reject(new Error(`${sys.name}: Linux did not reach the marker and power off (status ${status})\n${out.slice(-1500)}`));
      else resolve({ marker, exit });
    });
  });
}

/** Prints the median of `runs` boots per system, with the ratio to the second system. */
export async function printLinuxBootBench(systems: BootSystem[], runs: number): Promise<void> {
  const files = linuxBootFiles();
  if (!files) {
    console.log('linux boot: no kernel in the cache (run `node scripts/fetch-linux.mjs`): skipped');
    return;
  }
  // A system whose boot fails is printed as '-' (its reason on stderr); the others' figures still come.
  const medians = new Map<string, BootFigures>();
  for (const sys of systems) {
    const samples: BootFigures[] = [];
    try {
      for (let i = 0; i < runs; i++) samples.push(await bootOnce(sys, files.kernel, files.initrd));
    } catch (e) {
      console.error(`bench: linux boot: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
      medians.set(sys.name, { marker: NaN, exit: NaN });
      continue;
    }
    const mid = (k: keyof BootFigures) => samples.map((s) => s[k]).sort((a, b) => a - b)[samples.length >> 1]!;
    medians.set(sys.name, { marker: mid('marker'), exit: mid('exit') });
    console.error(`bench: linux boot: ${sys.name} marker ${medians.get(sys.name)!.marker.toFixed(2)} s, exit ${medians.get(sys.name)!.exit.toFixed(2)} s`);
  }
  const cell = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(2));
  for (const key of ['marker', 'exit'] as const) {
    const label = key === 'marker' ? 'Linux boot to userspace marker (s)' : 'Linux boot to power-off exit (s)';
    const cells = systems.map((s) => `${s.name} ${cell(medians.get(s.name)![key])}`);
    const r = systems.length > 1 ? medians.get(systems[1]!.name)![key] / medians.get(systems[0]!.name)![key] : NaN;
    const ratio = systems.length > 1 && !Number.isNaN(r) ? `  ${r.toFixed(2)}x` : '';
    console.log(`${label}: ${cells.join('  ')}${ratio}`);
  }
}
