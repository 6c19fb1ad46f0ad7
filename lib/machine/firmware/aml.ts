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
