/**
 * The KVM paravirtual interface of a machine: kvmclock MSRs, the KVM
 * hypercalls (a hypercall provider that takes every VMCALL/VMMCALL the
 * Hyper-V provider does not claim) and, when advertised, the batched
 * hypercall queue. Only what CPUID 0x40000001 advertises answers: an
 * unadvertised MSR is #GP, an unadvertised hypercall -KVM_ENOSYS.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { Clock } from '../machine/clock.js';
import type { GuestMemory } from '../machine/guest-memory.js';
import type { Hypercalls } from '../machine/hypercalls.js';
import type { ApicBus } from '../machine/interrupt-types.js';
import type { MsrRegistry } from '../machine/msr-registry.js';
import { Kvmclock } from './kvmclock.js';
import { MSR_KVM_STEAL_TIME, StealTime } from './steal-time.js';
import { PvUnhalt, type VcpuWaker } from './pv-unhalt.js';
import { MSR_KVM_PV_EOI_EN, PvEoi, type PvEoiApic } from './pv-eoi.js';
import { MSR_KVM_POLL_CONTROL, PollControl } from './poll-control.js';
import { HcQueue } from './hcqueue.js';
import { HC_TSVISOR_QUEUE_FLUSH, MSR_TSVISOR_HCQUEUE } from './hcqueue-abi.js';
import {
  completeKvmHypercall,
  type HypercallArgs,
  KVM_EFAULT,
  KVM_EINVAL,
  KVM_ENOSYS,
  KVM_EOPNOTSUPP,
  KVM_HC_CLOCK_PAIRING,
  KVM_HC_KICK_CPU,
  KVM_HC_SCHED_YIELD,
  KVM_HC_SEND_IPI,
  KVM_HC_VAPIC_POLL_IRQ,
} from './kvm-hypercalls.js';
import { MSR_KVM_SYSTEM_TIME, MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK, MSR_KVM_WALL_CLOCK_NEW } from './pvclock-layout.js';

/** KVM_HC_CLOCK_PAIRING's struct kvm_clock_pairing: s64 sec, s64 nsec, u64 tsc, u32 flags, u32 pad[9]. */
const CLOCK_PAIRING_SIZE = 64;
const KVM_CLOCK_PAIRING_WALLCLOCK = 0n;
/** Fixed and NMI are the delivery modes KVM_HC_SEND_IPI accepts (its ICR's bits 8-10). */
const DM_FIXED = 0;
const DM_NMI = 4;

export interface KvmParavirtContext {
  vcpus: readonly Vcpu[];
  clock: Clock;
  memory: GuestMemory;
  msrs: MsrRegistry;
  hypercalls: Hypercalls;
  apicBus: ApicBus;
  /** The effective KVM flags (lib/paravirt/kvm-features.ts). */
  flags: ReadonlySet<string>;
  /** Seconds since the epoch at guest time 0. */
  wallClockEpochSeconds: () => number;
  /** Whether vCPU i is runnable (the run loop's state), for steal time. */
  runnable: (index: number) => boolean;
  /** Halted state and wake-up of a vCPU, for PV unhalt. */
  waker: VcpuWaker;
  /** Guest RAM as 32-bit words and vm.invalidateCode (the hypercall queue's PTE stores). */
  ramWords: Uint32Array;
  invalidateCode: (gpa: number, length: number) => void;
  /** Drops every vCPU's translations (the hypercall queue's INVLPG / FLUSH_TLB). */
  flushAllTlbs: () => void;
  /** Drops vCPU i's translations (PV TLB flush). */
  flushVcpuTlb: (index: number) => void;
  /** The vCPUs' local APICs (PV EOI's lazy-EOI flag). */
  apics: readonly PvEoiApic[];
}

export class KvmParavirt {
  readonly kvmclock: Kvmclock | undefined;
  readonly queue: HcQueue | undefined;
  readonly stealTime: StealTime | undefined;
  readonly unhalt: PvUnhalt | undefined;
  readonly pvEoi: PvEoi | undefined;
  readonly pollControl: PollControl | undefined;
  /** Hypercalls handled (diagnostics, benchmarks). */
  hypercallCount = 0;

