/**
 * One vCPU's local APIC (Intel SDM vol. 3A ch. 10): xAPIC through its MMIO
 * page (claimed per vCPU by the run loop, so the access is known to come
 * from this vCPU), x2APIC through MSRs 0x800-0x8FF, IA32_TSC_DEADLINE.
 * IRR/ISR/TMR are 256-bit; the pending vector is the highest IRR bit whose
 * priority class is above the PPR's. The timer counts from the machine's
 * virtual clock at APIC_BUS_HZ / divisor.
 *
 * IA32_APIC_BASE (MSR 0x1B) is kept by the backend in the vCPU buffer; the
 * APIC follows it at every entry point (sync()): a clear enable bit is the
 * hardware-disabled state (the 8259's INTR goes straight to the CPU), EXTD
 * switches to x2APIC. TPR[7:4] is CR8: a MOV to CR8 shows up in the buffer
 * and is taken over here.
 */
import * as abi from '../hypervisor/abi.generated.js';
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { Clock, Timer } from '../machine/clock.js';
import { DeliveryMode, type LegacyInterruptController } from '../machine/interrupt-types.js';
import type { MsrHandler } from '../machine/msr-registry.js';
import type { InterruptSource, LocalMmio } from '../machine/run-loop.js';
import * as r from './lapic-registers.js';
import { EoiAssistChannel, type EoiAssistMemory } from './lapic-eoi-assist.js';

/** pendingVector()'s answer when the 8259 is to be asked for the vector (ExtINT). */
export const EXTINT_PENDING = 0x100;

/** What a local APIC needs from the machine: the bus for IPIs and EOIs, and the vCPU's run state. */
export interface LapicHost {
  /** The ICR was written: send the IPI (fields decoded by the APIC). */
  sendIpi(from: LocalApic, ipi: Ipi): void;
  /** EOI of a level-triggered vector: the IOAPIC clears its remote IRR. */
  broadcastEoi(vector: number): void;
  /** The APIC has something the vCPU may take (an interrupt, an NMI). */
  interruptRaised(index: number): void;
  /** INIT reached this vCPU. */
  init(index: number): void;
  /** A startup IPI reached this vCPU. */
  startup(index: number, vector: number): void;
}

export interface Ipi {
  vector: number;
  deliveryMode: DeliveryMode;
  logical: boolean;
  destination: number;
  shorthand: number;
  levelTriggered: boolean;
  /** Level bit: 0 with INIT and level trigger is the INIT level de-assert, which delivers nothing. */
  assert: boolean;
}

const NS_PER_SECOND = 1_000_000_000;

