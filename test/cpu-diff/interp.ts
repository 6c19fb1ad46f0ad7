/**
 * Runs cases in the interp backend. The vCPU runs at CPL 0 (64-bit long mode
 * with identity paging, or flat 32-bit protected mode) with the same code,
 * data and stack addresses as the host runner; each snippet ends in HLT and
 * faults land in test/native/harness.ts's reporting IDT, which records the
 * vector at 0x5000 and halts.
 */
import { abi, LAYOUT, TestVm } from '../native/harness.js';
import { CODE_BASE, DATA_PAGE, DATA_WIN, STACK_PAGE, fillWindows, IN, OPERAND_AREA, OPERAND_SIZE, OUT, SLOT_SIZE, STACK_WIN, WIN_SIZE } from './layout.js';
import type { Suite } from './suite.js';

const VECTOR_MARK = 0x5000;
/** An exit other than HLT: recorded as this plus the exit reason. */
export const EXIT_VECTOR_BASE = 1000;
const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17]);

export class InterpRunner {
  private readonly t = new TestVm();
  private readonly lastMessage: string[] = [];

  constructor(private readonly suite: Suite) {
    const mode = suite.bits === 64 ? 'long64' : 'prot32';
    this.t.setMode(mode);
    this.t.installReportingIdt(mode);
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
      st.setBigUint64(abi.TSV_OFF_RIP, BigInt(entry), true);
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
      out.set(t.ram.subarray(DATA_WIN, DATA_WIN + WIN_SIZE), co + OUT.data);
      out.set(t.ram.subarray(STACK_WIN, STACK_WIN + WIN_SIZE), co + OUT.stack);
    }
    return out;
  }
}
