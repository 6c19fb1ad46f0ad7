/**
 * The text of the monitor's `info registers`: every vCPU's general-purpose,
 * segment, descriptor-table and control registers in hex, one block per vCPU.
 */
import type { Registers } from '../api/registers.js';
import type { SegmentState } from '../hypervisor/vcpu.js';

const hex = (v: bigint | number, width: number): string => v.toString(16).padStart(width, '0');

/** RFLAGS bits shown by letter, most significant first. */
const FLAG_LETTERS: ReadonlyArray<[number, string]> = [
  [11, 'O'],
  [10, 'D'],
  [7, 'S'],
  [6, 'Z'],
  [4, 'A'],
  [2, 'P'],
  [0, 'C'],
];

function flagLetters(rflags: bigint): string {
  return FLAG_LETTERS.map(([bit, letter]) => ((rflags >> BigInt(bit)) & 1n ? letter : '-')).join('');
}

function segmentLine(name: string, s: SegmentState): string {
  return `${name.toUpperCase().padEnd(3)}=${hex(s.selector, 4)} ${hex(s.base, 16)} ${hex(s.limit, 8)} ${hex(s.attr, 4)}`;
}

/** halted: whether the vCPU sits in HLT, when known (omitted from the text otherwise). */
export function formatRegisters(cpu: number, r: Registers, halted: boolean | undefined): string {
  const lines = [
    `CPU#${cpu}`,
    `RAX=${hex(r.rax, 16)} RBX=${hex(r.rbx, 16)} RCX=${hex(r.rcx, 16)} RDX=${hex(r.rdx, 16)}`,
    `RSI=${hex(r.rsi, 16)} RDI=${hex(r.rdi, 16)} RBP=${hex(r.rbp, 16)} RSP=${hex(r.rsp, 16)}`,
    `R8 =${hex(r.r8, 16)} R9 =${hex(r.r9, 16)} R10=${hex(r.r10, 16)} R11=${hex(r.r11, 16)}`,
    `R12=${hex(r.r12, 16)} R13=${hex(r.r13, 16)} R14=${hex(r.r14, 16)} R15=${hex(r.r15, 16)}`,
    `RIP=${hex(r.rip, 16)} RFL=${hex(r.rflags, 8)} [${flagLetters(r.rflags)}] CPL=${r.cs.selector & 3}${halted === undefined ? '' : ` HLT=${halted ? 1 : 0}`}`,
    ...(['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const).map((n) => segmentLine(n === 'ldtr' ? 'LDT' : n, r[n])),
    `GDT=     ${hex(r.gdtr.base, 16)} ${hex(r.gdtr.limit, 8)}`,
    `IDT=     ${hex(r.idtr.base, 16)} ${hex(r.idtr.limit, 8)}`,
    `CR0=${hex(r.cr0, 8)} CR2=${hex(r.cr2, 16)} CR3=${hex(r.cr3, 16)} CR4=${hex(r.cr4, 8)}`,
    `CR8=${hex(r.cr8, 16)} EFER=${hex(r.efer, 16)}`,
  ];
  return lines.join('\n') + '\n';
}
