/**
 * High Precision Event Timer (IA-PC HPET specification 1.0a) at
 * 0xFED00000, 1 KiB of 64-bit registers: a 64-bit main counter at 100 MHz
 * (period 10 ns = 10,000,000 fs) and three comparators, as QEMU's pc
 * machine offers.
 *
 * Registers (offset: contents):
 *  - 0x000 general capabilities and ID (read-only): REV_ID, NUM_TIM_CAP
 *    (timers - 1), COUNT_SIZE_CAP (64-bit), LEG_RT_CAP, VENDOR_ID and the
 *    counter period in femtoseconds in bits 63:32;
 *  - 0x010 general configuration: ENABLE_CNF (the counter runs and timers
 *    may interrupt), LEG_RT_CNF (LegacyReplacement route, with ENABLE_CNF:
 *    timer 0 drives ISA IRQ 0 and timer 1 IRQ 8 while the 8254 and the RTC
 *    stop interrupting, see hpet-legacy-route.ts);
 *  - 0x020 general interrupt status: Tn_INT_STS of level-triggered timers,
 *    set when the comparator matches and held until software writes 1;
 *  - 0x0F0 main counter: counts while ENABLE_CNF is set, holds its value
 *    otherwise; writable (both halves, 32- or 64-bit accesses);
 *  - 0x100 + 0x20 n timer n: +0x00 configuration and capabilities
 *    (INT_TYPE level/edge, INT_ENB, TYPE periodic with PER_INT_CAP,
 *    SIZE_CAP, VAL_SET, 32MODE, INT_ROUTE with INT_ROUTE_CAP in bits 63:32,
 *    FSB_EN with FSB_INT_DEL_CAP), +0x08 comparator, +0x10 FSB interrupt
 *    route (bits 31:0 the value written, bits 63:32 the address).
 *
 * A timer interrupts when the main counter reaches its comparator (the low
 * 32 bits of both in 32-bit mode). A periodic timer then adds the last value
 * written to the comparator (its period) to the comparator; a write with
 * VAL_SET sets the comparator itself as well. A one-shot timer in 32-bit
 * mode also interrupts when the low 32 bits of the counter roll over.
 * Interrupts go to the IOAPIC input INT_ROUTE names (GSIs 16-23 here: they
 * are free on this machine), or as an FSB (MSI) message to the local APICs
 * when FSB_EN is set. INT_ENB clear: the timer still runs and sets its
 * status bit but does not interrupt.
 *
 * Time comes from the machine's one clock (counter = ticks of 10 ns of guest
 * time since ENABLE_CNF was set), so under -icount it is deterministic; a
 * clock timer is armed per comparator that can interrupt.
 */
import { HPET_BASE, HPET_SIZE } from '../machine/addresses.js';
import type { MmioDevice, Resettable } from '../machine/bus-device.js';
import type { Clock, Timer } from '../machine/clock.js';
import type { ApicBus } from '../machine/interrupt-types.js';
import type { MmioBus } from '../machine/mmio-bus.js';
import type { LegacyRoutedLine } from './hpet-legacy-route.js';
import { decodeMsi } from './pci/msi-message.js';

export const HPET_TIMERS = 3;
/** Counter period: 10 ns, 100 MHz. */
export const HPET_PERIOD_FS = 10_000_000;
const NS_PER_TICK = HPET_PERIOD_FS / 1_000_000;
export const HPET_REV_ID = 1;
/** PCI vendor ID in the capabilities register (Intel, as QEMU's HPET reports). */
export const HPET_VENDOR_ID = 0x8086;
/** IOAPIC inputs a timer may be routed to (INT_ROUTE_CAP): GSIs 16-23. */
export const HPET_ROUTE_CAP = 0x00ff_0000;
/** Smallest periodic tick the ACPI HPET table promises (in counter ticks). */
export const HPET_MIN_TICK = 128;

