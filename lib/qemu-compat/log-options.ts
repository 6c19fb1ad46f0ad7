/**
 * -d ITEM[,ITEM...] and -D FILE: QEMU's logging options, for the items
 * tsvisor implements (lib/machine/guest-log.ts): int, cpu_reset,
 * guest_errors. `-d help` lists them in QEMU's format. A QEMU item tsvisor
 * does not have (in_asm, exec, mmu, unimp, trace:...) is refused with its
 * own line rather than accepted and left silent.
 */
import { BadValue } from './bad-value.js';
import type { OptionSpec } from './options.js';
import { GUEST_LOG_ITEMS, type GuestLogItem } from '../machine/guest-log-items.js';

const ITEM_HELP: Readonly<Record<GuestLogItem, string>> = {
  int: 'interrupts and exceptions delivered to the guest, one line each',
  cpu_reset: 'every vCPU\'s registers before a system reset or triple fault',
  guest_errors: 'invalid guest accesses the machine sees (unassigned I/O ports\nand memory, refused MSRs, hypercalls without a handler)',
};

/** QEMU's items that tsvisor does not log (QEMU 8.2's list, trace: aside). */
const QEMU_ONLY_ITEMS = new Set([
  'out_asm', 'in_asm', 'op', 'op_opt', 'op_ind', 'op_plugin', 'exec', 'cpu', 'fpu', 'mmu', 'pcall',
  'unimp', 'page', 'nochain', 'plugin', 'strace', 'tid', 'invalid_mem', 'vpu',
]);

/** The `-d help` text: QEMU's layout (name in 15 columns, then the description). */
export function logItemsHelpText(): string {
  const lines = ['Log items (comma separated):'];
  for (const item of GUEST_LOG_ITEMS) lines.push(`${item.padEnd(15)} ${ITEM_HELP[item]}`);
  return lines.join('\n') + '\n';
}

export function parseLogItems(text: string): GuestLogItem[] {
  const items: GuestLogItem[] = [];
  for (const word of text.split(',')) {
    if ((GUEST_LOG_ITEMS as readonly string[]).includes(word)) {
      if (!items.includes(word as GuestLogItem)) items.push(word as GuestLogItem);
      continue;
    }
    if (QEMU_ONLY_ITEMS.has(word) || word.startsWith('trace:')) {
      throw new BadValue(`log item '${word}' is not supported by tsvisor (it logs ${GUEST_LOG_ITEMS.join(', ')})`);
    }
    throw new BadValue(`unknown log item '${word}' (-d help lists the items)`);
  }
  return items;
}

export const LOG_OPTIONS: readonly OptionSpec[] = [
  {
    names: ['d'],
    takesArg: true,
    argName: 'item1,...',
    help: `log guest events (${GUEST_LOG_ITEMS.join(', ')}; -d help for details)`,
    handle(inv, value) {
      if (value === 'help' || value === '?') {
        inv.request = { kind: 'list', text: logItemsHelpText() };
        return;
      }
      // As in QEMU, a later -d replaces an earlier one.
      inv.logItems = parseLogItems(value);
    },
  },
  {
    names: ['D'],
    takesArg: true,
    argName: 'logfile',
    help: 'write the -d log to logfile (default stderr)',
    handle(inv, value) {
      if (value === '') throw new BadValue('the log file name is empty');
      inv.logFile = value;
    },
  },
];
