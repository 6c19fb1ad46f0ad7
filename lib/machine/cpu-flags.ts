/**
 * The vocabulary of `-cpu MODEL,+flag,-flag,flag=value`: every subsystem
 * that answers to a -cpu flag (the CPU core's CPUID features, lib/paravirt's
 * KVM features, lib/hyperv's enlightenments) exports its flags as
 * CpuFlagSpec lists; lib/qemu-compat parses against their union and the
 * Machine hands each subsystem the values of its own flags.
 *
 * Names are canonical with dashes (`hv-time`); QEMU's underscore spelling
 * (`hv_time`) is accepted by the parser and mapped to the dash form.
 */

export type CpuFlagValue = boolean | number | string;

export interface CpuFlagSpec {
  /** Canonical name, dashes: 'kvmclock', 'hv-synic', 'hv-spinlocks'. */
  readonly name: string;
  /** 'bool' takes +f / -f / f=on|off; 'uint' and 'string' take f=value. */
  readonly kind: 'bool' | 'uint' | 'string';
  /** One line for `-cpu help` and error messages. */
  readonly description: string;
  /** Flags that must also be on when this one is on (checked with a one-line error naming both). */
  readonly requires?: readonly string[];
}

/** The value of every flag the user set (absent = the model's default). */
export type CpuFlagValues = ReadonlyMap<string, CpuFlagValue>;
