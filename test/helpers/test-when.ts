/**
 * A test that needs something from the host (the built addon, binutils, an
 * x64 Linux for packaging). Without it a developer machine skips the test;
 * under CI=true it fails instead, because CI installs every prerequisite and
 * a skip there would hide a broken build.
 */
import test from 'ava';

type TestFn = (title: string, implementation: (t: import('ava').ExecutionContext) => unknown) => void;

export function testWhen(ready: boolean, missing: string, options: { serial?: boolean } = {}): TestFn {
  const run: TestFn = options.serial ? test.serial : test;
  if (ready) return run;
  if (process.env.CI) return (title) => run(title, (t) => t.fail(`${missing}: CI must be able to run this test`));
  return (title, implementation) => test.skip(title, implementation);
}
