/**
 * VMCALL/VMMCALL. Paravirtual interfaces (Hyper-V in lib/hyperv, KVM in
 * lib/paravirt) add a provider each; the first provider that claims the
 * hypercall handles it (Hyper-V claims it while its hypercall page is
 * enabled, as KVM does with Hyper-V on). A handler set through the Node API
 * (setHandler) sees every hypercall first. With nobody to take it the
 * instruction is #UD, as on a CPU that advertises neither VMX/SVM nor a
 * paravirtual interface.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';

const VECTOR_UD = 6;

/** Sees the vCPU at the hypercall exit (RIP already past the instruction) and the TSV_HYPERCALL_* kind. */
export type HypercallHandler = (vcpu: Vcpu, kind: number) => void;

export interface HypercallProvider {
  readonly name: string;
  /** Whether this hypercall, in the vCPU's current state, is this interface's. */
  claims(vcpu: Vcpu, kind: number): boolean;
  handle(vcpu: Vcpu, kind: number): void;
}

/** The default: #UD at the instruction. */
export function undefinedOpcodeHypercall(vcpu: Vcpu): void {
  vcpu.rip = vcpu.rip - BigInt(vcpu.hypercallInsnLength);
  vcpu.raiseException(VECTOR_UD);
}

export class Hypercalls {
  private override: HypercallHandler | null = null;
  private readonly providers: HypercallProvider[] = [];

  /** What the run loop calls at a hypercall exit. */
  readonly handler: HypercallHandler = (vcpu, kind) => {
    if (this.override !== null) return this.override(vcpu, kind);
    for (const p of this.providers) {
      if (p.claims(vcpu, kind)) return p.handle(vcpu, kind);
    }
    this.onUnhandled?.(vcpu, kind);
    undefinedOpcodeHypercall(vcpu);
  };

  /** -d guest_errors: told about a hypercall no provider takes, before it becomes #UD (null: nobody listens). */
  onUnhandled: ((vcpu: Vcpu, kind: number) => void) | null = null;

  /** A handler that sees every hypercall before the providers; null removes it. */
  setHandler(handler: HypercallHandler | null): void {
    this.override = handler;
  }

  addProvider(provider: HypercallProvider): void {
    if (this.providers.some((p) => p.name === provider.name)) {
      throw new Error(`hypercall provider '${provider.name}' is already registered`);
    }
    this.providers.push(provider);
  }
}
