/**
 * The x87/MMX/SSE part of the comparison. Both sides record the first
 * FX_SIZE bytes of an FXSAVE image after the case (or at its fault). Compared:
 * FCW, FSW (TOP, condition codes, flags, ES/B) minus the bits a form declares
 * undefined, the abridged tag byte, MXCSR (flags included) minus declared
 * bits, the 80-bit contents of ST0-7 / MM0-7 and XMM0-15 (XMM0-7 in 32-bit
 * mode). Not compared (both sides zero them, layout.ts canonicalFx): FOP,
 * FIP/FDP and their selectors (AMD stores them only while an exception is
 * pending), MXCSR_MASK (a property of the CPU model: AMD's includes the
 * misaligned-SSE bit) and the reserved bytes.
 */
import type { CaseRef } from './case-ref.js';
import type { Ignore } from './forms.js';
import { FX, FX_SIZE } from './layout.js';

const FSW_TOP = 0x3800;
const hex = (v: number | bigint, w: number): string => `0x${v.toString(16).padStart(w, '0')}`;

function xmmText(b: Buffer, at: number): string {
  return `${hex(b.readBigUInt64LE(at + 8), 16)}_${b.readBigUInt64LE(at).toString(16).padStart(16, '0')}`;
}
function f80Text(b: Buffer, at: number): string {
  return `${b.readUInt16LE(at + 8).toString(16).padStart(4, '0')}:${b.readBigUInt64LE(at).toString(16).padStart(16, '0')}`;
}

/** Appends the differences of the x87/MMX/SSE state to `diffs`. */
export function compareFx(bits: 64 | 32, host: Buffer, ho: number, interp: Buffer, io: number, ig: Ignore, diffs: string[], prefix = ''): void {
  // both sides zeroed the uncompared bytes (layout.ts canonicalFx): equal images are the common case
  if (host.compare(interp, io, io + FX_SIZE, ho, ho + FX_SIZE) === 0) return;
  const u16 = (field: number, name: string, mask: number): void => {
    const h = host.readUInt16LE(ho + field) & mask, v = interp.readUInt16LE(io + field) & mask;
    if (h !== v) diffs.push(`${prefix}${name} host=${hex(h, 4)} interp=${hex(v, 4)}`);
  };
  u16(FX.fcw, 'fcw', 0xffff);
  u16(FX.fsw, 'fsw', ~(ig.fsw ?? 0) & 0xffff);
  if (host[ho + FX.ftw] !== interp[io + FX.ftw]) diffs.push(`${prefix}ftw host=${hex(host[ho + FX.ftw], 2)} interp=${hex(interp[io + FX.ftw], 2)}`);
  const mm = ~(ig.mxcsr ?? 0) >>> 0;
  const hm = (host.readUInt32LE(ho + FX.mxcsr) & mm) >>> 0, vm = (interp.readUInt32LE(io + FX.mxcsr) & mm) >>> 0;
  if (hm !== vm) diffs.push(`${prefix}mxcsr host=${hex(hm, 4)} interp=${hex(vm, 4)}`);
  // Registers in stack order; when the form leaves TOP undefined (EMMS: AMD
  // clears it, Intel keeps it), by physical register: slot (n - TOP) & 7 on each side.
  const byPhysical = ((ig.fsw ?? 0) & FSW_TOP) !== 0;
  const topH = byPhysical ? (host.readUInt16LE(ho + FX.fsw) >> 11) & 7 : 0;
  const topI = byPhysical ? (interp.readUInt16LE(io + FX.fsw) >> 11) & 7 : 0;
  for (let i = 0; i < 8; i++) {
    if (ig.st && ig.st & (1 << i)) continue;
    const ah = FX.st + 16 * ((i - topH) & 7), ai = FX.st + 16 * ((i - topI) & 7);
    if (host.compare(interp, io + ai, io + ai + 10, ho + ah, ho + ah + 10) !== 0) diffs.push(`${prefix}${byPhysical ? 'r' : 'st'}${i} host=${f80Text(host, ho + ah)} interp=${f80Text(interp, io + ai)}`);
  }
  const nx = bits === 64 ? 16 : 8;
  if (host.compare(interp, io + FX.xmm, io + FX.xmm + 16 * nx, ho + FX.xmm, ho + FX.xmm + 16 * nx) === 0) return;
  for (let i = 0; i < nx; i++) {
    if (ig.xmm && ig.xmm & (1 << i)) continue;
    const at = FX.xmm + 16 * i;
    if (host.compare(interp, io + at, io + at + 16, ho + at, ho + at + 16) !== 0) diffs.push(`${prefix}xmm${i} host=${xmmText(host, ho + at)} interp=${xmmText(interp, io + at)}`);
  }
}

/**
 * The x87/MMX/SSE inputs of a case for its description: control and status
 * words always, then the XMM and MMX registers the assembler text names, and
 * for x87 instructions the whole stack (`*` marks a valid register).
 */
export function describeFpInputs(c: CaseRef, asm: string, bits: 64 | 32): string {
  const parts = [`mxcsr=${hex(c.mxcsr, 4)} fcw=${hex(c.fcw, 4)} fsw=${hex(c.fsw, 4)} ftw=${hex(c.ftw, 2)}`];
  const nx = bits === 64 ? 16 : 8;
  const xmms = new Set([...asm.matchAll(/%xmm(\d+)/g)].map((m) => Number(m[1])).filter((n) => n < nx));
  for (const n of [...xmms].sort((a, b) => a - b)) parts.push(`xmm${n}=${xmmText(c.xmm(n), 0)}`);
  const mms = new Set([...asm.matchAll(/%mm(\d)/g)].map((m) => Number(m[1])));
  for (const n of [...mms].sort((a, b) => a - b)) parts.push(`mm${n}=${hex(c.mm(n), 16)}`);
  if (/(^|;)\s*f/.test(asm)) {
    for (let i = 0; i < 8; i++) {
      const v = c.st(i);
      const valid = (c.ftw >> ((c.top + i) & 7)) & 1;
      parts.push(`st${i}${valid ? '*' : ''}=${v.se.toString(16).padStart(4, '0')}:${v.mant.toString(16).padStart(16, '0')}`);
    }
  }
  return ` ${parts.join(' ')}`;
}
