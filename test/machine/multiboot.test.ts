import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelLoadError } from '../../lib/machine/errors.js';
import {
  findMultibootHeader,
  loadMultiboot,
  loadMultibootFiles,
  MB_HEADER_AOUT_KLUDGE,
  MB_INFO_CMDLINE,
  MB_INFO_LOADER_NAME,
  MB_INFO_MEM_MAP,
  MB_INFO_MEMORY,
  MB_INFO_MODS,
  MULTIBOOT_HEADER_MAGIC,
} from '../../lib/machine/loaders/multiboot.js';

const MIB = 1 << 20;

function mbHeader(flags: number, extra: number[] = []): Buffer {
  const b = Buffer.alloc(12 + extra.length * 4);
  b.writeUInt32LE(MULTIBOOT_HEADER_MAGIC, 0);
  b.writeUInt32LE(flags, 4);
  b.writeUInt32LE((-(MULTIBOOT_HEADER_MAGIC + flags)) >>> 0, 8);
  extra.forEach((v, i) => b.writeUInt32LE(v, 12 + i * 4));
  return b;
}

interface Seg {
  paddr: number;
  vaddr?: bigint;
  data: Buffer;
  memsz: number;
}

/** A minimal ELF with the multiboot header right after the program headers. */
function elf(cls: 32 | 64, entry: number | bigint, segs: Seg[]): Buffer {
  const ehsize = cls === 32 ? 52 : 64;
  const phentsize = cls === 32 ? 32 : 56;
  const hdr = mbHeader(0x3);
  const phoff = ehsize;
  let dataOff = phoff + phentsize * segs.length + hdr.length;
  dataOff = (dataOff + 15) & ~15;
  const offsets: number[] = [];
  let end = dataOff;
  for (const s of segs) {
    offsets.push(end);
    end += s.data.length;
  }
  const b = Buffer.alloc(end);
  b.writeUInt32LE(0x464c457f, 0);
  b[4] = cls === 32 ? 1 : 2;
  b[5] = 1;
  b[6] = 1;
  b.writeUInt16LE(2, 16);
  b.writeUInt16LE(cls === 32 ? 3 : 62, 18);
  b.writeUInt32LE(1, 20);
  if (cls === 32) {
    b.writeUInt32LE(Number(entry), 24);
    b.writeUInt32LE(phoff, 28);
    b.writeUInt16LE(ehsize, 40);
    b.writeUInt16LE(phentsize, 42);
    b.writeUInt16LE(segs.length, 44);
  } else {
    b.writeBigUInt64LE(BigInt(entry), 24);
    b.writeBigUInt64LE(BigInt(phoff), 32);
    b.writeUInt16LE(ehsize, 52);
    b.writeUInt16LE(phentsize, 54);
    b.writeUInt16LE(segs.length, 56);
  }
  segs.forEach((s, i) => {
    const at = phoff + i * phentsize;
    b.writeUInt32LE(1, at); // PT_LOAD
    if (cls === 32) {
      b.writeUInt32LE(offsets[i]!, at + 4);
      b.writeUInt32LE(Number(s.vaddr ?? s.paddr), at + 8);
      b.writeUInt32LE(s.paddr, at + 12);
      b.writeUInt32LE(s.data.length, at + 16);
      b.writeUInt32LE(s.memsz, at + 20);
    } else {
      b.writeBigUInt64LE(BigInt(offsets[i]!), at + 8);
      b.writeBigUInt64LE(s.vaddr ?? BigInt(s.paddr), at + 16);
      b.writeBigUInt64LE(BigInt(s.paddr), at + 24);
      b.writeBigUInt64LE(BigInt(s.data.length), at + 32);
      b.writeBigUInt64LE(BigInt(s.memsz), at + 40);
    }
    s.data.copy(b, offsets[i]!);
  });
  hdr.copy(b, phoff + phentsize * segs.length);
  return b;
}

function cstr(ram: Uint8Array, at: number): string {
  const end = ram.indexOf(0, at);
  return Buffer.from(ram.subarray(at, end)).toString();
}

