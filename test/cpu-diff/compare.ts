/**
 * Compares a host result with an interpreter result for one case: the fault
 * vector, or else the general registers (the low halves in 32-bit mode), the
 * compared flags minus the ones the form leaves undefined, and both memory
 * windows. Returns a one-line description of the first differences, or null.
 */
import { CaseRef } from './case-ref.js';
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
  if (hv !== -1) return compareFault(suite, hv, host, ho, interp, io);
  const c = new CaseRef(cases, k * IN.size);
  const slot = suite.slots[c.slot];
  const form = suite.forms[slot.form];
  const ig = form.ignore?.(c, form.variants[slot.variant]) ?? { flags: 0 };
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
    for (let b = 0; b < WIN_SIZE; b++) {
      if (host[ho + off + b] !== interp[io + off + b]) {
        diffs.push(`${name}[+0x${b.toString(16)}] host=0x${host[ho + off + b].toString(16)} interp=0x${interp[io + off + b].toString(16)}`);
        break;
      }
    }
  }
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
function compareFault(suite: Suite, vector: number, host: Buffer, ho: number, interp: Buffer, io: number): string | null {
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
  for (let b = 0; b < WIN_SIZE; b++) {
    if (host[ho + OUT.data + b] !== interp[io + OUT.data + b]) {
      diffs.push(`data[+0x${b.toString(16)}] host=0x${host[ho + OUT.data + b].toString(16)} interp=0x${interp[io + OUT.data + b].toString(16)}`);
      break;
    }
  }
  return diffs.length ? diffs.join('; ') : null;
}

const VECTORS: Record<number, string> = { [-1]: 'none', 0: '#DE', 1: '#DB', 3: '#BP', 6: '#UD', 12: '#SS', 13: '#GP', 14: '#PF', 17: '#AC' };
function vecName(v: number): string { return VECTORS[v] ?? (v >= 1000 ? `exit ${v - 1000}` : `vector ${v}`); }

/** A readable description of a case: form, assembler text, bytes and inputs. */
export function describeCase(suite: Suite, cases: Buffer, k: number): string {
  const c = new CaseRef(cases, k * IN.size);
  const slot = suite.slots[c.slot];
  const form = suite.forms[slot.form];
  const regs = REG_NAMES.slice(0, suite.bits === 64 ? 16 : 8).map((n, i) => `${n}=0x${c.reg(i).toString(16)}`).join(' ');
  return `${form.name}: \`${form.variants[slot.variant].asm}\` [${[...slot.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}] ` +
    `flags=0x${c.flags.toString(16)} ${regs} operand=${cases.subarray(k * IN.size + IN.operand, k * IN.size + IN.operand + 16).toString('hex')} memSeed=0x${c.memSeed.toString(16)}`;
}
