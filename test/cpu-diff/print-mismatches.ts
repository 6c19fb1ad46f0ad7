/**
 * Prints the fixed-seed subset's mismatching forms as KnownMismatch entries
 * (`node dist/test/cpu-diff/print-mismatches.js`), to refresh the examples of
 * known-mismatches.ts after a form was fixed. Do not add entries to hide new
 * regressions: the list is meant to shrink.
 */
import { runFixedSubset } from './fixed-subset.js';

if (require.main === module) {
  const out: string[] = [];
  for (const bits of [64, 32] as const) {
    const r = runFixedSubset(bits);
    for (const [form, s] of r.stats) {
      if (!s.mismatches) continue;
      out.push(`  {\n    form: ${JSON.stringify(form)},\n    example: ${JSON.stringify(s.example)},\n    difference: ${JSON.stringify(s.difference)},\n  },`);
    }
  }
  console.log(out.join('\n'));
}
