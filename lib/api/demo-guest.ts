/** Where the package ships its demo guest (built by `npm run compile`, packed into the tarball). */
import { join } from 'node:path';
import { packageRoot } from '../hypervisor/addon.js';

export function demoGuestPath(): string {
  return join(packageRoot(), 'dist', 'guests', 'demo.elf');
}
