/**
 * The PC's cascaded 8259A pair: master (IRQ 0-7) at 0x20/0x21, slave
 * (IRQ 8-15) on the master's IR2 at 0xA0/0xA1, and the PIIX edge/level
 * control registers (ELCR) at 0x4D0/0x4D1.
 *
 * Facts from the 8259A datasheet: ICW1 (bit 4 set on the command port)
 * starts initialisation and clears IMR, ISR and the special mask; ICW2
 * (vector base, bits 7-3), ICW3 (only when ICW1.SNGL=0) and ICW4 (only
 * when ICW1.IC4=1) follow on the data port. Afterwards the data port is
 * OCW1 (IMR); on the command port OCW2 (bits 4,3 = 00) issues EOIs and
 * rotations, OCW3 (bits 4,3 = 01) selects IRR/ISR reads, poll and
 * special mask mode.
 *
 * Edge-triggered inputs latch a rising edge into IRR (so a device's
 * pulse() is never lost); level-triggered inputs (ELCR bit or ICW1.LTIM)
 * show the line's level in IRR. The slave's INT output is a level input
 * of the master's IR2.
 *
 * There is no firmware in front of a multiboot guest, so after power-on
 * and reset the pair is in the state a PC BIOS leaves it in: vector bases
 * 0x08 and 0x70, every input masked except the cascade.
 */
import { PORT_PIC_ELCR, PORT_PIC_MASTER, PORT_PIC_SLAVE } from '../machine/addresses.js';
import type { PioDevice, Resettable } from '../machine/bus-device.js';
import type { LegacyInterruptController } from '../machine/interrupt-types.js';
import type { IrqLines } from '../machine/irq.js';
import type { PioBus } from '../machine/pio-bus.js';

export const ICW1_IC4 = 0x01;
export const ICW1_SNGL = 0x02;
export const ICW1_LTIM = 0x08;
export const ICW1_INIT = 0x10;
export const ICW4_AEOI = 0x02;
export const ICW4_SFNM = 0x10;
export const OCW3_SELECT = 0x08;
export const OCW3_READ_ISR = 0x03;
export const OCW3_READ_IRR = 0x02;
export const OCW3_POLL = 0x04;
export const OCW3_SET_SPECIAL_MASK = 0x60;
export const OCW3_CLEAR_SPECIAL_MASK = 0x40;
export const OCW2_NON_SPECIFIC_EOI = 0x20;
export const OCW2_SPECIFIC_EOI = 0x60;

/** Input of the master the slave's INT drives. */
export const CASCADE_IR = 2;
/** ELCR bits that must stay edge (PIIX: IRQ 0, 1, 2 on the master; 8 and 13 on the slave). */
const ELCR_WRITABLE = [0xf8, 0xde] as const;
/** Vector bases and masks a PC BIOS programs. */
export const BIOS_MASTER_VECTOR_BASE = 0x08;
export const BIOS_SLAVE_VECTOR_BASE = 0x70;

/** Where the controller is in its initialisation sequence. */
const enum InitStep {
  Ready,
  Icw2,
  Icw3,
  Icw4,
}

/** One 8259A. */
export class I8259 {
  irr = 0;
  isr = 0;
  imr = 0;
  vectorBase = 0;
  /** The IR with the lowest priority; the highest is (lowestPriority + 1) & 7. */
  lowestPriority = 7;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialMask = false;
  specialFullyNested = false;
  levelAll = false; // ICW1.LTIM
  elcr = 0;
  readIsr = false;
  poll = false;
  private step = InitStep.Ready;
  private needIcw4 = false;
  private single = false;
  /** Input levels as last seen (level-triggered IRR and edge detection). */
  private lines = 0;
  /** For the master: the input whose IRR follows another controller's INT output. */
  cascadeInput: (() => boolean) | undefined;

  constructor(readonly elcrWritable: number) {}

  powerOn(vectorBase: number, imr: number): void {
    this.irr = 0;
    this.isr = 0;
    this.imr = imr;
    this.vectorBase = vectorBase;
    this.lowestPriority = 7;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialMask = false;
    this.specialFullyNested = false;
    this.levelAll = false;
    this.elcr = 0;
    this.readIsr = false;
    this.poll = false;
    this.step = InitStep.Ready;
    this.needIcw4 = false;
    this.single = false;
    this.lines = 0;
  }

  private isLevel(ir: number): boolean {
    return this.levelAll || ((this.elcr >> ir) & 1) === 1;
  }

  setInput(ir: number, level: boolean): void {
    const bit = 1 << ir;
    const was = (this.lines & bit) !== 0;
    if (level) this.lines |= bit;
    else this.lines &= ~bit;
    if (level && !was) this.irr |= bit; // rising edge (level inputs are recomputed in requests())
  }

