/**
 * Hyper-V for one machine: the enlightenments that are on (HypervFeatures),
 * their MSRs (one registry range, 0x40000000-0x40000108: an MSR whose
 * enlightenment is off is #GP, as for any MSR that does not exist), the
 * hypercall provider and the CPUID leaves. The Machine builds it when any
 * hv-* flag is set.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { CpuidEntry } from '../hypervisor/vm.js';
import type { Clock } from '../machine/clock.js';
import type { GuestMemory } from '../machine/guest-memory.js';
import type { Hypercalls } from '../machine/hypercalls.js';
import type { MsrRegistry } from '../machine/msr-registry.js';
import { hypervCpuidLeaves } from './cpuid-leaves.js';
import type { HypervFeatures } from './features.js';
import { HypercallPage } from './hypercall-page.js';
import { HypervHypercalls } from './hypercalls.js';
import * as hv from './hyperv-proto.js';
import { ReferenceTime } from './reference-time.js';
import { SynicConnections } from './connections.js';
import { Synic } from './synic.js';
import { SyntheticTimers } from './stimer.js';
import { Vapic, type VapicApic } from './vapic.js';
import { CrashMsrs, ReenlightenmentMsrs, VpRuntime, writeResetMsr, type CrashReport } from './vp-registers.js';

export interface HypervDeps {
  readonly vcpus: readonly Vcpu[];
  readonly memory: GuestMemory;
  readonly clock: Clock;
  readonly msrs: MsrRegistry;
  readonly hypercalls: Hypercalls;
  /** LAPIC timer input frequency (HV_X64_MSR_APIC_FREQUENCY). */
  readonly apicFrequencyHz: number;
  /** CRASH_CTL notification: stop the machine. */
  readonly crash: (report: CrashReport) => void;
  /** RESET MSR: system reset. */
  readonly reset: () => void;
  /** End the vCPU's slice so another runs (HvNotifyLongSpinWait). */
  readonly yieldVcpu: (vcpu: Vcpu) => void;
  /** The local APIC of each vCPU (SINT delivery, auto-EOI, EOI notification). */
  readonly apics: readonly SynicApic[];
  /** Drops every vCPU's TLB (hv-tlbflush; the backend has no per-VP flush). */
  readonly flushTlbs: () => void;
  /** The code of the hypercall page (default VMCALL; RET; the kvm backend traps with OUT 0x7e: hypercallPageCode). */
  readonly hypercallPageCode?: Uint8Array;
}

/** What the SynIC and hv-vapic need from a local APIC (lib/devices/lapic.ts). */
export interface SynicApic extends VapicApic {
  acceptInterrupt(vector: number, levelTriggered: boolean): void;
  setAutoEoi(vector: number, on: boolean): void;
  onVectorRetired: ((vector: number) => void) | undefined;
}

export const HYPERV_MSR_FIRST = hv.HV_X64_MSR_GUEST_OS_ID;
export const HYPERV_MSR_LAST = hv.HV_X64_MSR_TSC_EMULATION_STATUS;

export class Hyperv {
  readonly hypercallPage: HypercallPage;
  readonly referenceTime: ReferenceTime;
  readonly hypercalls: HypervHypercalls;
  private readonly runtime: VpRuntime;
  private readonly crashMsrs: CrashMsrs;
  private readonly reenlightenment = new ReenlightenmentMsrs();
  /** hv-synic: the SynIC of every VP and the connections HvPostMessage/HvSignalEvent use. */
  readonly synic: Synic | undefined;
  readonly connections = new SynicConnections();
  /** hv-vapic: APIC MSRs and the VP assist page. */
  readonly vapic: Vapic | undefined;
  /** hv-stimer: four synthetic timers per VP. */
  readonly stimers: SyntheticTimers | undefined;

