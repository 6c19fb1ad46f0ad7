/**
 * ACPI table plumbing (ACPI 6.x §5.2): the 36-byte system description
 * header, checksums, the RSDP and generic address structures.
 */

export const ACPI_HEADER_SIZE = 36;
export const ACPI_OEM_ID = 'TSVISR';
export const ACPI_OEM_TABLE_ID = 'TSVISOR ';
export const ACPI_CREATOR_ID = 'TSVR';
export const RSDP_SIGNATURE = 'RSD PTR ';
export const RSDP_V1_LENGTH = 20;
export const RSDP_V2_LENGTH = 36;

/** Value that makes the bytes sum to 0 modulo 256. */
export function checksumOf(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return (256 - (sum & 0xff)) & 0xff;
}

export function sumBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return sum & 0xff;
}

function putAscii(out: Uint8Array, at: number, s: string, length: number): void {
  for (let i = 0; i < length; i++) out[at + i] = i < s.length ? s.charCodeAt(i) : 0x20;
}

/** A table: header filled, body copied after it, checksum set. */
export function acpiTable(signature: string, revision: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(ACPI_HEADER_SIZE + body.length);
  const v = new DataView(out.buffer);
  putAscii(out, 0, signature, 4);
  v.setUint32(4, out.length, true);
  out[8] = revision;
  putAscii(out, 10, ACPI_OEM_ID, 6);
  putAscii(out, 16, ACPI_OEM_TABLE_ID, 8);
  v.setUint32(24, 1, true); // OEM revision
  putAscii(out, 28, ACPI_CREATOR_ID, 4);
  v.setUint32(32, 1, true); // creator revision
  out.set(body, ACPI_HEADER_SIZE);
  out[9] = checksumOf(out);
  return out;
}

/** RSDP revision 2: v1 checksum over 20 bytes, extended checksum over all 36. */
export function rsdp(rsdtAddress: number, xsdtAddress: number): Uint8Array {
  const out = new Uint8Array(RSDP_V2_LENGTH);
  const v = new DataView(out.buffer);
  putAscii(out, 0, RSDP_SIGNATURE, 8);
  putAscii(out, 9, ACPI_OEM_ID, 6);
  out[15] = 2;
  v.setUint32(16, rsdtAddress, true);
  v.setUint32(20, RSDP_V2_LENGTH, true);
  v.setBigUint64(24, BigInt(xsdtAddress), true);
  out[8] = checksumOf(out, 0, RSDP_V1_LENGTH);
  out[32] = checksumOf(out, 0, RSDP_V2_LENGTH);
  return out;
}

export const GAS_SIZE = 12;
export const GAS_SYSTEM_MEMORY = 0;
export const GAS_SYSTEM_IO = 1;
/** Access sizes of a generic address structure. */
export const GAS_ACCESS_BYTE = 1;
export const GAS_ACCESS_WORD = 2;
export const GAS_ACCESS_DWORD = 3;

/** Generic Address Structure (§5.2.3.2). */
export function writeGas(view: DataView, at: number, space: number, bitWidth: number, accessSize: number, address: number): void {
  view.setUint8(at, space);
  view.setUint8(at + 1, bitWidth);
  view.setUint8(at + 2, 0);
  view.setUint8(at + 3, accessSize);
  view.setBigUint64(at + 4, BigInt(address), true);
}