test('ELF32: PT_LOAD segments land at p_paddr, bss is zeroed, info structure is complete', (t) => {
  const ram = new Uint8Array(16 * MIB).fill(0xcc);
  const code = Buffer.from([0xf4, 0xeb, 0xfd, 0x90]);
  const image = elf(32, 0x100000, [
    { paddr: 0x100000, data: code, memsz: 0x1000 },
    { paddr: 0x200000, data: Buffer.from('data!'), memsz: 0x20 },
  ]);
  const boot = loadMultiboot({ ram, kernelPath: '/boot/k.elf', image, append: 'console=ttyS0 x=1' });
  t.is(boot.format, 'elf32');
  t.is(boot.entry, 0x100000);
  t.deepEqual([...ram.subarray(0x100000, 0x100004)], [...code]);
  t.is(ram[0x100004], 0, 'memsz beyond filesz is zeroed');
  t.is(ram[0x100fff], 0);
  t.is(ram[0x101000], 0xcc, 'nothing written past the segment');
  t.is(Buffer.from(ram.subarray(0x200000, 0x200005)).toString(), 'data!');
  t.is(boot.kernelEnd, 0x200020);

  const info = boot.infoAddress;
  t.is(info, 0x201000, 'info goes to the first free page above the kernel');
  const v = new DataView(ram.buffer);
  const flags = v.getUint32(info, true);
  t.is(flags, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME);
  t.is(v.getUint32(info + 4, true), 640);
  t.is(v.getUint32(info + 8, true), 15 * 1024);
  t.is(cstr(ram, v.getUint32(info + 16, true)), '/boot/k.elf console=ttyS0 x=1');
  t.is(v.getUint32(info + 20, true), 0, 'no modules');
  t.is(cstr(ram, v.getUint32(info + 64, true)), 'tsvisor');
  const mmapLen = v.getUint32(info + 44, true);
  const mmapAddr = v.getUint32(info + 48, true);
  t.is(mmapLen, 3 * 24);
  const entries = [0, 1, 2].map((i) => {
    const at = mmapAddr + i * 24;
    return [v.getUint32(at, true), Number(v.getBigUint64(at + 4, true)), Number(v.getBigUint64(at + 12, true)), v.getUint32(at + 20, true)];
  });
  t.deepEqual(entries, [
    [20, 0, 0xa0000, 1],
    [20, 0xa0000, 0x60000, 2],
    [20, 0x100000, 15 * MIB, 1],
  ]);
});

test('ELF64: segments at p_paddr and a high virtual entry translated to its physical alias', (t) => {
  const ram = new Uint8Array(8 * MIB);
  const image = elf(64, 0xffffffff80100010n, [{ paddr: 0x100000, vaddr: 0xffffffff80100000n, data: Buffer.alloc(0x40, 0x90), memsz: 0x40 }]);
  const boot = loadMultiboot({ ram, kernelPath: 'k64', image });
  t.is(boot.format, 'elf64');
  t.is(boot.entry, 0x100010);
  t.is(ram[0x10003f], 0x90);
  t.is(boot.cmdline, 'k64', 'just the path without append');
});

test('a.out kludge: header addresses decide where the file goes; bss zeroed', (t) => {
  const ram = new Uint8Array(4 * MIB).fill(0xee);
  // file: 16 bytes of code, then the header at file offset 16, then 12 more bytes
  const loadAddr = 0x101000;
  const head = mbHeader(MB_HEADER_AOUT_KLUDGE | 0x2, [loadAddr + 16, loadAddr, loadAddr + 0x40, loadAddr + 0x100, loadAddr + 4]);
  const image = Buffer.concat([Buffer.alloc(16, 0x11), head, Buffer.alloc(0x40 - 16 - head.length, 0x22), Buffer.alloc(8, 0x33)]);
  const boot = loadMultiboot({ ram, kernelPath: 'aout', image, initrdPath: '/tmp/mod.bin', initrd: Buffer.from('MODULE') });
  t.is(boot.format, 'aout-kludge');
  t.is(boot.entry, loadAddr + 4);
  t.is(ram[loadAddr], 0x11);
  t.is(new DataView(ram.buffer).getUint32(loadAddr + 16, true), MULTIBOOT_HEADER_MAGIC);
  t.is(ram[loadAddr + 0x3f], 0x22);
  t.is(ram[loadAddr + 0x40], 0, 'load_end_addr stops the copy; bss follows');
  t.is(ram[loadAddr + 0xff], 0);
  t.is(ram[loadAddr + 0x100], 0xee);
  // the module
  const v = new DataView(ram.buffer);
  const info = boot.infoAddress;
  t.is(v.getUint32(info + 20, true), 1);
  const mod = v.getUint32(info + 24, true);
  const start = v.getUint32(mod, true);
  const end = v.getUint32(mod + 4, true);
  t.is(start % 4096, 0, 'modules are page aligned');
  t.is(end - start, 6);
  t.is(Buffer.from(ram.subarray(start, end)).toString(), 'MODULE');
  t.is(cstr(ram, v.getUint32(mod + 8, true)), '/tmp/mod.bin');
  t.true(start >= loadAddr + 0x100 || start + 6 <= loadAddr);
});

