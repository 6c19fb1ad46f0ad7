/**
 * Runs a batch on both sides and groups the outcome by form: how many cases
 * each form ran, how many mismatched, and the first mismatching case.
 */
import { compareCase, describeCase } from './compare.js';
import { runOnHost } from './host.js';
import { InterpRunner } from './interp.js';
import { IN, OUT } from './layout.js';
import type { Suite } from './suite.js';

export interface FormStats {
  cases: number;
  mismatches: number;
  /** cases that raised an exception on the host, by vector */
  faults: Map<number, number>;
  example?: string;
  difference?: string;
}

export class DiffRun {
  readonly stats = new Map<string, FormStats>();
  private readonly interp: InterpRunner;
  cases = 0;
  mismatches = 0;
  /**
   * Mismatches that went away when the host ran the case again: the host's
   * first answer was disturbed (this host is itself a VM whose hypervisor has
   * been seen to drop EFLAGS.NT across a preemption), so it is not counted
   * against the interpreter. A real mismatch repeats.
   */
  hostUnsteady = 0;

  constructor(readonly suite: Suite) {
    this.interp = new InterpRunner(suite);
    for (const f of suite.forms) this.stats.set(f.name, { cases: 0, mismatches: 0, faults: new Map() });
  }

  run(cases: Buffer): void {
    const host = runOnHost(this.suite, cases);
    const interp = this.interp.run(cases);
    const n = cases.length / IN.size;
    const differing: number[] = [];
    for (let k = 0; k < n; k++) {
      const st = this.formStats(cases, k);
      st.cases++;
      this.cases++;
      const hv = host.readInt32LE(k * OUT.size + OUT.vector);
      if (hv !== -1) st.faults.set(hv, (st.faults.get(hv) ?? 0) + 1);
      if (compareCase(this.suite, cases, k, host, interp) !== null) differing.push(k);
    }
    if (differing.length === 0) return;
    // Each differing case once more on the host, compared with the same interpreter result.
    const again = Buffer.concat(differing.map((k) => cases.subarray(k * IN.size, (k + 1) * IN.size)));
    const interpAgain = Buffer.concat(differing.map((k) => interp.subarray(k * OUT.size, (k + 1) * OUT.size)));
    const hostAgain = runOnHost(this.suite, again);
    differing.forEach((k, i) => {
      const d = compareCase(this.suite, again, i, hostAgain, interpAgain);
      if (d === null) {
        this.hostUnsteady++;
        return;
      }
      const st = this.formStats(cases, k);
      st.mismatches++;
      this.mismatches++;
      if (!st.example) {
        st.example = describeCase(this.suite, cases, k);
        const msg = this.interp.message(k);
        st.difference = msg ? `${d} (${msg})` : d;
      }
    });
  }

  private formStats(cases: Buffer, k: number): FormStats {
    const slot = this.suite.slots[cases.readUInt32LE(k * IN.size + IN.slot)];
    return this.stats.get(this.suite.forms[slot.form].name)!;
  }
}
