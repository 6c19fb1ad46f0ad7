/**
 * -smp [cpus=]N[,maxcpus=M][,sockets=S][,dies=D][,clusters=C][,cores=K][,threads=T].
 *
 * Omitted values are derived the way QEMU's pc machine (6.2 and later) does it:
 * cores are preferred over sockets, threads are derived last, and the product of
 * the hierarchy must equal maxcpus. tsvisor has no CPU hot-plug, so maxcpus must
 * equal cpus; the vCPU count is what the MachineConfig gets.
 */
import { BadValue } from './bad-value.js';
import { parseOptList } from './opts.js';
import { MAX_SMP_CPUS } from '../machine/config.js';

const KEYS = ['cpus', 'maxcpus', 'sockets', 'dies', 'clusters', 'cores', 'threads'] as const;
type Key = (typeof KEYS)[number];

export interface SmpTopology {
  cpus: number;
  maxcpus: number;
  sockets: number;
  dies: number;
  clusters: number;
  cores: number;
  threads: number;
}

/** Parses and checks an -smp argument (BadValue on any mistake). */
export function parseSmp(text: string): SmpTopology {
  const opts = parseOptList(text, 'cpus').allowOnly(KEYS);
  // 0 = omitted, as in QEMU; an explicit 0 is refused rather than read as "omitted".
  const given = {} as Record<Key, number>;
  for (const key of KEYS) {
    const n = opts.getUint(key, 0xffffffff);
    if (n === 0) throw new BadValue(`parameter '${key}' must be at least 1`);
    given[key] = n ?? 0;
  }
  let { cpus, maxcpus, sockets, cores, threads } = given;
  const dies = given.dies || 1;
  const clusters = given.clusters || 1;
  if (cpus === 0 && maxcpus === 0) {
    sockets ||= 1;
    cores ||= 1;
    threads ||= 1;
  } else {
    maxcpus ||= cpus;
    if (cores === 0) {
      sockets ||= 1;
      threads ||= 1;
      cores = Math.floor(maxcpus / (sockets * dies * clusters * threads));
    } else if (sockets === 0) {
      threads ||= 1;
      sockets = Math.floor(maxcpus / (dies * clusters * cores * threads));
    }
    if (threads === 0) threads = Math.floor(maxcpus / (sockets * dies * clusters * cores));
  }
  const total = sockets * dies * clusters * cores * threads;
  maxcpus ||= total;
  cpus ||= maxcpus;
  if (total !== maxcpus) {
    throw new BadValue(
      `the topology (sockets ${sockets} * dies ${dies} * clusters ${clusters} * cores ${cores} * threads ${threads} = ${total}) must equal maxcpus (${maxcpus})`,
    );
  }
  if (maxcpus < cpus) throw new BadValue(`maxcpus (${maxcpus}) must be at least cpus (${cpus})`);
  if (maxcpus !== cpus) throw new BadValue('CPU hot-plug is not supported: maxcpus must equal cpus');
  if (cpus > MAX_SMP_CPUS) throw new BadValue(`at most ${MAX_SMP_CPUS} vCPUs are supported`);
  return { cpus, maxcpus, sockets, dies, clusters, cores, threads };
}
