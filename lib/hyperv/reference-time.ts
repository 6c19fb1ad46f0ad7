/**
 * hv-time: the partition reference counter (HV_X64_MSR_TIME_REF_COUNT, 100 ns
 * units) and the reference TSC page (HV_X64_MSR_REFERENCE_TSC).
 *
 * Both are one function of the guest TSC, so a guest mixing them never sees
 * time go backwards:  ref = ((tsc * scale) >> 64) + offset,  scale =
 * 2^64 * 10^4 / tsc_khz (100 ns ticks per TSC tick, 64.64 fixed point).
 * The counter uses the virtual clock's TSC (clock.tsc(), which follows the
 * instruction count under -icount and the host clock otherwise, and does not
 * jump over a pause); the page's offset cancels vCPU 0's TSC offset, so a
 * guest reading RDTSC and applying the page gets the counter's value.
 *
 * Page updates follow the TLFS seqlock: the sequence goes to 0 (invalid:
 * "read the MSR") while scale and offset change, then to a new value that is
 * neither 0 nor 0xFFFFFFFF, so a reader that saw the same sequence before and
 * after reading scale/offset knows they belong together.
 */
import type { Clock } from '../machine/clock.js';
import type { GuestMemory } from '../machine/guest-memory.js';
import {
  HV_HYP_PAGE_SIZE,
  HV_REF_TSC_OFFSET_OFFSET,
  HV_REF_TSC_SCALE_OFFSET,
  HV_REF_TSC_SEQUENCE_INVALID,
  HV_REF_TSC_SEQUENCE_OFFSET,
  HV_X64_MSR_PAGE_ADDRESS_MASK,
  HV_X64_MSR_TSC_REFERENCE_ENABLE,
} from './hyperv-proto.js';

const TWO_64 = 1n << 64n;
const U64 = TWO_64 - 1n;

/** (a * b) >> 64 for unsigned 64-bit a and b. */
export function mulHigh64(a: bigint, b: bigint): bigint {
  return (a * b) >> 64n;
}

/** 64.64 scale that turns TSC ticks into 100 ns units. */
export function referenceScale(tscKhz: number): bigint {
  return (TWO_64 * 10_000n) / BigInt(tscKhz);
}

export class ReferenceTime {
  readonly scale: bigint;
  private msr = 0n;
  private sequence = 0;

  /** tscOffset: the TSC offset the page must cancel (vCPU 0's). */
  constructor(
    private readonly clock: Clock,
    private readonly memory: GuestMemory,
    private readonly tscOffset: () => bigint,
  ) {
    this.scale = referenceScale(clock.tscKhz);
  }

  /** HV_X64_MSR_TIME_REF_COUNT: 100 ns units since the machine started. */
  timeRefCount(): bigint {
    return mulHigh64(this.clock.tsc(), this.scale);
  }

  get referenceTscMsr(): bigint {
    return this.msr;
  }

  /** false = #GP (page outside guest RAM). */
  writeReferenceTscMsr(value: bigint): boolean {
    const v = value & U64;
    if ((v & HV_X64_MSR_TSC_REFERENCE_ENABLE) !== 0n) {
      const gpa = Number(v & HV_X64_MSR_PAGE_ADDRESS_MASK);
      if (!Number.isSafeInteger(gpa) || gpa + HV_HYP_PAGE_SIZE > this.memory.size) return false;
      this.msr = v;
      this.publish();
      return true;
    }
    // Disabling: a reader still looking at the old page falls back to the MSR.
    if (this.enabled) this.memory.writeU32(this.pageGpa, HV_REF_TSC_SEQUENCE_INVALID);
    this.msr = v;
    return true;
  }

  get enabled(): boolean {
    return (this.msr & HV_X64_MSR_TSC_REFERENCE_ENABLE) !== 0n;
  }

  private get pageGpa(): number {
    return Number(this.msr & HV_X64_MSR_PAGE_ADDRESS_MASK);
  }

  /** Rewrites scale and offset under the seqlock (page enabled, clock re-based, TSC offset changed). */
  publish(): void {
    if (!this.enabled) return;
    const gpa = this.pageGpa;
    const offset = -mulHigh64(BigInt.asUintN(64, this.tscOffset()), this.scale);
    this.memory.writeU32(gpa + HV_REF_TSC_SEQUENCE_OFFSET, HV_REF_TSC_SEQUENCE_INVALID);
    this.memory.writeU64(gpa + HV_REF_TSC_SCALE_OFFSET, this.scale);
    this.memory.writeU64(gpa + HV_REF_TSC_OFFSET_OFFSET, BigInt.asUintN(64, offset));
    this.sequence = this.sequence + 1 >= 0xffff_ffff ? 1 : this.sequence + 1;
    this.memory.writeU32(gpa + HV_REF_TSC_SEQUENCE_OFFSET, this.sequence);
  }

  reset(): void {
    this.msr = 0n;
    this.sequence = 0;
  }
}
