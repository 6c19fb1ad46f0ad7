/**
 * The fixed-seed subset that `npm test` runs: every form of both modes with
 * PER_FORM cases each. Deterministic for a given host CPU vendor.
 */
import { DiffRun } from './diff-run.js';
import { buildSuite, casesPerForm } from './suite.js';

export const FIXED_SEED = 1;
export const PER_FORM = 100;

export function runFixedSubset(bits: 64 | 32): DiffRun {
  const suite = buildSuite(bits, FIXED_SEED);
  const run = new DiffRun(suite);
  run.run(casesPerForm(suite, FIXED_SEED + bits, PER_FORM));
  return run;
}
