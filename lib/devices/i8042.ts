/**
 * The i8042 keyboard controller (data 0x60, status/command 0x64), as much
 * as an OS needs to find it, test it and reset the machine through it:
 *  - status register: OBF (0), IBF (1, always 0: commands complete at
 *    once), system flag (2), A2 = last write was a command (3), keyboard
 *    not inhibited (4), OBF holds aux data (5), timeout (6);
 *  - controller commands: 0x20/0x60 read/write the command byte,
 *    0xAA self-test (0x55), 0xAB/0xA9 interface tests (0x00), 0xAD/0xAE and
 *    0xA7/0xA8 disable/enable keyboard/aux (command byte bits 4/5),
 *    0xC0 input port, 0xD0/0xD1 read/write output port (bit 0 low =
 *    system reset), 0xD2/0xD3 loop a byte back as keyboard/aux data,
 *    0xD4 send to the aux device (none attached: timeout, 0xFE),
 *    0xF0-0xFF pulse output port bits (bit 0 of the low nibble clear =
 *    pulse the reset line: 0xFE is the classic reboot);
 *  - a keyboard that acknowledges commands (reset: 0xFA 0xAA, identify:
 *    0xFA 0xAB 0x83, echo: 0xEE) and reports no keys: no host keyboard
 *    is wired to it.
 * IRQ 1 / IRQ 12 follow OBF for keyboard / aux data when command byte
 * bits 0 / 1 enable them.
 */
import { PORT_I8042_COMMAND, PORT_I8042_DATA } from '../machine/addresses.js';
import type { Resettable } from '../machine/bus-device.js';
import type { IrqLine } from '../machine/irq.js';
import type { PioBus } from '../machine/pio-bus.js';

export const STATUS_OBF = 0x01;
export const STATUS_SYSTEM_FLAG = 0x04;
export const STATUS_COMMAND = 0x08;
export const STATUS_NOT_INHIBITED = 0x10;
export const STATUS_AUX_DATA = 0x20;
export const STATUS_TIMEOUT = 0x40;

export const CMD_BYTE_KBD_INT = 0x01;
export const CMD_BYTE_AUX_INT = 0x02;
export const CMD_BYTE_SYSTEM_FLAG = 0x04;
export const CMD_BYTE_KBD_DISABLED = 0x10;
export const CMD_BYTE_AUX_DISABLED = 0x20;
export const CMD_BYTE_TRANSLATE = 0x40;

/** What a PC BIOS leaves: keyboard interrupt on, system flag, scan-code translation. */
export const DEFAULT_COMMAND_BYTE = CMD_BYTE_KBD_INT | CMD_BYTE_SYSTEM_FLAG | CMD_BYTE_TRANSLATE;
const OUTPUT_PORT_RESET_HIGH = 0x01; // bit 0 = reset line (active low)
const OUTPUT_PORT_A20 = 0x02;
const QUEUE_MAX = 16;

const KBD_ACK = 0xfa;

export class I8042 implements Resettable {
  commandByte = DEFAULT_COMMAND_BYTE;
  outputPort = OUTPUT_PORT_RESET_HIGH | OUTPUT_PORT_A20;
  private readonly queue: Array<{ byte: number; aux: boolean }> = [];
  private lastWasCommand = false;
  private timeout = false;
  /** A controller command waiting for its data byte on port 0x60. */
  private pendingCommand: number | undefined;
  /** A keyboard command waiting for its argument byte. */
  private keyboardArgFor: number | undefined;

  constructor(
    private readonly irqKeyboard: IrqLine,
    private readonly irqAux: IrqLine,
    /** The guest pulsed the reset line. */
    private readonly onResetRequest: () => void,
  ) {}

  attach(pio: PioBus): void {
    pio.register(PORT_I8042_DATA, 1, { name: 'i8042 data', pioRead: () => this.readData(), pioWrite: (_o, _s, v) => this.writeData(v & 0xff) });
    pio.register(PORT_I8042_COMMAND, 1, {
      name: 'i8042 status/command',
      pioRead: () => this.readStatus(),
      pioWrite: (_o, _s, v) => this.writeCommand(v & 0xff),
    });
  }

  reset(): void {
    this.commandByte = DEFAULT_COMMAND_BYTE;
    this.outputPort = OUTPUT_PORT_RESET_HIGH | OUTPUT_PORT_A20;
    this.queue.length = 0;
    this.lastWasCommand = false;
    this.timeout = false;
    this.pendingCommand = undefined;
    this.keyboardArgFor = undefined;
    this.updateIrqs();
  }

