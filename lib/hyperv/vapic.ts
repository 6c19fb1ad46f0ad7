/**
 * hv-vapic: the local APIC through Hyper-V's synthetic MSRs and the VP assist page.
 *
 * HV_X64_MSR_EOI (write-only; any value is an EOI), HV_X64_MSR_ICR (64 bits:
 * in xAPIC mode high word = ICR[63:32], written before the low word, which
 * sends; in x2APIC mode the x2APIC ICR) and HV_X64_MSR_TPR (bits 7:0) go to
 * the VP's local APIC. HV_X64_MSR_VP_ASSIST_PAGE: enable + GPA; the page is
 * zeroed on enable. APIC assist (lazy EOI): bit 0 of the page's first
 * dword is "No EOI required". The local APIC sets it when it gives the VP an
 * edge-triggered interrupt while no other interrupt is in service or
 * pending (the TLFS conditions), the guest clears it instead of writing
 * EOI, and the APIC retires the vector when it sees the cleared bit; an
 * interrupt arriving meanwhile makes it clear the bit, so that EOI is
 * written (lib/devices/lapic-eoi-assist.ts, shared with KVM's PV EOI).
 */
import type { EoiAssistChannel, EoiAssistMemory } from '../devices/lapic-eoi-assist.js';
import type { GuestMemory } from '../machine/guest-memory.js';
import { HV_HYP_PAGE_SIZE, HV_X64_MSR_PAGE_ADDRESS_MASK } from './hyperv-proto.js';

/** The local-APIC surface hv-vapic uses (lib/devices/lapic.ts). */
export interface VapicApic {
  readonly x2apic: boolean;
  readRegister(offset: number): number | undefined;
  writeRegister(offset: number, value: number, high?: number): boolean;
  addEoiAssist(name: string, memory: EoiAssistMemory): EoiAssistChannel;
}

const REG_TPR = 0x080;
const REG_EOI = 0x0b0;
const REG_ICR_LOW = 0x300;
const REG_ICR_HIGH = 0x310;
const VP_ASSIST_ENABLE = 1n;
/** The APIC-assist dword is the first of the VP assist page. */
const APIC_ASSIST_OFFSET = 0;

export class Vapic {
  private readonly assist: bigint[];
  private readonly apicAssist: EoiAssistChannel[];

  constructor(private readonly memory: GuestMemory, private readonly apics: readonly VapicApic[]) {
    this.assist = new Array<bigint>(apics.length).fill(0n);
    this.apicAssist = apics.map((apic) => apic.addEoiAssist('hv-apic-assist', memory));
  }

  /** Interrupts given with "No EOI required" set, over every VP. */
  get apicAssistGrants(): number {
    return this.apicAssist.reduce((n, c) => n + c.grants, 0);
  }

  /** EOIs the guest signalled by clearing "No EOI required", over every VP. */
  get apicAssistLazyEois(): number {
    return this.apicAssist.reduce((n, c) => n + c.lazyEois, 0);
  }

  writeEoi(vp: number): boolean {
    return this.apics[vp]!.writeRegister(REG_EOI, 0);
  }

  readIcr(vp: number): bigint {
    const apic = this.apics[vp]!;
    const low = apic.readRegister(REG_ICR_LOW) ?? 0;
    // x2APIC has no separate high register: its ICR keeps the destination in the MSR's high word.
    const high = apic.x2apic ? 0 : (apic.readRegister(REG_ICR_HIGH) ?? 0);
    return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  }

  writeIcr(vp: number, value: bigint): boolean {
    const apic = this.apics[vp]!;
    const low = Number(value & 0xffff_ffffn);
    const high = Number(value >> 32n);
    if (apic.x2apic) return apic.writeRegister(REG_ICR_LOW, low, high);
    return apic.writeRegister(REG_ICR_HIGH, high) && apic.writeRegister(REG_ICR_LOW, low);
  }

  readTpr(vp: number): bigint {
    return BigInt(this.apics[vp]!.readRegister(REG_TPR) ?? 0);
  }

  writeTpr(vp: number, value: bigint): boolean {
    if (value > 0xffn) return false; // bits 63:8 reserved
    return this.apics[vp]!.writeRegister(REG_TPR, Number(value));
  }

  readAssistPage(vp: number): bigint {
    return this.assist[vp]!;
  }

  writeAssistPage(vp: number, value: bigint): boolean {
    if ((value & 0xffen) !== 0n) return false; // bits 11:1 reserved
    const channel = this.apicAssist[vp]!;
    if ((value & VP_ASSIST_ENABLE) !== 0n) {
      const gpa = Number(value & HV_X64_MSR_PAGE_ADDRESS_MASK);
      if (!Number.isSafeInteger(gpa) || gpa + HV_HYP_PAGE_SIZE > this.memory.size) return false;
      // Settle a grant on the old page before the new one is zeroed.
      channel.disable();
      this.memory.fill(gpa, HV_HYP_PAGE_SIZE, 0);
      channel.enable(gpa + APIC_ASSIST_OFFSET);
    } else {
      channel.disable();
    }
    this.assist[vp] = value;
    return true;
  }

  reset(): void {
    this.assist.fill(0n);
    for (const c of this.apicAssist) c.reset();
  }
}
