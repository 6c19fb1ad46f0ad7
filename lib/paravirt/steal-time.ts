/**
 * Steal time (MSR_KVM_STEAL_TIME 0x4b564d03): per vCPU, a 64-byte
 * kvm_steal_time { u64 steal; u32 version; u32 flags; u8 preempted; ... }
 * where steal = guest ns the vCPU was runnable but the round-robin ran
 * another vCPU. The run loop tells us (before every slice) which vCPU runs
 * next; the vCPU that ran before is either still runnable (it starts
 * waiting: steal accrues) or halted (its wait is idle time, not steal).
 * Time between a halted vCPU's wake-up and its next slice is not counted
 * (the loop wakes vCPUs right before their slice, so it is short).
 *
 * The `preempted` byte tells the guest which vCPUs are not running: the
 * round-robin runs one vCPU at a time on one host thread, so every vCPU but
 * the one in its slice has KVM_VCPU_PREEMPTED set, from the end of its
 * slice to the start of its next — a halted one too: it executes nothing
 * either, and a TLB flush asked for in its byte is done before it runs
 * again, which spares the IPI that would wake it. (KVM leaves a vCPU that
 * blocked in HLT unmarked, so Linux's scheduler still counts it as an idle
 * CPU to wake tasks on; here all vCPUs share one host thread, so keeping
 * tasks off a halted vCPU costs no parallelism.) PV TLB flush (kvm-pv-tlb-flush): instead of an IPI, the
 * guest sets KVM_VCPU_FLUSH_TLB in a preempted vCPU's byte; before that
 * vCPU's next slice the byte is cleared and, if the bit was set, its TLB is
 * flushed — the flush the IPI would have done, before it can run.
 */
import type { Clock } from '../machine/clock.js';
import type { GuestMemory } from '../machine/guest-memory.js';

export const MSR_KVM_STEAL_TIME = 0x4b56_4d03;
const ST_STEAL = 0;
const ST_VERSION = 8;
const ST_PREEMPTED = 16;
const ST_SIZE = 64;
/** The low 6 bits of the MSR: bit 0 enable, 1-5 reserved (#GP when set). */
const ST_RESERVED = 0x3en;
/** The preempted byte's bits. */
export const KVM_VCPU_PREEMPTED = 1;
export const KVM_VCPU_FLUSH_TLB = 2;

export class StealTime {
  private readonly msr: bigint[];
  private readonly gpa: number[];
  private readonly steal: number[];
  private readonly version: number[];
  private readonly waitingSince: Array<number | undefined>;
  private previous = -1;
  /** TLB flushes done for KVM_VCPU_FLUSH_TLB requests (diagnostics, the Linux test). */
  tlbFlushes = 0;

  constructor(
    count: number,
    private readonly clock: Clock,
    private readonly memory: GuestMemory,
    /** Whether vCPU i can run (not halted, not waiting for a startup IPI). */
    private readonly runnable: (index: number) => boolean,
    /** Flushes vCPU i's TLB (a guest-requested PV TLB flush). */
    private readonly flushTlb: (index: number) => void,
  ) {
    this.msr = new Array<bigint>(count).fill(0n);
    this.gpa = new Array<number>(count).fill(-1);
    this.steal = new Array<number>(count).fill(0);
    this.version = new Array<number>(count).fill(0);
    this.waitingSince = new Array<number | undefined>(count).fill(undefined);
  }

  read(index: number): bigint {
    return this.msr[index]!;
  }

  /** GPA (64-byte aligned) | 1 enables; reserved bits or a structure outside RAM are #GP. */
  write(index: number, value: bigint): boolean {
    if ((value & ST_RESERVED) !== 0n) return false;
    const gpa = Number(value & ~0x3fn);
    const enable = (value & 1n) !== 0n;
    if (enable && gpa + ST_SIZE > this.memory.size) return false;
    this.msr[index] = value;
    this.gpa[index] = enable ? gpa : -1;
    if (enable) {
      // The writer is running: not preempted.
      this.memory.writeU8(gpa + ST_PREEMPTED, 0);
      this.publish(index);
    }
    return true;
  }

  /** Before vCPU index's slice: the previous vCPU starts waiting if still runnable; index's wait becomes steal. */
  beforeSlice(index: number): void {
    const now = this.clock.nowNs();
    const prev = this.previous;
    if (prev >= 0 && prev !== index) {
      this.waitingSince[prev] = this.runnable(prev) ? now : undefined;
      this.markPreempted(prev);
    }
    if (prev !== index) this.resume(index);
    const since = this.waitingSince[index];
    if (since !== undefined && prev !== index) {
      this.steal[index]! += Math.max(0, now - since);
      this.waitingSince[index] = undefined;
      this.publish(index);
    }
    this.previous = index;
  }

  /** System reset: the MSRs back to 0, the accounts cleared. */
  reset(): void {
    this.msr.fill(0n);
    this.gpa.fill(-1);
    this.steal.fill(0);
    this.waitingSince.fill(undefined);
    this.previous = -1;
  }

  /** Steal time of vCPU index so far (ns). */
  stolenNs(index: number): number {
    return this.steal[index]!;
  }

  /** vCPU index's slice ended: it is not running until its next one. */
  private markPreempted(index: number): void {
    const gpa = this.gpa[index]!;
    if (gpa < 0) return;
    const at = gpa + ST_PREEMPTED;
    this.memory.writeU8(at, this.memory.readU8(at) | KVM_VCPU_PREEMPTED);
  }

  /** vCPU index is about to run: clear its preempted byte and do the TLB flush the guest asked for in it. */
  private resume(index: number): void {
    const gpa = this.gpa[index]!;
    if (gpa < 0) return;
    const at = gpa + ST_PREEMPTED;
    const state = this.memory.readU8(at);
    if (state === 0) return;
    this.memory.writeU8(at, 0);
    if ((state & KVM_VCPU_FLUSH_TLB) !== 0) {
      this.flushTlb(index);
      this.tlbFlushes++;
    }
  }

  private publish(index: number): void {
    const gpa = this.gpa[index]!;
    if (gpa < 0) return;
    const m = this.memory;
    this.version[index] = (this.version[index]! + 1) | 1;
    m.writeU32(gpa + ST_VERSION, this.version[index]!);
    m.writeU64(gpa + ST_STEAL, BigInt(Math.floor(this.steal[index]!)));
    this.version[index] = (this.version[index]! + 1) >>> 0;
    m.writeU32(gpa + ST_VERSION, this.version[index]!);
  }
}