export const HPET_REG_CAP = 0x000;
export const HPET_REG_CONFIG = 0x010;
export const HPET_REG_STATUS = 0x020;
export const HPET_REG_COUNTER = 0x0f0;
export const HPET_REG_TIMER0 = 0x100;
export const HPET_TIMER_STRIDE = 0x20;

export const CAP_COUNT_SIZE_64 = 1 << 13;
export const CAP_LEG_RT = 1 << 15;
export const CFG_ENABLE = 1 << 0;
export const CFG_LEG_RT = 1 << 1;

export const TN_INT_TYPE_LEVEL = 1 << 1;
export const TN_INT_ENB = 1 << 2;
export const TN_TYPE_PERIODIC = 1 << 3;
export const TN_PER_INT_CAP = 1 << 4;
export const TN_SIZE_CAP_64 = 1 << 5;
export const TN_VAL_SET = 1 << 6;
export const TN_32MODE = 1 << 8;
export const TN_INT_ROUTE_SHIFT = 9;
export const TN_INT_ROUTE_MASK = 0x1f << TN_INT_ROUTE_SHIFT;
export const TN_FSB_EN = 1 << 14;
export const TN_FSB_INT_DEL_CAP = 1 << 15;
const TN_WRITABLE = TN_INT_TYPE_LEVEL | TN_INT_ENB | TN_TYPE_PERIODIC | TN_VAL_SET | TN_32MODE | TN_INT_ROUTE_MASK | TN_FSB_EN;
const TN_CAPS = TN_PER_INT_CAP | TN_SIZE_CAP_64 | TN_FSB_INT_DEL_CAP;

const MASK32 = 0xffff_ffffn;
const MASK64 = 0xffff_ffff_ffff_ffffn;
/** BYTE_MASKS[first][count]: the mask of `count` bytes from byte `first` of a 64-bit register. */
const BYTE_MASKS: bigint[][] = Array.from({ length: 8 }, (_, first) =>
  Array.from({ length: 9 }, (_, count) => (count === 0 ? 0n : (((1n << BigInt(8 * count)) - 1n) << BigInt(8 * first)) & MASK64)),
);
/** Deadlines further out than this (~13 guest days) are re-planned there instead of armed exactly. */
const MAX_ARM_NS = 2 ** 50;

export function hpetCapabilities(): bigint {
  const low = HPET_REV_ID | ((HPET_TIMERS - 1) << 8) | CAP_COUNT_SIZE_64 | CAP_LEG_RT | (HPET_VENDOR_ID << 16);
  return (BigInt(HPET_PERIOD_FS) << 32n) | BigInt(low >>> 0);
}

type Output = { set(level: boolean): void };

export interface HpetWiring {
  /** ISA IRQ 0 and IRQ 8 under the LegacyReplacement route. */
  legacyIrq0: LegacyRoutedLine;
  legacyIrq8: LegacyRoutedLine;
  /** The IOAPIC input of a GSI in HPET_ROUTE_CAP. */
  gsi(n: number): Output;
  /** Where FSB messages go. */
  apicBus: ApicBus;
  /** kvm-msi-ext-dest-id: FSB address bits 11:5 extend the destination, as for PCI MSI. */
  extendedDestId(): boolean;
}

class HpetTimer {
  config = 0;
  comparator = MASK64;
  period = 0n;
  fsbRoute = 0n;
  /** The armed deadline is the 32-bit rollover, not the comparator match. */
  atWrap = false;
  /** Ticks after the counter's start at which the armed deadline falls. */
  targetTick = 0;

  constructor(readonly index: number, readonly timer: Timer) {}

  get width(): bigint {
    return this.config & TN_32MODE ? MASK32 : MASK64;
  }
  get periodic(): boolean {
    return (this.config & TN_TYPE_PERIODIC) !== 0;
  }
  get level(): boolean {
    return (this.config & TN_INT_TYPE_LEVEL) !== 0;
  }
  get route(): number {
    return (this.config & TN_INT_ROUTE_MASK) >> TN_INT_ROUTE_SHIFT;
  }
}

