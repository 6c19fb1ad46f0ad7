/**
 * PV unhalt (kvm-pv-unhalt): KVM_HC_KICK_CPU(flags, APIC ID) wakes a vCPU
 * halted in HLT even with interrupts disabled — the wake-up PV spinlocks
 * wait for. A kick that arrives before its target halts is remembered and
 * ends the target's next HLT at once (the guest re-checks its condition
 * after HLT, so an early wake-up is harmless); pending kicks are applied
 * before every slice. Limitation: when every vCPU is halted, no slice runs
 * until an interrupt wakes one, so such a kick waits for it (a run-loop hook
 * at HLT would close that gap); this is why kvm-pv-unhalt is opt-in.
 */
export interface VcpuWaker {
  isHalted(index: number): boolean;
  /** Makes a halted vCPU runnable (RIP is already past the HLT). */
  wake(index: number): void;
}

export class PvUnhalt {
  private readonly pending: boolean[];
  /** Kicks delivered (diagnostics). */
  kicks = 0;

  constructor(private readonly count: number, private readonly waker: VcpuWaker) {
    this.pending = new Array<boolean>(count).fill(false);
  }

  /** KVM_HC_KICK_CPU: 0 (also for an APIC ID no vCPU has, as KVM answers). */
  kick(apicId: bigint): bigint {
    if (apicId >= BigInt(this.count)) return 0n;
    const i = Number(apicId);
    this.kicks++;
    if (this.waker.isHalted(i)) this.waker.wake(i);
    else this.pending[i] = true;
    return 0n;
  }

  /** System reset: no kick is pending. */
  reset(): void {
    this.pending.fill(false);
  }

  /** Before every slice: a vCPU that halted after it was kicked runs again. */
  applyPending(): void {
    for (let i = 0; i < this.count; i++) {
      if (this.pending[i] && this.waker.isHalted(i)) {
        this.pending[i] = false;
        this.waker.wake(i);
      }
    }
  }
}
