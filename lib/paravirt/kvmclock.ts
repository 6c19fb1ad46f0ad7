/**
 * kvmclock: per-vCPU pvclock_vcpu_time_info structures in guest memory and
 * the wall clock, driven by one master clock.
 *
 * The master clock is one guest-time instant ns0 taken once: every vCPU's
 * structure gets system_time = ns0 and tsc_timestamp = its TSC at ns0. The
 * virtual TSC is an exact linear function of guest time (lib/machine/clock),
 * so the pair stays valid until something changes the relation: a vCPU's
 * TSC offset (a guest write to IA32_TSC or TSC_ADJUST), the host clock being
 * declared unstable, a pause/resume. Then a new ns0 is taken and published
 * to every vCPU before any runs again (publishIfChanged runs before every
 * slice). With all TSC offsets equal the pairs are identical, guest time is
 * monotonic across vCPUs and PVCLOCK_TSC_STABLE_BIT is set (when
 * kvmclock-stable-bit is advertised and the host clock is stable).
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { Clock } from '../machine/clock.js';
import type { GuestMemory } from '../machine/guest-memory.js';
import {
  PVCLOCK_GUEST_STOPPED,
  PVCLOCK_TSC_STABLE_BIT,
  PVTI,
  pvclockScale,
  SYSTEM_TIME_ENABLE,
  WALL,
} from './pvclock-layout.js';

interface VcpuClock {
  /** Last value written to the SYSTEM_TIME MSR (what RDMSR returns). */
  msr: bigint;
  /** GPA of the enabled structure, or -1. */
  gpa: number;
  version: number;
  /** GUEST_STOPPED goes into the next publication (the guest clears it). */
  stopped: boolean;
}

export interface KvmclockOptions {
  /** PVCLOCK_TSC_STABLE_BIT may be set (kvmclock-stable-bit). */
  stableBitAllowed: boolean;
  /** Seconds since the epoch at guest time 0 (host real time, or -rtc base=). */
  wallClockEpochSeconds: () => number;
}

export class Kvmclock {
  private readonly cpus: VcpuClock[];
  private readonly mul: number;
  private readonly shift: number;
  private ns0 = 0;
  private offsets: bigint[];
  private hostStable = true;
  private wallMsr = 0n;
  /** Master clock updates (diagnostics, tests). */
  updates = 0;

  constructor(
    private readonly vcpus: readonly Vcpu[],
    private readonly clock: Clock,
    private readonly memory: GuestMemory,
    private readonly options: KvmclockOptions,
  ) {
    this.cpus = vcpus.map(() => ({ msr: 0n, gpa: -1, version: 0, stopped: false }));
    ({ mul: this.mul, shift: this.shift } = pvclockScale(clock.tscKhz));
    this.offsets = vcpus.map((v) => v.tscOffset);
  }

  /** Whether every vCPU's TSC runs in step (equal offsets), which makes the master clock exact across vCPUs. */
  get tscsMatched(): boolean {
    return this.offsets.every((o) => o === this.offsets[0]);
  }

  /** System reset: every MSR back to 0, no structure is written any more. */
  reset(): void {
    for (const c of this.cpus) Object.assign(c, { msr: 0n, gpa: -1, stopped: false });
    this.wallMsr = 0n;
    this.refreshOffsets();
  }

  /** The host clock has not been declared unstable. */
  get hostStableNow(): boolean {
    return this.hostStable;
  }

  /** PVCLOCK_TSC_STABLE_BIT as currently published. */
  get stable(): boolean {
    return this.options.stableBitAllowed && this.hostStable && this.tscsMatched;
  }

  /** The current master pair: guest ns and the TSC of vcpu at that instant. */
  masterPair(index: number): { systemTime: bigint; tsc: bigint } {
    const ns = BigInt(this.ns0);
    return { systemTime: ns, tsc: (ns * BigInt(this.clock.tscKhz)) / 1_000_000n + this.offsets[index]! };
  }

  readSystemTimeMsr(index: number): bigint {
    return this.cpus[index]!.msr;
  }

  readWallClockMsr(): bigint {
    return this.wallMsr;
  }

