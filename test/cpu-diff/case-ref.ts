/**
 * A view of one case_in record (layout.ts IN) inside a batch buffer: the
 * generator writes through it and the comparison reads the inputs back
 * (shift counts, for instance, decide which flags are undefined).
 */
import { IN, OPERAND_SIZE } from './layout.js';

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
}
