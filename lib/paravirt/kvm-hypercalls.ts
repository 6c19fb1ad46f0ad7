/**
 * KVM hypercalls (VMCALL/VMMCALL): RAX = number, RBX, RCX, RDX, RSI =
 * arguments, result in RAX (Linux's Documentation/virt/kvm/x86/hypercalls.rst).
 * Outside 64-bit mode the number and arguments are 32-bit. CPL > 0 gets
 * -KVM_EPERM, an unknown (or unadvertised) number -KVM_ENOSYS.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';

export const KVM_HC_VAPIC_POLL_IRQ = 1;
export const KVM_HC_KICK_CPU = 5;
export const KVM_HC_CLOCK_PAIRING = 9;
export const KVM_HC_SEND_IPI = 10;
export const KVM_HC_SCHED_YIELD = 11;

export const KVM_ENOSYS = 1000;
export const KVM_EFAULT = 14;
export const KVM_EINVAL = 22;
export const KVM_E2BIG = 7;
export const KVM_EPERM = 1;
export const KVM_EOPNOTSUPP = 95;

const EFER_LMA = 1n << 10n;
const SEG_ATTR_L = 0x200;
const CR0_PE = 1n;
const RFLAGS_VM = 1n << 17n;

export function is64BitMode(vcpu: Vcpu): boolean {
  return (vcpu.efer & EFER_LMA) !== 0n && (vcpu.cs.attr & SEG_ATTR_L) !== 0;
}

export function currentPrivilegeLevel(vcpu: Vcpu): number {
  if ((vcpu.cr0 & CR0_PE) === 0n) return 0;
  if ((vcpu.rflags & RFLAGS_VM) !== 0n) return 3;
  return vcpu.cs.selector & 3;
}

/** One hypercall's number and arguments, truncated to 32 bits outside 64-bit mode. */
export interface HypercallArgs {
  nr: bigint;
  a0: bigint;
  a1: bigint;
  a2: bigint;
  a3: bigint;
}

export function hypercallArgs(vcpu: Vcpu): HypercallArgs {
  const w = is64BitMode(vcpu) ? (x: bigint) => x : (x: bigint) => BigInt.asUintN(32, x);
  return { nr: w(vcpu.rax), a0: w(vcpu.rbx), a1: w(vcpu.rcx), a2: w(vcpu.rdx), a3: w(vcpu.rsi) };
}

/** Executes one hypercall for vcpu; returns the (signed) result. Used by the VMCALL path and the hypercall queue. */
export type KvmHypercallExecutor = (vcpu: Vcpu, args: HypercallArgs) => bigint;

/** Completes a hypercall exit: CPL check, execute, result in RAX (sign-extended, 32-bit outside 64-bit mode). */
export function completeKvmHypercall(vcpu: Vcpu, execute: KvmHypercallExecutor): void {
  const result = currentPrivilegeLevel(vcpu) > 0 ? -BigInt(KVM_EPERM) : execute(vcpu, hypercallArgs(vcpu));
  vcpu.rax = is64BitMode(vcpu) ? BigInt.asUintN(64, result) : BigInt.asUintN(32, result);
}
