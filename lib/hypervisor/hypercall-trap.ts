/**
 * The hypercall instruction a guest-visible code page (the Hyper-V hypercall
 * page) uses on each backend. The interpreter exits on VMCALL. KVM handles
 * VMCALL in the kernel, so on kvm the page uses `OUT 0x7e, AL` instead: the
 * kvm backend turns that port write into the same TSV_EXIT_HYPERCALL exit
 * (RIP past the instruction, instruction length 2), so every TypeScript
 * hypercall handler runs unchanged. OUT with an 8-bit port changes no
 * register, so the hypercall's inputs (RCX, RDX, R8, XMM...) arrive intact.
 */
import type { Accel } from './vm.js';
import { backendName } from './vm.js';

/** The port the kvm backend treats as tsvisor's hypercall trap (native/kvm/kvm_vcpu.h). */
export const KVM_HYPERCALL_PORT = 0x7e;

/** VMCALL (0F 01 C1). */
export const VMCALL_INSTRUCTION = Uint8Array.of(0x0f, 0x01, 0xc1);
/** OUT 0x7e, AL (E6 7E). */
export const PORT_HYPERCALL_INSTRUCTION = Uint8Array.of(0xe6, KVM_HYPERCALL_PORT);

/** The instruction bytes that reach the machine's hypercall handler on this backend. */
export function hypercallInstruction(accel: Accel): Uint8Array {
  return backendName(accel) === 'kvm' ? PORT_HYPERCALL_INSTRUCTION : VMCALL_INSTRUCTION;
}
