/**
 * Loads the native addon once, from the package root, with node-gyp-build
 * (build/Release during development, prebuilds/ once packaged).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TSV_ABI_VERSION } from './abi.generated.js';
import { BackendUnavailableError } from './errors.js';
import type { NativeAddon } from './native-types.js';

let cached: NativeAddon | undefined;

/** The directory holding tsvisor's package.json (this file is at lib/hypervisor or dist/lib/hypervisor). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tsvisor') return dir;
      } catch {
        /* unreadable manifest: keep walking up */
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new BackendUnavailableError('cannot find the tsvisor package root above ' + __dirname);
    dir = parent;
  }
}

/** The addon, loaded on first use. Throws BackendUnavailableError with the reason when it cannot be loaded. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  let addon: NativeAddon;
  try {
    // node-gyp-build ships no type declarations; its only export is (dir) => module.
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    addon = nodeGypBuild(root) as NativeAddon;
  } catch (err) {
    throw new BackendUnavailableError(
      `the tsvisor native addon is not built (${(err as Error).message.split('\n')[0]}); run \`npx node-gyp rebuild\` in ${root}`,
    );
  }
  if (addon.abiVersion !== TSV_ABI_VERSION) {
    throw new BackendUnavailableError(
      `the native addon speaks ABI ${addon.abiVersion} but this TypeScript expects ABI ${TSV_ABI_VERSION}; rebuild it with \`npx node-gyp rebuild\``,
    );
  }
  cached = addon;
  return addon;
}

/** True when the addon loads; lets tests skip integration cases on a machine without a build. */
export function addonAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}
