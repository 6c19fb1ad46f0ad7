/**
 * The QEMU command-line tests' two questions: what MachineConfig does an argv
 * give (on the interp backend, output discarded), and what one-line
 * QemuArgsError does a bad argv get.
 */
import { fromQemuArgs, QemuArgsError } from '../../lib/qemu-compat/index.js';
import type { MachineConfig } from '../../lib/machine/config.js';

export function configFromArgs(argv: string[], stderr: { write(text: string): unknown } = { write: () => true }): MachineConfig {
  return fromQemuArgs(argv, { backends: ['interp'], stdout: { write: () => true }, stdin: process.stdin, stderr });
}

/** The message of the QemuArgsError the argv raises; any other outcome fails the test. */
export function argsErrorOf(argv: string[]): string {
  try {
    configFromArgs(argv);
  } catch (e) {
    if (e instanceof QemuArgsError) return e.message;
    throw e;
  }
  throw new Error(`expected QemuArgsError for ${argv.join(' ')}`);
}
