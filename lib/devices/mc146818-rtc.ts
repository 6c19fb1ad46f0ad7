/**
 * MC146818 real-time clock and CMOS RAM (index 0x70, data 0x71).
 *
 * Facts from the MC146818A datasheet: registers 0-9 hold seconds, alarm
 * seconds, minutes, alarm minutes, hours, alarm hours, day of week
 * (1 = Sunday), day of month, month, year; A-D are status registers:
 *  A: UIP (bit 7, read-only), divider DV (bits 6-4, 010 = running,
 *     11x = chain held in reset), rate select RS (bits 3-0);
 *  B: SET (7) PIE (6) AIE (5) UIE (4) SQWE (3) DM (2, 1 = binary)
 *     24/12 (1, 1 = 24 h) DSE (0);
 *  C: IRQF (7) PF (6) AF (5) UF (4), all cleared by reading C;
 *  D: VRT (7), always 1 here (the battery never runs out).
 * UIP is 1 during the 244 us before each once-a-second update, so a guest
 * that sees UIP = 0 has that long to read a consistent time. An alarm
 * byte with its two top bits set matches any value. The IRQ output (ISA
 * IRQ 8) is IRQF.
 *
 * The calendar is kept as seconds since the Unix epoch (a naive date-time,
 * whatever zone the -rtc base option chose) at a guest-time origin, so it
 * advances with the virtual clock; register writes re-base it. The PC's
 * CMOS layout (century at 0x32, memory sizes) is filled in from the
 * machine's RAM size.
 */
import { PORT_RTC } from '../machine/addresses.js';
import type { PioDevice, Resettable } from '../machine/bus-device.js';
import type { Clock, Timer } from '../machine/clock.js';
import type { IrqLine } from '../machine/irq.js';
import type { PioBus } from '../machine/pio-bus.js';

export const RTC_SECONDS = 0x00;
export const RTC_SECONDS_ALARM = 0x01;
export const RTC_MINUTES = 0x02;
export const RTC_MINUTES_ALARM = 0x03;
export const RTC_HOURS = 0x04;
export const RTC_HOURS_ALARM = 0x05;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
export const RTC_REG_A = 0x0a;
export const RTC_REG_B = 0x0b;
export const RTC_REG_C = 0x0c;
export const RTC_REG_D = 0x0d;
export const CMOS_SHUTDOWN_STATUS = 0x0f;
export const CMOS_BASE_MEMORY_KB = 0x15; // word
export const CMOS_EXTENDED_MEMORY_KB = 0x17; // word, memory above 1 MiB (max 0xFFFF)
export const CMOS_EXTENDED_MEMORY_KB_2 = 0x30; // word, same value (POST-reported copy)
export const CMOS_CENTURY = 0x32;
export const CMOS_MEMORY_ABOVE_16M_64K = 0x34; // word, 64 KiB units up to 4 GiB
export const CMOS_MEMORY_ABOVE_4G_64K = 0x5b; // 3 bytes, 64 KiB units

export const REG_A_UIP = 0x80;
export const REG_A_DV_MASK = 0x70;
export const REG_A_DV_NORMAL = 0x20;
export const REG_A_RS_MASK = 0x0f;
export const REG_B_SET = 0x80;
export const REG_B_PIE = 0x40;
export const REG_B_AIE = 0x20;
export const REG_B_UIE = 0x10;
export const REG_B_SQWE = 0x08;
export const REG_B_DM_BINARY = 0x04;
export const REG_B_24H = 0x02;
export const REG_B_DSE = 0x01;
export const REG_C_IRQF = 0x80;
export const REG_C_PF = 0x40;
export const REG_C_AF = 0x20;
export const REG_C_UF = 0x10;
export const REG_D_VRT = 0x80;
export const NMI_DISABLE = 0x80;

/** UIP is set this long before each update. */
export const UIP_LEAD_NS = 244_000;
const SECOND_NS = 1e9;
const CMOS_SIZE = 128;
const KIB = 1024;
const MIB = 1024 * KIB;