  /** IRR as the guest reads it: edge latches plus the current level of level-triggered inputs. */
  requests(): number {
    let irr = this.irr;
    for (let ir = 0; ir < 8; ir++) {
      if (!this.isLevel(ir)) continue;
      if (this.lines & (1 << ir)) irr |= 1 << ir;
      else irr &= ~(1 << ir);
    }
    if (this.cascadeInput !== undefined) {
      if (this.cascadeInput()) irr |= 1 << CASCADE_IR;
      else irr &= ~(1 << CASCADE_IR);
    }
    return irr;
  }

  /** Priority rank of an IR: 0 is served first. */
  private rank(ir: number): number {
    return (ir - this.lowestPriority - 1) & 7;
  }

  /** The highest-priority bit of mask, or -1. */
  private highest(mask: number): number {
    for (let r = 0; r < 8; r++) {
      const ir = (this.lowestPriority + 1 + r) & 7;
      if (mask & (1 << ir)) return ir;
    }
    return -1;
  }

  /** The IR the next INTA would serve, or -1 (INT output low). */
  pendingIr(): number {
    if (this.step !== InitStep.Ready) return -1;
    const ir = this.highest(this.requests() & ~this.imr);
    if (ir < 0) return -1;
    // In special mask mode only unmasked in-service levels inhibit; otherwise every in-service level does.
    let inService = this.specialMask ? this.isr & ~this.imr : this.isr;
    // Special fully nested mode: the cascade input in service does not block more requests from the slave.
    if (this.specialFullyNested && this.cascadeInput !== undefined) inService &= ~(1 << CASCADE_IR);
    const busy = this.highest(inService);
    if (busy >= 0 && this.rank(busy) <= this.rank(ir)) return -1;
    return ir;
  }

  /** INTA for ir (from pendingIr): IRR to ISR, automatic EOI. */
  acknowledge(ir: number): void {
    const bit = 1 << ir;
    if (!this.isLevel(ir)) this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowestPriority = ir;
    } else {
      this.isr |= bit;
    }
  }

  private eoi(ir: number, rotate: boolean): void {
    this.isr &= ~(1 << ir);
    if (rotate) this.lowestPriority = ir;
  }

  writeCommand(value: number): void {
    if (value & ICW1_INIT) {
      this.step = InitStep.Icw2;
      this.needIcw4 = (value & ICW1_IC4) !== 0;
      this.single = (value & ICW1_SNGL) !== 0;
      this.levelAll = (value & ICW1_LTIM) !== 0;
      this.imr = 0;
      this.isr = 0;
      this.irr = 0; // edge sense circuit reset: a new rising edge is needed
      this.lowestPriority = 7;
      this.specialMask = false;
      this.readIsr = false;
      this.poll = false;
      this.autoEoi = false;
      this.rotateOnAutoEoi = false;
      this.specialFullyNested = false;
      return;
    }
    if (value & OCW3_SELECT) {
      if (value & OCW3_POLL) this.poll = true;
      if ((value & 0x02) !== 0) this.readIsr = (value & 0x01) !== 0;
      if ((value & 0x40) !== 0) this.specialMask = (value & 0x20) !== 0;
      return;
    }
    // OCW2: R (bit 7), SL (bit 6), EOI (bit 5), level (bits 2-0).
    const level = value & 7;
    switch (value >> 5) {
      case 0b001: // non-specific EOI
      case 0b101: {
        // rotate on non-specific EOI
        const ir = this.highest(this.specialMask ? this.isr & ~this.imr : this.isr);
        if (ir >= 0) this.eoi(ir, value >> 5 === 0b101);
        break;
      }
      case 0b011: // specific EOI
        this.eoi(level, false);
        break;
      case 0b111: // rotate on specific EOI
        this.eoi(level, true);
        break;
      case 0b100:
        this.rotateOnAutoEoi = true;
        break;
      case 0b000:
        this.rotateOnAutoEoi = false;
        break;
      case 0b110: // set priority: level becomes the lowest
        this.lowestPriority = level;
        break;
      default: // 0b010: no operation
        break;
    }
  }

  writeData(value: number): void {
    switch (this.step) {
      case InitStep.Icw2:
        this.vectorBase = value & 0xf8;
        this.step = this.single ? (this.needIcw4 ? InitStep.Icw4 : InitStep.Ready) : InitStep.Icw3;
        return;
      case InitStep.Icw3:
        // The cascade wiring is fixed on a PC (slave on IR2, slave ID 2); nothing to record.
        this.step = this.needIcw4 ? InitStep.Icw4 : InitStep.Ready;
        return;
      case InitStep.Icw4:
        this.autoEoi = (value & ICW4_AEOI) !== 0;
        this.specialFullyNested = (value & ICW4_SFNM) !== 0;
        this.step = InitStep.Ready;
        return;
      default:
        this.imr = value & 0xff;
    }
  }

  /** Poll command result for this controller: 0x80 | IR when a request is pending (and acknowledge it), else 0. */
  pollRead(): number {
    this.poll = false;
    const ir = this.pendingIr();
    if (ir < 0) return 0;
    this.acknowledge(ir);
    return 0x80 | ir;
  }

  readCommand(): number {
    return this.readIsr ? this.isr : this.requests();
  }
}