  constructor(readonly features: HypervFeatures, private readonly deps: HypervDeps) {
    this.hypercallPage = new HypercallPage(deps.memory, deps.hypercallPageCode);
    this.referenceTime = new ReferenceTime(deps.clock, deps.memory, () => deps.vcpus[0]!.tscOffset);
    this.runtime = new VpRuntime(deps.clock, deps.vcpus.length);
    this.crashMsrs = new CrashMsrs(deps.crash);
    if (features.on.has('hv-vapic')) this.vapic = new Vapic(deps.memory, deps.apics);
    if (features.on.has('hv-synic')) {
      const synic = new Synic(deps.memory, deps.vcpus.length, {
        raise: (vp, vector) => deps.apics[vp]!.acceptInterrupt(vector, false),
        setAutoEoi: (vp, vector, on) => deps.apics[vp]!.setAutoEoi(vector, on),
      });
      deps.apics.forEach((apic, vp) => (apic.onVectorRetired = (vector) => synic.vectorRetired(vp, vector)));
      this.synic = synic;
      if (features.on.has('hv-stimer')) {
        this.stimers = new SyntheticTimers(
          deps.clock,
          deps.vcpus.length,
          synic,
          { now: () => this.referenceTime.timeRefCount(), raise: (vp, vector) => deps.apics[vp]!.acceptInterrupt(vector, false) },
          features.on.has('hv-stimer-direct'),
        );
      }
    }
    this.hypercalls = new HypervHypercalls({
      ramSize: deps.memory.size,
      readRam: (gpa, length) => deps.memory.read(gpa, length),
      pageEnabled: () => this.hypercallPage.enabled,
      spinlockRetries: features.spinlockRetries,
      yieldVcpu: deps.yieldVcpu,
      ...(this.synic !== undefined ? { synic: { synic: this.synic, connections: this.connections } } : {}),
      vpCount: deps.vcpus.length,
      ...(features.on.has('hv-tlbflush') ? { flushTlbs: () => deps.flushTlbs() } : {}),
      ...(features.on.has('hv-ipi') ? { sendIpi: (vp: number, vector: number) => deps.apics[vp]!.acceptInterrupt(vector, false) } : {}),
    });
    deps.msrs.register(HYPERV_MSR_FIRST, HYPERV_MSR_LAST, {
      read: (vcpu, index) => this.readMsr(vcpu, index),
      write: (vcpu, index, value) => this.writeMsr(vcpu, index, value),
    });
    deps.hypercalls.addProvider(this.hypercalls);
  }

  private on(flag: string): boolean {
    return this.features.on.has(flag);
  }

  /** CPUID 0x40000000-0x4000000A for this machine. */
  cpuidLeaves(): CpuidEntry[] {
    return hypervCpuidLeaves(this.features, { vcpus: this.deps.vcpus.length });
  }

  /** The clock was re-based (resume after a pause): republish the reference TSC page under its seqlock. */
  clockChanged(): void {
    this.referenceTime.publish();
  }

  /** System reset: every MSR back to 0, pages disabled. */
  reset(): void {
    this.hypercallPage.reset();
    this.referenceTime.reset();
    this.runtime.reset();
    this.crashMsrs.reset();
    this.reenlightenment.reset();
    this.synic?.reset();
    this.stimers?.reset();
    this.vapic?.reset();
    // Connections belong to the host side (devices): they survive a guest reset.
  }

  readMsr(vcpu: Vcpu, index: number): bigint | undefined {
    if (index >= hv.HV_X64_MSR_SCONTROL && index <= hv.HV_X64_MSR_SINT15) return this.synic?.readMsr(vcpu.id, index);
    if (index >= hv.HV_X64_MSR_STIMER0_CONFIG && index <= hv.HV_X64_MSR_STIMER3_COUNT) return this.stimers?.readMsr(vcpu.id, index);
    switch (index) {
      case hv.HV_X64_MSR_GUEST_OS_ID:
        return this.hypercallPage.guestOsId;
      case hv.HV_X64_MSR_HYPERCALL:
        return this.hypercallPage.hypercallMsr;
      case hv.HV_X64_MSR_VP_INDEX:
        return this.on('hv-vpindex') ? BigInt(vcpu.id) : undefined; // VP index = APIC ID = vCPU index
      case hv.HV_X64_MSR_RESET:
        return this.on('hv-reset') ? 0n : undefined;
      case hv.HV_X64_MSR_VP_RUNTIME:
        return this.on('hv-runtime') ? this.runtime.read(vcpu) : undefined;
      case hv.HV_X64_MSR_TIME_REF_COUNT:
        return this.on('hv-time') ? this.referenceTime.timeRefCount() : undefined;
      case hv.HV_X64_MSR_REFERENCE_TSC:
        return this.on('hv-time') ? this.referenceTime.referenceTscMsr : undefined;
      case hv.HV_X64_MSR_TSC_FREQUENCY:
        return this.on('hv-frequencies') ? BigInt(this.deps.clock.tscKhz) * 1000n : undefined;
      case hv.HV_X64_MSR_APIC_FREQUENCY:
        return this.on('hv-frequencies') ? BigInt(this.deps.apicFrequencyHz) : undefined;
      case hv.HV_X64_MSR_CRASH_CTL:
        return this.on('hv-crash') ? this.crashMsrs.readControl() : undefined;
      case hv.HV_X64_MSR_ICR:
        return this.vapic?.readIcr(vcpu.id);
      case hv.HV_X64_MSR_TPR:
        return this.vapic?.readTpr(vcpu.id);
      case hv.HV_X64_MSR_VP_ASSIST_PAGE:
        return this.vapic?.readAssistPage(vcpu.id);
      case hv.HV_X64_MSR_REENLIGHTENMENT_CONTROL:
        return this.on('hv-reenlightenment') ? this.reenlightenment.control : undefined;
      case hv.HV_X64_MSR_TSC_EMULATION_CONTROL:
        return this.on('hv-reenlightenment') ? this.reenlightenment.emulationControl : undefined;
      case hv.HV_X64_MSR_TSC_EMULATION_STATUS:
        return this.on('hv-reenlightenment') ? this.reenlightenment.emulationStatus : undefined;
      default:
        if (index >= hv.HV_X64_MSR_CRASH_P0 && index <= hv.HV_X64_MSR_CRASH_P4 && this.on('hv-crash')) {
          return this.crashMsrs.readParam(index - hv.HV_X64_MSR_CRASH_P0);
        }
        return undefined;
    }
  }

