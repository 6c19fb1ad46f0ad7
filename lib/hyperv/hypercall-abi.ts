/**
 * The hypercall calling conventions (TLFS 3.7): where the input value, the
 * input/output parameters and the result live in 64-bit and 32-bit mode, and
 * when VMCALL is not a hypercall at all (#UD from real mode, virtual-8086
 * mode or CPL > 0).
 *
 *   64-bit: RCX = input value, RDX = input GPA (fast: 1st input qword),
 *           R8 = output GPA (fast: 2nd input qword); result in RAX.
 *   32-bit: EDX:EAX = input value, EBX:ECX = input GPA, EDI:ESI = output GPA;
 *           result in EDX:EAX.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import {
  HV_HYPERCALL_CODE_MASK,
  HV_HYPERCALL_FAST_BIT,
  HV_HYPERCALL_REP_COMP_MASK,
  HV_HYPERCALL_REP_COMP_SHIFT,
  HV_HYPERCALL_REP_START_MASK,
  HV_HYPERCALL_REP_START_SHIFT,
  HV_HYPERCALL_RSVD_MASK,
  HV_HYPERCALL_RESULT_REP_SHIFT,
  HV_HYPERCALL_VARHEAD_MASK,
  HV_HYPERCALL_VARHEAD_SHIFT,
} from './hyperv-proto.js';

const CR0_PE = 1n;
const RFLAGS_VM = 1n << 17n;
const EFER_LMA = 1n << 10n;
/** SegmentState.attr: the descriptor's L bit (byte 6 bit 5 lands in attr bit 9). */
const SEG_ATTR_L = 1 << 9;

/** A decoded hypercall input value plus its parameters. */
export interface HypercallInput {
  readonly code: number;
  readonly fast: boolean;
  /** Variable header size in 8-byte units. */
  readonly varHeaderQwords: number;
  readonly repCount: number;
  readonly repStart: number;
  /** Some reserved bit of the input value is set. */
  readonly reservedBitsSet: boolean;
  /** Memory form: input/output parameter GPAs. Fast form: the two input qwords. */
  readonly param0: bigint;
  readonly param1: bigint;
  readonly longMode: boolean;
}

/** Whether VMCALL from this state is #UD instead of a hypercall. */
export function hypercallFaults(vcpu: Vcpu): boolean {
  if ((vcpu.cr0 & CR0_PE) === 0n) return true; // real mode
  if ((vcpu.rflags & RFLAGS_VM) !== 0n) return true; // virtual-8086 mode
  return (vcpu.cs.selector & 3) !== 0; // CPL > 0
}

export function readHypercallInput(vcpu: Vcpu): HypercallInput {
  const longMode = (vcpu.efer & EFER_LMA) !== 0n && (vcpu.cs.attr & SEG_ATTR_L) !== 0;
  const lo32 = (v: bigint): bigint => v & 0xffff_ffffn;
  let control: bigint;
  let param0: bigint;
  let param1: bigint;
  if (longMode) {
    control = vcpu.rcx;
    param0 = vcpu.rdx;
    param1 = vcpu.r8;
  } else {
    control = (lo32(vcpu.rdx) << 32n) | lo32(vcpu.rax);
    param0 = (lo32(vcpu.rbx) << 32n) | lo32(vcpu.rcx);
    param1 = (lo32(vcpu.rdi) << 32n) | lo32(vcpu.rsi);
  }
  return {
    code: Number(control & HV_HYPERCALL_CODE_MASK),
    fast: (control & HV_HYPERCALL_FAST_BIT) !== 0n,
    varHeaderQwords: Number((control >> HV_HYPERCALL_VARHEAD_SHIFT) & HV_HYPERCALL_VARHEAD_MASK),
    repCount: Number((control >> HV_HYPERCALL_REP_COMP_SHIFT) & HV_HYPERCALL_REP_COMP_MASK),
    repStart: Number((control >> HV_HYPERCALL_REP_START_SHIFT) & HV_HYPERCALL_REP_START_MASK),
    reservedBitsSet: (control & HV_HYPERCALL_RSVD_MASK) !== 0n,
    param0,
    param1,
    longMode,
  };
}

/** Writes the result value (status in 15:0, reps completed in 43:32) where the convention wants it. */
export function writeHypercallResult(vcpu: Vcpu, longMode: boolean, status: number, repsCompleted: number): void {
  const result = BigInt(status & 0xffff) | (BigInt(repsCompleted & 0xfff) << HV_HYPERCALL_RESULT_REP_SHIFT);
  if (longMode) {
    vcpu.rax = result;
  } else {
    vcpu.rax = result & 0xffff_ffffn;
    vcpu.rdx = result >> 32n;
  }
}
