/**
 * Runs cases in the interp backend. The vCPU runs at CPL 0 (64-bit long mode
 * with identity paging, or flat 32-bit protected mode) with the same code,
 * data and stack addresses as the host runner; each snippet ends in HLT and
 * faults land in test/native/harness.ts's reporting IDT, which records the
 * vector at 0x5000 and halts.
 *
 * x87/MMX/SSE state goes through the guest, as on the host: a case starts at
 * a prologue that loads the case's image with FXRSTOR and jumps to the
 * snippet; after the snippet's HLT (or the reporting handler's, after a
 * fault) a second stub stores the state with FXSAVE and halts. CR0.NE/MP and
 * CR4.OSFXSR/OSXMMEXCPT are set as Linux sets them for the host side, so
 * SSE runs, unmasked SSE exceptions are #XM and x87 ones #MF.
 */
import { abi, assemble, LAYOUT, TestVm } from '../native/harness.js';
import { canonicalFx, CODE_BASE, DATA_PAGE, DATA_WIN, STACK_PAGE, fillWindows, FX_SIZE, IN, OPERAND_AREA, OPERAND_SIZE, OUT, SLOT_SIZE, STACK_WIN, WIN_SIZE } from './layout.js';
import type { Suite } from './suite.js';

const VECTOR_MARK = 0x5000;
/** An exit other than HLT: recorded as this plus the exit reason. */
export const EXIT_VECTOR_BASE = 1000;
const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17]);
/** Guest addresses of the state stubs (below the harness's page tables, clear of its GDT/IDT/TSS and vector mark). */
const FX_IN = 0x7000, FX_OUT = 0x7200, ENTRY_PTR = 0x7400, PROLOGUE = 0x7500, SAVE_STUB = 0x7580;
const CR0_MP = 0x2, CR0_NE = 0x20, CR4_OSFXSR = 0x200, CR4_OSXMMEXCPT = 0x400;

/**
 * A VM whose blocks the JIT translates at their first execution (docs/jit.md), so every case
 * of a JIT-translated form runs the host code, not only those after the block got hot; an
 * explicit TSVISOR_JIT (off, to compare the interpreter alone) is kept.
 */
function jitTranslatedVm(): TestVm {
  const saved = process.env.TSVISOR_JIT;
  if (saved === undefined) process.env.TSVISOR_JIT = 'always';  // read when the VM is created
  try {
    return new TestVm();
  } finally {
    if (saved === undefined) delete process.env.TSVISOR_JIT;
  }
}

export class InterpRunner {
  private readonly t = jitTranslatedVm();
  private readonly lastMessage: string[] = [];
  private readonly saveStub: Buffer;

  constructor(private readonly suite: Suite) {
    const mode = suite.bits === 64 ? 'long64' : 'prot32';
    this.t.setMode(mode);
    this.t.installReportingIdt(mode);
    const st = this.t.st;
    st.setBigUint64(abi.TSV_OFF_CR0, st.getBigUint64(abi.TSV_OFF_CR0, true) | BigInt(CR0_MP | CR0_NE), true);
    st.setBigUint64(abi.TSV_OFF_CR4, st.getBigUint64(abi.TSV_OFF_CR4, true) | BigInt(CR4_OSFXSR | CR4_OSXMMEXCPT), true);
    const w = suite.bits === 64 ? '64' : '';
    this.t.ram.set(assemble(mode, `fxrstor${w} 0x${FX_IN.toString(16)}; jmp *0x${ENTRY_PTR.toString(16)}`, PROLOGUE), PROLOGUE);
    this.saveStub = assemble(mode, `fxsave${w} 0x${FX_OUT.toString(16)}; hlt`, SAVE_STUB);
    this.t.ram.set(this.saveStub, SAVE_STUB);
    this.t.ram.fill(0, FX_IN, FX_IN + 512);
    if (suite.bits === 64) this.mapOnlyDataAndStackPages();
    this.t.ram.set(suite.interpCode, CODE_BASE);
    this.t.vm.invalidateCode(CODE_BASE, suite.interpCode.length);
  }

  /**
   * The harness maps the first GiB with 2 MiB pages; the host runner maps
   * just one 4 KiB page each of data and stack. Give 2..4 MiB a page table
   * with only those two pages present, so accesses running off them fault
   * (#PF) on both sides.
   */
  private mapOnlyDataAndStackPages(): void {
    const pt = 0x30000, pd = LAYOUT.pml4 + 0x2000;
    const v = this.t.ramView;
    this.t.ram.fill(0, pt, pt + 0x1000);
    v.setBigUint64(pt + 8 * ((DATA_PAGE - 0x200000) >> 12), BigInt(DATA_PAGE | 7), true);
    v.setBigUint64(pt + 8 * ((STACK_PAGE - 0x200000) >> 12), BigInt(STACK_PAGE | 7), true);
    v.setBigUint64(pd + 8 * (0x200000 >> 21), BigInt(pt | 7), true);
  }

  /** Message of the last unexpected exit of case k of the last batch, if any. */
  message(k: number): string { return this.lastMessage[k] ?? ''; }

