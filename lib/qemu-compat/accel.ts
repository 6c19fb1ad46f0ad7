/**
 * Accelerator names as QEMU users write them, mapped to tsvisor's backends.
 * "tcg" is QEMU's software CPU; tsvisor's software CPU is the interp backend.
 */
import { BadValue } from './bad-value.js';
import type { AccelName } from './invocation.js';

const ACCEL_BY_NAME: Record<string, AccelName> = { tcg: 'interp', interp: 'interp', kvm: 'kvm' };

export function accelFromName(name: string): AccelName {
  const accel = Object.prototype.hasOwnProperty.call(ACCEL_BY_NAME, name) ? ACCEL_BY_NAME[name] : undefined;
  if (!accel) throw new BadValue(`accelerator '${name}' is not supported (use tcg, interp or kvm)`);
  return accel;
}

/** "-machine accel=kvm:tcg": a fallback list, first available wins. */
export function accelListFromText(text: string): AccelName[] {
  return text.split(':').map(accelFromName);
}

/** Display name of a backend in messages ("KVM backend not available"). */
export function accelDisplayName(accel: AccelName): string {
  return accel === 'kvm' ? 'KVM' : 'interp';
}

export function accelListText(): string {
  return [
    'Accelerators:',
    '  tcg     software CPU (tsvisor\'s x86-64 interpreter; same as interp)',
    '  interp  software CPU (tsvisor\'s x86-64 interpreter)',
    '  kvm     Linux KVM (when this build includes it and /dev/kvm is usable)',
  ].join('\n') + '\n';
}
