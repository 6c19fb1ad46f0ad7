/**
 * Poll control (kvm-poll-control, MSR_KVM_POLL_CONTROL 0x4b564d05): per
 * vCPU, bit 0 = 1 lets the host poll for a while after the guest halts
 * before it deschedules the vCPU; a guest that polls itself (Linux's
 * cpuidle-haltpoll) writes 0 so the two do not both spin. Power-on value
 * 1; bits 63:1 are reserved (#GP).
 *
 * tsvisor never polls on the host side: a HLT ends the vCPU's slice at once
 * and the round-robin moves on (or sleeps until the next timer or event when
 * every vCPU waits). Bit 0 = 0 — "do not poll" — is therefore always what
 * happens; bit 0 = 1 allows a polling tsvisor does not do and has no effect.
 * The register keeps the guest's value so it reads back, as KVM's does.
 */
export const MSR_KVM_POLL_CONTROL = 0x4b56_4d05;
const POLL_CONTROL_RESET = 1n;

export class PollControl {
  private readonly msr: bigint[];

  constructor(count: number) {
    this.msr = new Array<bigint>(count).fill(POLL_CONTROL_RESET);
  }

  read(index: number): bigint {
    return this.msr[index]!;
  }

  /** Bit 0 only; any other bit is #GP. */
  write(index: number, value: bigint): boolean {
    if ((value & ~1n) !== 0n) return false;
    this.msr[index] = value;
    return true;
  }

  reset(): void {
    this.msr.fill(POLL_CONTROL_RESET);
  }
}
