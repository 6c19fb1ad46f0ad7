/** Assembles small multiboot test kernels with the system binutils (as --32, ld -m elf_i386). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The multiboot header (page-align + memory-info flags) to put first in .text. */
export const MULTIBOOT_HEADER_ASM = `
  .align 4
  .long 0x1BADB002
  .long 0x00000003
  .long -(0x1BADB002 + 0x00000003)
`;

export function binutilsAvailable(): boolean {
  try {
    execFileSync('as', ['--version'], { stdio: 'ignore' });
    execFileSync('ld', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Builds `source` (AT&T syntax, 32-bit, entry `_start`) linked at 1 MiB; returns the ELF path. */
export function assembleKernel(name: string, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-kernel-'));
  const asm = join(dir, `${name}.S`);
  const obj = join(dir, `${name}.o`);
  const elf = join(dir, `${name}.elf`);
  writeFileSync(asm, `.text\n.globl _start\n${MULTIBOOT_HEADER_ASM}\n${source}\n`);
  execFileSync('as', ['--32', '-o', obj, asm]);
  execFileSync('ld', ['-m', 'elf_i386', '-Ttext', '0x100000', '-e', '_start', '-z', 'max-page-size=0x1000', '--build-id=none', '-o', elf, obj]);
  return elf;
}
