/**
 * Where the time of a Linux boot goes: `node dist/bench/boot-profile.js [qemu args...]`
 * (default: Debian's kernel from the Linux cache, -m 256, console=ttyS0 panic=-1 nokaslr).
 *
 * Prints to stderr, after the guest powers off:
 *  - phases: guest instructions and host time at milestones of the serial log
 *    (kernel entry banner, userspace marker, power-off);
 *  - host time inside vcpu.run() (native), in exit handlers (TypeScript), asleep
 *    with every vCPU halted, and the rest (event loop turns, timers);
 *  - exits by kind, port, MMIO page and MSR, with the handler time of each;
 *  - where the guest was at host-deadline slice ends (a time sample every slice),
 *    named from System.map when one is given with TSVISOR_SYSTEM_MAP.
 * A diagnostic tool: nothing here changes how the machine runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as abi from '../lib/hypervisor/abi.generated.js';
import { Machine } from '../lib/machine/machine.js';
import { fromQemuArgs } from '../lib/qemu-compat/index.js';
import { exitName } from '../lib/machine/run-loop.js';

const cache = process.env.TSVISOR_CACHE ? join(process.env.TSVISOR_CACHE, 'linux') : join(homedir(), '.cache', 'tsvisor', 'linux');
const argv = process.argv.length > 2
  ? process.argv.slice(2)
  : ['-m', '256', '-nographic', '-kernel', join(cache, 'bzImage'), '-initrd', join(cache, 'initramfs.cpio'), '-append', 'console=ttyS0 panic=-1 nokaslr'];

const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms

interface Tally { count: number; ms: number }
const tallies = new Map<string, Tally>();
function tally(key: string, ms: number): void {
  const t = tallies.get(key);
  if (t) { t.count++; t.ms += ms; } else tallies.set(key, { count: 1, ms });
}

const ripSamples = new Map<string, number>();
let nativeMs = 0;
let sleepMs = 0;

function loadSymbols(): ((rip: bigint) => string) {
  const file = process.env.TSVISOR_SYSTEM_MAP;
  if (!file || !existsSync(file)) return (rip) => '0x' + rip.toString(16);
  const syms: Array<[bigint, string]> = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [addr, type, name] = line.split(' ');
    if (!name || !/[tTwW]/.test(type!)) continue;
    syms.push([BigInt('0x' + addr), name]);
  }
  syms.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return (rip) => {
    let lo = 0, hi = syms.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid]![0] <= rip) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best < 0 || rip < 0xffff000000000000n ? '0x' + rip.toString(16) : syms[best]![1];
  };
}

async function main(): Promise<void> {
  const config = fromQemuArgs(argv);
  const machineRef: { m?: Machine } = {};
  const t0 = now();
  // Milestones of the serial log.
  const milestones: Array<[string, RegExp]> = [
    ['kernel banner', /Linux version/],
    ['Run /init', /Run \/init/],
    ['userspace marker', /TSVISOR-LINUX-USERSPACE-OK/],
    ['power down', /reboot: Power down/],
  ];
  const phases: string[] = [];
  let serial = '';
  let line = '';
  const lines: Array<{ line: string; host: number; insns: number; exits: number }> = [];
  const loopRef = { exits: 0 };
  const quiet = process.env.TSVISOR_PROFILE_QUIET === '1';
  config.serial = {
    output: (data: Uint8Array) => {
      serial += Buffer.from(data).toString('latin1');
      const m = machineRef.m!;
      while (milestones.length > 0 && milestones[0]![1].test(serial)) {
        const [name] = milestones.shift()!;
        phases.push(`${name.padEnd(18)} host ${(now() - t0).toFixed(0).padStart(6)} ms  guest ${(m.clock.vmInstructions / 1e6).toFixed(1).padStart(8)} M insns  guest time ${(m.clock.nowNs() / 1e6).toFixed(0)} ms`);
      }
      const text = Buffer.from(data).toString('latin1');
      for (const ch of text) {
        if (ch !== '\n') { line += ch; continue; }
        lines.push({ line, host: now() - t0, insns: m.clock.vmInstructions, exits: loopRef.exits });
        line = '';
      }
      if (!quiet) process.stdout.write(data);
    },
  };
  const machine = new Machine(config);
  machineRef.m = machine;
  const loop = (machine as unknown as { loop: { sleep(deadline: number): Promise<void>; exits: number } }).loop;
  const symbol = loadSymbols();
  Object.defineProperty(loopRef, 'exits', { get: () => loop.exits });

  const sleep = loop.sleep.bind(loop);
  loop.sleep = async (deadline: number) => {
    const s = now();
    await sleep(deadline);
    sleepMs += now() - s;
  };

  for (const v of machine.vcpus) {
    const run = v.run.bind(v);
    let pending: { key: string; start: number } | undefined;
    v.run = () => {
      const s = now();
      if (pending) tally(pending.key, s - pending.start);
      const reason = run();
      const e = now();
      nativeMs += e - s;
      let key = exitName(reason);
      switch (reason) {
        case abi.TSV_EXIT_IO: key += ` port 0x${v.ioPort.toString(16)} ${v.ioIsOut ? 'out' : 'in'}`; break;
        case abi.TSV_EXIT_MMIO: key += ` 0x${(v.mmioGpa - (v.mmioGpa & 0xfff)).toString(16)}+0x${(v.mmioGpa & 0xfff).toString(16)} ${v.mmioIsWrite ? 'w' : 'r'}`; break;
        case abi.TSV_EXIT_MSR_READ: case abi.TSV_EXIT_MSR_WRITE: key += ` 0x${v.msrIndex.toString(16)}`; break;
        case abi.TSV_EXIT_SLICE_END: {
          key += ` reason ${v.sliceReason}`;
          const sym = symbol(v.rip);
          ripSamples.set(sym, (ripSamples.get(sym) ?? 0) + 1);
          break;
        }
      }
      pending = { key, start: e };
      return reason;
    };
  }

  const exit = await machine.run();
  const total = now() - t0;
  const handlerMs = [...tallies.values()].reduce((a, t) => a + t.ms, 0);
  const out: string[] = [];
  out.push(`exit: ${JSON.stringify(exit)}`);
  out.push('--- phases');
  out.push(...phases);
  out.push(`--- host time (ms): total ${total.toFixed(0)}  native run ${nativeMs.toFixed(0)}  exit handlers ${handlerMs.toFixed(0)}  asleep (all halted) ${sleepMs.toFixed(0)}  other ${(total - nativeMs - handlerMs - sleepMs).toFixed(0)}`);
  out.push(`guest instructions ${(machine.clock.vmInstructions / 1e6).toFixed(1)} M, ${(machine.clock.vmInstructions / 1e3 / nativeMs).toFixed(0)} MIPS in native run, exits ${loop.exits}`);
  out.push('--- exits (count, handler ms incl. the loop until the next run)');
  for (const [k, t] of [...tallies.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) out.push(`${String(t.count).padStart(9)} ${t.ms.toFixed(1).padStart(9)}  ${k}`);
  out.push('--- serial lines after the largest gaps (host ms, guest M insns, exits)');
  const gaps = lines.map((l, k) => ({ l, dh: l.host - (k > 0 ? lines[k - 1]!.host : 0), di: l.insns - (k > 0 ? lines[k - 1]!.insns : 0), de: l.exits - (k > 0 ? lines[k - 1]!.exits : 0), prev: k > 0 ? lines[k - 1]!.line : '' }));
  for (const g of [...gaps].sort((a, b) => b.dh - a.dh).slice(0, Number(process.env.TSVISOR_PROFILE_GAPS ?? 25))) {
    out.push(`${g.dh.toFixed(0).padStart(6)} ms ${(g.di / 1e6).toFixed(1).padStart(7)} M ${String(g.de).padStart(6)} ex  ${g.l.line.slice(0, 90)}   <- ${g.prev.slice(0, 60)}`);
  }
  out.push('--- slice-end samples');
  for (const [k, n] of [...ripSamples.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) out.push(`${String(n).padStart(6)}  ${k}`);
  process.stderr.write(out.join('\n') + '\n');
  machine.destroy();
}

main().catch((err) => {
  process.stderr.write(`boot-profile: ${(err as Error).stack}\n`);
  process.exit(1);
});
