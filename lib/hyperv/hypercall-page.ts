/**
 * HV_X64_MSR_GUEST_OS_ID and HV_X64_MSR_HYPERCALL (partition-wide).
 *
 * Enabling the hypercall MSR makes tsvisor write the hypercall page at the
 * given GPA: VMCALL; RET, which reaches the hypercall exit on the interpreter
 * (on kvm the machine passes code that traps with OUT 0x7e instead,
 * lib/hypervisor/hypercall-trap.ts). The rest of the page is INT3 so a stray
 * jump into it traps; guest memory outside the page is left untouched and
 * the decoded code of the page is dropped (GuestMemory.write).
 *
 * The page cannot be enabled while GUEST_OS_ID is 0, and writing 0 to
 * GUEST_OS_ID disables it (TLFS 3.13). Once the locked bit is set, the MSR
 * ignores writes until the system resets.
 */
import type { GuestMemory } from '../machine/guest-memory.js';
import { VMCALL_PAGE_CODE } from '../hypervisor/hypercall-trap.js';
import {
  HV_HYP_PAGE_SIZE,
  HV_X64_MSR_HYPERCALL_ENABLE,
  HV_X64_MSR_HYPERCALL_LOCKED,
  HV_X64_MSR_PAGE_ADDRESS_MASK,
} from './hyperv-proto.js';

const INT3 = 0xcc;
/** Bits 11:2 of HV_X64_MSR_HYPERCALL are reserved (read back as written on Hyper-V; kept here). */
const HYPERCALL_MSR_WRITABLE = HV_X64_MSR_PAGE_ADDRESS_MASK | 0xfffn;

export class HypercallPage {
  guestOsId = 0n;
  private msr = 0n;

  /** code: the page's code on the backend (hypercallPageCode: VMCALL; RET on the interpreter). */
  constructor(private readonly memory: GuestMemory, private readonly code: Uint8Array = VMCALL_PAGE_CODE) {}

  /** Hypercalls go to Hyper-V while the page is enabled. */
  get enabled(): boolean {
    return (this.msr & HV_X64_MSR_HYPERCALL_ENABLE) !== 0n;
  }

  get hypercallMsr(): bigint {
    return this.msr;
  }

  writeGuestOsId(value: bigint): boolean {
    this.guestOsId = value;
    if (value === 0n) this.msr &= ~HV_X64_MSR_HYPERCALL_ENABLE;
    return true;
  }

  /** false = #GP (the page lies outside guest RAM). */
  writeHypercallMsr(value: bigint): boolean {
    if ((this.msr & HV_X64_MSR_HYPERCALL_LOCKED) !== 0n) return true; // locked: writes are ignored
    let v = value & HYPERCALL_MSR_WRITABLE;
    if (this.guestOsId === 0n) v &= ~HV_X64_MSR_HYPERCALL_ENABLE;
    if ((v & HV_X64_MSR_HYPERCALL_ENABLE) !== 0n) {
      const gpa = Number(v & HV_X64_MSR_PAGE_ADDRESS_MASK);
      if (!Number.isSafeInteger(gpa) || gpa + HV_HYP_PAGE_SIZE > this.memory.size) return false;
      const page = new Uint8Array(HV_HYP_PAGE_SIZE).fill(INT3);
      page.set(this.code, 0);
      this.memory.write(gpa, page);
    }
    this.msr = v;
    return true;
  }

  reset(): void {
    this.guestOsId = 0n;
    this.msr = 0n;
  }
}
