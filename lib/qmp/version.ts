/** The version QMP and the monitor report: QEMU's API level tsvisor follows, and tsvisor's own version as the package. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../hypervisor/addon.js';
import { QEMU_COMPAT_VERSION } from '../qemu-compat/help.js';

export function tsvisorVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface QmpVersion {
  qemu: { major: number; minor: number; micro: number };
  package: string;
}

export function qmpVersion(): QmpVersion {
  const [major, minor, micro] = QEMU_COMPAT_VERSION.split('.').map(Number) as [number, number, number];
  return { qemu: { major, minor, micro }, package: `tsvisor ${tsvisorVersion()}` };
}
