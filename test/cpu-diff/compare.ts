/**
 * Compares a host result with an interpreter result for one case: the fault
 * vector, or else the general registers (the low halves in 32-bit mode), the
 * compared flags minus the ones the form leaves undefined, both memory
 * windows and the x87/MMX/SSE state (fx-compare.ts). Returns a one-line
 * description of the first differences, or null.
 */
import { CaseRef } from './case-ref.js';
import type { Ignore } from './forms.js';
import { compareFx, describeFpInputs } from './fx-compare.js';
import { COMPARED_FLAGS, IN, OUT, WIN_SIZE } from './layout.js';
import type { Suite } from './suite.js';

const REG_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const FLAG_NAMES: Array<[number, string]> = [[0x1, 'CF'], [0x4, 'PF'], [0x10, 'AF'], [0x40, 'ZF'], [0x80, 'SF'], [0x400, 'DF'], [0x800, 'OF'], [0x4000, 'NT'], [0x200000, 'ID']];

export function flagNames(mask: number): string {
  return FLAG_NAMES.filter(([b]) => mask & b).map(([, n]) => n).join(',');
}

export function compareCase(suite: Suite, cases: Buffer, k: number, host: Buffer, interp: Buffer): string | null {
  const ho = k * OUT.size, io = k * OUT.size;
  const hv = host.readInt32LE(ho + OUT.vector), iv = interp.readInt32LE(io + OUT.vector);
  if (hv !== iv) return `vector host=${vecName(hv)} interp=${vecName(iv)}`;
  const c = new CaseRef(cases, k * IN.size);
  const slot = suite.slots[c.slot];
  const form = suite.forms[slot.form];
  const ig: Ignore = form.ignore?.(c, form.variants[slot.variant]) ?? { flags: 0 };
  if (hv !== -1) return compareFault(suite, hv, host, ho, interp, io, ig);
  const diffs: string[] = [];
  const nregs = suite.bits === 64 ? 16 : 8;
  const mask = suite.bits === 64 ? 0xffffffffffffffffn : 0xffffffffn;
  for (let i = 0; i < nregs; i++) {
    if (ig.regs && ig.regs & (1 << i)) continue;
    const h = host.readBigUInt64LE(ho + OUT.regs + 8 * i) & mask;
    const v = interp.readBigUInt64LE(io + OUT.regs + 8 * i) & mask;
    if (h !== v) diffs.push(`${REG_NAMES[i]} host=0x${h.toString(16)} interp=0x${v.toString(16)}`);
  }
  const fm = COMPARED_FLAGS & ~ig.flags;
  const hf = Number(host.readBigUInt64LE(ho + OUT.flags)) & fm;
  const vf = Number(interp.readBigUInt64LE(io + OUT.flags)) & fm;
  if (hf !== vf) diffs.push(`flags ${flagNames(hf ^ vf)} host=0x${hf.toString(16)} interp=0x${vf.toString(16)}`);
  for (const [name, off, skip] of [['data', OUT.data, ig.data], ['stack', OUT.stack, false]] as const) {
    if (skip) continue;
    const d = windowDiff(name, host, ho + off, interp, io + off, name === 'data' ? ig.dataRanges : undefined);
    if (d) diffs.push(d);
  }
  compareFx(suite.bits, host, ho + OUT.fx, interp, io + OUT.fx, ig, diffs);
  return diffs.length ? diffs.join('; ') : null;
}

/**
 * After an exception: the registers at the fault (the host's signal context;
 * the interpreter's state after its reporting handler, which clobbers RAX and
 * RBX and pushes a frame, so RAX, RBX, RSP and the stack window are skipped),
 * the data window (work a REP string instruction finished before faulting is
 * architecturally done), and for #PF the faulting address and the W bit of the
 * error code (the other bits differ by CPL).
 */
function compareFault(suite: Suite, vector: number, host: Buffer, ho: number, interp: Buffer, io: number, ig: Ignore): string | null {
  if (vector >= 1000) return null;
  const diffs: string[] = [];
  const nregs = suite.bits === 64 ? 16 : 8;
  const mask = suite.bits === 64 ? 0xffffffffffffffffn : 0xffffffffn;
  for (let i = 0; i < nregs; i++) {
    if (i === 0 || i === 3 || i === 4) continue;
    const h = host.readBigUInt64LE(ho + OUT.regs + 8 * i) & mask;
    const v = interp.readBigUInt64LE(io + OUT.regs + 8 * i) & mask;
    if (h !== v) diffs.push(`at the fault ${REG_NAMES[i]} host=0x${h.toString(16)} interp=0x${v.toString(16)}`);
  }
  if (vector === 14) {
    const hc = host.readBigUInt64LE(ho + OUT.flags), vc = interp.readBigUInt64LE(io + OUT.flags);
    if (hc !== vc) diffs.push(`cr2 host=0x${hc.toString(16)} interp=0x${vc.toString(16)}`);
    const hw = host.readUInt32LE(ho + OUT.errorCode) & 2, vw = interp.readUInt32LE(io + OUT.errorCode) & 2;
    if (hw !== vw) diffs.push(`#PF error code W host=${hw >> 1} interp=${vw >> 1}`);
  }
  const d = windowDiff('data', host, ho + OUT.data, interp, io + OUT.data, ig.dataRanges);
  if (d) diffs.push(d);
  compareFx(suite.bits, host, ho + OUT.fx, interp, io + OUT.fx, ig, diffs, 'at the fault ');
  return diffs.length ? diffs.join('; ') : null;
}

/** The first differing byte of a memory window outside `skip` ranges. */
function windowDiff(name: string, host: Buffer, ho: number, interp: Buffer, io: number, skip?: Array<[number, number]>): string | null {
  if (host.compare(interp, io, io + WIN_SIZE, ho, ho + WIN_SIZE) === 0) return null;
  for (let b = 0; b < WIN_SIZE; b++) {
    if (host[ho + b] === interp[io + b] || skip?.some(([from, to]) => b >= from && b < to)) continue;
    return `${name}[+0x${b.toString(16)}] host=0x${host[ho + b].toString(16)} interp=0x${interp[io + b].toString(16)}`;
  }
  return null;
}

const VECTORS: Record<number, string> = { [-1]: 'none', 0: '#DE', 1: '#DB', 3: '#BP', 6: '#UD', 7: '#NM', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 19: '#XM' };
function vecName(v: number): string { return VECTORS[v] ?? (v >= 1000 ? `exit ${v - 1000}` : `vector ${v}`); }

/** A readable description of a case: form, assembler text, bytes and inputs. */
export function describeCase(suite: Suite, cases: Buffer, k: number): string {
  const c = new CaseRef(cases, k * IN.size);
  const slot = suite.slots[c.slot];
  const form = suite.forms[slot.form];
  const regs = REG_NAMES.slice(0, suite.bits === 64 ? 16 : 8).map((n, i) => `${n}=0x${c.reg(i).toString(16)}`).join(' ');
  return `${form.name}: \`${form.variants[slot.variant].asm}\` [${[...slot.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}] ` +
    `flags=0x${c.flags.toString(16)} ${regs} operand=${cases.subarray(k * IN.size + IN.operand, k * IN.size + IN.operand + 32).toString('hex')} memSeed=0x${c.memSeed.toString(16)}` +
    describeFpInputs(c, form.variants[slot.variant].asm, suite.bits);
}
