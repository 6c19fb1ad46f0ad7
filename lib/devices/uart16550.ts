/**
 * 16550A UART (one COM port, 8 registers). Transmit is immediate: a byte
 * written to THR goes straight to the host sink, so THR and the transmitter
 * are always empty (LSR.THRE and LSR.TEMT stay set). Host input is queued
 * without loss and presented one byte at a time through RBR (LSR.DR).
 * The IRQ line follows the 16550's pending-interrupt logic gated by
 * MCR.OUT2, as PC boards wire it. Interrupt priorities (PC16550D
 * datasheet): receiver line status (overrun: host input dropped because
 * the input queue was full), then received data available (with FIFOs
 * enabled: the receive FIFO, i.e. the first 16 queued bytes, at or above
 * the FCR trigger level of 1, 4, 8 or 14 bytes) or character timeout (data
 * below the trigger level and nothing received or read for four character
 * times at the programmed baud rate, IIR 0x0C), then THR empty (raised
 * when THR empties with IER.ETBEI set, cleared by reading IIR while it
 * reports it or by writing THR), then modem status. Loopback (MCR.LOOP) routes THR back to
 * RBR and the modem-control outputs to the modem-status inputs.
 */
import type { PioDevice, Resettable } from '../machine/bus-device.js';
import type { Clock, Timer } from '../machine/clock.js';
import type { IrqLine } from '../machine/irq.js';

// Register offsets.
export const UART_RBR_THR = 0; // DLL when LCR.DLAB
export const UART_IER = 1; // DLM when LCR.DLAB
export const UART_IIR_FCR = 2;
export const UART_LCR = 3;
export const UART_MCR = 4;
export const UART_LSR = 5;
export const UART_MSR = 6;
export const UART_SCR = 7;

export const IER_RX_DATA = 0x01;
export const IER_THR_EMPTY = 0x02;
export const IER_LINE_STATUS = 0x04;
export const IER_MODEM_STATUS = 0x08;

export const IIR_NO_INTERRUPT = 0x01;
export const IIR_ID_LINE_STATUS = 0x06;
export const IIR_ID_RX_DATA = 0x04;
export const IIR_ID_RX_TIMEOUT = 0x0c;
export const IIR_ID_THR_EMPTY = 0x02;
export const IIR_ID_MODEM_STATUS = 0x00;
export const IIR_FIFO_ENABLED = 0xc0;

export const FCR_FIFO_ENABLE = 0x01;
export const FCR_CLEAR_RX = 0x02;
export const FCR_CLEAR_TX = 0x04;
export const FCR_TRIGGER_SHIFT = 6;
/** Receive FIFO trigger levels selected by FCR bits 7-6. */
export const RX_TRIGGER_LEVELS = [1, 4, 8, 14] as const;
export const UART_FIFO_BYTES = 16;
/** The UART's input clock divided by 16: baud = UART_BAUD_BASE / divisor. */
export const UART_BAUD_BASE = 115_200;

export const LCR_DLAB = 0x80;

export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOP = 0x10;

export const LSR_DATA_READY = 0x01;
export const LSR_OVERRUN = 0x02;
export const LSR_THR_EMPTY = 0x20;
export const LSR_TX_EMPTY = 0x40;

export const MSR_DCTS = 0x01;
export const MSR_DDSR = 0x02;
export const MSR_TERI = 0x04;
export const MSR_DDCD = 0x08;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;

/** Bytes kept for the guest before further host input is dropped (the host has no flow control). */
export const UART_INPUT_QUEUE_BYTES = 64 * 1024;
const OUTPUT_BUFFER_BYTES = 4096;

export class Uart16550 implements PioDevice, Resettable {
  readonly name: string;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 0x0c; // 9600 baud from the 1.8432 MHz clock
  private dlm = 0;
  private fifoEnabled = false;
  private rxTrigger = 1;
  private overrun = false;
  /** Character timeout indication (FIFO mode): cleared by reading RBR. */
  private rxTimeout = false;
  private readonly timeoutTimer: Timer | undefined;
  /** The THR-empty interrupt is pending until IIR reports it or THR is written. */
  private thrInterrupt = false;
  /** Modem-status inputs as last seen, to compute the delta bits. */
  private msrInputs = 0;
  private msrDeltas = 0;
  private readonly input = new Uint8Array(UART_INPUT_QUEUE_BYTES);
  private inputHead = 0;
  private inputCount = 0;
  private readonly out = new Uint8Array(OUTPUT_BUFFER_BYTES);
  private outCount = 0;

