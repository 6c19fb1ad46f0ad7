/**
 * 8254 programmable interval timer (ports 0x40-0x43), clocked at
 * 1.193182 MHz from the machine's virtual clock. Counter 0's output drives
 * ISA IRQ 0; counter 2's gate and output are bits 0 and 5 of port 0x61
 * (lib/devices/system-control-port.ts); counter 1's gate is tied high like
 * counter 0's (its output, DRAM refresh on old PCs, goes nowhere).
 *
 * Counting is computed from the time a counter was loaded rather than
 * ticked: reading a counter or its output at guest time t is arithmetic on
 * (t - start), and counter 0 arms one clock timer per output rising edge.
 * Facts from the 8254 datasheet: control word SC/RW/M/BCD; modes 0-5; the
 * counter latch command; read-back (status byte: OUTPUT, NULL COUNT,
 * RW, mode, BCD); a count of 0 means 65536 (10000 in BCD); in mode 0 the
 * first byte of a two-byte write stops counting; in modes 2 and 3 a new
 * count takes effect at the end of the current period.
 *
 * After reset every counter is unprogrammed (no output activity) until
 * the guest writes a control word and a count.
 */
import { PORT_PIT } from '../machine/addresses.js';
import type { PioDevice, Resettable } from '../machine/bus-device.js';
import type { Clock, Timer } from '../machine/clock.js';
import type { IrqLine } from '../machine/irq.js';
import type { PioBus } from '../machine/pio-bus.js';

/** Input clock of every counter (14.31818 MHz / 12). */
export const PIT_HZ = 1_193_182;
const NS_PER_TICK = 1e9 / PIT_HZ;
export const PIT_PORT_COUNT = 4;
export const PIT_CONTROL = 3;
/** Spacing of IRQ 0 edges owed after the host ran counter 0's timer late (guest ns). */
export const PIT_CATCH_UP_GAP_NS = 20_000;
/** Owed edges beyond this are dropped (a host pause of seconds is not replayed tick by tick). */
export const PIT_MAX_OWED_EDGES = 1000;

/** Access modes of the control word's RW field. */
const enum Access {
  Latch = 0,
  Lsb = 1,
  Msb = 2,
  Word = 3,
}

function toBcd(n: number): number {
  return (n % 10) | (Math.floor(n / 10) % 10) << 4 | (Math.floor(n / 100) % 10) << 8 | (Math.floor(n / 1000) % 10) << 12;
}
function fromBcd(v: number): number {
  return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
}

/** One counter. Times are guest ns; "ticks" are PIT input clocks. */
export class PitCounter {
  mode = 0;
  access = Access.Word;
  bcd = false;
  /** The loaded count N (1..65536, or 1..10000 in BCD). */
  initial = 0x10000;
  /** A count has been written since the last control word. */
  loaded = false;
  /** Counting since this guest time (undefined: not counting). */
  startNs: number | undefined;
  gate: boolean;
  nullCount = false;
  /** While stopped: the count and output to show. */
  private heldCount = 0;
  private heldOutput = true;
  /** Modes 2/3: a count written while counting, taking effect at reloadAtNs. */
  private pendingInitial = 0;
  private reloadAtNs: number | undefined;
  // Write and read byte sequencing.
  private writeLsb: number | undefined;
  private readMsbNext = false;
  private latchedCount: number[] = [];
  private latchedStatus: number | undefined;

  constructor(readonly index: number, private readonly gateTiedHigh: boolean, private readonly onChange: () => void) {
    this.gate = gateTiedHigh;
  }

  reset(): void {
    this.mode = 0;
    this.access = Access.Word;
    this.bcd = false;
    this.initial = 0x10000;
    this.loaded = false;
    this.startNs = undefined;
    this.gate = this.gateTiedHigh;
    this.nullCount = false;
    this.heldCount = 0;
    this.heldOutput = true;
    this.reloadAtNs = undefined;
    this.writeLsb = undefined;
    this.readMsbNext = false;
    this.latchedCount = [];
    this.latchedStatus = undefined;
  }

  private get modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  private get periodic(): boolean {
    return this.mode === 2 || this.mode === 3;
  }

