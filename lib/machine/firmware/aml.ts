/**
 * A small AML encoder (ACPI 6.x §20, "ACPI Machine Language
 * Specification"): enough terms to describe a PC's namespace to an OS —
 * names, scopes, devices, methods, integers, strings, buffers, packages,
 * EISA IDs and resource templates. Every builder returns the encoded bytes,
 * so terms compose by nesting arrays; nothing is evaluated here.
 */

export type Aml = Uint8Array;

// Opcodes (ACPI 6.x §20.3).
export const ZERO_OP = 0x00;
export const ONE_OP = 0x01;
export const NAME_OP = 0x08;
export const BYTE_PREFIX = 0x0a;
export const WORD_PREFIX = 0x0b;
export const DWORD_PREFIX = 0x0c;
export const STRING_PREFIX = 0x0d;
export const QWORD_PREFIX = 0x0e;
export const SCOPE_OP = 0x10;
export const BUFFER_OP = 0x11;
export const PACKAGE_OP = 0x12;
export const METHOD_OP = 0x14;
export const DUAL_NAME_PREFIX = 0x2e;
export const MULTI_NAME_PREFIX = 0x2f;
export const EXT_OP_PREFIX = 0x5b;
export const DEVICE_OP = 0x82; // after EXT_OP_PREFIX
export const ROOT_CHAR = 0x5c; // '\'
export const PARENT_PREFIX_CHAR = 0x5e; // '^'
export const RETURN_OP = 0xa4;
export const ONES_OP = 0xff;

export function concat(parts: ReadonlyArray<Aml | number[]>): Aml {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * PkgLength (§20.2.4): the length of itself plus what follows. One byte
 * holds up to 63; otherwise bits 7:6 of the lead byte count the 1-3 bytes
 * that follow, the lead byte's low nibble holds bits 3:0 and each following
 * byte the next eight bits.
 */
export function pkgLength(contentLength: number): number[] {
  for (let extra = 0; extra <= 3; extra++) {
    const total = contentLength + 1 + extra;
    if (extra === 0 && total <= 0x3f) return [total];
    if (extra > 0 && total < 2 ** (4 + 8 * extra)) {
      const bytes = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) bytes.push((total >>> (4 + 8 * i)) & 0xff);
      return bytes;
    }
  }
  throw new RangeError(`AML package of ${contentLength} bytes is too long for a PkgLength`);
}

function nameSeg(seg: string): number[] {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(seg)) throw new RangeError(`'${seg}' is not a valid ACPI name segment`);
  return [...seg.padEnd(4, '_')].map((c) => c.charCodeAt(0));
}

/** NameString (§20.2.2): optional '\' or '^' prefixes, then segments separated by '.'. */
export function nameString(path: string): Aml {
  let i = 0;
  const prefix: number[] = [];
  if (path[0] === '\\') {
    prefix.push(ROOT_CHAR);
    i = 1;
  } else {
    while (path[i] === '^') {
      prefix.push(PARENT_PREFIX_CHAR);
      i++;
    }
  }
  const rest = path.slice(i);
  const segs = rest === '' ? [] : rest.split('.').map(nameSeg);
  if (segs.length === 0) return Uint8Array.from([...prefix, 0x00]); // NullName
  if (segs.length === 1) return Uint8Array.from([...prefix, ...segs[0]!]);
  if (segs.length === 2) return Uint8Array.from([...prefix, DUAL_NAME_PREFIX, ...segs[0]!, ...segs[1]!]);
  if (segs.length > 255) throw new RangeError(`name '${path}' has too many segments`);
  return Uint8Array.from([...prefix, MULTI_NAME_PREFIX, segs.length, ...segs.flat()]);
}

/** The shortest integer encoding (§20.2.3, ComputationalData). */
export function integer(value: number | bigint): Aml {
  const v = BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`AML integer ${v} is out of range`);
  if (v === 0n) return Uint8Array.of(ZERO_OP);
  if (v === 1n) return Uint8Array.of(ONE_OP);
  const le = (n: number): number[] => Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
  if (v <= 0xffn) return Uint8Array.from([BYTE_PREFIX, ...le(1)]);
  if (v <= 0xffffn) return Uint8Array.from([WORD_PREFIX, ...le(2)]);
  if (v <= 0xffff_ffffn) return Uint8Array.from([DWORD_PREFIX, ...le(4)]);
  return Uint8Array.from([QWORD_PREFIX, ...le(8)]);
}

export function string(s: string): Aml {
  if (!/^[\x01-\x7f]*$/.test(s)) throw new RangeError('AML strings are ASCII without NUL');
  return Uint8Array.from([STRING_PREFIX, ...[...s].map((c) => c.charCodeAt(0)), 0]);
}

/** Buffer (§20.2.5.4): size then bytes. */
export function buffer(bytes: ArrayLike<number>): Aml {
  const body = concat([integer(bytes.length), Array.from(bytes)]);
  return concat([[BUFFER_OP], pkgLength(body.length), body]);
}

/** Package of up to 255 elements (data objects or names). */
export function pkg(elements: readonly Aml[]): Aml {
  if (elements.length > 255) throw new RangeError('AML Package holds at most 255 elements (VarPackage not supported here)');
  const body = concat([[elements.length], ...elements]);
  return concat([[PACKAGE_OP], pkgLength(body.length), body]);
}

export function name(path: string, value: Aml): Aml {
  return concat([[NAME_OP], nameString(path), value]);
}