/** The master/slave pair wired as on every PC, as the CPU's (or LINT0's) legacy interrupt controller. */
export class I8259Pair implements LegacyInterruptController, Resettable {
  readonly master = new I8259(ELCR_WRITABLE[0]);
  readonly slave = new I8259(ELCR_WRITABLE[1]);
  private readonly listeners: Array<(level: boolean) => void> = [];
  private lastIntr = false;

  readonly masterPorts: PioDevice = {
    name: '8259 master',
    pioRead: (offset) => this.read(this.master, offset),
    pioWrite: (offset, _size, value) => this.write(this.master, offset, value),
  };
  readonly slavePorts: PioDevice = {
    name: '8259 slave',
    pioRead: (offset) => this.read(this.slave, offset),
    pioWrite: (offset, _size, value) => this.write(this.slave, offset, value),
  };
  readonly elcrPorts: PioDevice = {
    name: '8259 ELCR',
    pioRead: (offset) => (offset === 0 ? this.master.elcr : this.slave.elcr),
    pioWrite: (offset, _size, value) => {
      const pic = offset === 0 ? this.master : this.slave;
      pic.elcr = value & pic.elcrWritable;
      this.update();
    },
  };

  constructor() {
    this.master.cascadeInput = () => this.slave.pendingIr() >= 0;
    this.reset();
  }

  /** Power-on / system reset: the state a PC BIOS leaves behind (see the file comment). */
  reset(): void {
    this.master.powerOn(BIOS_MASTER_VECTOR_BASE, 0xff & ~(1 << CASCADE_IR));
    this.slave.powerOn(BIOS_SLAVE_VECTOR_BASE, 0xff);
    this.update();
  }

  /** Registers the command/data ports of both controllers and the ELCR pair. */
  attach(pio: PioBus): void {
    pio.register(PORT_PIC_MASTER, 2, this.masterPorts);
    pio.register(PORT_PIC_SLAVE, 2, this.slavePorts);
    pio.register(PORT_PIC_ELCR, 2, this.elcrPorts);
  }

  /** Follows ISA IRQ lines 0-15 (line 2 is the cascade on a PC and has no device). */
  connect(irqs: IrqLines): void {
    irqs.onChange((line, level) => {
      if (line < 16 && line !== CASCADE_IR) this.setIrq(line, level);
    });
  }

  setIrq(irq: number, level: boolean): void {
    if (irq < 8) this.master.setInput(irq, level);
    else this.slave.setInput(irq - 8, level);
    this.update();
  }

  get intr(): boolean {
    return this.master.pendingIr() >= 0;
  }

  onIntrChange(listener: (level: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** The vector the next INTA returns (no side effects), or -1 when INTR is low. */
  peekVector(): number {
    const ir = this.master.pendingIr();
    if (ir < 0) return -1;
    if (ir !== CASCADE_IR) return this.master.vectorBase + ir;
    const sir = this.slave.pendingIr();
    return this.slave.vectorBase + (sir < 0 ? 7 : sir);
  }

  /** The INTA cycle. With nothing pending: the master's spurious IRQ 7. */
  acknowledge(): number {
    let vector: number;
    const ir = this.master.pendingIr();
    if (ir < 0) {
      vector = this.master.vectorBase + 7;
    } else {
      this.master.acknowledge(ir);
      if (ir === CASCADE_IR) {
        const sir = this.slave.pendingIr();
        if (sir < 0) {
          vector = this.slave.vectorBase + 7; // spurious IRQ 15: the master's IR2 stays in service
        } else {
          this.slave.acknowledge(sir);
          vector = this.slave.vectorBase + sir;
        }
      } else {
        vector = this.master.vectorBase + ir;
      }
    }
    this.update();
    return vector;
  }

  private read(pic: I8259, offset: number): number {
    let value: number;
    // A poll read is this controller's own INTA: polling the master and seeing IR2, the OS polls the slave next.
    if (pic.poll) value = pic.pollRead();
    else value = offset === 0 ? pic.readCommand() : pic.imr;
    this.update();
    return value;
  }

  private write(pic: I8259, offset: number, value: number): void {
    if (offset === 0) pic.writeCommand(value & 0xff);
    else pic.writeData(value & 0xff);
    this.update();
  }

  private update(): void {
    const level = this.intr;
    if (level === this.lastIntr) return;
    this.lastIntr = level;
    for (const l of this.listeners) l(level);
  }
}