  /** Whole input clocks since counting started. */
  private elapsed(nowNs: number): number {
    return Math.floor((nowNs - this.startNs!) / NS_PER_TICK + 1e-9);
  }

  /** Guest time of the tick `ticks` clocks after the start (rounded up so that elapsed() has reached it). */
  private tickTime(ticks: number): number {
    return Math.ceil(this.startNs! + ticks * NS_PER_TICK);
  }

  /** Applies a deferred mode 2/3 reload whose time has come. */
  sync(nowNs: number): void {
    if (this.reloadAtNs !== undefined && nowNs >= this.reloadAtNs) {
      this.startNs = this.reloadAtNs;
      this.initial = this.pendingInitial;
      this.reloadAtNs = undefined;
    }
  }

  count(nowNs: number): number {
    this.sync(nowNs);
    if (this.startNs === undefined) return this.heldCount;
    const n = this.initial;
    const e = this.elapsed(nowNs);
    switch (this.mode) {
      case 2:
        return n - (e % n);
      case 3: {
        const half = Math.ceil(n / 2);
        const p = e % n;
        return Math.max(0, (n & ~1) - 2 * (p < half ? p : p - half));
      }
      default: // 0, 1, 4, 5: count down and wrap past terminal count
        return (((n - e) % this.modulus) + this.modulus) % this.modulus;
    }
  }

  output(nowNs: number): boolean {
    this.sync(nowNs);
    if (this.startNs === undefined) return this.heldOutput;
    const n = this.initial;
    const e = this.elapsed(nowNs);
    switch (this.mode) {
      case 0:
      case 1:
        return e >= n;
      case 2:
        return e % n !== n - 1;
      case 3:
        return e % n < Math.ceil(n / 2);
      default: // 4, 5: one clock low at terminal count
        return e !== n;
    }
  }

  /** Guest time of the next rising edge of OUT after nowNs, or undefined. */
  nextRisingEdge(nowNs: number): number | undefined {
    this.sync(nowNs);
    if (this.startNs === undefined) return undefined;
    const n = this.initial;
    const e = this.elapsed(nowNs);
    let at: number;
    switch (this.mode) {
      case 0:
      case 1:
        if (e >= n) return undefined;
        at = this.tickTime(n);
        break;
      case 2:
      case 3:
        at = this.tickTime((Math.floor(e / n) + 1) * n);
        break;
      default:
        if (e > n) return undefined;
        at = this.tickTime(n + 1);
    }
    // A pending reload starts a new period at reloadAtNs: that is a rising edge as well.
    if (this.reloadAtNs !== undefined && this.reloadAtNs < at) at = this.reloadAtNs;
    return at;
  }

  writeControl(value: number, nowNs: number): void {
    const access = (value >> 4) & 3;
    if (access === Access.Latch) {
      this.latchCount(nowNs);
      return;
    }
    this.access = access;
    let mode = (value >> 1) & 7;
    if (mode > 5) mode -= 4; // x10 = mode 2, x11 = mode 3
    this.mode = mode;
    this.bcd = (value & 1) !== 0;
    this.loaded = false;
    this.nullCount = true;
    this.startNs = undefined;
    this.reloadAtNs = undefined;
    this.heldCount = 0;
    this.heldOutput = mode !== 0; // mode 0 output goes low on the control word, the others high
    this.writeLsb = undefined;
    this.readMsbNext = false;
    this.latchedCount = [];
    this.latchedStatus = undefined;
    this.onChange();
  }

  latchCount(nowNs: number): void {
    if (this.latchedCount.length > 0) return; // a second latch before reading is ignored
    const c = this.encode(this.count(nowNs));
    if (this.access === Access.Lsb) this.latchedCount = [c & 0xff];
    else if (this.access === Access.Msb) this.latchedCount = [c >> 8];
    else this.latchedCount = [c & 0xff, c >> 8];
  }

  latchStatus(nowNs: number): void {
    if (this.latchedStatus !== undefined) return;
    this.latchedStatus =
      (this.output(nowNs) ? 0x80 : 0) | (this.nullCount ? 0x40 : 0) | (this.access << 4) | (this.mode << 1) | (this.bcd ? 1 : 0);
  }

  private encode(count: number): number {
    const c = count % this.modulus;
    return this.bcd ? toBcd(c) : c;
  }