  constructor(private readonly ctx: KvmParavirtContext) {
    const { flags } = ctx;
    if (flags.has('kvmclock')) {
      const kc = new Kvmclock(ctx.vcpus, ctx.clock, ctx.memory, {
        stableBitAllowed: flags.has('kvmclock-stable-bit'),
        wallClockEpochSeconds: ctx.wallClockEpochSeconds,
      });
      this.kvmclock = kc;
      const systemTime = {
        read: (vcpu: Vcpu) => kc.readSystemTimeMsr(vcpu.id),
        write: (vcpu: Vcpu, _index: number, value: bigint) => (kc.writeSystemTime(vcpu.id, value), true),
      };
      const wallClock = {
        read: () => kc.readWallClockMsr(),
        write: (_vcpu: Vcpu, _index: number, value: bigint) => (kc.writeWallClock(value), true),
      };
      const both = (wall: number, sys: number) =>
        ctx.msrs.register(wall, sys, {
          read: (vcpu, index) => (index === wall ? wallClock.read() : systemTime.read(vcpu)),
          write: (vcpu, index, value) => (index === wall ? wallClock.write(vcpu, index, value) : systemTime.write(vcpu, index, value)),
        });
      both(MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME);
      both(MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW);
    }
    if (flags.has('kvm-steal-time')) {
      const st = new StealTime(ctx.vcpus.length, ctx.clock, ctx.memory, ctx.runnable, ctx.flushVcpuTlb);
      this.stealTime = st;
      ctx.msrs.register(MSR_KVM_STEAL_TIME, MSR_KVM_STEAL_TIME, {
        read: (vcpu) => st.read(vcpu.id),
        write: (vcpu, _index, value) => st.write(vcpu.id, value),
      });
    }
    if (flags.has('kvm-pv-eoi')) {
      const pe = new PvEoi(ctx.apics, ctx.memory);
      this.pvEoi = pe;
      ctx.msrs.register(MSR_KVM_PV_EOI_EN, MSR_KVM_PV_EOI_EN, {
        read: (vcpu) => pe.read(vcpu.id),
        write: (vcpu, _index, value) => pe.write(vcpu.id, value),
      });
    }
    if (flags.has('kvm-poll-control')) {
      const pc = new PollControl(ctx.vcpus.length);
      this.pollControl = pc;
      ctx.msrs.register(MSR_KVM_POLL_CONTROL, MSR_KVM_POLL_CONTROL, {
        read: (vcpu) => pc.read(vcpu.id),
        write: (vcpu, _index, value) => pc.write(vcpu.id, value),
      });
    }
    if (flags.has('kvm-pv-unhalt')) this.unhalt = new PvUnhalt(ctx.vcpus.length, ctx.waker);
    if (flags.has('kvm-hcqueue')) {
      const q = new HcQueue({
        memory: ctx.memory,
        ramWords: ctx.ramWords,
        invalidateCode: ctx.invalidateCode,
        vcpuCount: ctx.vcpus.length,
        apicBus: ctx.apicBus,
        kvmHypercall: (vcpu, args) => this.execute(vcpu, args),
        flushAllTlbs: ctx.flushAllTlbs,
      });
      this.queue = q;
      ctx.msrs.register(MSR_TSVISOR_HCQUEUE, MSR_TSVISOR_HCQUEUE, {
        read: (vcpu) => q.readMsr(vcpu),
        write: (vcpu, _index, value) => q.writeMsr(vcpu, value),
      });
    }
    if (flags.has('kvm')) {
      ctx.hypercalls.addProvider({
        name: 'kvm',
        claims: () => true,
        handle: (vcpu) => {
          this.hypercallCount++;
          completeKvmHypercall(vcpu, this.execute);
        },
      });
    }
  }

  /** System reset: every PV MSR back to its power-on 0, so nothing is written into the next boot's memory. */
  reset(): void {
    this.kvmclock?.reset();
    this.stealTime?.reset();
    this.queue?.reset();
    this.unhalt?.reset();
    this.pvEoi?.reset();
    this.pollControl?.reset();
  }

  /** The Node API's counterpart of a host clocksource change: kvmclock drops PVCLOCK_TSC_STABLE_BIT. */
  declareHostClockUnstable(): void {
    this.kvmclock?.setHostClockStable(false);
  }

  /** The host clock is trustworthy again: the stable bit returns (if the vCPUs' TSCs match). */
  declareHostClockStable(): void {
    this.kvmclock?.setHostClockStable(true);
  }

