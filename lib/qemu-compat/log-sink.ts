/**
 * Where the -d log goes: the -D file (created or truncated, as QEMU does) or
 * stderr. Lines are written synchronously so that the log is complete up to
 * the moment the machine stops, even when the process then exits at once.
 */
import { openSync, writeSync } from 'node:fs';
import type { GuestLogConfig } from '../machine/guest-log-items.js';
import { QemuArgsError } from './errors.js';
import { osErrorReason } from './file-check.js';
import type { QemuInvocation } from './invocation.js';

export interface LogSinkHost {
  /** Where the log goes without -D; defaults to process.stderr. */
  stderr?: { write(text: string): unknown };
}

/** The machine's log config for -d/-D, or undefined without -d. */
export function guestLogConfig(inv: QemuInvocation, host: LogSinkHost): GuestLogConfig | undefined {
  if (inv.logItems === undefined || inv.logItems.length === 0) return undefined;
  const items = [...inv.logItems];
  if (inv.logFile === undefined) {
    const stderr = host.stderr ?? process.stderr;
    return { items, write: (line) => void stderr.write(line + '\n') };
  }
  let fd: number;
  try {
    fd = openSync(inv.logFile, 'w');
  } catch (err) {
    throw new QemuArgsError('-D', inv.logFile, `cannot open the log file: ${osErrorReason(err)}`);
  }
  return { items, write: (line) => void writeSync(fd, line + '\n') };
}
