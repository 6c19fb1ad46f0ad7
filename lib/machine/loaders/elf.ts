/**
 * The part of ELF a boot loader needs: the header's class and machine, the
 * entry point and the PT_LOAD program headers (ELF32 and ELF64, little-endian).
 */

export const ELF_MAGIC = 0x464c457f; // "\x7fELF" read little-endian
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EM_386 = 3;
export const EM_X86_64 = 62;
export const PT_LOAD = 1;

export interface ElfSegment {
  offset: number;
  /** virtual addresses of ELF64 kernels linked high exceed 2^53: kept exact as bigint */
  vaddr: bigint;
  paddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfImage {
  elfClass: 32 | 64;
  entry: bigint;
  segments: ElfSegment[];
}

/** A malformed image; the message is the reason the loader reports. */
export class ElfFormatError extends Error {}

export function isElf(image: Uint8Array): boolean {
  return image.length >= 4 && new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(0, true) === ELF_MAGIC;
}

export function parseElf(image: Uint8Array): ElfImage {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (!isElf(image)) throw new ElfFormatError('not an ELF image');
  if (image.length < 52) throw new ElfFormatError('ELF header is truncated');
  const cls = image[4];
  if (image[5] !== ELFDATA2LSB) throw new ElfFormatError('ELF image is not little-endian');
  const machine = view.getUint16(18, true);
  let entry: bigint;
  let phoff: number;
  let phentsize: number;
  let phnum: number;
  if (cls === ELFCLASS32) {
    if (machine !== EM_386) throw new ElfFormatError(`ELF32 image is for machine ${machine}, not i386`);
    entry = BigInt(view.getUint32(24, true));
    phoff = view.getUint32(28, true);
    phentsize = view.getUint16(42, true);
    phnum = view.getUint16(44, true);
    if (phentsize < 32) throw new ElfFormatError('ELF32 program header entries are too small');
  } else if (cls === ELFCLASS64) {
    if (image.length < 64) throw new ElfFormatError('ELF64 header is truncated');
    if (machine !== EM_X86_64) throw new ElfFormatError(`ELF64 image is for machine ${machine}, not x86-64`);
    entry = view.getBigUint64(24, true);
    phoff = safeNumber(view.getBigUint64(32, true), 'program header offset');
    phentsize = view.getUint16(54, true);
    phnum = view.getUint16(56, true);
    if (phentsize < 56) throw new ElfFormatError('ELF64 program header entries are too small');
  } else {
    throw new ElfFormatError(`unknown ELF class ${String(cls)}`);
  }
  if (phnum === 0) throw new ElfFormatError('ELF image has no program headers');
  if (phoff + phnum * phentsize > image.length) throw new ElfFormatError('ELF program headers lie outside the file');
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const seg: ElfSegment =
      cls === ELFCLASS32
        ? {
            offset: view.getUint32(at + 4, true),
            vaddr: BigInt(view.getUint32(at + 8, true)),
            paddr: view.getUint32(at + 12, true),
            filesz: view.getUint32(at + 16, true),
            memsz: view.getUint32(at + 20, true),
          }
        : {
            offset: safeNumber(view.getBigUint64(at + 8, true), `segment ${i} file offset`),
            vaddr: view.getBigUint64(at + 16, true),
            paddr: safeNumber(view.getBigUint64(at + 24, true), `segment ${i} physical address`),
            filesz: safeNumber(view.getBigUint64(at + 32, true), `segment ${i} file size`),
            memsz: safeNumber(view.getBigUint64(at + 40, true), `segment ${i} memory size`),
          };
    if (seg.filesz > seg.memsz) throw new ElfFormatError(`segment ${i}: file size 0x${seg.filesz.toString(16)} exceeds memory size 0x${seg.memsz.toString(16)}`);
    if (seg.offset + seg.filesz > image.length) throw new ElfFormatError(`segment ${i}: file data lies outside the file`);
    if (seg.memsz > 0) segments.push(seg);
  }
  if (segments.length === 0) throw new ElfFormatError('ELF image has no loadable segments');
  return { elfClass: cls === ELFCLASS32 ? 32 : 64, entry, segments };
}

function safeNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError(`${what} 0x${v.toString(16)} is out of range`);
  return Number(v);
}