/** Periodic interrupt period for rate select rs (1..15) from the 32.768 kHz time base, in ns. */
export function periodicPeriodNs(rs: number): number {
  if (rs === 0) return Infinity;
  const shift = rs <= 2 ? rs + 7 : rs - 1; // RS 1 and 2 repeat the 256 Hz and 128 Hz rates of 8 and 9
  return (SECOND_NS * (1 << shift)) / 32768;
}

function toBcd(n: number): number {
  return ((Math.floor(n / 10) % 10) << 4) | (n % 10);
}
function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 0x0f);
}

/** Where the RTC's calendar starts: the host's UTC or local time, or a fixed date-time. */
export type RtcBase = 'utc' | 'localtime' | { datetime: string };

/** Seconds since the epoch of the naive date-time the RTC shows at guest time 0. */
export function rtcStartSeconds(base: RtcBase, hostNowMs: number = Date.now()): number {
  if (base === 'utc') return Math.floor(hostNowMs / 1000);
  if (base === 'localtime') return Math.floor(hostNowMs / 1000) - new Date(hostNowMs).getTimezoneOffset() * 60;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$/.exec(base.datetime);
  if (m === null) throw new RangeError(`RTC base '${base.datetime}' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS`);
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59) {
    throw new RangeError(`RTC base '${base.datetime}' is not a valid date and time`);
  }
  return Math.floor(ms / 1000);
}

interface Calendar {
  sec: number;
  min: number;
  hour: number;
  dom: number;
  month: number;
  year: number; // full year
}

function calendarOf(seconds: number): Calendar {
  const d = new Date(seconds * 1000);
  return {
    sec: d.getUTCSeconds(),
    min: d.getUTCMinutes(),
    hour: d.getUTCHours(),
    dom: d.getUTCDate(),
    month: d.getUTCMonth() + 1,
    year: d.getUTCFullYear(),
  };
}

function secondsOf(c: Calendar): number {
  return Math.floor(Date.UTC(c.year, c.month - 1, c.dom, c.hour, c.min, c.sec) / 1000);
}

export interface RtcOptions {
  /** Calendar (seconds since the epoch) at guest time 0. */
  startSeconds: number;
  ramBytes: number;
}

export class Mc146818Rtc implements PioDevice, Resettable {
  readonly name = 'mc146818 rtc';
  /** CMOS bytes; the time and status registers (0-0x0d) and the century are computed, not read from here. */
  readonly cmos = new Uint8Array(CMOS_SIZE);
  index = 0;
  /** Port 0x70 bit 7: NMI delivery disabled. */
  nmiDisabled = false;
  private regA = REG_A_DV_NORMAL | 0x06; // 1024 Hz periodic rate, as a PC BIOS sets it
  private regB = REG_B_24H;
  private regC = 0;
  private alarm = [0, 0, 0]; // seconds, minutes, hours as written
  private dowOffset = 0;
  /** Calendar seconds at guest time originNs (the update phase is originNs mod 1 s). */
  private baseSeconds: number;
  private originNs = 0;
  /** While SET or the divider is held: the frozen calendar. */
  private frozen: number | undefined;
  /** Guest time of the last register C read (for flags raised without a timer). */
  private lastCReadNs = 0;
  /** Updates (UF, AF) are accounted for up to this guest time. */
  private flagsCheckedNs = 0;
  private readonly secondTimer: Timer;
  private readonly periodicTimer: Timer;

  /** The alarm flag (AF) was just set: the chipset's RTC wake event (ACPI RTC_STS). */
  onAlarm: (() => void) | undefined;

  constructor(private readonly clock: Clock, private readonly irq: IrqLine, private readonly options: RtcOptions) {
    this.baseSeconds = options.startSeconds;
    this.secondTimer = clock.addTimer(() => this.onSecond());
    this.periodicTimer = clock.addTimer(() => this.onPeriodic());
    this.fillCmos();
    this.armTimers();
  }

  attach(pio: PioBus): void {
    pio.register(PORT_RTC, 2, this);
  }

  /** A system reset clears the interrupt enables and flags; the time and CMOS survive (battery-backed). */
  reset(): void {
    this.regB &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    this.regC = 0;
    this.nmiDisabled = false;
    // Flags start afresh: updates before the reset are not reported.
    this.flagsCheckedNs = this.lastCReadNs = this.clock.nowNs();
    this.irq.set(false);
    this.armTimers();
  }