  readData(nowNs: number): number {
    if (this.latchedStatus !== undefined) {
      const s = this.latchedStatus;
      this.latchedStatus = undefined;
      return s;
    }
    if (this.latchedCount.length > 0) return this.latchedCount.shift()!;
    const c = this.encode(this.count(nowNs));
    switch (this.access) {
      case Access.Lsb:
        return c & 0xff;
      case Access.Msb:
        return c >> 8;
      default:
        this.readMsbNext = !this.readMsbNext;
        return this.readMsbNext ? c & 0xff : c >> 8;
    }
  }

  writeData(value: number, nowNs: number): void {
    value &= 0xff;
    let raw: number;
    switch (this.access) {
      case Access.Lsb:
        raw = value;
        break;
      case Access.Msb:
        raw = value << 8;
        break;
      default:
        if (this.writeLsb === undefined) {
          this.writeLsb = value;
          // Mode 0: the first byte stops the count; the second starts the new one.
          if (this.mode === 0 && this.startNs !== undefined) {
            this.hold(nowNs);
            this.heldOutput = false;
            this.onChange();
          }
          return;
        }
        raw = this.writeLsb | (value << 8);
        this.writeLsb = undefined;
    }
    const n = (this.bcd ? fromBcd(raw) : raw) || this.modulus;
    this.load(n, nowNs);
  }

  private load(n: number, nowNs: number): void {
    this.nullCount = false;
    const wasCounting = this.startNs !== undefined;
    this.loaded = true;
    if (this.periodic && wasCounting) {
      // The running period finishes first.
      this.pendingInitial = n;
      this.reloadAtNs = this.periodEnd(nowNs);
    } else {
      this.initial = n;
      this.reloadAtNs = undefined;
      const triggered = this.mode === 1 || this.mode === 5;
      if (!triggered && this.gate) this.startNs = nowNs;
      else {
        this.startNs = undefined;
        this.heldCount = n % this.modulus;
        this.heldOutput = this.mode !== 0;
      }
    }
    this.onChange();
  }

  /** End of the current mode 2/3 period. */
  private periodEnd(nowNs: number): number {
    const e = this.elapsed(nowNs);
    return this.tickTime((Math.floor(e / this.initial) + 1) * this.initial);
  }

  private hold(nowNs: number): void {
    this.heldCount = this.count(nowNs);
    this.heldOutput = this.output(nowNs);
    this.startNs = undefined;
  }

  setGate(level: boolean, nowNs: number): void {
    if (level === this.gate) return;
    this.gate = level;
    if (!this.loaded) return;
    switch (this.mode) {
      case 0:
      case 4:
        // Gate low suspends counting; gate high resumes from the held count.
        if (!level) this.hold(nowNs);
        else {
          const remaining = this.heldCount || this.modulus;
          const done = this.initial - remaining;
          this.startNs = nowNs - Math.max(0, done) * NS_PER_TICK;
        }
        break;
      case 2:
      case 3:
        // Gate low forces OUT high and stops; the rising edge reloads and restarts.
        if (!level) {
          this.hold(nowNs);
          this.heldOutput = true;
          this.reloadAtNs = undefined;
        } else this.startNs = nowNs;
        break;
      default:
        // Modes 1 and 5: a rising gate (re)triggers the count.
        if (level) {
          this.sync(nowNs);
          this.reloadAtNs = undefined;
          this.startNs = nowNs;
        }
    }
    this.onChange();
  }
}

export class I8254Pit implements PioDevice, Resettable {
  readonly name = '8254 PIT';
  readonly counters: readonly [PitCounter, PitCounter, PitCounter];
  private readonly timer: Timer;
  /** Guest time of counter 0's next OUT rising edge (Infinity: none). */
  private nextEdgeNs = Infinity;
  /** Rising edges of OUT0 whose time has passed but that IRQ 0 has not seen yet. */
  private owedEdges = 0;

  /**
   * @param irq0Held whether the last IRQ 0 edge still waits in an interrupt controller (a PIC IRR
   *   bit, a local APIC IRR bit) for the CPU to take it: an owed edge emitted then would merge with it.
   */
  constructor(
    private readonly clock: Clock,
    private readonly irq0: IrqLine,
    private readonly irq0Held: () => boolean = () => false,
  ) {
    const rearm = (): void => this.armIrqTimer();
    this.counters = [new PitCounter(0, true, rearm), new PitCounter(1, true, () => {}), new PitCounter(2, false, () => {})];
    this.timer = clock.addTimer(() => this.onCounter0Timer());
  }

