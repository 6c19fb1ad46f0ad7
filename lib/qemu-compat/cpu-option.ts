/**
 * -cpu MODEL[,flag...] in QEMU's grammar: `+f` and bare `f` turn a flag on,
 * `-f` turns it off, `f=on|off` sets it, `f=value` sets a valued flag
 * (hv-spinlocks=0x1fff, hv-vendor-id=...); `_` in a name reads as `-`
 * (hv_time = hv-time). Later settings win. Flags are checked against the
 * union of every subsystem's CpuFlagSpec list (lib/paravirt/cpu-flag-vocabulary.ts).
 */
import { BadValue } from './bad-value.js';
import { parseUint } from './opts.js';
import type { CpuFlagValue } from '../machine/cpu-flags.js';
import { ALL_CPU_FLAGS, canonicalCpuFlagName, cpuFlagProblem, findCpuFlag, isUnimplementedCpuFlag, unknownCpuFlagProblem } from '../paravirt/cpu-flag-vocabulary.js';

/** The models -cpu accepts (QEMU's names; lib/machine/cpu-models.ts, docs/paravirt.md). */
export const CLI_CPU_MODELS: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'qemu64', description: 'QEMU Virtual CPU version 2.5+ (QEMU\'s qemu64 features, KVM paravirtual defaults)' },
  { name: 'kvm64', description: 'Common KVM processor (QEMU\'s kvm64 features, KVM paravirtual defaults)' },
  { name: 'max', description: 'Every CPU and paravirtual feature tsvisor implements' },
  { name: 'host', description: 'Same as max (the interpreter is the host CPU tsvisor offers)' },
];

export interface CpuSelection {
  model: string;
  flags: Record<string, CpuFlagValue>;
}

const ON = new Set(['on', 'yes', 'true']);
const OFF = new Set(['off', 'no', 'false']);

// QEMU spells some features with a dot or an underscore (sse4.2, sse4_2): both read as '-';
// its aliases (pni for sse3) read as the name tsvisor lists
function canonical(name: string): string {
  return canonicalCpuFlagName(name.replace(/[_.]/g, '-'));
}

function notFound(name: string): BadValue {
  return new BadValue(unknownCpuFlagProblem(name));
}

/** `-kvm-asyncpf`, `avx=off`: a QEMU flag tsvisor does not implement, turned off (no model has it). */
function isOffForUnimplemented(item: string): boolean {
  if (item.startsWith('-')) return isUnimplementedCpuFlag(canonical(item.slice(1)));
  const eq = item.indexOf('=');
  return eq > 0 && OFF.has(item.slice(eq + 1)) && isUnimplementedCpuFlag(canonical(item.slice(0, eq)));
}

/** Parses the argument of -cpu (not 'help'); throws BadValue with QEMU-style wording. */
export function parseCpuOption(value: string): CpuSelection {
  const [model, ...items] = value.split(',');
  if (model === undefined || model === '') throw new BadValue('a CPU model name is required');
  if (!CLI_CPU_MODELS.some((m) => m.name === model)) throw new BadValue(`unable to find CPU model '${model}'`);
  const flags: Record<string, CpuFlagValue> = {};
  for (const item of items) {
    if (item === '') continue; // QEMU tolerates an empty item ("qemu64,,+x2apic")
    let name: string;
    let setting: CpuFlagValue;
    if (isOffForUnimplemented(item)) continue; // turning off what tsvisor never offers is harmless
    if (item.startsWith('+') || item.startsWith('-')) {
      name = canonical(item.slice(1));
      const spec = findCpuFlag(name);
      if (spec === undefined) throw notFound(name);
      if (spec.kind !== 'bool') throw new BadValue(`property '${name}' needs a value (${name}=...), not ${item[0]}${name}`);
      setting = item.startsWith('+');
    } else {
      const eq = item.indexOf('=');
      name = canonical(eq < 0 ? item : item.slice(0, eq));
      const raw = eq < 0 ? undefined : item.slice(eq + 1);
      const spec = findCpuFlag(name);
      if (spec === undefined) throw notFound(name);
      if (spec.kind === 'bool') {
        if (raw === undefined || ON.has(raw)) setting = true;
        else if (OFF.has(raw)) setting = false;
        else throw new BadValue(`property '${name}' takes on or off, not '${raw}'`);
      } else if (raw === undefined || raw === '') {
        throw new BadValue(`property '${name}' needs a value (${name}=...)`);
      } else if (spec.kind === 'uint') {
        setting = parseUint(name, raw, 0xffff_ffff);
      } else {
        setting = raw;
      }
    }
    flags[name] = setting;
  }
  const problem = cpuFlagProblem(model, new Map(Object.entries(flags)));
  if (problem !== undefined) throw new BadValue(problem);
  return { model, flags };
}

/** The text of `-cpu help`. */
export function cpuHelpText(): string {
  const width = Math.max(...ALL_CPU_FLAGS.map((f) => f.name.length)) + 2;
  return [
    'Available CPUs:',
    ...CLI_CPU_MODELS.map((m) => `x86 ${m.name.padEnd(12)} ${m.description}`),
    '',
    'Recognized CPUID flags (+flag / -flag / flag=on|off; valued flags take flag=VALUE):',
    ...ALL_CPU_FLAGS.map((f) => `  ${(f.kind === 'bool' ? f.name : `${f.name}=${f.kind.toUpperCase()}`).padEnd(width + 7)} ${f.description}`),
    '',
  ].join('\n');
}