  run(cases: Buffer): Buffer {
    const { t, suite } = this;
    const n = cases.length / IN.size;
    const out = Buffer.alloc(n * OUT.size);
    const st = t.st;
    this.lastMessage.length = 0;
    for (let k = 0; k < n; k++) {
      const ci = k * IN.size, co = k * OUT.size;
      const slot = cases.readUInt32LE(ci + IN.slot);
      t.stBytes.set(cases.subarray(ci + IN.regs, ci + IN.regs + 128), abi.TSV_OFF_GPR);
      st.setBigUint64(abi.TSV_OFF_RFLAGS, cases.readBigUInt64LE(ci + IN.flags), true);
      const entry = CODE_BASE + slot * SLOT_SIZE;
      t.ram.set(cases.subarray(ci + IN.fx, ci + IN.fx + FX_SIZE), FX_IN);
      t.ramView.setBigUint64(ENTRY_PTR, BigInt(entry), true);
      st.setBigUint64(abi.TSV_OFF_RIP, BigInt(PROLOGUE), true);
      st.setBigUint64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, 10000n, true);
      t.ram.fill(0, DATA_PAGE, DATA_PAGE + 0x1000);
      t.ram.fill(0, STACK_PAGE, STACK_PAGE + 0x1000);
      fillWindows(cases.readUInt32LE(ci + IN.memSeed), t.ram, DATA_WIN, t.ram, STACK_WIN);
      t.ram.set(cases.subarray(ci + IN.operand, ci + IN.operand + OPERAND_SIZE), OPERAND_AREA);
      t.ramView.setUint32(VECTOR_MARK, 0xffffffff, true);
      let reason = t.run();
      // PAUSE ends the slice (a scheduling hint for the machine): carry on
      while (reason === abi.TSV_EXIT_SLICE_END && st.getUint32(abi.TSV_OFF_EXIT_SLICE_REASON, true) === abi.TSV_SLICE_PAUSE) reason = t.run();
      const rip = Number(st.getBigUint64(abi.TSV_OFF_RIP, true));
      const hltAfter = entry + suite.slots[slot].bytes.length + 1;
      let vector = -1;
      if (reason !== abi.TSV_EXIT_HLT) {
        vector = EXIT_VECTOR_BASE + reason;
        this.lastMessage[k] = t.message();
      } else if (rip !== hltAfter) {
        const mark = t.ramView.getUint32(VECTOR_MARK, true);
        vector = mark === 0xffffffff ? EXIT_VECTOR_BASE : mark & 0xff;
        if (mark === 0xffffffff) this.lastMessage[k] = `halted at 0x${rip.toString(16)}`;
      }
      out.writeInt32LE(vector, co + OUT.vector);
      if (vector === -1) {
        out.writeBigUInt64LE(st.getBigUint64(abi.TSV_OFF_RFLAGS, true), co + OUT.flags);
      } else if (vector < EXIT_VECTOR_BASE) {
        // after a fault: the flags slot holds CR2, the error code is the first word the IDT handler saw
        out.writeBigUInt64LE(st.getBigUint64(abi.TSV_OFF_CR2, true), co + OUT.flags);
        if (ERROR_CODE_VECTORS.has(vector)) out.writeUInt32LE(Number(t.ramView.getBigUint64(VECTOR_MARK + 8, true) & 0xffffffffn), co + OUT.errorCode);
      }
      out.set(t.stBytes.subarray(abi.TSV_OFF_GPR, abi.TSV_OFF_GPR + 128), co + OUT.regs);
      if (vector < EXIT_VECTOR_BASE) this.saveFx(out, co, k);
      out.set(t.ram.subarray(DATA_WIN, DATA_WIN + WIN_SIZE), co + OUT.data);
      out.set(t.ram.subarray(STACK_WIN, STACK_WIN + WIN_SIZE), co + OUT.stack);
    }
    return out;
  }

  /** Stores the x87/MMX/SSE state (after the snippet or at the fault) into the result record. */
  private saveFx(out: Buffer, co: number, k: number): void {
    const { t } = this;
    const rflags = t.st.getBigUint64(abi.TSV_OFF_RFLAGS, true);
    t.st.setBigUint64(abi.TSV_OFF_RIP, BigInt(SAVE_STUB), true);
    t.ram.fill(0, FX_OUT, FX_OUT + 512);
    const reason = t.run();
    const rip = Number(t.st.getBigUint64(abi.TSV_OFF_RIP, true));
    if (reason !== abi.TSV_EXIT_HLT || rip !== SAVE_STUB + this.saveStub.length) {
      // cannot happen unless FXSAVE itself is broken: make the case mismatch visibly
      out.writeInt32LE(EXIT_VECTOR_BASE + reason, co + OUT.vector);
      this.lastMessage[k] = `FXSAVE after the case: exit ${reason} at 0x${rip.toString(16)} ${t.message()}`;
    }
    t.st.setBigUint64(abi.TSV_OFF_RFLAGS, rflags, true);
    out.set(t.ram.subarray(FX_OUT, FX_OUT + FX_SIZE), co + OUT.fx);
    canonicalFx(out, co + OUT.fx, this.suite.bits);
  }
}
