/**
 * The vCPUs' interrupt side: one local APIC per vCPU on one APIC bus, wired
 * into the run loop (each APIC is its vCPU's interrupt source and owns its
 * xAPIC page) and the MSR registry (x2APIC MSRs, IA32_TSC_DEADLINE), in the
 * state firmware leaves a PC in: the BSP's APIC in virtual-wire mode (LINT0
 * ExtINT from the 8259, LINT1 NMI), every AP waiting for INIT-SIPI-SIPI.
 * The x2APIC and TSC-deadline MSRs exist only where CPUID offers x2APIC and
 * TSC_DEADLINE (otherwise they are #GP, as on a CPU without them).
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import { ApicBusHub } from '../devices/apic-bus.js';
import { LocalApic } from '../devices/lapic.js';
import { MSR_TSC_DEADLINE, MSR_X2APIC_FIRST, MSR_X2APIC_LAST } from '../devices/lapic-registers.js';
import type { Clock } from './clock.js';
import type { LegacyInterruptController } from './interrupt-types.js';
import type { MsrRegistry } from './msr-registry.js';
import { VcpuRunState, type RunLoop } from './run-loop.js';

/** The CPUID features that give the APIC MSRs (-cpu ...,-x2apic / -tsc-deadline hide them). */
export interface ApicMsrFeatures {
  readonly x2apic: boolean;
  readonly tscDeadline: boolean;
}

export class LocalApics {
  readonly bus: ApicBusHub;
  readonly apics: LocalApic[];

  constructor(vcpus: readonly Vcpu[], clock: Clock, private readonly loop: RunLoop, msrs: MsrRegistry, features: ApicMsrFeatures) {
    this.bus = new ApicBusHub({
      interruptRaised: (i) => loop.interruptRaised(i),
      initVcpu: (i) => loop.initVcpu(i),
      startupVcpu: (i, vector) => loop.startupVcpu(i, vector),
    });
    this.apics = vcpus.map((v, i) => new LocalApic(i, v, clock, this.bus));
    for (const apic of this.apics) this.bus.attach(apic);
    loop.slots.forEach((slot, i) => {
      slot.source = this.apics[i]!;
      slot.localMmio = this.apics[i]!;
    });
    // One registry entry per range; the exit's vCPU picks its own APIC.
    const apicOf = (vcpu: Vcpu): LocalApic => this.apics[vcpu.id]!;
    if (features.x2apic) {
      msrs.register(MSR_X2APIC_FIRST, MSR_X2APIC_LAST, {
        read: (vcpu, index) => apicOf(vcpu).x2apicMsrs.read(vcpu, index),
        write: (vcpu, index, value) => apicOf(vcpu).x2apicMsrs.write(vcpu, index, value),
      });
    }
    if (features.tscDeadline) {
      msrs.register(MSR_TSC_DEADLINE, MSR_TSC_DEADLINE, {
        read: (vcpu, index) => apicOf(vcpu).tscDeadlineMsr.read(vcpu, index),
        write: (vcpu, index, value) => apicOf(vcpu).tscDeadlineMsr.write(vcpu, index, value),
      });
    }
    this.powerOn();
  }

  /** Power-on and system reset (after the vCPUs' own reset): firmware's hand-off state. */
  powerOn(): void {
    this.apics.forEach((apic, i) => {
      apic.powerOn();
      apic.setVirtualWire(i === 0);
      if (i > 0) this.loop.setRunState(i, VcpuRunState.WaitForSipi);
    });
  }

  /** The 8259 pair drives every APIC's LINT0 (only the BSP's is programmed ExtINT) and the CPU's INTR with the APIC off. */
  connectLegacy(pic: LegacyInterruptController): void {
    for (const apic of this.apics) apic.connectLegacy(pic);
  }
}