  writeMsr(vcpu: Vcpu, index: number, value: bigint): boolean {
    if (index >= hv.HV_X64_MSR_SCONTROL && index <= hv.HV_X64_MSR_SINT15) return this.synic?.writeMsr(vcpu.id, index, value) ?? false;
    if (index >= hv.HV_X64_MSR_STIMER0_CONFIG && index <= hv.HV_X64_MSR_STIMER3_COUNT) {
      return this.stimers?.writeMsr(vcpu.id, index, value) ?? false;
    }
    switch (index) {
      case hv.HV_X64_MSR_GUEST_OS_ID:
        return this.hypercallPage.writeGuestOsId(value);
      case hv.HV_X64_MSR_HYPERCALL:
        return this.hypercallPage.writeHypercallMsr(value);
      case hv.HV_X64_MSR_RESET:
        return this.on('hv-reset') && writeResetMsr(value, this.deps.reset);
      case hv.HV_X64_MSR_REFERENCE_TSC:
        return this.on('hv-time') && this.referenceTime.writeReferenceTscMsr(value);
      case hv.HV_X64_MSR_CRASH_CTL:
        return this.on('hv-crash') && this.crashMsrs.writeControl(value);
      case hv.HV_X64_MSR_EOI:
        return this.vapic?.writeEoi(vcpu.id) ?? false;
      case hv.HV_X64_MSR_ICR:
        return this.vapic?.writeIcr(vcpu.id, value) ?? false;
      case hv.HV_X64_MSR_TPR:
        return this.vapic?.writeTpr(vcpu.id, value) ?? false;
      case hv.HV_X64_MSR_VP_ASSIST_PAGE:
        return this.vapic?.writeAssistPage(vcpu.id, value) ?? false;
      case hv.HV_X64_MSR_REENLIGHTENMENT_CONTROL:
        return this.on('hv-reenlightenment') && this.reenlightenment.writeControl(value);
      case hv.HV_X64_MSR_TSC_EMULATION_CONTROL:
        return this.on('hv-reenlightenment') && this.reenlightenment.writeEmulationControl(value);
      case hv.HV_X64_MSR_TSC_EMULATION_STATUS:
        return this.on('hv-reenlightenment') && this.reenlightenment.writeEmulationStatus(value);
      default:
        if (index >= hv.HV_X64_MSR_CRASH_P0 && index <= hv.HV_X64_MSR_CRASH_P4 && this.on('hv-crash')) {
          this.crashMsrs.writeParam(index - hv.HV_X64_MSR_CRASH_P0, value);
          return true;
        }
        // VP_INDEX, VP_RUNTIME, TIME_REF_COUNT and the frequency MSRs are read-only: #GP.
        return false;
    }
  }
}

/** Process status of a machine stopped by a guest crash notification (distinct from 0, error 1 and isa-debug-exit's odd values). */
export const HYPERV_CRASH_EXIT_STATUS = 2;