/** Highest set bit of a 256-bit array of 8 words, or -1. */
function highestBit(words: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[i]!;
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

/** Whether bit is the only bit set in a 256-bit array. */
function onlyBit(words: Uint32Array, bit: number): boolean {
  for (let i = 0; i < 8; i++) if (words[i]! !== (i === bit >>> 5 ? 1 << (bit & 31) : 0)) return false;
  return true;
}

function testBit(words: Uint32Array, bit: number): boolean {
  return ((words[bit >>> 5]! >>> (bit & 31)) & 1) !== 0;
}
function setBit(words: Uint32Array, bit: number, on: boolean): void {
  if (on) words[bit >>> 5]! |= 1 << (bit & 31);
  else words[bit >>> 5]! &= ~(1 << (bit & 31));
}

export class LocalApic implements InterruptSource, LocalMmio {
  readonly name: string;
  /** The APIC ID (xAPIC: bits 31:24 of the ID register; x2APIC: the whole register). */
  id: number;
  private readonly irr = new Uint32Array(8);
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  /** Vectors taken without setting ISR (Hyper-V SynIC SINTs with auto-EOI), set through setAutoEoi. */
  private readonly autoEoi = new Uint32Array(8);
  /** Lazy-EOI flags in guest memory (KVM PV EOI, Hyper-V APIC assist): lapic-eoi-assist.ts. */
  private readonly eoiAssists: EoiAssistChannel[] = [];
  /** Told when a vector is retired: by an EOI write, or at acceptance for an auto-EOI vector (SynIC re-delivery). */
  onVectorRetired: ((vector: number) => void) | undefined;
  private readonly lvt = new Uint32Array(r.LVT_COUNT);
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffff_ffff;
  private svr = 0xff;
  /** ESR as last latched by a write; errors since then accumulate in esrPending. */
  private esr = 0;
  private esrPending = 0;
  private icrLow = 0;
  private icrHigh = 0;
  private timerInitial = 0;
  private timerDcr = 0;
  /** Guest ns at which the current count was last loaded (one-shot/periodic); NaN when stopped. */
  private timerStart = NaN;
  private tscDeadline = 0n;
  private nmiPending = false;
  /** An ExtINT message from the IOAPIC asks for one INTA of the 8259. */
  private extIntRequested = false;
  private lint1Level = false;
  private legacy: LegacyInterruptController | null = null;
  private readonly timer: Timer;
  /** IA32_APIC_BASE low word as last seen in the vCPU buffer. */
  private seenBaseLow = 0;
  private seenBaseHigh = 0;
  /** CR8 as last seen in the vCPU buffer (a change there is a MOV to CR8). */
  private seenCr8 = 0;
  private readonly baseLowAt = abi.TSV_OFF_APIC_BASE >> 2;
  private readonly cr8At = abi.TSV_OFF_CR8 >> 2;

  constructor(
    readonly index: number,
    readonly vcpu: Vcpu,
    private readonly clock: Clock,
    private readonly host: LapicHost,
  ) {
    this.name = `lapic${index}`;
    this.id = index;
    this.timer = clock.addTimer(() => this.timerFired());
    this.powerOn();
  }

  // ---- state --------------------------------------------------------------

  /** Power-on / INIT state of the registers (the ID survives INIT; power-on sets it to the index). */
  private resetRegisters(): void {
    // ISR empties: a grant outstanding means nothing any more; its flag is cleared so the guest writes its next EOI.
    for (const c of this.eoiAssists) if (c.enabled) c.withdraw();
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.lvt.fill(r.LVT_MASKED);
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffff_ffff;
    this.svr = 0xff;
    this.esr = 0;
    this.esrPending = 0;
    this.icrLow = 0;
    this.icrHigh = 0;
    this.timerInitial = 0;
    this.timerDcr = 0;
    this.timerStart = NaN;
    this.tscDeadline = 0n;
    this.nmiPending = false;
    this.extIntRequested = false;
    if (this.timer.armed) this.timer.cancel();
    this.seenCr8 = this.vcpu.u32[this.cr8At]! & 0xf;
  }

  /** Power-on (system reset): ID = vCPU index. */
  powerOn(): void {
    this.id = this.index;
    // A system reset turns the lazy-EOI channels off with their MSRs; the old OS's flag words are left alone.
    for (const c of this.eoiAssists) c.reset();
    this.resetRegisters();
    this.seenBaseLow = this.vcpu.u32[this.baseLowAt]!;
    this.seenBaseHigh = this.vcpu.u32[this.baseLowAt + 1]!;
  }

  /** INIT: every register to its reset value except the APIC ID. */
  init(): void {
    this.resetRegisters();
    this.seenBaseLow = this.vcpu.u32[this.baseLowAt]!;
    this.seenBaseHigh = this.vcpu.u32[this.baseLowAt + 1]!;
  }

  /** What firmware leaves on the BSP (virtual-wire mode): enabled, LINT0 = ExtINT, LINT1 = NMI. */
  setVirtualWire(extInt: boolean): void {
    this.sync();
    this.svr = r.SVR_ENABLE | 0xff;
    this.lvt[r.LVT_LINT0] = extInt ? DeliveryMode.ExtInt << r.LVT_DELIVERY_MODE_SHIFT : r.LVT_MASKED;
    this.lvt[r.LVT_LINT1] = DeliveryMode.Nmi << r.LVT_DELIVERY_MODE_SHIFT;
  }

  /** The 8259 pair on LINT0 (and, with the APIC disabled, on the CPU's INTR pin). */
  connectLegacy(pic: LegacyInterruptController): void {
    this.legacy = pic;
    pic.onIntrChange((level) => {
      // Only a vCPU that takes ExtINT (LINT0 programmed so, or no APIC) is told; the others ignore INTR.
      if (level && this.extIntLine()) this.host.interruptRaised(this.index);
    });
  }

  /** LINT1 input (NMI button / chipset NMI); a rising edge fires the LVT's delivery. */
  setLint1(level: boolean): void {
    const rising = level && !this.lint1Level;
    this.lint1Level = level;
    if (rising) this.fireLvt(r.LVT_LINT1);
  }

  /** Follows IA32_APIC_BASE and CR8 from the vCPU buffer (the backend owns both). */
  private sync(): void {
    const u32 = this.vcpu.u32;
    const low = u32[this.baseLowAt]!;
    const high = u32[this.baseLowAt + 1]!;
    if (low !== this.seenBaseLow || high !== this.seenBaseHigh) this.baseChanged(this.seenBaseLow, low, high);
    const cr8 = u32[this.cr8At]! & 0xf;
    if (cr8 !== this.seenCr8) {
      this.seenCr8 = cr8;
      this.tpr = cr8 << 4;
    }
  }

  private baseChanged(oldLow: number, low: number, high: number): void {
    this.seenBaseLow = low;
    this.seenBaseHigh = high;
    const wasEnabled = (oldLow & r.APIC_BASE_ENABLE) !== 0;
    const enabled = (low & r.APIC_BASE_ENABLE) !== 0;
    const wasX2 = wasEnabled && (oldLow & r.APIC_BASE_EXTD) !== 0;
    const x2 = enabled && (low & r.APIC_BASE_EXTD) !== 0;
    // Disabling, or leaving x2APIC other than by disabling (which the SDM forbids), resets the APIC.
    if ((wasEnabled && !enabled) || (wasX2 && !x2)) {
      const id = this.id;
      this.resetRegisters();
      this.id = id & 0xff;
    }
    if (x2 && !wasX2) this.ldr = this.x2apicLdr();
    this.host.interruptRaised(this.index);
  }

  get hardwareEnabled(): boolean {
    this.sync();
    return (this.seenBaseLow & r.APIC_BASE_ENABLE) !== 0;
  }
  get x2apic(): boolean {
    this.sync();
    return (this.seenBaseLow & (r.APIC_BASE_ENABLE | r.APIC_BASE_EXTD)) === (r.APIC_BASE_ENABLE | r.APIC_BASE_EXTD);
  }
  get softwareEnabled(): boolean {
    return (this.svr & r.SVR_ENABLE) !== 0;
  }
  /** MMIO base of the xAPIC page. */
  get base(): number {
    this.sync();
    return ((this.seenBaseLow & 0xffff_f000) >>> 0) + (this.seenBaseHigh & 0xfffff) * 0x1_0000_0000;
  }

  private x2apicLdr(): number {
    return (((this.id >>> 4) << 16) | (1 << (this.id & 0xf))) >>> 0;
  }

  // ---- priorities -----------------------------------------------------------

  get taskPriority(): number {
    this.sync();
    return this.tpr;
  }

  get processorPriority(): number {
    this.sync();
    const isrv = highestBit(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr : isrClass;
  }

  /** Arbitration priority, used to pick the target of a lowest-priority message. */
  get arbitrationPriority(): number {
    this.sync();
    this.settleEoiAssist();
    const isrv = Math.max(highestBit(this.isr), 0) & 0xf0;
    const irrv = Math.max(highestBit(this.irr), 0) & 0xf0;
    const tprClass = this.tpr & 0xf0;
    if (tprClass >= irrv && tprClass > isrv) return this.tpr;
    return Math.max(tprClass, isrv, irrv);
  }

  // ---- accepting interrupts -------------------------------------------------

  /** A fixed or lowest-priority interrupt arrives (from the bus or a local LVT). */
  acceptInterrupt(vector: number, levelTriggered: boolean): void {
    this.sync();
    if (vector < 16) {
      this.recordError(r.ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    setBit(this.irr, vector, true);
    setBit(this.tmr, vector, levelTriggered);
    this.settleEoiAssist();
    this.host.interruptRaised(this.index);
  }

  raiseNmi(): void {
    this.nmiPending = true;
    this.host.interruptRaised(this.index);
  }

  /** ExtINT message (an IOAPIC pin in ExtINT mode): the next INTA goes to the 8259. */
  requestExtInt(): void {
    this.extIntRequested = true;
    this.host.interruptRaised(this.index);
  }

  private recordError(bits: number): void {
    const fresh = bits & ~this.esrPending;
    this.esrPending |= bits;
    if (fresh !== 0) this.fireLvt(r.LVT_ERROR);
  }

  /** A local interrupt source (timer, LINT0/1, error...) fires through its LVT entry. */
  private fireLvt(which: number): void {
    const entry = this.lvt[which]!;
    if (entry & r.LVT_MASKED || !this.softwareEnabled || !this.hardwareEnabled) return;
    const vector = entry & r.LVT_VECTOR;
    // The timer and error LVTs have no delivery-mode field: always fixed.
    const mode = which === r.LVT_TIMER || which === r.LVT_ERROR ? DeliveryMode.Fixed : (entry >> r.LVT_DELIVERY_MODE_SHIFT) & 7;
    switch (mode) {
      case DeliveryMode.Fixed:
        this.acceptInterrupt(vector, (which === r.LVT_LINT0 || which === r.LVT_LINT1) && (entry & r.LVT_LEVEL_TRIGGERED) !== 0);
        break;
      case DeliveryMode.Nmi:
        this.raiseNmi();
        break;
      case DeliveryMode.Init:
        this.host.init(this.index);
        break;
      case DeliveryMode.ExtInt:
        // LINT0 in ExtINT mode follows the 8259's INTR level (pendingVector looks at it).
        this.host.interruptRaised(this.index);
        break;
      default:
        // SMI and reserved modes: this CPU has no SMM, nothing is delivered.
        break;
    }
  }

  // ---- InterruptSource ------------------------------------------------------

  private extIntLine(): boolean {
    const pic = this.legacy;
    if (pic === null || !pic.intr) return false;
    if (!this.hardwareEnabled) return true; // no APIC: INTR reaches the CPU directly
    if (this.extIntRequested) return true;
    const lint0 = this.lvt[r.LVT_LINT0]!;
    return (lint0 & r.LVT_MASKED) === 0 && ((lint0 >> r.LVT_DELIVERY_MODE_SHIFT) & 7) === DeliveryMode.ExtInt;
  }

  pendingVector(): number {
    this.settleEoiAssist();
    if (this.extIntLine()) return EXTINT_PENDING;
    if (!this.hardwareEnabled || !this.softwareEnabled) return -1;
    const vector = highestBit(this.irr);
    if (vector < 0 || (vector & 0xf0) <= (this.processorPriority & 0xf0)) return -1;
    return vector;
  }

  acknowledge(vector: number): void {
    this.interruptAcknowledge(vector);
  }

  interruptAcknowledge(pending: number): number {
    if (pending === EXTINT_PENDING) {
      this.extIntRequested = false;
      return this.legacy !== null ? this.legacy.acknowledge() : this.svr & 0xff;
    }
    setBit(this.irr, pending, false);
    if (testBit(this.autoEoi, pending)) {
      this.onVectorRetired?.(pending);
      return pending;
    }
    setBit(this.isr, pending, true);
    this.offerEoiAssist(pending);
    return pending;
  }

  // ---- lazy EOI (KVM PV EOI, Hyper-V APIC assist) -----------------------------

  /** A lazy-EOI flag word of this APIC, enabled and disabled by its owner's MSR. */
  addEoiAssist(name: string, memory: EoiAssistMemory): EoiAssistChannel {
    const channel = new EoiAssistChannel(name, memory, () => this.settleEoiAssist());
    this.eoiAssists.push(channel);
    return channel;
  }

  /**
   * vector just went into service: if its EOI only matters to this APIC (edge-triggered) and nothing
   * else is in service or pending, the guest may retire it by clearing a flag instead of writing EOI.
   */
  private offerEoiAssist(vector: number): void {
    if (this.eoiAssists.length === 0 || testBit(this.tmr, vector) || highestBit(this.irr) >= 0 || !onlyBit(this.isr, vector)) return;
    for (const c of this.eoiAssists) {
      if (c.enabled) {
        c.grant(vector);
        return;
      }
    }
  }

  /**
   * Before the APIC's state is used: a flag the guest cleared is the EOI of the granted vector; a grant
   * still set while another interrupt waits is withdrawn, so the guest's next EOI is a register write that
   * retires the right vector once that interrupt nests.
   */
  private settleEoiAssist(): void {
    for (const c of this.eoiAssists) {
      const vector = c.grantedVector;
      if (vector < 0) continue;
      if (c.takeGuestEoi()) this.retire(vector);
      else if (highestBit(this.irr) >= 0) c.withdraw();
    }
  }

  /** Marks a vector as auto-EOI: accepting it retires it at once, no EOI write needed (Hyper-V SINTs). */
  setAutoEoi(vector: number, on: boolean): void {
    setBit(this.autoEoi, vector & 0xff, on);
  }

  takeNmi(): boolean {
    if (!this.nmiPending) return false;
    this.nmiPending = false;
    return true;
  }

  /** An EOI write. A grant still outstanding is withdrawn: the write is the EOI (once, even if the guest also cleared the flag). */
  private eoi(): void {
    for (const c of this.eoiAssists) c.withdraw();
    const vector = highestBit(this.isr);
    if (vector < 0) return;
    this.retire(vector);
  }

  private retire(vector: number): void {
    setBit(this.isr, vector, false);
    if (testBit(this.tmr, vector)) this.host.broadcastEoi(vector);
    this.onVectorRetired?.(vector);
    this.host.interruptRaised(this.index);
  }

  // ---- timer ----------------------------------------------------------------

  private get timerMode(): number {
    return (this.lvt[r.LVT_TIMER]! >> r.LVT_TIMER_MODE_SHIFT) & 3;
  }

  private tickNs(): number {
    return (r.timerDivisor(this.timerDcr) * NS_PER_SECOND) / r.APIC_BUS_HZ;
  }

  private currentCount(): number {
    if (Number.isNaN(this.timerStart) || this.timerMode === r.TIMER_TSC_DEADLINE) return 0;
    const elapsedTicks = Math.floor((this.clock.nowNs() - this.timerStart) / this.tickNs());
    if (this.timerMode === r.TIMER_PERIODIC) return this.timerInitial - (elapsedTicks % this.timerInitial);
    return elapsedTicks >= this.timerInitial ? 0 : this.timerInitial - elapsedTicks;
  }

  private startCountdown(startNs: number): void {
    if (this.timerInitial === 0 || this.timerMode === r.TIMER_TSC_DEADLINE) {
      this.timerStart = NaN;
      if (this.timer.armed) this.timer.cancel();
      return;
    }
    this.timerStart = startNs;
    this.timer.arm(startNs + this.timerInitial * this.tickNs());
  }

  private timerFired(): void {
    if (this.timerMode === r.TIMER_TSC_DEADLINE) {
      this.tscDeadline = 0n;
    } else if (this.timerMode === r.TIMER_PERIODIC && !Number.isNaN(this.timerStart)) {
      // The next period starts where this one ended, so periods do not drift. Periods already
      // over (a tiny count in real time) merge into this one, as they would in IRR: a guest's
      // 1-tick period must not make the host fire millions of callbacks in a row.
      const period = this.timerInitial * this.tickNs();
      let next = this.timerStart + period;
      const now = this.clock.nowNs();
      if (next + period <= now) next += Math.floor((now - next) / period) * period;
      this.startCountdown(next);
    } else {
      this.timerStart = NaN;
    }
    this.fireLvt(r.LVT_TIMER);
  }

  private writeTscDeadline(value: bigint): void {
    if (this.timerMode !== r.TIMER_TSC_DEADLINE) return; // ignored outside TSC-deadline mode
    this.tscDeadline = value;
    if (value === 0n) {
      if (this.timer.armed) this.timer.cancel();
      return;
    }
    // guest TSC = clock TSC + tsc_offset; the deadline is reached at the first ns whose TSC is >= it.
    const clockTsc = value - this.vcpu.tscOffset;
    const khz = BigInt(this.clock.tscKhz);
    const ns = clockTsc <= 0n ? 0 : Number((clockTsc * 1_000_000n + khz - 1n) / khz);
    this.timer.arm(Math.max(ns, this.clock.nowNs()));
  }

  // ---- registers --------------------------------------------------------------

  /** Reads a 32-bit register; undefined when the offset holds none in the current mode. */
  readRegister(offset: number): number | undefined {
    this.sync();
    this.settleEoiAssist();
    const x2 = this.x2apic;
    switch (offset) {
      case r.REG_ID:
        return x2 ? this.id >>> 0 : ((this.id & 0xff) << 24) >>> 0;
      case r.REG_VERSION:
        return r.APIC_VERSION;
      case r.REG_TPR:
        return this.tpr;
      case r.REG_APR:
        return x2 ? undefined : this.arbitrationPriority;
      case r.REG_PPR:
        return this.processorPriority;
      case r.REG_EOI:
        return x2 ? undefined : 0; // write-only: x2APIC reads #GP
      case r.REG_RRD:
        return x2 ? undefined : 0;
      case r.REG_LDR:
        return this.ldr >>> 0;
      case r.REG_DFR:
        return x2 ? undefined : this.dfr >>> 0;
      case r.REG_SVR:
        return this.svr;
      case r.REG_ESR:
        return this.esr;
      case r.REG_ICR_LOW:
        return this.icrLow;
      case r.REG_ICR_HIGH:
        return x2 ? undefined : this.icrHigh;
      case r.REG_TIMER_INITIAL:
        return this.timerInitial;
      case r.REG_TIMER_CURRENT:
        return this.currentCount();
      case r.REG_TIMER_DIVIDE:
        return this.timerDcr;
      default:
        break;
    }
    if (offset >= r.REG_LVT_TIMER && offset <= r.REG_LVT_ERROR && (offset & 0xf) === 0) {
      return this.lvt[(offset - r.REG_LVT_TIMER) >> 4]!;
    }
    if ((offset & 0xf) !== 0) return undefined;
    if (offset >= r.REG_ISR && offset < r.REG_ISR + 0x80) return this.isr[(offset - r.REG_ISR) >> 4]!;
    if (offset >= r.REG_TMR && offset < r.REG_TMR + 0x80) return this.tmr[(offset - r.REG_TMR) >> 4]!;
    if (offset >= r.REG_IRR && offset < r.REG_IRR + 0x80) return this.irr[(offset - r.REG_IRR) >> 4]!;
    return undefined;
  }

  /**
   * Writes a 32-bit register (x2APIC: value is the MSR's low word, ICR takes the high word too).
   * Returns false for a register that cannot be written in the current mode (x2APIC: #GP).
   */
  writeRegister(offset: number, value: number, high = 0): boolean {
    this.sync();
    if (offset !== r.REG_EOI) this.settleEoiAssist();
    const x2 = this.x2apic;
    value >>>= 0;
    switch (offset) {
      case r.REG_ID:
        if (x2) return false;
        this.id = value >>> 24;
        return true;
      case r.REG_TPR:
        this.tpr = value & 0xff;
        this.host.interruptRaised(this.index);
        return true;
      case r.REG_EOI:
        if (x2 && value !== 0) return false;
        this.eoi();
        return true;
      case r.REG_LDR:
        if (x2) return false;
        this.ldr = value & 0xff00_0000;
        return true;
      case r.REG_DFR:
        if (x2) return false;
        this.dfr = (value | 0x0fff_ffff) >>> 0;
        return true;
      case r.REG_SVR: {
        this.svr = value & r.SVR_WRITABLE;
        if (!this.softwareEnabled) for (let i = 0; i < r.LVT_COUNT; i++) this.lvt[i]! |= r.LVT_MASKED;
        this.host.interruptRaised(this.index);
        return true;
      }
      case r.REG_ESR:
        if (x2 && value !== 0) return false;
        // Write-before-read: the write latches the errors seen since the last one.
        this.esr = this.esrPending;
        this.esrPending = 0;
        return true;
      case r.REG_ICR_LOW:
        this.icrLow = value & r.ICR_LOW_WRITABLE;
        if (x2) this.icrHigh = high >>> 0;
        this.sendFromIcr();
        return true;
      case r.REG_ICR_HIGH:
        if (x2) return false;
        this.icrHigh = value & 0xff00_0000;
        return true;
      case r.REG_TIMER_INITIAL:
        if (this.timerMode === r.TIMER_TSC_DEADLINE) return true; // ignored in TSC-deadline mode
        this.timerInitial = value;
        this.startCountdown(this.clock.nowNs());
        return true;
      case r.REG_TIMER_DIVIDE: {
        const running = !Number.isNaN(this.timerStart);
        const left = running ? this.currentCount() : 0;
        this.timerDcr = value & 0xb;
        if (running) {
          // Keep the count where it is; it goes on at the new rate.
          const now = this.clock.nowNs();
          this.timerStart = now - (this.timerInitial - left) * this.tickNs();
          this.timer.arm(now + left * this.tickNs());
        }
        return true;
      }
      case r.REG_SELF_IPI:
        if (!x2) return false;
        this.acceptInterrupt(value & 0xff, false);
        return true;
      default:
        break;
    }
    if (offset >= r.REG_LVT_TIMER && offset <= r.REG_LVT_ERROR && (offset & 0xf) === 0) {
      this.writeLvt((offset - r.REG_LVT_TIMER) >> 4, value);
      return true;
    }
    // Read-only registers: ignored by xAPIC, #GP in x2APIC.
    return !x2 && this.readRegister(offset) !== undefined;
  }

  private writeLvt(which: number, value: number): void {
    const old = this.lvt[which]!;
    let v = (value & r.LVT_WRITABLE[which]!) | (old & r.LVT_REMOTE_IRR);
    if (!this.softwareEnabled) v |= r.LVT_MASKED;
    if (which === r.LVT_TIMER && ((v >> r.LVT_TIMER_MODE_SHIFT) & 3) === 3) v &= ~(3 << r.LVT_TIMER_MODE_SHIFT); // reserved mode
    this.lvt[which] = v >>> 0;
    if (which === r.LVT_TIMER) {
      const oldMode = (old >> r.LVT_TIMER_MODE_SHIFT) & 3;
      const mode = (v >> r.LVT_TIMER_MODE_SHIFT) & 3;
      if (oldMode !== mode && (oldMode === r.TIMER_TSC_DEADLINE || mode === r.TIMER_TSC_DEADLINE)) {
        // Switching to or from TSC-deadline mode disarms the timer.
        this.timerInitial = 0;
        this.timerStart = NaN;
        this.tscDeadline = 0n;
        if (this.timer.armed) this.timer.cancel();
      }
    }
    if (which === r.LVT_LINT0) this.host.interruptRaised(this.index);
  }

  private sendFromIcr(): void {
    const low = this.icrLow;
    const mode = ((low >> r.ICR_DELIVERY_MODE_SHIFT) & 7) as DeliveryMode;
    const vector = low & r.ICR_VECTOR;
    if ((mode === DeliveryMode.Fixed || mode === DeliveryMode.LowestPriority) && vector < 16) {
      this.recordError(r.ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    const x2 = this.x2apic;
    this.host.sendIpi(this, {
      vector,
      deliveryMode: mode,
      logical: (low & r.ICR_LOGICAL) !== 0,
      destination: x2 ? this.icrHigh >>> 0 : this.icrHigh >>> 24,
      shorthand: (low >> r.ICR_SHORTHAND_SHIFT) & 3,
      levelTriggered: (low & r.ICR_LEVEL_TRIGGERED) !== 0,
      // x2APIC has no INIT level de-assert; xAPIC's is INIT with level=0 and level trigger.
      assert: x2 || (low & r.ICR_LEVEL_ASSERT) !== 0 || (low & r.ICR_LEVEL_TRIGGERED) === 0,
    });
  }

  // ---- destination matching (the bus asks) -----------------------------------

  /** Physical destination: this APIC's ID, or broadcast (0xff, x2APIC 0xffffffff). */
  matchesPhysical(destination: number): boolean {
    if (destination === 0xffff_ffff || destination === 0xff) return true;
    return this.x2apic ? destination === this.id : destination === (this.id & 0xff);
  }

  /** Logical destination against LDR (flat or cluster model in xAPIC, cluster in x2APIC). */
  matchesLogical(destination: number): boolean {
    if (this.x2apic) {
      if (destination === 0xffff_ffff) return true;
      return destination >>> 16 === this.ldr >>> 16 && (destination & this.ldr & 0xffff) !== 0;
    }
    const dest = destination & 0xff;
    const logicalId = this.ldr >>> 24;
    if (this.dfr >>> 28 === 0xf) return (dest & logicalId) !== 0; // flat
    if (dest === 0xff) return true; // cluster broadcast
    return dest >>> 4 === logicalId >>> 4 && (dest & logicalId & 0xf) !== 0;
  }

  // ---- xAPIC MMIO (LocalMmio) ---------------------------------------------------

  claims(gpa: number): boolean {
    // Every MMIO exit of this vCPU asks: one sync, then plain arithmetic.
    this.sync();
    const low = this.seenBaseLow;
    if ((low & (r.APIC_BASE_ENABLE | r.APIC_BASE_EXTD)) !== r.APIC_BASE_ENABLE) return false;
    const base = ((low & 0xffff_f000) >>> 0) + (this.seenBaseHigh & 0xfffff) * 0x1_0000_0000;
    return gpa >= base && gpa < base + 0x1000;
  }

  mmioRead(gpa: number, data: Uint8Array, length: number): void {
    const offset = gpa - this.base;
    const reg = offset & 0xff0;
    let value = this.readRegister(reg);
    if (value === undefined || reg === r.REG_SELF_IPI) {
      this.recordError(r.ESR_ILLEGAL_REGISTER);
      value = 0;
    }
    // Registers are 32 bits at 16-byte strides; bytes 4-15 of each slot read as 0.
    for (let i = 0; i < length; i++) {
      const at = (offset & 0xf) + i;
      data[i] = at < 4 ? (value >>> (at * 8)) & 0xff : 0;
    }
  }

  mmioWrite(gpa: number, data: Uint8Array, length: number): void {
    const offset = gpa - this.base;
    // Only aligned 32-bit writes reach a register (other sizes are undefined on hardware; dropped).
    if ((offset & 0xf) !== 0 || length < 4) return;
    const value = (data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)) >>> 0;
    const reg = offset & 0xff0;
    if (reg === r.REG_SELF_IPI || !this.writeRegister(reg, value)) this.recordError(r.ESR_ILLEGAL_REGISTER);
  }

  // ---- MSRs ----------------------------------------------------------------------

  /** x2APIC registers as MSRs 0x800-0x8FF (only while x2APIC mode is on). */
  readonly x2apicMsrs: MsrHandler = {
    read: (_vcpu, index) => {
      if (!this.x2apic) return undefined;
      const reg = (index - r.MSR_X2APIC_FIRST) << 4;
      if (reg === r.REG_SELF_IPI) return undefined;
      if (reg === r.REG_ICR_LOW) return (BigInt(this.icrHigh) << 32n) | BigInt(this.icrLow);
      const v = this.readRegister(reg);
      return v === undefined ? undefined : BigInt(v);
    },
    write: (_vcpu, index, value) => {
      if (!this.x2apic) return false;
      const reg = (index - r.MSR_X2APIC_FIRST) << 4;
      const low = Number(value & 0xffff_ffffn);
      const high = Number(value >> 32n);
      // Only the ICR is 64 bits wide; the others #GP on bits above 31.
      if (reg !== r.REG_ICR_LOW && high !== 0) return false;
      return this.writeRegister(reg, low, high);
    },
  };

  /** IA32_TSC_DEADLINE (0x6E0). */
  readonly tscDeadlineMsr: MsrHandler = {
    read: () => {
      this.sync();
      return this.timerMode === r.TIMER_TSC_DEADLINE ? this.tscDeadline : 0n;
    },
    write: (_vcpu, _index, value) => {
      this.sync();
      if (this.hardwareEnabled) this.writeTscDeadline(value);
      return true;
    },
  };
}