  private fillCmos(): void {
    const ram = this.options.ramBytes;
    const w16 = (at: number, v: number): void => {
      this.cmos[at] = v & 0xff;
      this.cmos[at + 1] = (v >> 8) & 0xff;
    };
    w16(CMOS_BASE_MEMORY_KB, 640);
    const extKb = Math.min(0xffff, Math.max(0, Math.floor((Math.min(ram, 4 * 1024 * MIB) - MIB) / KIB)));
    w16(CMOS_EXTENDED_MEMORY_KB, extKb);
    w16(CMOS_EXTENDED_MEMORY_KB_2, extKb);
    const below4g = Math.min(ram, 4 * 1024 * MIB);
    w16(CMOS_MEMORY_ABOVE_16M_64K, Math.min(0xffff, Math.max(0, Math.floor((below4g - 16 * MIB) / (64 * KIB)))));
    const above4g = Math.max(0, Math.floor((ram - 4 * 1024 * MIB) / (64 * KIB)));
    this.cmos[CMOS_MEMORY_ABOVE_4G_64K] = above4g & 0xff;
    this.cmos[CMOS_MEMORY_ABOVE_4G_64K + 1] = (above4g >> 8) & 0xff;
    this.cmos[CMOS_MEMORY_ABOVE_4G_64K + 2] = (above4g >> 16) & 0xff;
  }

  private get dividerRunning(): boolean {
    return (this.regA & REG_A_DV_MASK) === REG_A_DV_NORMAL;
  }

  /** Updates happen (the calendar advances). */
  private get ticking(): boolean {
    return this.dividerRunning && (this.regB & REG_B_SET) === 0;
  }

  /** Calendar seconds now. */
  private seconds(nowNs: number): number {
    if (this.frozen !== undefined) return this.frozen;
    return this.baseSeconds + Math.floor((nowNs - this.originNs) / SECOND_NS);
  }

  /** Guest time of the next once-a-second update after nowNs. */
  private nextUpdateNs(nowNs: number): number {
    return this.originNs + (Math.floor((nowNs - this.originNs) / SECOND_NS) + 1) * SECOND_NS;
  }

  private freeze(nowNs: number): void {
    this.catchUpUpdateFlags(nowNs);
    if (this.frozen === undefined) this.frozen = this.seconds(nowNs);
  }

  /** Restart counting from the frozen calendar; the first update comes `firstUpdateNs` later. */
  private thaw(nowNs: number, firstUpdateNs: number): void {
    if (this.frozen === undefined) return;
    this.baseSeconds = this.frozen;
    this.frozen = undefined;
    this.flagsCheckedNs = nowNs; // no update happened while the calendar was held
    this.originNs = nowNs + firstUpdateNs - SECOND_NS;
  }

  private encode(v: number): number {
    return this.regB & REG_B_DM_BINARY ? v : toBcd(v);
  }
  private decode(v: number): number {
    return this.regB & REG_B_DM_BINARY ? v : fromBcd(v & 0xff);
  }

  private encodeHour(h: number): number {
    if (this.regB & REG_B_24H) return this.encode(h);
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return this.encode(h12) | (h >= 12 ? 0x80 : 0);
  }
  private decodeHour(v: number): number {
    if (this.regB & REG_B_24H) return this.decode(v);
    const h12 = this.decode(v & 0x7f) % 12;
    return h12 + (v & 0x80 ? 12 : 0);
  }

  private readTime(reg: number, nowNs: number): number {
    const secs = this.seconds(nowNs);
    const c = calendarOf(secs);
    switch (reg) {
      case RTC_SECONDS:
        return this.encode(c.sec);
      case RTC_MINUTES:
        return this.encode(c.min);
      case RTC_HOURS:
        return this.encodeHour(c.hour);
      case RTC_DAY_OF_WEEK:
        return this.encode((((new Date(secs * 1000).getUTCDay() + this.dowOffset) % 7) + 7) % 7 + 1);
      case RTC_DAY_OF_MONTH:
        return this.encode(c.dom);
      case RTC_MONTH:
        return this.encode(c.month);
      case RTC_YEAR:
        return this.encode(c.year % 100);
      default: // century
        return this.encode(Math.floor(c.year / 100) % 100);
    }
  }

