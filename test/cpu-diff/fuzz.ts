/**
 * The long differential run behind `npm run fuzz:cpu [-- --cases N --seed S
 * --mode 64|32|both --batch B --show K --only REGEX]`: random forms with random inputs
 * (the seed also picks the immediates of every form), compared batch by batch
 * with the host CPU. Prints the case count, mismatches by instruction and by
 * form (marking forms already in known-mismatches.ts), and the first
 * mismatching cases with their bytes. Exits 1 when a form outside the known
 * list mismatched.
 */
import { DiffRun } from './diff-run.js';
import { KNOWN_MISMATCHES } from './known-mismatches.js';
import { buildSuite, caseRngs, randomCases } from './suite.js';

interface Options { cases: number; seed: number; modes: Array<64 | 32>; batch: number; show: number; only?: RegExp }

function parse(argv: string[]): Options {
  const o: Options = { cases: 1_000_000, seed: Date.now() % 0x7fffffff, modes: [64, 32], batch: 50_000, show: 20 };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k], v = argv[k + 1];
    const num = (): number => { const n = Number(v); k++; if (!Number.isFinite(n) || n < 0) throw new Error(`${a} needs a number`); return n; };
    if (a === '--cases') o.cases = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--batch') o.batch = Math.max(1, num());
    else if (a === '--show') o.show = num();
    else if (a === '--mode') { k++; o.modes = v === '64' ? [64] : v === '32' ? [32] : [64, 32]; }
    else if (a === '--only') {
      k++;
      if (v === undefined) throw new Error('--only needs a regular expression');
      try { o.only = new RegExp(v, 'i'); } catch { throw new Error(`--only: not a regular expression: ${v}`); }
    }
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run fuzz:cpu -- [--cases N] [--seed S] [--mode 64|32|both] [--batch B] [--show K] [--only REGEX]');
      console.log('  --only REGEX  only forms whose name matches (case-insensitive), e.g. --only "^64: (addps|mulps)" or --only "xmm"');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

export function main(argv: string[]): number {
  const o = parse(argv);
  const known = new Set(KNOWN_MISMATCHES.map((k) => k.form));
  console.log(`fuzz:cpu seed=${o.seed} cases=${o.cases} modes=${o.modes.join(',')}`);
  let newForms = 0;
  const started = Date.now();
  for (const bits of o.modes) {
    const suite = buildSuite(bits, o.seed);
    const run = new DiffRun(suite);
    const only = o.only ? suite.forms.flatMap((f, i) => (o.only!.test(f.name) ? [i] : [])) : undefined;
    if (only && only.length === 0) throw new Error(`--only ${o.only!.source}: no ${bits}-bit form matches`);
    const rng = caseRngs(o.seed * 31 + bits);
    const share = Math.ceil(o.cases / o.modes.length);
    const firstCases: string[] = [];
    for (let done = 0; done < share; done += o.batch) {
      const before = run.mismatches;
      const n = Math.min(o.batch, share - done);
      const cases = randomCases(suite, rng, n, only);
      run.run(cases);
      if (run.mismatches > before && firstCases.length < o.show) {
        // re-derive readable examples of this batch's new mismatching forms
        for (const [form, s] of run.stats) {
          if (s.example && firstCases.length < o.show && !firstCases.some((x) => x.startsWith(`${form}:`))) firstCases.push(`${form}: ${s.example.slice(form.length + 2)}\n      ${s.difference}`);
        }
      }
      process.stderr.write(`\r${bits}-bit: ${done + n}/${share} cases, ${run.mismatches} mismatches, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    process.stderr.write('\n');
    const groups = new Map<string, { cases: number; mismatches: number }>();
    for (const f of suite.forms) {
      const s = run.stats.get(f.name)!;
      const g = groups.get(f.group) ?? { cases: 0, mismatches: 0 };
      g.cases += s.cases; g.mismatches += s.mismatches;
      groups.set(f.group, g);
    }
    const badForms = [...run.stats].filter(([, s]) => s.mismatches);
    console.log(`\n== ${bits}-bit: ${only ? only.length : suite.forms.length} forms, ${run.cases} cases, ${run.mismatches} mismatches in ${badForms.length} forms (${run.hostUnsteady} host answers changed on a re-run and were not counted)`);
    const badGroups = [...groups].filter(([, g]) => g.mismatches);
    if (badGroups.length) {
      console.log('mismatches by instruction:');
      for (const [g, s] of badGroups) console.log(`  ${g.padEnd(12)} ${s.mismatches}/${s.cases}`);
      console.log('mismatches by form:');
      for (const [f, s] of badForms) {
        const isKnown = known.has(f);
        if (!isKnown) newForms++;
        console.log(`  ${f.padEnd(36)} ${s.mismatches}/${s.cases}${isKnown ? '  (known)' : '  NEW'}`);
      }
      console.log('first mismatching cases:');
      for (const c of firstCases) console.log(`  ${c}`);
    }
  }
  console.log(`\n${newForms ? `${newForms} forms mismatch that are not in test/cpu-diff/known-mismatches.ts` : 'no mismatches outside test/cpu-diff/known-mismatches.ts'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return newForms ? 1 : 0;
}
