/**
 * A view of one case_in record (layout.ts IN) inside a batch buffer: the
 * generator writes through it and the comparison reads the inputs back
 * (shift counts, for instance, decide which flags are undefined).
 */
import type { F80 } from './fp-values.js';
import { FX, IN, OPERAND_SIZE } from './layout.js';

export const REG = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7, r8: 8, r9: 9, r10: 10, r11: 11 } as const;

export class CaseRef {
  constructor(readonly buf: Buffer, readonly off: number) {}
  get slot(): number { return this.buf.readUInt32LE(this.off + IN.slot); }
  set slot(v: number) { this.buf.writeUInt32LE(v, this.off + IN.slot); }
  set memSeed(v: number) { this.buf.writeUInt32LE(v >>> 0, this.off + IN.memSeed); }
  get memSeed(): number { return this.buf.readUInt32LE(this.off + IN.memSeed); }
  get flags(): number { return Number(this.buf.readBigUInt64LE(this.off + IN.flags)); }
  set flags(v: number) { this.buf.writeBigUInt64LE(BigInt(v), this.off + IN.flags); }
  reg(i: number): bigint { return this.buf.readBigUInt64LE(this.off + IN.regs + 8 * i); }
  setReg(i: number, v: bigint): void { this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.off + IN.regs + 8 * i); }
  /** The low `bits` bits of register i (other bits kept). */
  low(i: number, bits: number): bigint { return this.reg(i) & ((1n << BigInt(bits)) - 1n); }
  setLow(i: number, bits: number, v: bigint): void {
    const m = (1n << BigInt(bits)) - 1n;
    this.setReg(i, (this.reg(i) & ~m) | (BigInt.asUintN(bits, v)));
  }
  /** Little-endian value of `bits` bits at byte offset k of the operand area. */
  operand(k: number, bits: number): bigint {
    let v = 0n;
    for (let b = bits / 8 - 1; b >= 0; b--) v = (v << 8n) | BigInt(this.buf[this.off + IN.operand + k + b]);
    return v;
  }
  setOperand(k: number, bits: number, v: bigint): void {
    let x = BigInt.asUintN(bits, v);
    for (let b = 0; b < bits / 8 && k + b < OPERAND_SIZE; b++, x >>= 8n) this.buf[this.off + IN.operand + k + b] = Number(x & 0xffn);
  }
  setOperandBytes(k: number, bytes: Uint8Array): void {
    for (let b = 0; b < bytes.length && k + b < OPERAND_SIZE; b++) this.buf[this.off + IN.operand + k + b] = bytes[b];
  }

  // ---- x87/MMX/SSE input state: an FXSAVE image prefix (layout.ts FX)
  private get fx(): number { return this.off + IN.fx; }
  get mxcsr(): number { return this.buf.readUInt32LE(this.fx + FX.mxcsr); }
  set mxcsr(v: number) { this.buf.writeUInt32LE(v >>> 0, this.fx + FX.mxcsr); }
  get fcw(): number { return this.buf.readUInt16LE(this.fx + FX.fcw); }
  set fcw(v: number) { this.buf.writeUInt16LE(v & 0xffff, this.fx + FX.fcw); }
  /** FSW including TOP (bits 11..13) */
  get fsw(): number { return this.buf.readUInt16LE(this.fx + FX.fsw); }
  set fsw(v: number) { this.buf.writeUInt16LE(v & 0xffff, this.fx + FX.fsw); }
  get top(): number { return (this.fsw >> 11) & 7; }
  /** abridged tag byte: bit N set when physical register N is not empty */
  get ftw(): number { return this.buf[this.fx + FX.ftw]; }
  set ftw(v: number) { this.buf[this.fx + FX.ftw] = v & 0xff; }
  xmm(i: number): Buffer { return this.buf.subarray(this.fx + FX.xmm + 16 * i, this.fx + FX.xmm + 16 * i + 16); }
  setXmm(i: number, v: Uint8Array | bigint): void {
    const at = this.fx + FX.xmm + 16 * i;
    if (typeof v === 'bigint') {
      this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), at);
      this.buf.writeBigUInt64LE(BigInt.asUintN(64, v >> 64n), at + 8);
    } else this.buf.set(v.subarray(0, 16), at);
  }
  /** ST(i) (stack order, as FXSAVE stores it) */
  st(i: number): F80 { const at = this.fx + FX.st + 16 * i; return { mant: this.buf.readBigUInt64LE(at), se: this.buf.readUInt16LE(at + 8) }; }
  setSt(i: number, v: F80): void {
    const at = this.fx + FX.st + 16 * i;
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v.mant), at);
    this.buf.writeUInt16LE(v.se & 0xffff, at + 8);
  }
  /** MMi is the significand of physical register i, i.e. ST((i - TOP) & 7). */
  mm(i: number): bigint { return this.st((i - this.top) & 7).mant; }
  setMm(i: number, v: bigint, se = 0xffff): void { this.setSt((i - this.top) & 7, { mant: v, se }); }
  /**
   * Makes ST(0)..ST(n-1) valid with these values and the other registers
   * empty (their contents stay); TOP is kept.
   */
  setX87Stack(values: F80[]): void {
    let tags = 0;
    values.forEach((v, k) => { this.setSt(k, v); tags |= 1 << ((this.top + k) & 7); });
    this.ftw = tags;
  }
}