  /** Before every slice (of vCPU index): publish a new master clock if a TSC offset moved; account steal time. */
  beforeSlice(index: number): void {
    this.kvmclock?.publishIfChanged();
    this.stealTime?.beforeSlice(index);
    this.unhalt?.applyPending();
  }

  /** After pause/resume. */
  resumed(): void {
    this.kvmclock?.guestResumed();
  }

  /** One KVM hypercall (also what the hypercall queue calls for a KVM number). */
  readonly execute = (vcpu: Vcpu, a: HypercallArgs): bigint => {
    const flags = this.ctx.flags;
    switch (a.nr) {
      case HC_TSVISOR_QUEUE_FLUSH:
        if (this.queue !== undefined) return this.queue.flush(vcpu);
        break;
      case BigInt(KVM_HC_KICK_CPU):
        if (this.unhalt !== undefined) return this.unhalt.kick(a.a1);
        break;
      case BigInt(KVM_HC_VAPIC_POLL_IRQ):
        // Nothing to poll: interrupts are offered on every return to the guest anyway.
        return 0n;
      case BigInt(KVM_HC_CLOCK_PAIRING):
        if (flags.has('kvmclock')) return this.clockPairing(vcpu, a.a0, a.a1);
        break;
      case BigInt(KVM_HC_SEND_IPI):
        if (flags.has('kvm-pv-ipi')) return this.sendIpi(a);
        break;
      case BigInt(KVM_HC_SCHED_YIELD):
        if (flags.has('kvm-pv-sched-yield')) {
          // The slice ends at once, so the round-robin moves on to the other vCPUs.
          if (this.ctx.vcpus.length > 1) vcpu.requestImmediateExit(true);
          return 0n;
        }
        break;
    }
    return -BigInt(KVM_ENOSYS);
  };

  /** KVM_HC_CLOCK_PAIRING: wall-clock time and the caller's TSC at one instant, at GPA gpa. */
  private clockPairing(vcpu: Vcpu, gpa: bigint, type: bigint): bigint {
    if (type !== KVM_CLOCK_PAIRING_WALLCLOCK) return -BigInt(KVM_EOPNOTSUPP);
    // Pairing is only meaningful while the TSC is a stable clocksource (KVM's master clock).
    const kc = this.kvmclock!;
    if (!kc.tscsMatched || !kc.hostStableNow) return -BigInt(KVM_EOPNOTSUPP);
    if (gpa > BigInt(this.ctx.memory.size - CLOCK_PAIRING_SIZE)) return -BigInt(KVM_EFAULT);
    const at = Number(gpa);
    const ns = BigInt(Math.floor(this.ctx.clock.nowNs()));
    const tsc = (ns * BigInt(this.ctx.clock.tscKhz)) / 1_000_000n + vcpu.tscOffset;
    const wallNs = BigInt(Math.floor(this.ctx.wallClockEpochSeconds() * 1e9)) + ns;
    const m = this.ctx.memory;
    m.fill(at, CLOCK_PAIRING_SIZE, 0);
    m.writeU64(at, wallNs / 1_000_000_000n);
    m.writeU64(at + 8, wallNs % 1_000_000_000n);
    m.writeU64(at + 16, BigInt.asUintN(64, tsc));
    m.writeU32(at + 24, 0);
    return 0n;
  }

  /** KVM_HC_SEND_IPI: a0/a1 = 128-bit bitmap of APIC IDs from a2 upwards, a3 = ICR (vector, fixed/NMI). Returns the IPIs sent. */
  private sendIpi(a: HypercallArgs): bigint {
    const icr = Number(a.a3 & 0xffff_ffffn);
    const mode = (icr >> 8) & 7;
    if (mode !== DM_FIXED && mode !== DM_NMI) return -BigInt(KVM_EINVAL);
    const min = a.a2;
    let sent = 0n;
    for (let bit = 0; bit < 128; bit++) {
      const word = bit < 64 ? a.a0 : a.a1;
      if (((word >> BigInt(bit & 63)) & 1n) === 0n) continue;
      const id = min + BigInt(bit);
      if (id >= BigInt(this.ctx.vcpus.length)) continue; // no such APIC: nothing to deliver
      this.ctx.apicBus.deliver({ vector: icr & 0xff, deliveryMode: mode, logical: false, destination: Number(id), levelTriggered: false });
      sent++;
    }
    return sent;
  }
}
