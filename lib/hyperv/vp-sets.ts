/**
 * Which VPs a flush or IPI hypercall targets: the 64-bit processor mask of
 * the classic calls, and the HV_VP_SET of the Ex calls (format, then a valid
 * bank mask with one 64-VP bank per set bit, the banks in the variable
 * header). VP indices beyond the machine's are ignored, as on Hyper-V.
 */
import { HV_GENERIC_SET_ALL, HV_GENERIC_SET_SPARSE_4K } from './hyperv-proto.js';

/** VP indices from a 64-bit mask (VP i = bit i). */
export function vpsFromMask(mask: bigint, vpCount: number): number[] {
  const vps: number[] = [];
  for (let i = 0; i < Math.min(64, vpCount); i++) if ((mask >> BigInt(i)) & 1n) vps.push(i);
  return vps;
}

/**
 * An HV_VP_SET at byte `at` of the input block: undefined when malformed (unknown format, or the
 * variable header does not hold exactly one bank per valid-bank bit).
 */
export function vpsFromSet(input: DataView, at: number, varHeaderQwords: number, vpCount: number): number[] | undefined {
  const format = input.getBigUint64(at, true);
  const validBanks = input.getBigUint64(at + 8, true);
  if (format === BigInt(HV_GENERIC_SET_ALL)) return Array.from({ length: vpCount }, (_, i) => i);
  if (format !== BigInt(HV_GENERIC_SET_SPARSE_4K)) return undefined;
  let banks = 0;
  for (let b = 0n; b < 64n; b++) if ((validBanks >> b) & 1n) banks++;
  if (banks !== varHeaderQwords || at + 16 + banks * 8 > input.byteLength) return undefined;
  const vps: number[] = [];
  let next = at + 16;
  for (let bank = 0; bank < 64; bank++) {
    if (((validBanks >> BigInt(bank)) & 1n) === 0n) continue;
    const bits = input.getBigUint64(next, true);
    next += 8;
    for (let i = 0; i < 64; i++) {
      const vp = bank * 64 + i;
      if ((bits >> BigInt(i)) & 1n && vp < vpCount) vps.push(vp);
    }
  }
  return vps;
}