  constructor(
    private readonly irq: IrqLine,
    private readonly sink: ((data: Uint8Array) => void) | undefined,
    name = 'uart16550',
    /** Guest time for the FIFO character timeout; without it the timeout indication never fires. */
    private readonly clock?: Clock,
  ) {
    this.name = name;
    this.msrInputs = this.modemInputs();
    this.timeoutTimer = clock?.addTimer(() => this.onCharacterTimeout());
  }

  reset(): void {
    this.flush();
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.scr = 0;
    this.dll = 0x0c;
    this.dlm = 0;
    this.fifoEnabled = false;
    this.rxTrigger = 1;
    this.overrun = false;
    this.rxTimeout = false;
    this.timeoutTimer?.cancel();
    this.thrInterrupt = false;
    this.inputHead = 0;
    this.inputCount = 0;
    this.msrDeltas = 0;
    this.msrInputs = this.modemInputs();
    this.updateIrq();
  }

  /** Host bytes for the guest. Returns how many were accepted. */
  receive(bytes: Uint8Array): number {
    let accepted = 0;
    for (const b of bytes) {
      if (this.inputCount === this.input.length) {
        this.overrun = true; // the guest did not keep up: a byte is lost
        break;
      }
      this.input[(this.inputHead + this.inputCount) % this.input.length] = b;
      this.inputCount++;
      accepted++;
    }
    if (accepted > 0) this.restartCharacterTimeout();
    this.updateIrq();
    return accepted;
  }

  /** Bytes waiting for the guest to read. */
  get pendingInput(): number {
    return this.inputCount;
  }

  /** Hands buffered transmit bytes to the sink (the machine calls this between slices and at exit). */
  flush(): void {
    if (this.outCount === 0) return;
    const data = this.out.slice(0, this.outCount);
    this.outCount = 0;
    this.sink?.(data);
  }

  private get dlab(): boolean {
    return (this.lcr & LCR_DLAB) !== 0;
  }

  /** CTS, DSR, RI, DCD as the guest sees them: wired to MCR in loopback, a connected terminal otherwise. */
  private modemInputs(): number {
    if (this.mcr & MCR_LOOP) {
      return (
        (this.mcr & MCR_RTS ? MSR_CTS : 0) |
        (this.mcr & MCR_DTR ? MSR_DSR : 0) |
        (this.mcr & MCR_OUT1 ? MSR_RI : 0) |
        (this.mcr & MCR_OUT2 ? MSR_DCD : 0)
      );
    }
    return MSR_CTS | MSR_DSR | MSR_DCD;
  }

  private updateModemStatus(): void {
    const now = this.modemInputs();
    const changed = now ^ this.msrInputs;
    if (changed & MSR_CTS) this.msrDeltas |= MSR_DCTS;
    if (changed & MSR_DSR) this.msrDeltas |= MSR_DDSR;
    if (changed & MSR_DCD) this.msrDeltas |= MSR_DDCD;
    if (this.msrInputs & MSR_RI & ~now) this.msrDeltas |= MSR_TERI; // trailing edge of RI
    this.msrInputs = now;
  }

  /** Bytes in the receive FIFO (the head of the input queue), or in the holding register without FIFOs. */
  private get rxLevel(): number {
    return Math.min(this.inputCount, this.fifoEnabled ? UART_FIFO_BYTES : 1);
  }

  /** Four character times at the programmed divisor (10 bits per character: start, 8 data, stop). */
  private characterTimeoutNs(): number {
    const divisor = (this.dlm << 8) | this.dll || 0x10000;
    return (4 * 10 * 1e9 * divisor) / UART_BAUD_BASE;
  }

  /** Any receive activity (a byte arriving, the guest reading one) restarts the FIFO timeout. */
  private restartCharacterTimeout(): void {
    this.rxTimeout = false;
    const timer = this.timeoutTimer;
    if (timer === undefined) return;
    if (this.fifoEnabled && this.inputCount > 0 && this.rxLevel < this.rxTrigger) {
      timer.arm(Math.ceil(this.clock!.nowNs() + this.characterTimeoutNs()));
    } else if (timer.armed) timer.cancel();
  }

  private onCharacterTimeout(): void {
    if (this.fifoEnabled && this.inputCount > 0) this.rxTimeout = true;
    this.updateIrq();
  }

