/**
 * The virtual clock: the only source of guest time. It owns the VM clock
 * buffer the backend reads for RDTSC (see tsvisor_abi.h for the formula) and
 * the timer deadlines the run loop schedules slices around.
 *
 * realtime: guest ns follow the host monotonic clock.
 * icount:   guest ns = instructions retired << shift, so a run is
 *           reproducible; when every vCPU is halted the clock warps to the
 *           next deadline instead of waiting.
 * pause()/resume() re-base, so guest time does not jump over a pause.
 */
import * as abi from '../hypervisor/abi.generated.js';
import type { ClockConfig } from './config.js';

/** Advertised TSC frequency: 2.0 GHz. */
export const DEFAULT_TSC_KHZ = 2_000_000;

const TWO_32 = 0x1_0000_0000;

export type TimerCallback = () => void;

export class Timer {
  /** Guest ns at which the timer fires; Infinity while disarmed. */
  deadline = Infinity;

  constructor(private readonly clock: Clock, readonly callback: TimerCallback, readonly order: number) {}

  /** Fires the callback once guest time reaches guestNs (re-arming moves the deadline). */
  arm(guestNs: number): void {
    if (!Number.isFinite(guestNs)) throw new RangeError(`timer deadline must be a finite guest time in ns, got ${guestNs}`);
    // Whole nanoseconds, rounded up: a fractional deadline would never be reached by an icount warp,
    // which moves the clock in whole nanoseconds.
    this.deadline = Math.ceil(guestNs);
    this.clock.timerChanged();
  }

  cancel(): void {
    this.deadline = Infinity;
    this.clock.timerChanged();
  }

  get armed(): boolean {
    return this.deadline !== Infinity;
  }
}

export class Clock {
  readonly mode: 'realtime' | 'icount';
  readonly icountShift: number;
  private readonly u32: Uint32Array;
  private readonly u64: BigUint64Array;
  private readonly timers: Timer[] = [];
  private pausedAt: number | undefined;
  private cachedNext = Infinity;
  private nextValid = true;
  /** Called when a timer is armed or cancelled (the run loop re-plans a sleeping wait). */
  onTimersChanged: (() => void) | undefined;

  constructor(
    vmState: ArrayBuffer,
    config: ClockConfig,
    private readonly hostNow: () => bigint,
    readonly tscKhz = DEFAULT_TSC_KHZ,
  ) {
    this.u32 = new Uint32Array(vmState, 0, abi.TSV_VM_BUFFER_SIZE / 4);
    this.u64 = new BigUint64Array(vmState, 0, abi.TSV_VM_BUFFER_SIZE / 8);
    this.mode = config.mode;
    this.icountShift = config.mode === 'icount' ? config.shift : 0;
    this.u32[abi.TSV_OFF_VM_CLOCK_MODE >> 2] = config.mode === 'icount' ? abi.TSV_CLOCK_ICOUNT : abi.TSV_CLOCK_REALTIME;
    this.u32[abi.TSV_OFF_VM_ICOUNT_SHIFT >> 2] = this.icountShift;
    this.u64[abi.TSV_OFF_VM_TSC_KHZ >> 3] = BigInt(tscKhz);
    this.u64[abi.TSV_OFF_VM_GUEST_BASE_NS >> 3] = 0n;
    this.u64[abi.TSV_OFF_VM_HOST_BASE_NS >> 3] = hostNow();
    this.u64[abi.TSV_OFF_VM_ICOUNT_BASE >> 3] = this.u64[abi.TSV_OFF_VM_INSTRET >> 3]!;
  }

  private readNumber(off: number): number {
    return this.u32[off >> 2]! + this.u32[(off >> 2) + 1]! * TWO_32;
  }

