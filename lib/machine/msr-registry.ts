/**
 * The MSR handler registry: devices and paravirtual interfaces (the local
 * APIC's x2APIC window and TSC deadline, later Hyper-V and KVM MSRs) claim
 * index ranges here. The registry tells the backend which ranges exit, and the
 * run loop dispatches an MSR exit to the handler of its range. An access no
 * handler accepts (read → undefined, write → false) is #GP(0), as on hardware.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import { BusConflictError } from './errors.js';

export interface MsrHandler {
  /** The MSR's value, or undefined for #GP(0). */
  read(vcpu: Vcpu, index: number): bigint | undefined;
  /** true when the write was accepted, false for #GP(0). */
  write(vcpu: Vcpu, index: number, value: bigint): boolean;
}

interface MsrRange {
  first: number;
  last: number;
  handler: MsrHandler;
}

export class MsrRegistry {
  private ranges: MsrRange[] = [];

  /** applyRanges hands the [first, last] pairs to the backend (vm.setMsrExitRanges). */
  constructor(private readonly applyRanges: (ranges: Array<[number, number]>) => void) {}

  register(first: number, last: number, handler: MsrHandler): void {
    const u32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
    if (!u32(first) || !u32(last) || last < first) {
      throw new RangeError(`MSR range 0x${first.toString(16)}-0x${last.toString(16)} is not a valid u32 range`);
    }
    for (const r of this.ranges) {
      if (first <= r.last && r.first <= last) {
        throw new BusConflictError(`MSRs 0x${first.toString(16)}-0x${last.toString(16)} overlap 0x${r.first.toString(16)}-0x${r.last.toString(16)}`);
      }
    }
    this.ranges = [...this.ranges, { first, last, handler }].sort((a, b) => a.first - b.first);
    this.applyRanges(this.ranges.map((r) => [r.first, r.last]));
  }

  /** The handler whose range holds index (binary search, no allocation). */
  find(index: number): MsrHandler | undefined {
    const ranges = this.ranges;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = ranges[mid]!;
      if (index < r.first) hi = mid - 1;
      else if (index > r.last) lo = mid + 1;
      else return r.handler;
    }
    return undefined;
  }

  list(): Array<{ first: number; last: number }> {
    return this.ranges.map((r) => ({ first: r.first, last: r.last }));
  }

  /** Completes an MSR exit of vcpu: RDMSR gets the value or #GP, WRMSR is applied or #GP. */
  /** -d guest_errors: told about every routed RDMSR/WRMSR that ends in #GP (null: nobody listens). */
  onRejected: ((vcpu: Vcpu, index: number, isWrite: boolean, value: bigint) => void) | null = null;

  dispatch(vcpu: Vcpu, isWrite: boolean): void {
    const index = vcpu.msrIndex;
    const handler = this.find(index);
    if (handler === undefined) {
      this.reject(vcpu, index, isWrite);
      return;
    }
    if (isWrite) {
      if (handler.write(vcpu, index, vcpu.msrData)) vcpu.acceptMsrAccess();
      else this.reject(vcpu, index, isWrite);
      return;
    }
    const value = handler.read(vcpu, index);
    if (value === undefined) {
      this.reject(vcpu, index, isWrite);
      return;
    }
    vcpu.msrData = value;
    vcpu.acceptMsrAccess();
  }

  private reject(vcpu: Vcpu, index: number, isWrite: boolean): void {
    vcpu.failMsrAccess();
    this.onRejected?.(vcpu, index, isWrite, isWrite ? vcpu.msrData : 0n);
  }
}
