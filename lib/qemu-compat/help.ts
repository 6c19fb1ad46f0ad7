/**
 * -version and -help texts. The first line names the QEMU version whose
 * command-line grammar tsvisor follows, because tools that drive QEMU parse it;
 * the usage list is generated from the option table so it cannot drift.
 */
import { OPTIONS, type OptionSpec } from './options.js';

/** The QEMU release whose command line this layer follows. */
export const QEMU_COMPAT_VERSION = '8.2.0';

export function versionLine(tsvisorVersion: string): string {
  return `QEMU emulator version ${QEMU_COMPAT_VERSION} (tsvisor ${tsvisorVersion})`;
}

export function versionText(tsvisorVersion: string): string {
  return `${versionLine(tsvisorVersion)}\ntsvisor: an x86-64 hypervisor for Node.js that accepts QEMU's command line\n`;
}

function synopsis(o: OptionSpec): string {
  const names = o.names.map((n) => (o.tsvisorOnly ? `--${n}` : `-${n}`)).join('|');
  return o.takesArg ? `${names} ${o.argName}` : names;
}

export function helpText(tsvisorVersion: string): string {
  // Long synopses put their help on the next line so the column stays narrow.
  const width = 28;
  const line = (o: OptionSpec) => {
    const syn = synopsis(o);
    return syn.length + 2 <= width ? `  ${syn.padEnd(width)}${o.help}` : `  ${syn}\n  ${''.padEnd(width)}${o.help}`;
  };
  return [
    versionLine(tsvisorVersion),
    'usage: tsvisor [options]',
    '',
    'tsvisor runs x86-64 guests with a subset of the QEMU (qemu-system-x86_64) command line.',
    'Options may be written with one or two dashes.',
    '',
    'QEMU options:',
    ...OPTIONS.filter((o) => !o.tsvisorOnly).map(line),
    '',
    'tsvisor options:',
    ...OPTIONS.filter((o) => o.tsvisorOnly).map(line),
    '',
    'Example: tsvisor -nographic -kernel kernel.elf -append "console=ttyS0" -m 256M',
    '',
  ].join('\n');
}

export const NO_KERNEL_MESSAGE = 'no kernel given (use -kernel FILE or --demo; -h for help)';
