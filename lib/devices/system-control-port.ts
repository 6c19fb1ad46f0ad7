/**
 * System control port B (0x61) of the PC: bit 0 is PIT counter 2's gate,
 * bit 1 the speaker data enable, bits 2-3 the parity/IOCHK NMI disables
 * (read back as written); reads add bit 4, the refresh-request toggle
 * (flipping every 15.085 us of guest time, which old delay loops count),
 * and bit 5, PIT counter 2's output (Linux calibrates the TSC on it).
 * Bits 6-7 (parity/IOCHK NMI sources) read 0: no such errors exist here.
 * The speaker itself makes no sound.
 */
import { PORT_SYSTEM_CONTROL_B } from '../machine/addresses.js';
import type { PioDevice, Resettable } from '../machine/bus-device.js';
import type { Clock } from '../machine/clock.js';
import type { PioBus } from '../machine/pio-bus.js';
import type { I8254Pit } from './i8254-pit.js';

export const SCB_TIMER2_GATE = 0x01;
export const SCB_SPEAKER_DATA = 0x02;
export const SCB_REFRESH_TOGGLE = 0x10;
export const SCB_TIMER2_OUTPUT = 0x20;
const WRITABLE = 0x0f;
/** Refresh request period of the PC/AT (ns). */
export const REFRESH_PERIOD_NS = 15_085;

export class SystemControlPort implements PioDevice, Resettable {
  readonly name = 'system control port B';
  private value = 0;

  constructor(private readonly pit: I8254Pit, private readonly clock: Clock) {}

  attach(pio: PioBus): void {
    pio.register(PORT_SYSTEM_CONTROL_B, 1, this);
  }

  reset(): void {
    this.value = 0;
    this.pit.setGate2(false);
  }

  pioRead(_offset: number, _size: number): number {
    const refresh = Math.floor(this.clock.nowNs() / REFRESH_PERIOD_NS) & 1 ? SCB_REFRESH_TOGGLE : 0;
    return this.value | refresh | (this.pit.output2 ? SCB_TIMER2_OUTPUT : 0);
  }

  pioWrite(_offset: number, _size: number, value: number): void {
    this.value = value & WRITABLE;
    this.pit.setGate2((value & SCB_TIMER2_GATE) !== 0);
  }
}