  private writeTime(reg: number, value: number, nowNs: number): void {
    const before = this.seconds(nowNs);
    const c = calendarOf(before);
    if (reg === RTC_DAY_OF_WEEK) {
      const computed = new Date(before * 1000).getUTCDay();
      this.dowOffset = (((this.decode(value) - 1 - computed) % 7) + 7) % 7;
      return;
    }
    switch (reg) {
      case RTC_SECONDS:
        c.sec = this.decode(value) % 60;
        break;
      case RTC_MINUTES:
        c.min = this.decode(value) % 60;
        break;
      case RTC_HOURS:
        c.hour = this.decodeHour(value) % 24;
        break;
      case RTC_DAY_OF_MONTH:
        c.dom = Math.max(1, this.decode(value));
        break;
      case RTC_MONTH:
        c.month = Math.min(12, Math.max(1, this.decode(value)));
        break;
      case RTC_YEAR:
        c.year = Math.floor(c.year / 100) * 100 + (this.decode(value) % 100);
        break;
      default: // century
        c.year = (this.decode(value) % 100) * 100 + (c.year % 100);
    }
    const weekday = new Date(before * 1000).getUTCDay() + this.dowOffset;
    const after = secondsOf(c);
    // The day of week is a separate counter on the chip: keep what the guest sees unchanged.
    this.dowOffset = (((weekday - new Date(after * 1000).getUTCDay()) % 7) + 7) % 7;
    if (this.frozen !== undefined) this.frozen = after;
    else this.baseSeconds += after - before;
  }

  private updateInProgress(nowNs: number): boolean {
    if (!this.ticking) return false;
    return this.nextUpdateNs(nowNs) - nowNs <= UIP_LEAD_NS;
  }

  /**
   * The periodic flag without PIE: no timer runs at up to 8 kHz just to set a flag nobody is
   * interrupted for, so PF is computed when C is read (a period boundary passed since the last read).
   */
  private catchUpPeriodicFlag(nowNs: number): void {
    const period = periodicPeriodNs(this.regA & REG_A_RS_MASK);
    if (!this.dividerRunning || this.regB & REG_B_PIE || period === Infinity) return;
    if (Math.floor(nowNs / period) > Math.floor(this.lastCReadNs / period)) this.regC |= REG_C_PF;
  }

  private updateIrq(): void {
    const enabled = this.regC & this.regB & (REG_C_PF | REG_C_AF | REG_C_UF);
    if (enabled) this.regC |= REG_C_IRQF;
    else this.regC &= ~REG_C_IRQF;
    this.irq.set(enabled !== 0);
  }

  private alarmMatches(secs: number): boolean {
    const c = calendarOf(secs);
    const match = (alarm: number, v: number, hour: boolean): boolean =>
      (alarm & 0xc0) === 0xc0 || (hour ? this.decodeHour(alarm) : this.decode(alarm)) === v;
    return match(this.alarm[0]!, c.sec, false) && match(this.alarm[1]!, c.min, false) && match(this.alarm[2]!, c.hour, true);
  }

  /**
   * UF and AF for every once-a-second update since they were last accounted for. No timer runs
   * every second for flags nobody is interrupted for: they are brought up to date here, before any
   * access and from the update timer that runs only while UIE or AIE is set.
   */
  private catchUpUpdateFlags(nowNs: number): void {
    const from = this.flagsCheckedNs;
    this.flagsCheckedNs = nowNs;
    if (!this.ticking || nowNs <= from) return;
    let update = this.nextUpdateNs(from);
    if (update > nowNs) return;
    this.regC |= REG_C_UF;
    // An alarm matches at most once a second; a day of updates covers every possible match.
    const updates = Math.floor((nowNs - update) / SECOND_NS) + 1;
    if (updates > 86_400) update += (updates - 86_400) * SECOND_NS;
    for (; update <= nowNs && (this.regC & REG_C_AF) === 0; update += SECOND_NS) {
      if (this.alarmMatches(this.seconds(update))) {
        this.regC |= REG_C_AF;
        this.onAlarm?.();
      }
    }
  }