export class Hpet implements MmioDevice, Resettable {
  readonly name = 'hpet';
  private config = 0;
  private status = 0;
  /** The counter's value at startNs (while enabled) or its held value (while halted). */
  private counterBase = 0n;
  private startNs = 0;
  private readonly timers: HpetTimer[] = [];
  private readonly legacy0: Output;
  private readonly legacy8: Output;
  private readonly scratch = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch.buffer);
  /** Outputs a level-triggered timer holds high now. */
  private high = new Set<Output>();

  constructor(private readonly clock: Clock, private readonly wiring: HpetWiring) {
    this.legacy0 = { set: (level) => wiring.legacyIrq0.setHpet(level) };
    this.legacy8 = { set: (level) => wiring.legacyIrq8.setHpet(level) };
    for (let i = 0; i < HPET_TIMERS; i++) {
      const index = i;
      this.timers.push(new HpetTimer(i, clock.addTimer(() => this.onDeadline(this.timers[index]!))));
    }
    this.reset();
  }

  attach(mmio: MmioBus): void {
    mmio.register(HPET_BASE, HPET_SIZE, this);
  }

  reset(): void {
    this.config = 0;
    this.status = 0;
    this.counterBase = 0n;
    this.startNs = this.clock.nowNs();
    for (const t of this.timers) {
      t.config = 0;
      t.comparator = MASK64;
      t.period = 0n;
      t.fsbRoute = 0n;
      t.atWrap = false;
      t.timer.cancel();
    }
    this.applyLegacyRoute();
    this.updateLevels();
  }

  private get enabled(): boolean {
    return (this.config & CFG_ENABLE) !== 0;
  }

  private get legacyRoute(): boolean {
    return (this.config & (CFG_ENABLE | CFG_LEG_RT)) === (CFG_ENABLE | CFG_LEG_RT);
  }

  /** Whole ticks since the counter (re)started at startNs. */
  private elapsedTicks(nowNs: number): number {
    return Math.floor((nowNs - this.startNs) / NS_PER_TICK);
  }

  /** The main counter now. */
  counter(): bigint {
    if (!this.enabled) return this.counterBase;
    return (this.counterBase + BigInt(this.elapsedTicks(this.clock.nowNs()))) & MASK64;
  }

  // ---- interrupts -------------------------------------------------------

  /** Where timer t's interrupt goes: a line, or undefined for FSB delivery. */
  private outputOf(t: HpetTimer): Output | undefined {
    if (this.legacyRoute && t.index < 2) return t.index === 0 ? this.legacy0 : this.legacy8;
    if (t.config & TN_FSB_EN) return undefined;
    return this.wiring.gsi(t.route);
  }

  /** Level-triggered timers hold their output high while their status bit is set (and they may interrupt). */
  private updateLevels(): void {
    const next = new Set<Output>();
    if (this.enabled) {
      for (const t of this.timers) {
        if (!t.level || (t.config & TN_INT_ENB) === 0 || (this.status & (1 << t.index)) === 0) continue;
        const out = this.outputOf(t);
        if (out !== undefined) next.add(out);
      }
    }
    // Only outputs this device raised are lowered: another device may drive the same GSI.
    for (const out of this.high) if (!next.has(out)) out.set(false);
    for (const out of next) out.set(true);
    this.high = next;
  }

  /** The comparator of t matched (or its 32-bit counter rolled over). */
  private interrupt(t: HpetTimer): void {
    if (t.level) {
      this.status |= 1 << t.index;
      this.updateLevels();
      return;
    }
    if ((t.config & TN_INT_ENB) === 0) return;
    const out = this.outputOf(t);
    if (out === undefined) {
      const message = decodeMsi(Number(t.fsbRoute >> 32n), 0, Number(t.fsbRoute & MASK32), this.wiring.extendedDestId());
      if (message !== undefined) this.wiring.apicBus.deliver({ ...message, levelTriggered: false });
      return;
    }
    // An edge: a line a level-triggered timer already holds high shows no new edge.
    out.set(true);
    out.set(this.high.has(out));
  }

  // ---- comparators --------------------------------------------------------

  /** Arms t's clock timer for its next event, or cancels it when the event could not be seen. */
  private schedule(t: HpetTimer): void {
    const observable = (t.config & TN_INT_ENB) !== 0 || t.level || t.periodic;
    if (!this.enabled || !observable) {
      t.timer.cancel();
      return;
    }
    const now = this.clock.nowNs();
    const elapsed = this.elapsedTicks(now);
    const modulus = t.width + 1n;
    const current = (this.counterBase + BigInt(elapsed)) & t.width;
    let delta = (t.comparator - current) & t.width;
    if (delta === 0n) delta = modulus; // the match at this very count has passed: the next is a full turn away
    t.atWrap = false;
    if (t.width === MASK32 && !t.periodic) {
      const toWrap = modulus - current;
      if (toWrap < delta) {
        delta = toWrap;
        t.atWrap = true;
      }
    }
    t.targetTick = elapsed + Number(delta);
    const deadline = this.startNs + t.targetTick * NS_PER_TICK;
    t.timer.arm(deadline - now > MAX_ARM_NS ? now + MAX_ARM_NS : deadline);
  }

  private onDeadline(t: HpetTimer): void {
    if (!this.enabled) return;
    const elapsed = this.elapsedTicks(this.clock.nowNs());
    if (elapsed < t.targetTick) {
      this.schedule(t); // a re-plan point of a far deadline
      return;
    }
    if (!t.atWrap && t.periodic && t.period !== 0n) {
      // The accumulator moves past the counter; periods the host ran late for merge into this one interrupt.
      const current = (this.counterBase + BigInt(elapsed)) & t.width;
      const behind = (current - t.comparator) & t.width;
      t.comparator = (t.comparator + (behind / t.period + 1n) * t.period) & t.width;
    }
    this.interrupt(t);
    this.schedule(t);
  }

  // ---- registers -----------------------------------------------------------

  private timerAt(reg: number): { t: HpetTimer; field: number } | undefined {
    if (reg < HPET_REG_TIMER0) return undefined;
    const index = Math.floor((reg - HPET_REG_TIMER0) / HPET_TIMER_STRIDE);
    if (index >= HPET_TIMERS) return undefined;
    return { t: this.timers[index]!, field: (reg - HPET_REG_TIMER0) % HPET_TIMER_STRIDE };
  }

  /** The 64-bit register at an 8-byte aligned offset (0 for reserved ones). */
  readRegister(reg: number): bigint {
    switch (reg) {
      case HPET_REG_CAP:
        return hpetCapabilities();
      case HPET_REG_CONFIG:
        return BigInt(this.config);
      case HPET_REG_STATUS:
        return BigInt(this.status);
      case HPET_REG_COUNTER:
        return this.counter();
    }
    const at = this.timerAt(reg);
    if (at === undefined) return 0n;
    const { t, field } = at;
    if (field === 0x00) return (BigInt(HPET_ROUTE_CAP) << 32n) | BigInt((t.config | TN_CAPS) >>> 0);
    if (field === 0x08) return t.comparator & t.width;
    if (field === 0x10) return t.fsbRoute;
    return 0n;
  }

  /** Writes the bytes of `mask` of the 64-bit register at `reg`. */
  writeRegister(reg: number, value: bigint, mask: bigint): void {
    switch (reg) {
      case HPET_REG_CONFIG:
        this.writeConfig(Number(((BigInt(this.config) & ~mask) | (value & mask)) & 0xffn));
        return;
      case HPET_REG_STATUS:
        this.status &= ~Number(value & mask & BigInt((1 << HPET_TIMERS) - 1));
        this.updateLevels();
        return;
      case HPET_REG_COUNTER: {
        // The spec asks software to write it only while halted; a running counter simply goes on from the new value.
        this.counterBase = ((this.counter() & ~mask) | (value & mask)) & MASK64;
        this.startNs = this.clock.nowNs();
        for (const t of this.timers) this.schedule(t);
        return;
      }
    }
    const at = this.timerAt(reg);
    if (at === undefined) return; // read-only or reserved
    const { t, field } = at;
    if (field === 0x00) this.writeTimerConfig(t, Number(value & mask & MASK32), Number(mask & MASK32));
    else if (field === 0x08) this.writeComparator(t, value, mask);
    else if (field === 0x10) t.fsbRoute = (t.fsbRoute & ~mask) | (value & mask);
  }

  private writeConfig(next: number): void {
    next &= CFG_ENABLE | CFG_LEG_RT;
    const wasEnabled = this.enabled;
    if (wasEnabled && (next & CFG_ENABLE) === 0) this.counterBase = this.counter(); // halt: hold the value
    this.config = next;
    if (!wasEnabled && this.enabled) this.startNs = this.clock.nowNs();
    this.applyLegacyRoute();
    this.updateLevels();
    for (const t of this.timers) this.schedule(t);
  }

  private applyLegacyRoute(): void {
    this.wiring.legacyIrq0.routeToHpet(this.legacyRoute);
    this.wiring.legacyIrq8.routeToHpet(this.legacyRoute);
  }

  private writeTimerConfig(t: HpetTimer, value: number, mask: number): void {
    let next = (t.config & ~mask) | (value & mask);
    next &= TN_WRITABLE;
    // A route the timer cannot take is not stored (the spec: software reads back what it got).
    const route = (next & TN_INT_ROUTE_MASK) >> TN_INT_ROUTE_SHIFT;
    if (((HPET_ROUTE_CAP >>> route) & 1) === 0) next = (next & ~TN_INT_ROUTE_MASK) | (t.config & TN_INT_ROUTE_MASK);
    const entering32 = (next & TN_32MODE) !== 0 && (t.config & TN_32MODE) === 0;
    t.config = next;
    if (entering32) {
      t.comparator &= MASK32;
      t.period &= MASK32;
    }
    // The status bit only means something for a level-triggered timer.
    if (!t.level) this.status &= ~(1 << t.index);
    this.updateLevels();
    this.schedule(t);
  }

  private writeComparator(t: HpetTimer, value: bigint, mask: bigint): void {
    const m = mask & t.width; // in 32-bit mode the upper half is read-only zero
    if (m === 0n) return;
    if (!t.periodic || t.config & TN_VAL_SET) t.comparator = ((t.comparator & ~m) | (value & m)) & t.width;
    if (t.periodic) t.period = ((t.period & ~m) | (value & m)) & t.width;
    // VAL_SET covers one write of the comparator (its low half, or all of it).
    if (m & MASK32) t.config &= ~TN_VAL_SET;
    this.schedule(t);
  }

  mmioRead(offset: number, data: Uint8Array, length: number): void {
    // Per 64-bit register the access touches (one, unless it crosses an 8-byte boundary).
    for (let i = 0; i < length; ) {
      const at = offset + i;
      const reg = at & ~7;
      const n = Math.min(length - i, 8 - (at & 7));
      this.scratchView.setBigUint64(0, this.readRegister(reg), true);
      data.set(this.scratch.subarray(at & 7, (at & 7) + n), i);
      i += n;
    }
  }

  mmioWrite(offset: number, data: Uint8Array, length: number): void {
    // Bytes grouped per 64-bit register, so a write of both halves is one register write.
    for (let i = 0; i < length; ) {
      const at = offset + i;
      const reg = at & ~7;
      const n = Math.min(length - i, 8 - (at & 7));
      this.scratch.fill(0);
      this.scratch.set(data.subarray(i, i + n), at & 7);
      this.writeRegister(reg, this.scratchView.getBigUint64(0, true), BYTE_MASKS[at & 7]![n]!);
      i += n;
    }
  }
}
