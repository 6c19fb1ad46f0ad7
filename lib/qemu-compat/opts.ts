/**
 * QemuOpts-style option arguments: "key=value,key2=value2".
 *
 * Grammar (as QEMU users write it):
 *  - elements are separated by single commas; ",," stands for a literal comma,
 *  - an element is "key=value" (split at the first '='), or a bare word,
 *  - a bare first element is the value of the option's implied key when it has one
 *    ("-device pc-testdev" = "-device driver=pc-testdev", "-m 512" = "-m size=512"),
 *  - any other bare word is QEMU's short-form boolean: "key" = "key=on", "nokey" = "key=off";
 *    QEMU deprecated that form, so it is accepted with QEMU's warning (see takeOptWarnings),
 *  - "help" or "?" as a bare element asks for the list of accepted values.
 * A key given twice keeps its last value, like QEMU.
 */
import { BadValue } from './bad-value.js';

export class OptList {
  /** In the order written; later duplicates replace earlier values in `get`. */
  readonly entries: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  /** The user wrote a bare "help" or "?" element. */
  readonly wantsHelp: boolean;

  constructor(entries: Array<{ key: string; value: string }>, wantsHelp: boolean) {
    this.entries = entries;
    this.wantsHelp = wantsHelp;
  }

  has(key: string): boolean {
    return this.entries.some((e) => e.key === key);
  }

  get(key: string): string | undefined {
    let found: string | undefined;
    for (const e of this.entries) if (e.key === key) found = e.value;
    return found;
  }

  /** Rejects keys the option does not know, naming the first one. */
  allowOnly(known: readonly string[]): this {
    for (const e of this.entries) {
      if (!known.includes(e.key)) throw new BadValue(`invalid parameter '${e.key}'`);
    }
    return this;
  }

  getBool(key: string): boolean | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : parseBool(key, v);
  }

  getUint(key: string, max: number): number | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : parseUint(key, v, max);
  }
}

/** Splits one option argument into its elements; see the grammar above. */
export function parseOptList(text: string, impliedKey?: string): OptList {
  const elements = splitElements(text);
  const entries: Array<{ key: string; value: string }> = [];
  let wantsHelp = false;
  elements.forEach((element, index) => {
    if (element === '') throw new BadValue('empty parameter');
    const eq = element.indexOf('=');
    if (eq < 0) {
      if (element === 'help' || element === '?') {
        wantsHelp = true;
      } else if (index === 0 && impliedKey !== undefined) {
        entries.push({ key: impliedKey, value: element });
      } else {
        const negated = element.startsWith('no') && element.length > 2;
        const key = negated ? element.slice(2) : element;
        const value = negated ? 'off' : 'on';
        entries.push({ key, value });
        pendingWarnings.push(`warning: short-form boolean option '${element}' deprecated\nPlease use ${key}=${value} instead`);
      }
      return;
    }
    const key = element.slice(0, eq);
    if (key === '') throw new BadValue(`parameter name missing in '${element}'`);
    entries.push({ key, value: element.slice(eq + 1) });
  });
  return new OptList(entries, wantsHelp);
}

/**
 * Warnings parseOptList produced since the last call (the argv walker collects them after each
 * option and prints them as QEMU does: "-opt ARG: warning: ..."). Parsing is synchronous, so one
 * module-level list cannot mix two options' warnings.
 */
const pendingWarnings: string[] = [];

export function takeOptWarnings(): string[] {
  return pendingWarnings.splice(0, pendingWarnings.length);
}

function splitElements(text: string): string[] {
  const elements: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== ',') {
      current += ch;
    } else if (text[i + 1] === ',') {
      current += ',';
      i++;
    } else {
      elements.push(current);
      current = '';
    }
  }
  elements.push(current);
  return elements;
}

const TRUE_WORDS = ['on', 'yes', 'true'];
const FALSE_WORDS = ['off', 'no', 'false'];

export function parseBool(key: string, value: string): boolean {
  if (TRUE_WORDS.includes(value)) return true;
  if (FALSE_WORDS.includes(value)) return false;
  throw new BadValue(`parameter '${key}' expects on/off, yes/no or true/false, not '${value}'`);
}

/**
 * An unsigned integer the way QEMU reads numeric properties (C strtoull base 0):
 * "0x" prefix = hex, a leading "0" = octal, otherwise decimal.
 */
export function parseUint(key: string, value: string, max: number): number {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(value)) n = parseInt(value.slice(2), 16);
  else if (/^0[0-7]+$/.test(value)) n = parseInt(value.slice(1), 8);
  else if (/^(0|[1-9][0-9]*)$/.test(value)) n = parseInt(value, 10);
  else throw new BadValue(`parameter '${key}' expects a number, not '${value}'`);
  if (!Number.isSafeInteger(n) || n > max) {
    throw new BadValue(`parameter '${key}' is out of range (${value} > 0x${max.toString(16)})`);
  }
  return n;
}
