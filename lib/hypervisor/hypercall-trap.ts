/**
 * The code tsvisor writes into a guest-visible hypercall page (the Hyper-V
 * hypercall page) on each backend. The interpreter exits on VMCALL at any
 * privilege level and TypeScript gives the answer (#UD from CPL > 0 for
 * Hyper-V). KVM handles VMCALL in the kernel, so on kvm the page traps with
 * `OUT 0x7e, AL` instead: the kvm backend turns that port write into the same
 * TSV_EXIT_HYPERCALL exit (RIP past the instruction, instruction length 2),
 * so every TypeScript hypercall handler runs unchanged. OUT with an 8-bit
 * port changes no register, so the hypercall's inputs (RCX, RDX, R8, XMM...)
 * arrive intact.
 *
 * An OUT from CPL 3 is decided by the CPU (IOPL, the TSS I/O bitmap), not by
 * KVM: it would be #GP, or a hypercall that should not happen. So the kvm page
 * looks at CS.RPL (the CPL in protected and long mode) first and executes UD2
 * when it is not 0, which is the answer Hyper-V (and the interpreter) gives
 * to a hypercall from CPL > 0. RAX is saved around the test because 32-bit
 * callers pass the call code in EDX:EAX; the flags are not preserved (they are
 * not on Hyper-V either). The bytes decode the same in 16-, 32- and 64-bit code.
 */
import type { Accel } from './vm.js';
import { backendName } from './vm.js';

/** The port the kvm backend treats as tsvisor's hypercall trap (native/kvm/kvm_vcpu.h). */
export const KVM_HYPERCALL_PORT = 0x7e;

/** VMCALL (0F 01 C1). */
export const VMCALL_INSTRUCTION = Uint8Array.of(0x0f, 0x01, 0xc1);
/** OUT 0x7e, AL (E6 7E). */
export const PORT_HYPERCALL_INSTRUCTION = Uint8Array.of(0xe6, KVM_HYPERCALL_PORT);

const RET = 0xc3;

/** The interpreter's page: VMCALL; RET. */
export const VMCALL_PAGE_CODE = Uint8Array.of(...VMCALL_INSTRUCTION, RET);

/** The kvm page: the hypercall from CPL 0 only, #UD otherwise. */
export const PORT_PAGE_CODE = Uint8Array.of(
  0x50, //             push rAX
  0x8c, 0xc8, //       mov eAX, cs
  0xa8, 0x03, //       test al, 3        (CS.RPL = CPL)
  0x58, //             pop rAX           (flags kept)
  0x75, 0x03, //       jnz .ud           (over OUT and RET)
  ...PORT_HYPERCALL_INSTRUCTION, // out 0x7e, al
  RET, //              ret
  0x0f, 0x0b, //  .ud: ud2
);

/** The instruction that reaches the machine's hypercall handler on this backend. */
export function hypercallInstruction(accel: Accel): Uint8Array {
  return backendName(accel) === 'kvm' ? PORT_HYPERCALL_INSTRUCTION : VMCALL_INSTRUCTION;
}

/** The code of a hypercall page on this backend (the rest of the page is the caller's). */
export function hypercallPageCode(accel: Accel): Uint8Array {
  return backendName(accel) === 'kvm' ? PORT_PAGE_CODE : VMCALL_PAGE_CODE;
}
