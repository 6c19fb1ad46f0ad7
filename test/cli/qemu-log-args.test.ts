/**
 * Golden tests of -d and -D: argv → MachineConfig.log, `-d help` in QEMU's
 * layout, and every error line. Pure: no addon, no guest.
 */
import test from 'ava';
import { configFromArgs as cfg, argsErrorOf as errorOf } from '../helpers/qemu-args.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQemuArgs } from '../../lib/qemu-compat/index.js';

const KERNEL = ['-kernel', 'k.elf'];

test('-d takes a comma list of items; duplicates count once', (t) => {
  t.deepEqual(cfg([...KERNEL, '-d', 'int,guest_errors']).log?.items, ['int', 'guest_errors']);
  t.deepEqual(cfg([...KERNEL, '-d', 'cpu_reset,int,cpu_reset']).log?.items, ['cpu_reset', 'int']);
  t.deepEqual(cfg([...KERNEL, '--d', 'guest_errors']).log?.items, ['guest_errors']);
});

test('a later -d replaces an earlier one, as in QEMU', (t) => {
  t.deepEqual(parseQemuArgs([...KERNEL, '-d', 'int', '-d', 'cpu_reset']).logItems, ['cpu_reset']);
});

test('without -d there is no log, -D alone changes nothing', (t) => {
  t.is(cfg(KERNEL).log, undefined);
  t.is(cfg([...KERNEL, '-D', '/nonexistent-dir/x.log']).log, undefined);
  t.is(parseQemuArgs([...KERNEL, '-D', 'x.log']).logFile, 'x.log');
});

test('the log goes to stderr by default, one line per write', (t) => {
  let text = '';
  const config = cfg([...KERNEL, '-d', 'int'], { write: (s: string) => (text += s) });
  config.log!.write('first');
  config.log!.write('second');
  t.is(text, 'first\nsecond\n');
});

test('-D FILE creates (or truncates) the file and the log goes there', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-dlog-'));
  try {
    const file = join(dir, 'guest.log');
    let stderr = '';
    const config = cfg([...KERNEL, '-d', 'guest_errors', '-D', file], { write: (s: string) => (stderr += s) });
    t.is(readFileSync(file, 'utf8'), '');
    config.log!.write('a line');
    t.is(readFileSync(file, 'utf8'), 'a line\n');
    t.is(stderr, '');
    cfg([...KERNEL, '-d', 'int', '-D', file]);
    t.is(readFileSync(file, 'utf8'), '', 'a new run starts the file again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-d help (and -d ?) list the items in QEMU\'s layout', (t) => {
  const expected = [
    'Log items (comma separated):',
    'int             interrupts and exceptions delivered to the guest, one line each',
    "cpu_reset       every vCPU's registers before a system reset or triple fault",
    'guest_errors    invalid guest accesses the machine sees (unassigned I/O ports',
    'and memory, refused MSRs, hypercalls without a handler)',
    '',
  ].join('\n');
  for (const word of ['help', '?']) {
    t.deepEqual(parseQemuArgs(['-d', word]).request, { kind: 'list', text: expected });
  }
  // a listing answers at once, like QEMU's other help requests
  t.deepEqual(parseQemuArgs(['-d', 'help', '-foo']).request.kind, 'list');
});

test('error lines: unknown item, QEMU item tsvisor lacks, empty item, missing argument, unopenable file', (t) => {
  t.is(errorOf([...KERNEL, '-d', 'foo']), "-d foo: unknown log item 'foo' (-d help lists the items)");
  t.is(errorOf([...KERNEL, '-d', 'int,bogus']), "-d int,bogus: unknown log item 'bogus' (-d help lists the items)");
  t.is(errorOf([...KERNEL, '-d', 'int,']), "-d int,: unknown log item '' (-d help lists the items)");
  t.is(
    errorOf([...KERNEL, '-d', 'in_asm']),
    "-d in_asm: log item 'in_asm' is not supported by tsvisor (it logs int, cpu_reset, guest_errors)",
  );
  t.is(
    errorOf([...KERNEL, '-d', 'guest_errors,unimp']),
    "-d guest_errors,unimp: log item 'unimp' is not supported by tsvisor (it logs int, cpu_reset, guest_errors)",
  );
  t.is(
    errorOf([...KERNEL, '-d', 'trace:kvm_*']),
    "-d trace:kvm_*: log item 'trace:kvm_*' is not supported by tsvisor (it logs int, cpu_reset, guest_errors)",
  );
  t.is(errorOf([...KERNEL, '-d']), '-d: requires an argument');
  t.is(errorOf([...KERNEL, '-D']), '-D: requires an argument');
  t.is(errorOf([...KERNEL, '-D', '', '-d', 'int']), "-D : the log file name is empty");
  t.is(
    errorOf([...KERNEL, '-d', 'int', '-D', '/nonexistent-dir/x.log']),
    '-D /nonexistent-dir/x.log: cannot open the log file: No such file or directory',
  );
});
