/**
 * Thrown by the value parsers (sizes, numbers, key=value lists) with only the
 * reason; the argv walker knows which option and argument were being read and
 * turns it into a QemuArgsError naming both.
 */
export class BadValue extends Error {
  override readonly name = 'BadValue';
}
