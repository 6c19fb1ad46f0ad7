/**
 * PV EOI (kvm-pv-eoi, MSR_KVM_PV_EOI_EN 0x4b564d04): per vCPU, bit 0
 * enables, bits 63:2 are the GPA of a 4-byte-aligned 32-bit word in RAM
 * whose bit 0 the local APIC sets when the guest may skip the EOI write of
 * the interrupt it was just given (the guest clears it instead). The lazy
 * EOI itself is the local APIC's (lib/devices/lapic-eoi-assist.ts); this is
 * the MSR. Bit 1 is reserved (#GP); so is a word outside RAM.
 */
import type { EoiAssistChannel, EoiAssistMemory } from '../devices/lapic-eoi-assist.js';

export const MSR_KVM_PV_EOI_EN = 0x4b56_4d04;
const PV_EOI_ENABLE = 1n;
const PV_EOI_RESERVED = 2n;
const FLAG_BYTES = 4;

/** The local APIC surface PV EOI needs. */
export interface PvEoiApic {
  addEoiAssist(name: string, memory: EoiAssistMemory): EoiAssistChannel;
}

export class PvEoi {
  private readonly msr: bigint[];
  private readonly channels: EoiAssistChannel[];

  constructor(apics: readonly PvEoiApic[], private readonly memory: EoiAssistMemory) {
    this.msr = new Array<bigint>(apics.length).fill(0n);
    this.channels = apics.map((apic) => apic.addEoiAssist('kvm-pv-eoi', memory));
  }

  read(index: number): bigint {
    return this.msr[index]!;
  }

  /** GPA (4-byte aligned, in RAM) | 1 enables; 0 (or any GPA without bit 0) disables; bit 1 set is #GP. */
  write(index: number, value: bigint): boolean {
    if ((value & PV_EOI_RESERVED) !== 0n) return false;
    const channel = this.channels[index]!;
    if ((value & PV_EOI_ENABLE) !== 0n) {
      const gpa = value & ~3n;
      if (gpa + BigInt(FLAG_BYTES) > BigInt(this.memory.size)) return false;
      channel.enable(Number(gpa));
    } else {
      channel.disable();
    }
    this.msr[index] = value;
    return true;
  }

  /** System reset: every MSR back to 0 (the APICs' power-on turns the channels off). */
  reset(): void {
    this.msr.fill(0n);
    for (const c of this.channels) c.reset();
  }

  /** Interrupts given with the flag set, over every vCPU. */
  get grants(): number {
    return this.channels.reduce((n, c) => n + c.grants, 0);
  }

  /** EOIs the guest signalled by clearing the flag, over every vCPU. */
  get lazyEois(): number {
    return this.channels.reduce((n, c) => n + c.lazyEois, 0);
  }
}
