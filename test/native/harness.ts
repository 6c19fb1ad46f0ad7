/**
 * Test harness for the native interp backend: loads the addon, assembles
 * snippets with GNU as, and sets a vCPU up in real, protected or long mode by
 * writing the shared buffer directly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as abi from '../../lib/hypervisor/abi.generated.js';
import type { NativeAddon, NativeVcpu, NativeVm } from '../../lib/hypervisor/native-types.js';

export { abi };

// dist/test/native -> repo root
const rootDir = join(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const native: NativeAddon = require('node-gyp-build')(rootDir);

export type Mode = 'real' | 'prot32' | 'prot16' | 'long64';

const asmCache = new Map<string, Buffer>();
/** Assembles `source` for the given mode (.code16/.code32/.code64) and returns the flat binary. */
export function assemble(mode: Mode, source: string, org = 0): Buffer {
  const key = `${mode}\n${org}\n${source}`;
  const hit = asmCache.get(key);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'tsv-asm-'));
  try {
    const directive = mode === 'long64' ? '.code64' : mode === 'prot32' ? '.code32' : '.code16';
    writeFileSync(join(dir, 'a.s'), `${directive}\n.text\n.org 0\n${source}\n`);
    execFileSync('as', [mode === 'long64' ? '--64' : '--32', '-o', join(dir, 'a.o'), join(dir, 'a.s')]);
    execFileSync('ld', ['-m', mode === 'long64' ? 'elf_x86_64' : 'elf_i386', '-Ttext', `0x${org.toString(16)}`, '--oformat', 'binary',
      '-e', '0', '-o', join(dir, 'a.bin'), join(dir, 'a.o')]);
    const out = readFileSync(join(dir, 'a.bin'));
    asmCache.set(key, out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const SEG = { es: 0, cs: 1, ss: 2, ds: 3, fs: 4, gs: 5, ldtr: 6, tr: 7 } as const;
export type SegName = keyof typeof SEG;
export const GPR = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
export type GprName = typeof GPR[number];

/** Guest-physical layout used by the helpers. */
export const LAYOUT = {
  code: 0x10000,
  code16: 0x8000, // 16-bit code runs with CS base 0, so it must sit below 64 KiB
  stackTop: 0x80000,
  gdt: 0x1000,
  idt: 0x2000,
  tss: 0x3000,
  pml4: 0x20000, // 0x20000..0x23fff: PML4, PDPT, PD (2 MiB pages) for the first GiB
  ramSize: 4 << 20,
};

export class TestVm {
  readonly vmState = new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE);
  readonly vm: NativeVm;
  readonly cpu: NativeVcpu;
  readonly ramBuf: ArrayBuffer;
  readonly ram: Uint8Array;
  readonly ramView: DataView;
  readonly st: DataView;
  readonly stBytes: Uint8Array;

  constructor(ramSize = LAYOUT.ramSize, accel: 'interp' | 'kvm' = 'interp') {
    this.vm = native.createVm(accel, this.vmState);
    this.ramBuf = this.vm.allocateMemory(ramSize);
    this.ram = new Uint8Array(this.ramBuf);
    this.ramView = new DataView(this.ramBuf);
    this.vm.setMemoryRegion(0, 0, ramSize, this.ramBuf, 0, 0);
    this.cpu = this.vm.createVcpu(0);
    this.st = new DataView(this.cpu.state);
    this.stBytes = new Uint8Array(this.cpu.state);
  }

  get(r: GprName): bigint { return this.st.getBigUint64(abi.TSV_OFF_GPR + 8 * GPR.indexOf(r), true); }
  set(r: GprName, v: bigint | number): void { this.st.setBigUint64(abi.TSV_OFF_GPR + 8 * GPR.indexOf(r), BigInt.asUintN(64, BigInt(v)), true); }
  get rip(): bigint { return this.st.getBigUint64(abi.TSV_OFF_RIP, true); }
  set rip(v: bigint) { this.st.setBigUint64(abi.TSV_OFF_RIP, v, true); }
  get rflags(): bigint { return this.st.getBigUint64(abi.TSV_OFF_RFLAGS, true); }
  set rflags(v: bigint) { this.st.setBigUint64(abi.TSV_OFF_RFLAGS, v, true); }
  u64(off: number): bigint { return this.st.getBigUint64(off, true); }
  setU64(off: number, v: bigint | number): void { this.st.setBigUint64(off, BigInt(v), true); }

  setSeg(s: SegName, sel: number, base: number | bigint, limit: number, attr: number): void {
    const o = abi.TSV_OFF_SEG + SEG[s] * abi.TSV_SEG_SIZE;
    this.st.setBigUint64(o + abi.TSV_SEG_OFF_BASE, BigInt(base), true);
    this.st.setUint32(o + abi.TSV_SEG_OFF_LIMIT, limit >>> 0, true);
    this.st.setUint16(o + abi.TSV_SEG_OFF_SELECTOR, sel, true);
    this.st.setUint16(o + abi.TSV_SEG_OFF_ATTR, attr, true);
  }
  seg(s: SegName): { base: bigint; limit: number; sel: number; attr: number } {
    const o = abi.TSV_OFF_SEG + SEG[s] * abi.TSV_SEG_SIZE;
    return {
      base: this.st.getBigUint64(o, true),
      limit: this.st.getUint32(o + 8, true),
      sel: this.st.getUint16(o + 12, true),
      attr: this.st.getUint16(o + 14, true),
    };
  }

  /** Writes a GDT with flat descriptors: 0x08 code32, 0x10 data, 0x18 code64, 0x20 code16, 0x2b code64 DPL3, 0x33 data DPL3, 0x38 TSS64. */
  writeGdt(): void {
    const g = LAYOUT.gdt;
    const d = (idx: number, v: bigint): void => this.ramView.setBigUint64(g + idx * 8, v, true);
    d(0, 0n);
    d(1, 0x00cf9b000000ffffn); // code32 DPL0
    d(2, 0x00cf93000000ffffn); // data DPL0
    d(3, 0x00af9b000000ffffn); // code64 DPL0
    d(4, 0x008f9b000000ffffn); // code16 (D=0) DPL0
    d(5, 0x00affb000000ffffn); // code64 DPL3
    d(6, 0x00cff3000000ffffn); // data DPL3
    // 64-bit TSS at LAYOUT.tss, limit 0x67
    const base = BigInt(LAYOUT.tss);
    const lo = 0x67n | ((base & 0xffffffn) << 16n) | (0x89n << 40n) | (((base >> 24n) & 0xffn) << 56n);
    d(7, lo);
    d(8, base >> 32n);
    this.setU64(abi.TSV_OFF_GDTR, g);
    this.st.setUint32(abi.TSV_OFF_GDTR + 8, 9 * 8 - 1, true);
  }

  /** Identity-maps the first GiB with 2 MiB pages (writable, user). */
  writePageTables(): void {
    const { pml4 } = LAYOUT;
    const pdpt = pml4 + 0x1000, pd = pml4 + 0x2000;
    this.ram.fill(0, pml4, pml4 + 0x3000);
    this.ramView.setBigUint64(pml4, BigInt(pdpt | 7), true);
    this.ramView.setBigUint64(pdpt, BigInt(pd | 7), true);
    for (let k = 0; k < 512; k++) this.ramView.setBigUint64(pd + 8 * k, BigInt(k) * 0x200000n | 0x87n, true);
  }

  setMode(mode: Mode): void {
    this.writeGdt();
    this.set('rsp', LAYOUT.stackTop);
    this.rflags = 2n;
    if (mode === 'real') {
      this.setSeg('cs', 0, 0, 0xffff, 0x9b);
      for (const s of ['ds', 'es', 'ss', 'fs', 'gs'] as const) this.setSeg(s, 0, 0, 0xffff, 0x93);
      this.setU64(abi.TSV_OFF_CR0, 0x60000010);
      return;
    }
    this.setSeg('tr', 0x38, LAYOUT.tss, 0x67, 0x8b);
    if (mode === 'prot32' || mode === 'prot16') {
      if (mode === 'prot32') this.setSeg('cs', 0x08, 0, 0xffffffff, 0xc9b);
      else this.setSeg('cs', 0x20, 0, 0xffffffff, 0x89b);
      for (const s of ['ds', 'es', 'ss', 'fs', 'gs'] as const) this.setSeg(s, 0x10, 0, 0xffffffff, 0xc93);
      this.setU64(abi.TSV_OFF_CR0, 0x11);
      return;
    }
    this.writePageTables();
    this.setSeg('cs', 0x18, 0, 0xffffffff, 0xa9b);
    for (const s of ['ds', 'es', 'ss', 'fs', 'gs'] as const) this.setSeg(s, 0x10, 0, 0xffffffff, 0xc93);
    this.setU64(abi.TSV_OFF_CR3, LAYOUT.pml4);
    this.setU64(abi.TSV_OFF_CR4, 0x20);
    this.setU64(abi.TSV_OFF_EFER, 0x500 | 0x800 | 1);
    this.setU64(abi.TSV_OFF_CR0, 0x80010011);
  }

  /** Loads code at LAYOUT.code (or `at`) and points RIP at it (CS base 0). */
  load(mode: Mode, source: string, at = mode === 'real' || mode === 'prot16' ? LAYOUT.code16 : LAYOUT.code): Buffer {
    const bin = assemble(mode, source, at);
    this.ram.set(bin, at);
    this.rip = BigInt(at);
    return bin;
  }

  /** setMode + load. */
  prepare(mode: Mode, source: string, at?: number): void {
    this.setMode(mode);
    this.load(mode, source, at);
  }

  run(): number { return this.cpu.run(); }
  exitReason(): number { return this.st.getUint32(abi.TSV_OFF_EXIT_REASON, true); }
  message(): string {
    const b = this.stBytes.subarray(abi.TSV_OFF_EXIT_MESSAGE, abi.TSV_OFF_EXIT_MESSAGE + abi.TSV_EXIT_MESSAGE_SIZE);
    const end = b.indexOf(0);
    return Buffer.from(b.subarray(0, end < 0 ? b.length : end)).toString();
  }

  /** Runs until HLT, answering IN with 0 and ignoring OUT; throws on anything else. */
  runToHlt(maxExits = 1000): void {
    for (let k = 0; k < maxExits; k++) {
      const r = this.run();
      if (r === abi.TSV_EXIT_HLT) return;
      if (r === abi.TSV_EXIT_IO) continue;
      // A slice the backend ends early for the machine's sake (a TSC write, PAUSE while pause exits are on)
      const reason = this.st.getUint32(abi.TSV_OFF_EXIT_SLICE_REASON, true);
      if (r === abi.TSV_EXIT_SLICE_END && (reason === abi.TSV_SLICE_TSC_WRITE || reason === abi.TSV_SLICE_PAUSE)) continue;
      throw new Error(`unexpected exit ${r} at rip=0x${this.rip.toString(16)}: ${this.message()}`);
    }
    throw new Error('too many exits');
  }

  /** Installs an IDT whose handlers write the vector and error code to memory and halt. */
  installReportingIdt(mode: Mode): void {
    // handler k: mov $k, %al; jmp common  (common stores vector + stack-top words, then hlt)
    const base = 0x40000;
    const parts: string[] = [];
    for (let v = 0; v < 32; v++) parts.push(`h${v}: push $${v}; jmp common`);
    if (mode === 'long64') {
      parts.push('common: pop %rax; mov %rax, 0x5000; mov (%rsp), %rbx; mov %rbx, 0x5008; mov 8(%rsp), %rbx; mov %rbx, 0x5010; hlt');
    } else {
      parts.push('common: pop %eax; mov %eax, 0x5000; mov (%esp), %ebx; mov %ebx, 0x5008; mov 4(%esp), %ebx; mov %ebx, 0x5010; hlt');
    }
    const labels = Array.from({ length: 32 }, (_, v) => `.long h${v}`).join('\n');
    const bin = assemble(mode, `${parts.join('\n')}\n.align 8\ntable:\n${labels}\n`, base);
    this.ram.set(bin, base);
    // find the table: last 32*4 bytes
    const tableOff = bin.length - 128;
    const idt = LAYOUT.idt;
    for (let v = 0; v < 32; v++) {
      const target = BigInt(this.ramView.getUint32(base + tableOff + 4 * v, true));
      if (mode === 'long64') {
        const lo = (target & 0xffffn) | (0x18n << 16n) | (0x8en << 40n) | (((target >> 16n) & 0xffffn) << 48n);
        this.ramView.setBigUint64(idt + 16 * v, lo, true);
        this.ramView.setBigUint64(idt + 16 * v + 8, target >> 32n, true);
      } else {
        const lo = (target & 0xffffn) | (0x08n << 16n) | (0x8en << 40n) | (((target >> 16n) & 0xffffn) << 48n);
        this.ramView.setBigUint64(idt + 8 * v, lo, true);
      }
    }
    this.setU64(abi.TSV_OFF_IDTR, idt);
    this.st.setUint32(abi.TSV_OFF_IDTR + 8, mode === 'long64' ? 32 * 16 - 1 : 32 * 8 - 1, true);
  }
  /** Vector and the two stack words the reporting IDT recorded. */
  reported(): { vector: number; w0: bigint; w1: bigint } {
    return {
      vector: Number(this.ramView.getBigUint64(0x5000, true) & 0xffn),
      w0: this.ramView.getBigUint64(0x5008, true),
      w1: this.ramView.getBigUint64(0x5010, true),
    };
  }
}

export const FLAGS = { CF: 1n, PF: 4n, AF: 0x10n, ZF: 0x40n, SF: 0x80n, IF: 0x200n, DF: 0x400n, OF: 0x800n } as const;
