/**
 * Walks a QEMU-style argv through the option table. Options are written with
 * one or two dashes; an option that takes an argument always consumes the next
 * word, even when it starts with a dash (that is how "-append -v" works).
 * -version, -help and "help" listings end the walk at once, like QEMU, so a
 * later mistake on the same line does not hide the answer.
 */
import { BadValue } from './bad-value.js';
import { QemuArgsError } from './errors.js';
import { emptyInvocation, type QemuInvocation } from './invocation.js';
import { findOption } from './options.js';
import { takeOptWarnings } from './opts.js';

export function parseQemuArgs(argv: readonly string[]): QemuInvocation {
  const inv = emptyInvocation();
  for (let i = 0; i < argv.length && inv.request.kind === 'run'; i++) {
    const word = argv[i];
    if (!word.startsWith('-') || word === '-') {
      // QEMU takes a bare word as a disk image; there are no disks in this version.
      throw new QemuArgsError(undefined, undefined, `'${word}': disk images are not supported (boot with -kernel FILE)`);
    }
    const name = word.startsWith('--') ? word.slice(2) : word.slice(1);
    const spec = findOption(name);
    if (!spec) throw new QemuArgsError(word, undefined, 'invalid option');
    let value: string | undefined;
    try {
      if (spec.takesArg) {
        if (i + 1 >= argv.length) throw new QemuArgsError(word, undefined, 'requires an argument');
        value = argv[++i];
        spec.handle(inv, value, word);
      } else {
        spec.handle(inv, word);
      }
    } catch (err) {
      takeOptWarnings();
      if (err instanceof BadValue) throw new QemuArgsError(word, value, err.message);
      throw err;
    }
    // QEMU's form: the option and its argument, then the warning (which may carry a second line).
    for (const w of takeOptWarnings()) inv.warnings.push(value === undefined ? `${word}: ${w}` : `${word} ${value}: ${w}`);
  }
  if (inv.request.kind === 'run') checkCombinations(inv);
  return inv;
}

/** Rules about options together that no single handler can see. */
function checkCombinations(inv: QemuInvocation): void {
  if (inv.demo && inv.kernel !== undefined) {
    throw new QemuArgsError('--demo', undefined, 'cannot be combined with -kernel (the demo brings its own guest)');
  }
  const hasKernel = inv.kernel !== undefined || inv.demo;
  if (!hasKernel && inv.append !== undefined) throw new QemuArgsError('-append', inv.append, 'only allowed with -kernel');
  if (!hasKernel && inv.initrd !== undefined) throw new QemuArgsError('-initrd', inv.initrd, 'only allowed with -kernel');
  const serial = inv.serial;
  if (typeof serial === 'object' && serial.kind === 'chardev' && !inv.chardevs.some((c) => c.id === serial.id)) {
    throw new QemuArgsError('-serial', inv.serialText, `chardev '${serial.id}' is not defined (add -chardev BACKEND,id=${serial.id})`);
  }
  checkStdioUsers(inv);
}

/** stdio is one terminal: only one of the serial port, QMP and the monitor can have it (as in QEMU). */
function checkStdioUsers(inv: QemuInvocation): void {
  const users: string[] = [];
  if (inv.serial === 'stdio' || inv.serial === 'mon:stdio' || (inv.serial === undefined && inv.nographic && !inv.nodefaults)) users.push('-serial');
  for (const c of inv.chardevs) if (c.backend.kind === 'stdio') users.push(`-chardev ${c.id}`);
  if (inv.qmp.some((q) => q.kind === 'stdio')) users.push('-qmp');
  if (inv.monitor === 'stdio') users.push('-monitor');
  if (users.length > 1) {
    throw new QemuArgsError(undefined, undefined, `stdio can be used by only one character device, but ${users.join(' and ')} ${users.length > 2 ? 'all' : 'both'} ask for it`);
  }
}