export function scope(path: string, terms: readonly Aml[]): Aml {
  const body = concat([nameString(path), ...terms]);
  return concat([[SCOPE_OP], pkgLength(body.length), body]);
}

export function device(path: string, terms: readonly Aml[]): Aml {
  const body = concat([nameString(path), ...terms]);
  return concat([[EXT_OP_PREFIX, DEVICE_OP], pkgLength(body.length), body]);
}

/** Method with argCount (0-7) arguments; serialized methods get bit 3. */
export function method(path: string, argCount: number, serialized: boolean, terms: readonly Aml[]): Aml {
  if (!Number.isInteger(argCount) || argCount < 0 || argCount > 7) throw new RangeError('AML methods take 0..7 arguments');
  const body = concat([nameString(path), [argCount | (serialized ? 0x08 : 0)], ...terms]);
  return concat([[METHOD_OP], pkgLength(body.length), body]);
}

export function returnValue(value: Aml): Aml {
  return concat([[RETURN_OP], value]);
}

/**
 * EISAID("PNP0A03") as its 32-bit compressed form: three letters of 5 bits
 * ('A' = 1) and four hex digits, stored big-endian in a little-endian dword.
 */
export function eisaIdValue(id: string): number {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new RangeError(`'${id}' is not an EISA ID (three letters, four hex digits)`);
  const l = (i: number): number => id.charCodeAt(i) - 0x40;
  const vendor = (l(0) << 10) | (l(1) << 5) | l(2);
  const product = parseInt(id.slice(3), 16);
  const be = ((vendor << 16) | product) >>> 0;
  // Byte-swap: the first byte in memory is the high byte of the vendor code.
  return (((be & 0xff) << 24) | ((be & 0xff00) << 8) | ((be >>> 8) & 0xff00) | (be >>> 24)) >>> 0;
}

export function eisaId(id: string): Aml {
  return integer(eisaIdValue(id));
}

// ---- Operation regions, fields and the few statements the hotplug methods need (ACPI 6.x §19.6, §20.2.5) ----
export const OP_REGION_OP = 0x80; // after EXT_OP_PREFIX
export const FIELD_OP = 0x81; // after EXT_OP_PREFIX
export const LOCAL0_OP = 0x60;
export const ARG0_OP = 0x68;
export const STORE_OP = 0x70;
export const AND_OP = 0x7b;
export const NOTIFY_OP = 0x86;
export const IF_OP = 0xa0;
/** Region space of an OperationRegion. */
export const REGION_SPACE_SYSTEM_IO = 0x01;
/** FieldFlags: access type (bits 3:0), lock rule (bit 4), update rule (bits 6:5). */
export const FIELD_ACCESS_DWORD = 0x03;
export const FIELD_LOCK_NONE = 0x00;
export const FIELD_UPDATE_PRESERVE = 0x00;

/** LocalN (0..7), a method's scratch variables. */
export function local(n: number): Aml {
  if (!Number.isInteger(n) || n < 0 || n > 7) throw new RangeError('AML has Local0..Local7');
  return Uint8Array.of(LOCAL0_OP + n);
}

/** ArgN (0..6), a method's arguments. */
export function arg(n: number): Aml {
  if (!Number.isInteger(n) || n < 0 || n > 6) throw new RangeError('AML has Arg0..Arg6');
  return Uint8Array.of(ARG0_OP + n);
}

/** OperationRegion(name, space, offset, length). */
export function operationRegion(path: string, space: number, offset: number, length: number): Aml {
  return concat([[EXT_OP_PREFIX, OP_REGION_OP], nameString(path), [space], integer(offset), integer(length)]);
}

/**
 * Field(region, flags) { name, bits, ... }: named fields one after the other from bit 0 of the
 * region. Each element is a NameSeg and its width in bits, encoded like a PkgLength whose
 * value is the width itself (§20.2.5.2, NamedField).
 */
export function field(region: string, flags: number, fields: ReadonlyArray<{ name: string; bits: number }>): Aml {
  const list = fields.map((f) => concat([nameSeg(f.name), fieldWidth(f.bits)]));
  const body = concat([nameString(region), [flags], ...list]);
  return concat([[EXT_OP_PREFIX, FIELD_OP], pkgLength(body.length), body]);
}

function fieldWidth(bits: number): number[] {
  if (!Number.isInteger(bits) || bits < 1 || bits >= 2 ** 28) throw new RangeError(`field width ${bits} is out of range`);
  if (bits <= 0x3f) return [bits];
  const extra = bits < 2 ** 12 ? 1 : bits < 2 ** 20 ? 2 : 3;
  const bytes = [(extra << 6) | (bits & 0x0f)];
  for (let i = 0; i < extra; i++) bytes.push((bits >>> (4 + 8 * i)) & 0xff);
  return bytes;
}

/** Store(source, target). */
export function store(source: Aml, target: Aml): Aml {
  return concat([[STORE_OP], source, target]);
}

/** And(a, b) with no target: an integer operand for a predicate. */
export function and(a: Aml, b: Aml): Aml {
  return concat([[AND_OP], a, b, [0x00]]);
}

/** If (predicate) { terms }: the body runs when the predicate is a non-zero integer. */
export function ifThen(predicate: Aml, terms: readonly Aml[]): Aml {
  const body = concat([predicate, ...terms]);
  return concat([[IF_OP], pkgLength(body.length), body]);
}

/** Notify(object, value): the OS's notify handler for the object gets the value (1 = device check, 3 = eject request). */
export function notify(path: string, value: number): Aml {
  return concat([[NOTIFY_OP], nameString(path), integer(value)]);
}
