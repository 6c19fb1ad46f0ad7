/**
 * The batched hypercall queue's figure: N page-table updates, one
 * hypercall each vs batched (4096 entries per flush), in-process so the
 * machine's hypercall exit count is at hand. Times come from the guest's
 * TSC in realtime mode (host time, the guest's own loop only).
 *
 *   node dist/bench/hcqueue.js [N]
 */
import { join } from 'node:path';
import { defaultMachineConfig } from '../lib/machine/config.js';
import { Machine } from '../lib/machine/machine.js';

const root = join(__dirname, '..', '..');

export interface QueueBenchResult {
  mode: 'unbatched' | 'batched';
  updates: number;
  hypercallExits: number;
  opsPerSecond: number;
}

async function runMode(updates: number, mode: 1 | 2): Promise<QueueBenchResult> {
  let serial = '';
  const m = new Machine({
    ...defaultMachineConfig(),
    kernel: join(root, 'dist', 'guests', 'hcqueue.elf'),
    append: `bench=${updates} benchmode=${mode}`,
    cpuModel: 'max',
    serial: { output: (d) => void (serial += Buffer.from(d).toString('latin1')) },
    devices: [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 }],
  });
  try {
    const exit = await m.run();
    const line = /BENCH mode=\d updates=(\d+) guest_us=(\d+)/.exec(serial);
    if (exit.status !== 1 || line === null) throw new Error(`hcqueue bench: ${exit.reason} ${exit.message ?? ''}\n${serial}`);
    const seconds = Math.max(1, Number(line[2])) / 1e6;
    return {
      mode: mode === 1 ? 'unbatched' : 'batched',
      updates,
      hypercallExits: m.paravirt.hypercallCount,
      opsPerSecond: updates / seconds,
    };
  } finally {
    m.destroy();
  }
}

export async function benchHypercallQueue(updates: number): Promise<QueueBenchResult[]> {
  return [await runMode(updates, 1), await runMode(updates, 2)];
}

/** Prints both modes and the speed-up (bench/run.ts calls this for `--only hcqueue` and the full run). */
export async function printHypercallQueueBench(updates: number): Promise<void> {
  const rows = await benchHypercallQueue(updates);
  console.log('batched hypercall queue (tsvisor only, -cpu max):');
  for (const r of rows) {
    console.log(`  ${r.mode.padEnd(10)} ${r.updates} page-table updates: ${r.hypercallExits} hypercall exits, ${Math.round(r.opsPerSecond).toLocaleString('en-US')} updates/s`);
  }
  console.log(`  speed-up ${(rows[1]!.opsPerSecond / rows[0]!.opsPerSecond).toFixed(1)}x`);
}

if (require.main === module) void printHypercallQueueBench(Number(process.argv[2] ?? 65536));
