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

  constructor(readonly suite: Suite) {
    this.interp = new InterpRunner(suite);
    for (const f of suite.forms) this.stats.set(f.name, { cases: 0, mismatches: 0, faults: new Map() });
  }

  run(cases: Buffer): void {
    const host = runOnHost(this.suite, cases);
    const interp = this.interp.run(cases);
    const n = cases.length / IN.size;
    for (let k = 0; k < n; k++) {
      const slot = this.suite.slots[cases.readUInt32LE(k * IN.size + IN.slot)];
      const st = this.stats.get(this.suite.forms[slot.form].name)!;
      st.cases++;
      this.cases++;
      const hv = host.readInt32LE(k * OUT.size + OUT.vector);
      if (hv !== -1) st.faults.set(hv, (st.faults.get(hv) ?? 0) + 1);
      const d = compareCase(this.suite, cases, k, host, interp);
      if (d === null) continue;
      st.mismatches++;
      this.mismatches++;
      if (!st.example) {
        st.example = describeCase(this.suite, cases, k);
        const msg = this.interp.message(k);
        st.difference = msg ? `${d} (${msg})` : d;
      }
    }
  }
}