  private onSecond(): void {
    this.catchUpUpdateFlags(this.clock.nowNs());
    this.updateIrq();
    this.armTimers();
  }

  private onPeriodic(): void {
    this.regC |= REG_C_PF;
    this.updateIrq();
    this.armTimers();
  }

  /** The update timer runs only with UIE or AIE, the periodic one only with PIE. */
  private armTimers(): void {
    const now = this.clock.nowNs();
    if (this.ticking && this.regB & (REG_B_UIE | REG_B_AIE)) this.secondTimer.arm(this.nextUpdateNs(now));
    else this.secondTimer.cancel();
    const period = periodicPeriodNs(this.regA & REG_A_RS_MASK);
    if (this.dividerRunning && this.regB & REG_B_PIE && period !== Infinity) {
      // Whole ns: a fractional deadline would sit between two icount instants and never be reached by a warp.
      this.periodicTimer.arm(Math.ceil((Math.floor(now / period) + 1) * period));
    } else this.periodicTimer.cancel();
  }

  pioRead(offset: number, _size: number): number {
    if (offset === 0) return 0xff; // the index register is write-only
    const now = this.clock.nowNs();
    this.catchUpUpdateFlags(now);
    const reg = this.index;
    switch (reg) {
      case RTC_SECONDS:
      case RTC_MINUTES:
      case RTC_HOURS:
      case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH:
      case RTC_MONTH:
      case RTC_YEAR:
      case CMOS_CENTURY:
        return this.readTime(reg, now);
      case RTC_SECONDS_ALARM:
        return this.alarm[0]!;
      case RTC_MINUTES_ALARM:
        return this.alarm[1]!;
      case RTC_HOURS_ALARM:
        return this.alarm[2]!;
      case RTC_REG_A:
        return this.regA | (this.updateInProgress(now) ? REG_A_UIP : 0);
      case RTC_REG_B:
        return this.regB;
      case RTC_REG_C: {
        this.catchUpPeriodicFlag(now);
        const v = this.regC;
        this.regC = 0;
        this.lastCReadNs = now;
        this.updateIrq();
        return v;
      }
      case RTC_REG_D:
        return REG_D_VRT;
      default:
        return this.cmos[reg]!;
    }
  }

  pioWrite(offset: number, _size: number, value: number): void {
    value &= 0xff;
    if (offset === 0) {
      this.index = value & 0x7f;
      this.nmiDisabled = (value & NMI_DISABLE) !== 0;
      return;
    }
    const now = this.clock.nowNs();
    this.catchUpUpdateFlags(now); // updates before this write saw the old time, alarm and mode
    const reg = this.index;
    switch (reg) {
      case RTC_SECONDS:
      case RTC_MINUTES:
      case RTC_HOURS:
      case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH:
      case RTC_MONTH:
      case RTC_YEAR:
      case CMOS_CENTURY:
        this.writeTime(reg, value, now);
        break;
      case RTC_SECONDS_ALARM:
      case RTC_MINUTES_ALARM:
      case RTC_HOURS_ALARM:
        this.alarm[reg >> 1] = value;
        break;
      case RTC_REG_A: {
        const wasRunning = this.dividerRunning;
        this.regA = value & ~REG_A_UIP;
        if (wasRunning && !this.dividerRunning) this.freeze(now);
        // Leaving divider reset: the first update comes half a second later.
        else if (!wasRunning && this.dividerRunning && !(this.regB & REG_B_SET)) this.thaw(now, SECOND_NS / 2);
        break;
      }
      case RTC_REG_B: {
        const wasSet = (this.regB & REG_B_SET) !== 0;
        // SET also clears UIE (datasheet); DSE has no effect here (no daylight-saving switch).
        this.regB = value & REG_B_SET ? value & ~REG_B_UIE : value;
        if (!wasSet && value & REG_B_SET) this.freeze(now);
        else if (wasSet && !(value & REG_B_SET) && this.dividerRunning) this.thaw(now, SECOND_NS);
        this.updateIrq();
        break;
      }
      case RTC_REG_C:
      case RTC_REG_D:
        break; // read-only
      default:
        this.cmos[reg] = value;
    }
    this.armTimers();
  }
}
