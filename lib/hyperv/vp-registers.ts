/**
 * The per-VP and machine-control MSRs: HV_X64_MSR_VP_INDEX (hv-vpindex),
 * HV_X64_MSR_VP_RUNTIME (hv-runtime), HV_X64_MSR_RESET (hv-reset), the
 * frequency MSRs (hv-frequencies), the crash MSRs (hv-crash) and the
 * re-enlightenment MSRs (hv-reenlightenment).
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { Clock } from '../machine/clock.js';
import {
  HV_CRASH_CTL_CRASH_NOTIFY,
  HV_REENLIGHTENMENT_CONTROL_VALID,
  HV_TSC_EMULATION_VALID,
  HV_X64_MSR_RESET_BIT,
} from './hyperv-proto.js';

/**
 * VP_RUNTIME: the guest time a vCPU spent running guest code, in 100 ns, on
 * both backends. The interpreter counts instructions: the vCPUs share one
 * thread, so a vCPU's share of guest time is its share of the instructions
 * retired, exact under -icount (instructions << shift ns), in real time the
 * share of elapsed guest time. KVM counts no instructions; the kvm backend
 * measures the time each vCPU spends inside KVM_RUN instead (Vcpu.runNs; real
 * time is the guest's time there, as -icount is not available). Never goes
 * backwards.
 */
export class VpRuntime {
  private readonly last: bigint[];

  constructor(private readonly clock: Clock, vcpuCount: number) {
    this.last = new Array<bigint>(vcpuCount).fill(0n);
  }

  read(vcpu: Vcpu): bigint {
    let ns: number;
    if (this.clock.mode === 'icount') {
      ns = Number(vcpu.instret) * 2 ** this.clock.icountShift;
    } else if (vcpu.runNs !== 0n) {
      ns = Number(vcpu.runNs);
    } else {
      const total = this.clock.vmInstructions;
      ns = total === 0 ? 0 : (this.clock.nowNs() * Number(vcpu.instret)) / total;
    }
    let v = BigInt(Math.floor(ns / 100));
    const prev = this.last[vcpu.id] ?? 0n;
    if (v < prev) v = prev;
    this.last[vcpu.id] = v;
    return v;
  }

  reset(): void {
    this.last.fill(0n);
  }
}

/** What a crash notification reports: the five parameters the guest left in CRASH_P0-P4. */
export type CrashReport = readonly [bigint, bigint, bigint, bigint, bigint];

export function describeCrash(p: CrashReport): string {
  const hex = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;
  return `guest crashed (Hyper-V crash notification): P0=${hex(p[0])} P1=${hex(p[1])} P2=${hex(p[2])} P3=${hex(p[3])} P4=${hex(p[4])}`;
}

/**
 * CRASH_P0-P4 (free-form guest parameters) and CRASH_CTL. Reading CRASH_CTL
 * tells which notifications are supported (CrashNotify only: the message
 * variant, which hands over a GPA of a text, is not offered); writing it with
 * CrashNotify set reports the crash.
 */
export class CrashMsrs {
  private readonly params: bigint[] = [0n, 0n, 0n, 0n, 0n];

  constructor(private readonly onCrash: (report: CrashReport) => void) {}

  readParam(i: number): bigint {
    return this.params[i]!;
  }

  writeParam(i: number, value: bigint): void {
    this.params[i] = value;
  }

  readControl(): bigint {
    return HV_CRASH_CTL_CRASH_NOTIFY;
  }

  writeControl(value: bigint): boolean {
    if ((value & ~HV_CRASH_CTL_CRASH_NOTIFY) !== 0n) return false; // only CrashNotify is supported
    if (value !== 0n) {
      const p = this.params;
      this.onCrash([p[0]!, p[1]!, p[2]!, p[3]!, p[4]!]);
    }
    return true;
  }

  reset(): void {
    this.params.fill(0n);
  }
}

/** RESET: writing bit 0 resets the machine; reads 0. */
export function writeResetMsr(value: bigint, reset: () => void): boolean {
  if ((value & ~HV_X64_MSR_RESET_BIT) !== 0n) return false;
  if (value === HV_X64_MSR_RESET_BIT) reset();
  return true;
}

/**
 * Re-enlightenment: the guest asks to be told (by an interrupt) when the TSC
 * frequency changes after a migration, and how TSC emulation goes meanwhile.
 * tsvisor's TSC frequency never changes, so no notification is ever due; the
 * MSRs hold what the guest writes, reserved bits #GP.
 */
export class ReenlightenmentMsrs {
  control = 0n;
  emulationControl = 0n;
  emulationStatus = 0n;

  writeControl(value: bigint): boolean {
    if ((value & ~HV_REENLIGHTENMENT_CONTROL_VALID) !== 0n) return false;
    this.control = value;
    return true;
  }

  writeEmulationControl(value: bigint): boolean {
    if ((value & ~HV_TSC_EMULATION_VALID) !== 0n) return false;
    this.emulationControl = value;
    return true;
  }

  writeEmulationStatus(value: bigint): boolean {
    if ((value & ~HV_TSC_EMULATION_VALID) !== 0n) return false;
    this.emulationStatus = value;
    return true;
  }

  reset(): void {
    this.control = 0n;
    this.emulationControl = 0n;
    this.emulationStatus = 0n;
  }
}