  /** Instructions retired by all vCPUs (the backend adds to it). */
  get vmInstructions(): number {
    return this.readNumber(abi.TSV_OFF_VM_INSTRET);
  }

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }

  /** Current guest time in ns. */
  nowNs(): number {
    if (this.pausedAt !== undefined) return this.pausedAt;
    const guestBase = this.readNumber(abi.TSV_OFF_VM_GUEST_BASE_NS);
    if (this.mode === 'icount') {
      const executed = this.vmInstructions - this.readNumber(abi.TSV_OFF_VM_ICOUNT_BASE);
      return guestBase + executed * 2 ** this.icountShift;
    }
    return guestBase + Number(this.hostNow() - this.u64[abi.TSV_OFF_VM_HOST_BASE_NS >> 3]!);
  }

  /** Guest TSC (without any vCPU's tsc_offset) at the current guest time. */
  tsc(): bigint {
    return (BigInt(Math.floor(this.nowNs())) * BigInt(this.tscKhz)) / 1_000_000n;
  }

  /** Re-bases so that guest time is `guestNs` from now on. */
  private rebase(guestNs: number): void {
    this.u64[abi.TSV_OFF_VM_GUEST_BASE_NS >> 3] = BigInt(Math.floor(guestNs));
    this.u64[abi.TSV_OFF_VM_HOST_BASE_NS >> 3] = this.hostNow();
    this.u64[abi.TSV_OFF_VM_ICOUNT_BASE >> 3] = this.u64[abi.TSV_OFF_VM_INSTRET >> 3]!;
  }

  /** Freezes guest time (machine paused). */
  pause(): void {
    if (this.pausedAt !== undefined) return;
    this.pausedAt = this.nowNs();
  }

  /** Guest time continues from where pause() froze it. */
  resume(): void {
    if (this.pausedAt === undefined) return;
    const at = this.pausedAt;
    this.pausedAt = undefined;
    this.rebase(at);
  }

  /** icount with every vCPU halted: jump guest time forward to guestNs (never backwards). */
  warpTo(guestNs: number): void {
    if (this.mode !== 'icount') throw new Error('clock warp is only meaningful in icount mode');
    if (guestNs > this.nowNs()) this.rebase(guestNs);
  }

  addTimer(callback: TimerCallback): Timer {
    const t = new Timer(this, callback, this.timers.length);
    this.timers.push(t);
    return t;
  }

  /** @internal called by Timer */
  timerChanged(): void {
    this.nextValid = false;
    this.onTimersChanged?.();
  }

  /** Earliest armed deadline in guest ns, Infinity when no timer is armed. */
  nextDeadlineNs(): number {
    if (!this.nextValid) {
      let next = Infinity;
      for (const t of this.timers) if (t.deadline < next) next = t.deadline;
      this.cachedNext = next;
      this.nextValid = true;
    }
    return this.cachedNext;
  }

  /**
   * Fires every timer whose deadline had passed when called, earliest first; returns how many fired.
   * A timer a callback re-arms for a time that has passed by then waits for the next call: in real
   * time a periodic timer shorter than one round of this loop (a guest's APIC timer with a count of
   * a few ticks) would otherwise be due again at every check and never let the loop end.
   */
  runExpiredTimers(): number {
    let fired = 0;
    const now = this.nowNs();
    for (;;) {
      if (this.nextDeadlineNs() > now) return fired;
      let due: Timer | undefined;
      for (const t of this.timers) {
        if (t.deadline === Infinity) continue;
        if (due === undefined || t.deadline < due.deadline || (t.deadline === due.deadline && t.order < due.order)) due = t;
      }
      if (due === undefined) return fired;
      due.deadline = Infinity;
      this.nextValid = false;
      fired++;
      due.callback();
    }
  }

  /** icount: instructions to run until guest time reaches guestNs (at least 1). */
  instructionsUntil(guestNs: number): number {
    const delta = guestNs - this.nowNs();
    if (delta <= 0) return 1;
    return Math.max(1, Math.ceil(delta / 2 ** this.icountShift));
  }

  /** realtime: the host monotonic time (ns) at which guest time reaches guestNs. */
  hostTimeOf(guestNs: number): bigint {
    const delta = Math.max(0, guestNs - this.nowNs());
    return this.hostNow() + BigInt(Math.ceil(delta));
  }
}