  /** The highest-priority pending interrupt's IIR id, or IIR_NO_INTERRUPT. */
  private pendingInterrupt(): number {
    if (this.ier & IER_LINE_STATUS && this.overrun) return IIR_ID_LINE_STATUS;
    if (this.ier & IER_RX_DATA && this.inputCount > 0) {
      if (!this.fifoEnabled || this.rxLevel >= this.rxTrigger) return IIR_ID_RX_DATA;
      if (this.rxTimeout) return IIR_ID_RX_TIMEOUT;
    }
    if (this.ier & IER_THR_EMPTY && this.thrInterrupt) return IIR_ID_THR_EMPTY;
    if (this.ier & IER_MODEM_STATUS && this.msrDeltas !== 0) return IIR_ID_MODEM_STATUS;
    return IIR_NO_INTERRUPT;
  }

  private updateIrq(): void {
    // In loopback the interrupt output is disconnected from the pin along with OUT2.
    const wired = (this.mcr & MCR_OUT2) !== 0 && (this.mcr & MCR_LOOP) === 0;
    this.irq.set(wired && this.pendingInterrupt() !== IIR_NO_INTERRUPT);
  }

  private transmit(byte: number): void {
    if (this.mcr & MCR_LOOP) {
      this.receive(Uint8Array.of(byte));
    } else {
      this.out[this.outCount++] = byte;
      if (this.outCount === this.out.length || byte === 0x0a) this.flush();
    }
    // Transmission is instantaneous: THR is empty again.
    this.thrInterrupt = true;
  }

  pioRead(offset: number, _size: number): number {
    let value: number;
    switch (offset) {
      case UART_RBR_THR:
        if (this.dlab) value = this.dll;
        else if (this.inputCount > 0) {
          value = this.input[this.inputHead]!;
          this.inputHead = (this.inputHead + 1) % this.input.length;
          this.inputCount--;
          this.restartCharacterTimeout();
        } else value = 0;
        break;
      case UART_IER:
        value = this.dlab ? this.dlm : this.ier;
        break;
      case UART_IIR_FCR: {
        const id = this.pendingInterrupt();
        // Reading IIR while it reports THR-empty acknowledges that interrupt.
        if (id === IIR_ID_THR_EMPTY) this.thrInterrupt = false;
        value = id | (this.fifoEnabled ? IIR_FIFO_ENABLED : 0);
        break;
      }
      case UART_LCR:
        value = this.lcr;
        break;
      case UART_MCR:
        value = this.mcr;
        break;
      case UART_LSR:
        value = LSR_THR_EMPTY | LSR_TX_EMPTY | (this.inputCount > 0 ? LSR_DATA_READY : 0) | (this.overrun ? LSR_OVERRUN : 0);
        this.overrun = false; // error bits clear on read
        break;
      case UART_MSR:
        value = this.msrInputs | this.msrDeltas;
        this.msrDeltas = 0;
        break;
      case UART_SCR:
        value = this.scr;
        break;
      default:
        value = 0xff;
    }
    this.updateIrq();
    return value;
  }

  pioWrite(offset: number, _size: number, value: number): void {
    value &= 0xff;
    switch (offset) {
      case UART_RBR_THR:
        if (this.dlab) this.dll = value;
        else this.transmit(value);
        break;
      case UART_IER:
        if (this.dlab) this.dlm = value;
        else {
          // Enabling the THR-empty interrupt while THR is empty raises it at once.
          if (value & IER_THR_EMPTY && !(this.ier & IER_THR_EMPTY)) this.thrInterrupt = true;
          this.ier = value & 0x0f;
        }
        break;
      case UART_IIR_FCR:
        this.fifoEnabled = (value & FCR_FIFO_ENABLE) !== 0;
        this.rxTrigger = RX_TRIGGER_LEVELS[(value >> FCR_TRIGGER_SHIFT) & 3]!;
        if (value & FCR_CLEAR_RX) {
          this.inputHead = 0;
          this.inputCount = 0;
        }
        this.restartCharacterTimeout();
        break;
      case UART_LCR:
        this.lcr = value;
        break;
      case UART_MCR:
        this.mcr = value & 0x1f;
        this.updateModemStatus();
        break;
      case UART_LSR:
      case UART_MSR:
        break; // read-only (factory test registers)
      case UART_SCR:
        this.scr = value;
        break;
    }
    this.updateIrq();
  }
}
