/**
 * The legacy PC platform devices and their wiring: the 8259 pair and the
 * IOAPIC on the machine's IRQ lines (ISA 0-15 to the PIC, every line to
 * its IOAPIC pin, IRQ 0 to pin 2), the 8254 PIT with port 0x61, the RTC
 * and CMOS, the i8042 (reset line), the ACPI PM registers and the GPE0
 * block (both drive the SCI), and the HPET when the machine has one (its
 * LegacyReplacement route takes IRQ 0 and IRQ 8 from the PIT and the RTC).
 * The machine hands the 8259 pair to the local APICs (LINT0 / INTR).
 */
import { AcpiGpe0 } from '../devices/acpi-gpe.js';
import { AcpiPm } from '../devices/acpi-pm.js';
import { Hpet } from '../devices/hpet.js';
import { LegacyRoutedLine } from '../devices/hpet-legacy-route.js';
import { I8042 } from '../devices/i8042.js';
import { I8254Pit } from '../devices/i8254-pit.js';
import { I8259Pair } from '../devices/i8259-pic.js';
import { IoApic, ioapicPinOfLine, REDIR_LEVEL, REDIR_MASKED } from '../devices/ioapic.js';
import { Mc146818Rtc, rtcStartSeconds, type RtcBase } from '../devices/mc146818-rtc.js';
import { SystemControlPort } from '../devices/system-control-port.js';
import { ACPI_GPE0_BLK, IRQ_ACPI_SCI, IRQ_KEYBOARD, IRQ_MOUSE, IRQ_PIT, IRQ_RTC } from './addresses.js';
import type { Resettable } from './bus-device.js';
import type { Clock } from './clock.js';
import type { ApicBus } from './interrupt-types.js';
import type { IrqLines } from './irq.js';
import type { MmioBus } from './mmio-bus.js';
import type { PioBus } from './pio-bus.js';
import { WiredOrLine } from './wired-or.js';

export interface PlatformHost {
  pio: PioBus;
  mmio: MmioBus;
  irqs: IrqLines;
  clock: Clock;
  apicBus: ApicBus;
  ramBytes: number;
  rtcBase: RtcBase;
  /** The machine has an HPET (-machine hpet=on); absent: none. */
  hpet?: boolean;
  /** The guest asked for a system reset (i8042 reset line). */
  requestReset(): void;
  /** The guest entered ACPI S5. */
  powerOff(): void;
  /** Some local APIC holds `vector` in its IRR (accepted, not yet taken by its CPU). */
  vectorPending?(vector: number): boolean;
  /** The guest entered ACPI S3 (suspend to RAM); absent: S3 is not offered and SLP_TYP S3 does nothing. */
  suspend?(): void;
  /** The RTC alarm went off while the OS had it enabled as a wake event (PM1 RTC_EN). */
  rtcWake(): void;
}

export class PlatformDevices {
  readonly pic = new I8259Pair();
  readonly ioapic: IoApic;
  readonly pit: I8254Pit;
  readonly systemControl: SystemControlPort;
  readonly rtc: Mc146818Rtc;
  readonly i8042: I8042;
  readonly acpiPm: AcpiPm;
  readonly gpe0: AcpiGpe0;
  readonly hpet: Hpet | undefined;

  constructor(host: PlatformHost) {
    const { pio, mmio, irqs, clock } = host;
    this.pic.attach(pio);
    this.pic.connect(irqs);
    this.ioapic = new IoApic(host.apicBus);
    this.ioapic.attach(mmio);
    this.ioapic.connect(irqs);
    // With an HPET, IRQ 0 and IRQ 8 have a second driver: its LegacyReplacement route picks which one counts.
    const irq0 = host.hpet === true ? new LegacyRoutedLine(irqs.line(IRQ_PIT)) : undefined;
    const irq8 = host.hpet === true ? new LegacyRoutedLine(irqs.line(IRQ_RTC)) : undefined;
    // While the HPET owns IRQ 0 no PIT edge can be held in a controller: none is owed for later.
    this.pit = new I8254Pit(clock, irq0?.legacy ?? irqs.line(IRQ_PIT), () => irq0?.routedToHpet !== true && this.irqEdgeHeld(IRQ_PIT, host));
    this.pit.attach(pio);
    this.systemControl = new SystemControlPort(this.pit, clock);
    this.systemControl.attach(pio);
    this.rtc = new Mc146818Rtc(clock, irq8?.legacy ?? irqs.line(IRQ_RTC), { startSeconds: rtcStartSeconds(host.rtcBase), ramBytes: host.ramBytes });
    this.rtc.attach(pio);
    this.i8042 = new I8042(irqs.line(IRQ_KEYBOARD), irqs.line(IRQ_MOUSE), () => host.requestReset());
    this.i8042.attach(pio);
    const sci = new WiredOrLine(irqs.line(IRQ_ACPI_SCI));
    this.acpiPm = new AcpiPm(clock, sci.source(), () => host.powerOff(), host.suspend === undefined ? undefined : () => host.suspend!());
    this.rtc.onAlarm = () => {
      if (this.acpiPm.rtcAlarm()) host.rtcWake();
    };
    this.acpiPm.attach(pio);
    this.gpe0 = new AcpiGpe0(sci.source());
    this.gpe0.attach(pio, ACPI_GPE0_BLK);
    this.hpet =
      irq0 === undefined || irq8 === undefined
        ? undefined
        : new Hpet(clock, {
            legacyIrq0: irq0,
            legacyIrq8: irq8,
            gsi: (n) => irqs.line(n),
            apicBus: host.apicBus,
            extendedDestId: () => this.ioapic.extendedDestId,
          });
    this.hpet?.attach(host.mmio);
  }

  /**
   * An edge of ISA line `irq` still waits for a CPU: latched in the 8259's IRR with the input
   * unmasked, or sent by an unmasked edge-triggered IOAPIC pin to a local APIC that holds it in IRR.
   */
  private irqEdgeHeld(irq: number, host: PlatformHost): boolean {
    const chip = irq < 8 ? this.pic.master : this.pic.slave;
    const bit = 1 << (irq & 7);
    if ((chip.irr & bit) !== 0 && (chip.imr & bit) === 0) return true;
    const pin = ioapicPinOfLine(irq);
    if (pin < 0) return false;
    const redirection = this.ioapic.low[pin]!;
    if ((redirection & (REDIR_MASKED | REDIR_LEVEL)) !== 0) return false;
    return host.vectorPending?.(redirection & 0xff) ?? false;
  }

  /** Everything to put back to power-on state on a system reset (the machine lowers the IRQ lines after). */
  get resettable(): Resettable[] {
    return [this.pic, this.ioapic, this.pit, this.systemControl, this.rtc, this.i8042, this.acpiPm, this.gpe0, ...(this.hpet ? [this.hpet] : [])];
  }
}