test('header search: first 8 KiB, 4-byte aligned, checksum checked', (t) => {
  const img = Buffer.alloc(9000);
  mbHeader(0).copy(img, 8192); // beyond the search window
  t.is(findMultibootHeader(img), undefined);
  mbHeader(0).copy(img, 4097); // misaligned
  t.is(findMultibootHeader(img), undefined);
  mbHeader(0).copy(img, 4096);
  t.is(findMultibootHeader(img)?.offset, 4096);
});

function loadError(image: Buffer, memory = 4 * MIB): string {
  const err = (() => {
    try {
      loadMultiboot({ ram: new Uint8Array(memory), kernelPath: 'bad.elf', image });
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  if (!(err instanceof KernelLoadError)) throw new Error('expected a KernelLoadError, got ' + String(err));
  return err.message;
}

test('rejections come as KernelLoadError with a reason', (t) => {
  t.is(loadError(Buffer.alloc(64)), "could not load kernel 'bad.elf': not a multiboot kernel (no multiboot header in the first 8 KiB)");
  const bad = mbHeader(0);
  bad.writeUInt32LE(0x1234, 8);
  t.is(loadError(Buffer.concat([bad, Buffer.alloc(32)])), "could not load kernel 'bad.elf': bad multiboot header checksum");
  t.regex(
    loadError(elf(32, 0x100000, [{ paddr: 0x3ff000, data: Buffer.alloc(16), memsz: 0x2000 }])),
    /^could not load kernel 'bad\.elf': ELF segment 0 at 0x3ff000 \(size 0x2000\) lies outside guest RAM \(4 MiB\)$/,
  );
  t.regex(loadError(Buffer.concat([mbHeader(0), Buffer.alloc(32)])), /image is not ELF/);
  t.regex(loadError(Buffer.concat([mbHeader(0x8), Buffer.alloc(32)])), /unsupported features \(flags 0x8\)/);
  const aout = mbHeader(MB_HEADER_AOUT_KLUDGE, [0x100000, 0x100000, 0x100000 + 0x10000, 0, 0x100000]);
  t.regex(loadError(Buffer.concat([aout, Buffer.alloc(64)])), /load_end_addr 0x110000 lies beyond the end of the file/);
});

test('file errors use the OS reason; initrd failures name the initrd', (t) => {
  const ram = new Uint8Array(4 * MIB);
  t.throws(() => loadMultibootFiles(ram, '/nonexistent/kernel'), {
    instanceOf: KernelLoadError,
    message: "could not load kernel '/nonexistent/kernel': No such file or directory",
  });
  const dir = mkdtempSync(join(tmpdir(), 'tsv-mb-'));
  const k = join(dir, 'k.elf');
  writeFileSync(k, elf(32, 0x100000, [{ paddr: 0x100000, data: Buffer.alloc(4), memsz: 4 }]));
  t.throws(() => loadMultibootFiles(ram, k, undefined, join(dir, 'missing')), {
    message: `could not load kernel '${k}': could not load initrd '${join(dir, 'missing')}': No such file or directory`,
  });
  t.throws(() => loadMultibootFiles(ram, dir), { message: `could not load kernel '${dir}': Is a directory` });
  t.is(loadMultibootFiles(ram, k, 'a b').cmdline, `${k} a b`);
});
