/**
 * The ACPI GPE0 block (ACPI spec, "General-Purpose Event Register Blocks"):
 * GPE0_STS, 16 status bits that the hardware sets and the OS clears by
 * writing 1s, then GPE0_EN, 16 enable bits. The block's level on the SCI is
 * high while any enabled status bit is set; the OS runs the \_GPE._Exx
 * (edge) method of the event, here the PCI hotplug notifier.
 */
import type { PioDevice, Resettable } from '../machine/bus-device.js';
import type { PioBus } from '../machine/pio-bus.js';

/** Bits in each of the two 16-bit registers. */
export const GPE0_EVENT_COUNT = 16;
const GPE0_STS_OFFSET = 0;
const GPE0_EN_OFFSET = 2;
const GPE0_MASK = (1 << GPE0_EVENT_COUNT) - 1;

export class AcpiGpe0 implements PioDevice, Resettable {
  readonly name = 'ACPI GPE0 block';
  private status = 0;
  private enable = 0;

  /** sci: the block's share of the SCI (wired-OR with the PM1 events). */
  constructor(private readonly sci: { set(level: boolean): void }) {}

  attach(pio: PioBus, base: number): void {
    pio.register(base, 4, this);
  }

  /** The hardware signals event `bit` (0..15): its status bit is set until the OS clears it. */
  raise(bit: number): void {
    if (!Number.isInteger(bit) || bit < 0 || bit >= GPE0_EVENT_COUNT) throw new RangeError(`GPE0 has events 0..${GPE0_EVENT_COUNT - 1}, not ${bit}`);
    this.status |= 1 << bit;
    this.update();
  }

  /** The OS enabled event `bit` (it has a handler for it). */
  enabled(bit: number): boolean {
    return (this.enable & (1 << bit)) !== 0;
  }

  pioRead(offset: number, size: number): number {
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(offset + i) << (8 * i);
    return value >>> 0;
  }

  pioWrite(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.writeByte(offset + i, (value >>> (8 * i)) & 0xff);
    this.update();
  }

  reset(): void {
    this.status = 0;
    this.enable = 0;
    this.update();
  }

  private readByte(at: number): number {
    const reg = at < GPE0_EN_OFFSET ? this.status : this.enable;
    return (reg >>> (8 * (at & 1))) & 0xff;
  }

  private writeByte(at: number, byte: number): void {
    const shifted = byte << (8 * (at & 1));
    if (at - (at & 1) === GPE0_STS_OFFSET) this.status &= ~shifted & GPE0_MASK;
    else this.enable = ((this.enable & ~(0xff << (8 * (at & 1)))) | shifted) & GPE0_MASK;
  }

  private update(): void {
    this.sci.set((this.status & this.enable) !== 0);
  }
}
