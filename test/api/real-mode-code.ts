/** Machines that run a few bytes of 16-bit real-mode code at 0x1000 (no kernel, no assembler needed). */
import { createMachine, type CreateMachineConfig, type VirtualMachine } from '../../lib/index.js';

export const CODE_ADDRESS = 0x1000;
export const REAL_MODE_CS = { selector: 0, base: 0n, limit: 0xffff, attr: 0x9b };

// Encodings used by the tests.
export const movAl = (v: number): number[] => [0xb0, v];
export const outAl = (port: number): number[] => [0xe6, port];
export const inAl = (port: number): number[] => [0xe4, port];
export const JMP_SELF = [0xeb, 0xfe];
export const HLT = [0xf4];
/** mov al, v; out 0xf4, al: isa-debug-exit with status (v << 1) | 1. */
export const debugExit = (v: number): number[] => [...movAl(v), ...outAl(0xf4)];

export function realModeMachine(code: number[], config: CreateMachineConfig = {}): VirtualMachine {
  const vm = createMachine({
    memoryBytes: 4 * 1024 * 1024,
    serial: 'none',
    devices: [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 }],
    ...config,
  });
  vm.writePhysical(CODE_ADDRESS, Uint8Array.from(code));
  vm.setRegisters(0, { cs: REAL_MODE_CS, rip: CODE_ADDRESS });
  return vm;
}