  attach(pio: PioBus): void {
    pio.register(PORT_PIT, PIT_PORT_COUNT, this);
  }

  reset(): void {
    for (const c of this.counters) c.reset();
    this.nextEdgeNs = Infinity;
    this.owedEdges = 0;
    this.timer.cancel();
    this.irq0.set(false);
  }

  /** Counter 2's gate (port 0x61 bit 0). */
  setGate2(level: boolean): void {
    this.counters[2].setGate(level, this.clock.nowNs());
  }

  /** Counter 2's OUT (port 0x61 bit 5). */
  get output2(): boolean {
    return this.counters[2].output(this.clock.nowNs());
  }

  /** Counter 0 was (re)programmed: its edges are scheduled anew and nothing is owed. */
  private armIrqTimer(): void {
    const c = this.counters[0];
    const now = this.clock.nowNs();
    // IRQ 0 follows OUT0: a control word in mode 0 drops it, the next rising edge raises it.
    if (!c.output(now)) this.irq0.set(false);
    this.nextEdgeNs = c.nextRisingEdge(now) ?? Infinity;
    this.owedEdges = 0;
    this.scheduleIrqTimer(now);
  }

  private scheduleIrqTimer(now: number): void {
    const at = this.owedEdges > 0 ? Math.min(this.nextEdgeNs, now + PIT_CATCH_UP_GAP_NS) : this.nextEdgeNs;
    if (at === Infinity) this.timer.cancel();
    else this.timer.arm(at);
  }

  /**
   * Counter 0's timer. Every edge whose time has come is owed to IRQ 0; one is emitted per call.
   * On the deterministic clock the timer fires exactly at each edge, so exactly one is ever owed,
   * and it is emitted as the hardware would (merging with an earlier one the CPU has not taken).
   * In real time the host can run the timer late (the process descheduled, a long slice) or the
   * guest, slowed by host load, can keep interrupts off for longer than a period: edges owed meanwhile
   * are emitted PIT_CATCH_UP_GAP_NS apart, each only once the CPU has taken the previous one (KVM's
   * "reinject" policy), so a guest counting timer ticks (Linux's jiffies while the PIT is its tick)
   * keeps time; at most PIT_MAX_OWED_EDGES.
   */
  private onCounter0Timer(): void {
    const c = this.counters[0];
    const now = this.clock.nowNs();
    while (this.nextEdgeNs <= now) {
      if (this.owedEdges < PIT_MAX_OWED_EDGES) this.owedEdges++;
      this.nextEdgeNs = c.nextRisingEdge(this.nextEdgeNs) ?? Infinity;
    }
    const hold = this.clock.mode === 'realtime' && this.irq0Held();
    if (this.owedEdges > 0 && !hold) {
      this.owedEdges--;
      // OUT0 was low for part of the period (a single clock in mode 2): the PIC/IOAPIC see a rising edge.
      this.irq0.set(false);
      this.irq0.set(true);
    }
    this.scheduleIrqTimer(now);
  }

  pioRead(offset: number, _size: number): number {
    if (offset === PIT_CONTROL) return 0xff; // the control word register cannot be read
    return this.counters[offset]!.readData(this.clock.nowNs());
  }

  pioWrite(offset: number, _size: number, value: number): void {
    const now = this.clock.nowNs();
    value &= 0xff;
    if (offset !== PIT_CONTROL) {
      this.counters[offset]!.writeData(value, now);
      return;
    }
    const select = value >> 6;
    if (select === 3) {
      // Read-back: bit 5 = 0 latches counts, bit 4 = 0 latches status, bits 1-3 select counters.
      for (let i = 0; i < 3; i++) {
        if ((value & (2 << i)) === 0) continue;
        const c = this.counters[i]!;
        if ((value & 0x10) === 0) c.latchStatus(now);
        if ((value & 0x20) === 0) c.latchCount(now);
      }
      return;
    }
    this.counters[select]!.writeControl(value, now);
  }
}
