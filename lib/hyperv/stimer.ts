/**
 * hv-stimer: four synthetic timers per VP (STIMER0-3 CONFIG/COUNT), counting
 * in the partition reference time (100 ns, TIME_REF_COUNT).
 *
 * - COUNT: one-shot = absolute expiration time; periodic = the period.
 *   Writing 0 disables the timer; writing non-zero with auto_enable set
 *   enables it.
 * - CONFIG: enable, periodic, lazy (held), auto_enable, sintx; direct mode
 *   (hv-stimer-direct) raises apic_vector on the VP's local APIC instead of
 *   posting a message. A message-mode timer with SINT 0 cannot be enabled.
 * - Expiry: HVMSG_TIMER_EXPIRED (timer index, expiration time, delivery time)
 *   into the SINT's message slot; a busy slot queues it (delivered after EOM,
 *   with the delivery time of then). A one-shot whose time is already past
 *   expires at once and disables itself. A periodic timer keeps its phase:
 *   periods that passed while the previous message was still undelivered (or
 *   the vCPUs did not run) merge into one expiry, the next one is the next
 *   multiple of the period.
 */
import type { Clock, Timer } from '../machine/clock.js';
import * as hv from './hyperv-proto.js';
import type { Synic } from './synic.js';

export interface StimerHost {
  /** Partition reference time (100 ns). */
  now(): bigint;
  /** Direct mode: raise `vector` on VP `vp`. */
  raise(vp: number, vector: number): void;
}

class SyntheticTimer {
  config = 0n;
  count = 0n;
  /** Reference time of the next expiry (0 = not armed). */
  expiration = 0n;
  /** A message of this timer waits for its slot. */
  messageQueued = false;
  readonly timer: Timer;

  constructor(clock: Clock, readonly vp: number, readonly index: number, fire: (t: SyntheticTimer) => void) {
    this.timer = clock.addTimer(() => fire(this));
  }

  get enabled(): boolean {
    return (this.config & hv.HV_STIMER_ENABLE) !== 0n;
  }
  get periodic(): boolean {
    return (this.config & hv.HV_STIMER_PERIODIC) !== 0n;
  }
  get direct(): boolean {
    return (this.config & hv.HV_STIMER_DIRECT_MODE) !== 0n;
  }
  get sint(): number {
    return Number((this.config >> hv.HV_STIMER_SINT_SHIFT) & 0xfn);
  }
  get vector(): number {
    return Number((this.config >> hv.HV_STIMER_APIC_VECTOR_SHIFT) & 0xffn);
  }
}

export class SyntheticTimers {
  private readonly timers: SyntheticTimer[][];

  constructor(
    private readonly clock: Clock,
    vpCount: number,
    private readonly synic: Synic,
    private readonly host: StimerHost,
    private readonly directAllowed: boolean,
  ) {
    this.timers = Array.from({ length: vpCount }, (_, vp) =>
      Array.from({ length: hv.HV_SYNIC_STIMER_COUNT }, (_, i) => new SyntheticTimer(clock, vp, i, (t) => this.expire(t))),
    );
  }

  private timerOf(vp: number, index: number): SyntheticTimer {
    return this.timers[vp]![(index - hv.HV_X64_MSR_STIMER0_CONFIG) >> 1]!;
  }

  readMsr(vp: number, index: number): bigint {
    const t = this.timerOf(vp, index);
    return (index - hv.HV_X64_MSR_STIMER0_CONFIG) & 1 ? t.count : t.config;
  }

  /** false = #GP. */
  writeMsr(vp: number, index: number, value: bigint): boolean {
    const t = this.timerOf(vp, index);
    if (((index - hv.HV_X64_MSR_STIMER0_CONFIG) & 1) === 1) {
      t.count = value;
      if (value === 0n) t.config &= ~hv.HV_STIMER_ENABLE;
      else if ((t.config & hv.HV_STIMER_AUTOENABLE) !== 0n) t.config |= hv.HV_STIMER_ENABLE;
      this.restart(t);
      return true;
    }
    if ((value & ~hv.HV_STIMER_CONFIG_VALID) !== 0n) return false;
    if ((value & hv.HV_STIMER_DIRECT_MODE) !== 0n && !this.directAllowed) return false;
    let config = value;
    // A message-mode timer needs a SINT other than 0.
    if ((config & hv.HV_STIMER_DIRECT_MODE) === 0n && ((config >> hv.HV_STIMER_SINT_SHIFT) & 0xfn) === 0n) config &= ~hv.HV_STIMER_ENABLE;
    t.config = config;
    this.restart(t);
    return true;
  }

  /** (Re)arms from the current COUNT/CONFIG; a timer without a count stays idle. */
  private restart(t: SyntheticTimer): void {
    t.expiration = 0n;
    t.timer.cancel();
    if (!t.enabled || t.count === 0n) return;
    const now = this.host.now();
    t.expiration = t.periodic ? now + t.count : t.count;
    this.arm(t);
  }

  /** Arms the clock timer for the guest ns at which the reference time reaches t.expiration. */
  private arm(t: SyntheticTimer): void {
    const now = this.host.now();
    if (t.expiration <= now) {
      t.timer.arm(this.clock.nowNs()); // already due (a one-shot in the past): at once
      return;
    }
    // One 100 ns unit of margin: TIME_REF_COUNT is the TSC scaled down, so it can trail ns/100 by one.
    t.timer.arm(this.clock.nowNs() + Number(t.expiration - now) * 100 + 100);
  }

  private expire(t: SyntheticTimer): void {
    if (!t.enabled || t.expiration === 0n) return;
    const now = this.host.now();
    if (now < t.expiration) {
      this.arm(t);
      return;
    }
    const expiredAt = t.expiration;
    if (t.direct) {
      this.host.raise(t.vp, t.vector);
    } else if (!t.messageQueued) {
      // While its previous message still waits, a timer posts nothing new (missed ticks merge).
      t.messageQueued = true;
      const result = this.synic.postHypervisorMessage(
        t.vp,
        t.sint,
        hv.HVMSG_TIMER_EXPIRED,
        () => {
          const p = new Uint8Array(hv.HV_TIMER_MESSAGE_PAYLOAD_BYTES);
          const dv = new DataView(p.buffer);
          dv.setUint32(0, t.index, true);
          dv.setBigUint64(8, expiredAt, true);
          dv.setBigUint64(16, this.host.now(), true);
          return p;
        },
        () => (t.messageQueued = false),
      );
      if (result === 'unavailable') t.messageQueued = false;
    }
    if (t.periodic) {
      // Keep the phase: the next expiry is the first multiple of the period after now.
      const missed = (now - expiredAt) / t.count;
      t.expiration = expiredAt + (missed + 1n) * t.count;
      this.arm(t);
    } else {
      t.config &= ~hv.HV_STIMER_ENABLE;
      t.expiration = 0n;
    }
  }

  reset(): void {
    for (const vp of this.timers) {
      for (const t of vp) {
        t.config = 0n;
        t.count = 0n;
        t.expiration = 0n;
        t.messageQueued = false;
        t.timer.cancel();
      }
    }
  }
}
