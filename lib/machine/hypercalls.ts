/**
 * VMCALL/VMMCALL: one handler for the machine (Hyper-V or KVM paravirtual
 * interfaces install theirs). Without one, the instruction is #UD, as on a
 * CPU that advertises neither VMX/SVM nor a paravirtual interface.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';

const VECTOR_UD = 6;

/** Sees the vCPU at the hypercall exit (RIP already past the instruction) and the TSV_HYPERCALL_* kind. */
export type HypercallHandler = (vcpu: Vcpu, kind: number) => void;

/** The default: #UD at the instruction. */
export function undefinedOpcodeHypercall(vcpu: Vcpu): void {
  vcpu.rip = vcpu.rip - BigInt(vcpu.hypercallInsnLength);
  vcpu.raiseException(VECTOR_UD);
}

export class Hypercalls {
  handler: HypercallHandler = undefinedOpcodeHypercall;

  /** null puts the default (#UD) back. */
  setHandler(handler: HypercallHandler | null): void {
    this.handler = handler ?? undefinedOpcodeHypercall;
  }
}