  readStatus(): number {
    const head = this.queue[0];
    return (
      (head !== undefined ? STATUS_OBF : 0) |
      (head?.aux ? STATUS_AUX_DATA : 0) |
      (this.commandByte & CMD_BYTE_SYSTEM_FLAG ? STATUS_SYSTEM_FLAG : 0) |
      (this.lastWasCommand ? STATUS_COMMAND : 0) |
      STATUS_NOT_INHIBITED |
      (this.timeout ? STATUS_TIMEOUT : 0)
    );
  }

  readData(): number {
    const head = this.queue.shift();
    this.updateIrqs();
    return head === undefined ? 0 : head.byte;
  }

  private push(byte: number, aux = false): void {
    if (this.queue.length < QUEUE_MAX) this.queue.push({ byte, aux });
    this.updateIrqs();
  }

  private updateIrqs(): void {
    const head = this.queue[0];
    this.irqKeyboard.set(head !== undefined && !head.aux && (this.commandByte & CMD_BYTE_KBD_INT) !== 0);
    this.irqAux.set(head !== undefined && head.aux && (this.commandByte & CMD_BYTE_AUX_INT) !== 0);
  }

  writeCommand(cmd: number): void {
    this.lastWasCommand = true;
    this.timeout = false;
    this.pendingCommand = undefined;
    switch (cmd) {
      case 0x20:
        this.push(this.commandByte);
        return;
      case 0x60:
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        this.pendingCommand = cmd;
        return;
      case 0xa7:
        this.commandByte |= CMD_BYTE_AUX_DISABLED;
        return;
      case 0xa8:
        this.commandByte &= ~CMD_BYTE_AUX_DISABLED;
        return;
      case 0xa9: // aux interface test: OK
      case 0xab: // keyboard interface test: OK
        this.push(0x00);
        return;
      case 0xaa:
        this.commandByte |= CMD_BYTE_SYSTEM_FLAG;
        this.push(0x55);
        return;
      case 0xad:
        this.commandByte |= CMD_BYTE_KBD_DISABLED;
        return;
      case 0xae:
        this.commandByte &= ~CMD_BYTE_KBD_DISABLED;
        return;
      case 0xc0:
        this.push(0x80); // input port: keyboard not locked
        return;
      case 0xd0:
        this.push(this.outputPort);
        return;
    }
    if (cmd >= 0xf0) {
      // Pulse the output port bits whose mask bit (low nibble) is 0; bit 0 is the reset line.
      if ((cmd & 0x01) === 0) this.onResetRequest();
      return;
    }
    // Other commands (vendor-specific, RAM reads) have no effect on this controller.
  }

  writeData(value: number): void {
    this.lastWasCommand = false;
    const cmd = this.pendingCommand;
    this.pendingCommand = undefined;
    switch (cmd) {
      case 0x60:
        this.commandByte = value;
        this.updateIrqs();
        return;
      case 0xd1:
        this.outputPort = value;
        if ((value & OUTPUT_PORT_RESET_HIGH) === 0) this.onResetRequest();
        return;
      case 0xd2:
        this.push(value);
        return;
      case 0xd3:
        this.push(value, true);
        return;
      case 0xd4:
        // No mouse is attached: the transfer times out.
        this.timeout = true;
        this.push(0xfe, true);
        return;
      default:
        this.keyboardCommand(value);
    }
  }

  private keyboardCommand(value: number): void {
    // Writing to the keyboard re-enables its interface.
    this.commandByte &= ~CMD_BYTE_KBD_DISABLED;
    if (this.keyboardArgFor !== undefined) {
      const forCmd = this.keyboardArgFor;
      this.keyboardArgFor = undefined;
      this.push(KBD_ACK);
      if (forCmd === 0xf0 && value === 0) this.push(0x02); // current scan code set
      return;
    }
    switch (value) {
      case 0xff: // reset and self-test
        this.push(KBD_ACK);
        this.push(0xaa);
        return;
      case 0xf2: // identify: MF2 keyboard
        this.push(KBD_ACK);
        this.push(0xab);
        this.push(0x83);
        return;
      case 0xee:
        this.push(0xee);
        return;
      case 0xed: // LEDs
      case 0xf3: // typematic rate
      case 0xf0: // scan code set
        this.keyboardArgFor = value;
        this.push(KBD_ACK);
        return;
      default:
        this.push(KBD_ACK);
    }
  }
}
