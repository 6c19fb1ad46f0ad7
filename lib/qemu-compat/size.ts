/**
 * Sizes as QEMU users write them: a number with an optional binary suffix
 * (B, K, M, G, T, P, E; either case; powers of 1024). A number without suffix
 * is in `defaultUnit` ("-m 512" means 512 MiB). A fraction is allowed with a
 * suffix ("1.5G") as long as it comes out a whole number of bytes.
 */
import { BadValue } from './bad-value.js';

const SHIFT_OF_SUFFIX: Record<string, number> = { b: 0, k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 };

export type SizeUnit = 'B' | 'K' | 'M' | 'G';

export function parseSize(text: string, defaultUnit: SizeUnit): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([bBkKmMgGtTpPeE]?)$/.exec(text);
  if (!m) throw new BadValue('invalid size');
  const [, digits, suffix] = m;
  const shift = SHIFT_OF_SUFFIX[(suffix || defaultUnit).toLowerCase()];
  // Exact arithmetic: split the fraction off so "1.5G" does not go through floating point.
  const [whole, frac = ''] = digits.split('.');
  const scale = 10n ** BigInt(frac.length);
  const scaled = BigInt(whole + frac) << BigInt(shift);
  if (scaled % scale !== 0n) throw new BadValue('invalid size (not a whole number of bytes)');
  const bytes = scaled / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new BadValue('invalid size (too large)');
  return Number(bytes);
}

/** "512 MiB", "1.5 GiB", "4096 bytes" for banners and help. */
export function formatSize(bytes: number): string {
  const units: Array<[number, string]> = [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [unit, name] of units) {
    if (bytes >= unit) {
      const v = bytes / unit;
      return `${Number.isInteger(v) ? v : v.toFixed(2).replace(/0+$/, '')} ${name}`;
    }
  }
  return `${bytes} bytes`;
}
