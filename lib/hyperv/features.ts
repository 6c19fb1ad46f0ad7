/**
 * Which Hyper-V enlightenments a machine offers, resolved from its -cpu flag
 * values: hv-passthrough expanded to everything tsvisor implements,
 * dependencies checked as QEMU checks them, and a clear configuration error
 * for a flag whose enlightenment is not implemented yet (a flag is a promise,
 * so it is refused rather than advertised half-done).
 */
import type { CpuFlagValue, CpuFlagValues } from '../machine/cpu-flags.js';
import { MachineConfigError } from '../machine/errors.js';
import { HYPERV_FLAGS } from './flags.js';
import { HV_SPINLOCK_RETRIES_NEVER } from './hyperv-proto.js';

/** The boolean enlightenments that work today (what hv-passthrough turns on). */
export const HYPERV_IMPLEMENTED: readonly string[] = [
  'hv-relaxed',
  'hv-time',
  'hv-vpindex',
  'hv-runtime',
  'hv-crash',
  'hv-reset',
  'hv-frequencies',
  'hv-reenlightenment',
  'hv-synic',
  'hv-stimer',
  'hv-stimer-direct',
  'hv-vapic',
  'hv-tlbflush',
  'hv-ipi',
];

/** Default vendor of CPUID 0x40000000. */
export const HYPERV_DEFAULT_VENDOR = 'Microsoft Hv';

export interface HypervFeatures {
  /** Canonical names of the boolean enlightenments that are on. */
  readonly on: ReadonlySet<string>;
  /** 0x40000004 EBX. */
  readonly spinlockRetries: number;
  /** 0x40000000 EBX/ECX/EDX (at most 12 ASCII characters). */
  readonly vendorId: string;
}

function isOn(v: CpuFlagValue | undefined): boolean {
  return v === true;
}

/**
 * The enlightenments configured by `values`, or undefined when no Hyper-V flag
 * is set (then Hyper-V owns no CPUID leaves and no MSRs). Throws MachineConfigError.
 */
export function resolveHypervFeatures(values: CpuFlagValues | undefined): HypervFeatures | undefined {
  if (values === undefined) return undefined;
  const known = new Set(HYPERV_FLAGS.map((f) => f.name));
  let any = false;
  const on = new Set<string>();
  for (const [name, value] of values) {
    if (!known.has(name)) continue;
    if (name === 'hv-spinlocks' || name === 'hv-vendor-id') {
      any = true;
      continue;
    }
    if (name === 'hv-passthrough') {
      if (isOn(value)) {
        any = true;
        for (const f of HYPERV_IMPLEMENTED) on.add(f);
      }
      continue;
    }
    if (isOn(value)) {
      any = true;
      on.add(name);
    }
  }
  // An explicit "-hv-x" after hv-passthrough turns x off again.
  for (const [name, value] of values) if (known.has(name) && value === false) on.delete(name);
  if (!any) return undefined;

  for (const name of on) {
    if (!HYPERV_IMPLEMENTED.includes(name)) {
      throw new MachineConfigError(`-cpu ${name}: this Hyper-V enlightenment is not implemented yet (implemented: ${HYPERV_IMPLEMENTED.join(', ')})`);
    }
  }
  for (const spec of HYPERV_FLAGS) {
    if (!on.has(spec.name)) continue;
    for (const dep of spec.requires ?? []) {
      if (!on.has(dep)) throw new MachineConfigError(`Hyper-V ${spec.name} requires ${dep}`);
    }
  }

  const spin = values.get('hv-spinlocks');
  let spinlockRetries = HV_SPINLOCK_RETRIES_NEVER;
  if (spin !== undefined) {
    if (typeof spin !== 'number' || !Number.isInteger(spin) || spin < 0 || spin > 0xffff_ffff) {
      throw new MachineConfigError(`-cpu hv-spinlocks=${String(spin)}: must be an unsigned 32-bit retry count`);
    }
    // As QEMU does: a count below 0xfff is raised to 0xfff.
    spinlockRetries = spin < 0xfff ? 0xfff : spin;
  }
  const vendor = values.get('hv-vendor-id');
  let vendorId = HYPERV_DEFAULT_VENDOR;
  if (vendor !== undefined) {
    if (typeof vendor !== 'string' || vendor.length === 0 || vendor.length > 12 || !/^[\x20-\x7e]+$/.test(vendor)) {
      throw new MachineConfigError(`-cpu hv-vendor-id=${String(vendor)}: must be 1 to 12 printable ASCII characters`);
    }
    vendorId = vendor;
  }
  return { on, spinlockRetries, vendorId };
}