  /** WRMSR SYSTEM_TIME(_NEW): bit 0 enables the structure at the (4-byte aligned) GPA. A GPA outside RAM is accepted but never written, as KVM does. */
  writeSystemTime(index: number, value: bigint): void {
    const c = this.cpus[index]!;
    c.msr = value;
    const gpa = Number(value & ~3n);
    c.gpa = (value & SYSTEM_TIME_ENABLE) !== 0n && this.fits(gpa, PVTI.SIZE) ? gpa : -1;
    this.refreshOffsets();
    this.publish(index);
  }

  /** WRMSR WALL_CLOCK(_NEW): writes the wall clock (time of guest ns 0) at the GPA once. */
  writeWallClock(value: bigint): void {
    this.wallMsr = value;
    const gpa = Number(value);
    if (!this.fits(gpa, WALL.SIZE)) return;
    const epochNs = BigInt(Math.floor(this.options.wallClockEpochSeconds() * 1e9));
    const version = (this.memory.readU32(gpa + WALL.VERSION) | 1) >>> 0; // odd while updating
    this.memory.writeU32(gpa + WALL.VERSION, version);
    this.memory.writeU32(gpa + WALL.SEC, Number(epochNs / 1_000_000_000n) >>> 0);
    this.memory.writeU32(gpa + WALL.NSEC, Number(epochNs % 1_000_000_000n));
    this.memory.writeU32(gpa + WALL.VERSION, (version + 1) >>> 0);
  }

  /** The host clocksource changed (the Node API's declareHostClockUnstable): no stable bit until declared stable again. */
  setHostClockStable(stable: boolean): void {
    if (this.hostStable === stable) return;
    this.hostStable = stable;
    this.update();
  }

  /** After a pause/resume: GUEST_STOPPED on every enabled structure, a fresh master pair. */
  guestResumed(): void {
    for (const c of this.cpus) if (c.gpa >= 0) c.stopped = true;
    this.update();
  }

  /** Before a slice: a TSC offset moved (guest WRMSR IA32_TSC / TSC_ADJUST, handled natively) → new master clock to all. */
  publishIfChanged(): void {
    for (let i = 0; i < this.vcpus.length; i++) {
      if (this.vcpus[i]!.tscOffset !== this.offsets[i]) {
        this.update();
        return;
      }
    }
  }

  /** New master pair for every vCPU. */
  update(): void {
    this.refreshOffsets();
    this.ns0 = Math.floor(this.clock.nowNs());
    this.updates++;
    for (let i = 0; i < this.cpus.length; i++) this.publish(i);
  }

  private refreshOffsets(): void {
    this.offsets = this.vcpus.map((v) => v.tscOffset);
  }

  private fits(gpa: number, size: number): boolean {
    return Number.isSafeInteger(gpa) && gpa >= 0 && gpa + size <= this.memory.size;
  }

  /** Writes vCPU index's structure with the version seqlock (odd while the fields change). */
  private publish(index: number): void {
    const c = this.cpus[index]!;
    if (c.gpa < 0) return;
    const m = this.memory;
    const { systemTime, tsc } = this.masterPair(index);
    c.version = (c.version + 1) | 1;
    m.writeU32(c.gpa + PVTI.VERSION, c.version >>> 0);
    m.writeU64(c.gpa + PVTI.TSC_TIMESTAMP, BigInt.asUintN(64, tsc));
    m.writeU64(c.gpa + PVTI.SYSTEM_TIME, systemTime);
    m.writeU32(c.gpa + PVTI.TSC_TO_SYSTEM_MUL, this.mul);
    m.writeU8(c.gpa + PVTI.TSC_SHIFT, this.shift & 0xff);
    m.writeU8(c.gpa + PVTI.FLAGS, (this.stable ? PVCLOCK_TSC_STABLE_BIT : 0) | (c.stopped ? PVCLOCK_GUEST_STOPPED : 0));
    c.stopped = false;
    c.version = (c.version + 1) >>> 0;
    m.writeU32(c.gpa + PVTI.VERSION, c.version);
  }
}
