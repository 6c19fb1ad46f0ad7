/**
 * The APIC bus: carries interrupt messages (IOAPIC redirections, MSI, IPIs
 * from an ICR) to the local APICs they address — physical or logical
 * destination (flat, cluster, x2APIC cluster), broadcast, the ICR's
 * shorthands — and EOIs of level-triggered vectors back to their listeners
 * (the IOAPIC's remote IRR). Lowest-priority messages go to the one target
 * with the lowest arbitration priority, ties to the lowest vCPU index, so a
 * run is deterministic.
 */
import { DeliveryMode, type ApicBus, type ApicMessage } from '../machine/interrupt-types.js';
import type { Ipi, LapicHost, LocalApic } from './lapic.js';
import { SHORTHAND_ALL_EXCLUDING_SELF, SHORTHAND_ALL_INCLUDING_SELF, SHORTHAND_NONE, SHORTHAND_SELF } from './lapic-registers.js';

/** The run-state side of INIT/SIPI and interrupt wake-ups (the machine's run loop). */
export interface VcpuControl {
  interruptRaised(index: number): void;
  initVcpu(index: number): void;
  startupVcpu(index: number, vector: number): void;
}

export class ApicBusHub implements ApicBus, LapicHost {
  readonly apics: LocalApic[] = [];
  private readonly eoiListeners: Array<(vector: number) => void> = [];
  /** Messages delivered (diagnostics). */
  messages = 0;

  constructor(private readonly control: VcpuControl) {}

  attach(apic: LocalApic): void {
    this.apics.push(apic);
  }

  addEoiListener(listener: (vector: number) => void): void {
    this.eoiListeners.push(listener);
  }

  /** A message from an IOAPIC or MSI (never a shorthand). */
  deliver(message: ApicMessage): void {
    this.route(null, message, SHORTHAND_NONE);
  }

  // ---- LapicHost ----------------------------------------------------------

  sendIpi(from: LocalApic, ipi: Ipi): void {
    // INIT level de-assert only synchronises arbitration IDs on old buses: nothing is delivered.
    if (ipi.deliveryMode === DeliveryMode.Init && !ipi.assert) return;
    this.route(from, ipi, ipi.shorthand);
  }

  broadcastEoi(vector: number): void {
    for (const l of this.eoiListeners) l(vector);
  }

  interruptRaised(index: number): void {
    this.control.interruptRaised(index);
  }

  init(index: number): void {
    // The vCPU first (its reset puts IA32_APIC_BASE back), then the APIC's registers.
    this.control.initVcpu(index);
    this.apics[index]!.init();
  }

  startup(index: number, vector: number): void {
    this.control.startupVcpu(index, vector);
  }

  // ---- routing ------------------------------------------------------------

  private targets(from: LocalApic | null, message: ApicMessage, shorthand: number): LocalApic[] {
    const out: LocalApic[] = [];
    for (const apic of this.apics) {
      if (!apic.hardwareEnabled) continue; // a disabled APIC takes no messages
      let hit: boolean;
      switch (shorthand) {
        case SHORTHAND_SELF:
          hit = apic === from;
          break;
        case SHORTHAND_ALL_INCLUDING_SELF:
          hit = true;
          break;
        case SHORTHAND_ALL_EXCLUDING_SELF:
          hit = apic !== from;
          break;
        default:
          hit = message.logical ? apic.matchesLogical(message.destination) : apic.matchesPhysical(message.destination);
      }
      if (hit) out.push(apic);
    }
    return out;
  }

  private route(from: LocalApic | null, message: ApicMessage, shorthand: number): void {
    this.messages++;
    let targets = this.targets(from, message, shorthand);
    if (targets.length === 0) return;
    const mode = message.deliveryMode;
    if (mode === DeliveryMode.LowestPriority) {
      let best = targets[0]!;
      let bestPriority = best.arbitrationPriority;
      for (let i = 1; i < targets.length; i++) {
        const p = targets[i]!.arbitrationPriority;
        if (p < bestPriority) {
          best = targets[i]!;
          bestPriority = p;
        }
      }
      targets = [best];
    }
    for (const apic of targets) {
      switch (mode) {
        case DeliveryMode.Fixed:
        case DeliveryMode.LowestPriority:
          apic.acceptInterrupt(message.vector, message.levelTriggered);
          break;
        case DeliveryMode.Nmi:
          apic.raiseNmi();
          break;
        case DeliveryMode.Init:
          this.init(apic.index);
          break;
        case DeliveryMode.StartUp:
          this.startup(apic.index, message.vector);
          break;
        case DeliveryMode.ExtInt:
          apic.requestExtInt();
          break;
        default:
          // SMI and reserved modes: this CPU has no SMM; nothing is delivered.
          break;
      }
    }
  }
}
