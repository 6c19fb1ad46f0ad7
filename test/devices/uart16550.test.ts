import test from 'ava';
import {
  IER_RX_DATA,
  IER_THR_EMPTY,
  IIR_FIFO_ENABLED,
  IIR_ID_RX_DATA,
  IIR_ID_THR_EMPTY,
  IIR_NO_INTERRUPT,
  LCR_DLAB,
  LSR_DATA_READY,
  LSR_THR_EMPTY,
  LSR_TX_EMPTY,
  MCR_DTR,
  MCR_LOOP,
  MCR_OUT2,
  MCR_RTS,
  MSR_CTS,
  MSR_DSR,
  Uart16550,
  UART_IER,
  UART_IIR_FCR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RBR_THR,
  UART_SCR,
  IER_LINE_STATUS,
  IIR_ID_LINE_STATUS,
  IIR_ID_RX_TIMEOUT,
  LSR_OVERRUN,
  UART_INPUT_QUEUE_BYTES,
} from '../../lib/devices/uart16550.js';
import { IrqLines } from '../../lib/machine/irq.js';
import { testClock } from './device-clock.js';

function setup() {
  const irqs = new IrqLines();
  const out: number[] = [];
  const uart = new Uart16550(irqs.line(4), (d) => out.push(...d));
  return { uart, out, irq: irqs.line(4) };
}

test('transmit goes to the sink; THRE and TEMT are always set', (t) => {
  const { uart, out } = setup();
  for (const c of 'hi\n') uart.pioWrite(UART_RBR_THR, 1, c.charCodeAt(0));
  t.is(Buffer.from(out).toString(), 'hi\n'); // newline flushes
  uart.pioWrite(UART_RBR_THR, 1, 0x41);
  t.is(out.length, 3, 'buffered until flush');
  uart.flush();
  t.is(out.length, 4);
  t.is(uart.pioRead(UART_LSR, 1) & (LSR_THR_EMPTY | LSR_TX_EMPTY), LSR_THR_EMPTY | LSR_TX_EMPTY);
});

test('DLAB switches offsets 0/1 to the divisor latch', (t) => {
  const { uart, out } = setup();
  uart.pioWrite(UART_LCR, 1, LCR_DLAB | 0x03);
  uart.pioWrite(UART_RBR_THR, 1, 0x01);
  uart.pioWrite(UART_IER, 1, 0x00);
  t.is(uart.pioRead(UART_RBR_THR, 1), 0x01);
  t.is(uart.pioRead(UART_IER, 1), 0x00);
  uart.pioWrite(UART_LCR, 1, 0x03);
  uart.flush();
  t.deepEqual(out, [], 'divisor writes are not transmitted');
  t.is(uart.pioRead(UART_LCR, 1), 0x03);
  t.is(uart.pioRead(UART_IER, 1), 0);
});

test('received bytes raise DR and are read in order from RBR (polled)', (t) => {
  const { uart } = setup();
  t.is(uart.pioRead(UART_LSR, 1) & LSR_DATA_READY, 0);
  uart.receive(Buffer.from('ok'));
  t.is(uart.pioRead(UART_LSR, 1) & LSR_DATA_READY, LSR_DATA_READY);
  t.is(uart.pioRead(UART_RBR_THR, 1), 0x6f);
  t.is(uart.pioRead(UART_RBR_THR, 1), 0x6b);
  t.is(uart.pioRead(UART_LSR, 1) & LSR_DATA_READY, 0);
});

test('IIR priorities, FIFO bits and the IRQ line gated by OUT2', (t) => {
  const { uart, irq } = setup();
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_NO_INTERRUPT);
  uart.pioWrite(UART_IIR_FCR, 1, 0x07); // enable + clear FIFOs
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_NO_INTERRUPT | IIR_FIFO_ENABLED);
  uart.pioWrite(UART_IER, 1, IER_RX_DATA | IER_THR_EMPTY);
  t.false(irq.level, 'OUT2 clear: line stays low');
  uart.pioWrite(UART_MCR, 1, MCR_OUT2 | MCR_DTR | MCR_RTS);
  t.true(irq.level, 'THR empty interrupt pending after enabling ETBEI');
  // reading IIR that reports THRE acknowledges it
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_THR_EMPTY | IIR_FIFO_ENABLED);
  t.false(irq.level);
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_NO_INTERRUPT | IIR_FIFO_ENABLED);
  // RX data outranks THRE
  uart.pioWrite(UART_RBR_THR, 1, 0x2e);
  uart.receive(Uint8Array.of(0x31));
  t.true(irq.level);
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_RX_DATA | IIR_FIFO_ENABLED);
  t.is(uart.pioRead(UART_RBR_THR, 1), 0x31);
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_THR_EMPTY | IIR_FIFO_ENABLED);
  t.false(irq.level);
  t.true(irq.risingEdges >= 2);
});

test('loopback returns THR to RBR and MCR outputs to MSR inputs', (t) => {
  const { uart, out } = setup();
  uart.pioWrite(UART_MCR, 1, MCR_LOOP);
  t.is(uart.pioRead(UART_MSR, 1) & 0xf0, 0);
  uart.pioWrite(UART_RBR_THR, 1, 0x5a);
  uart.flush();
  t.deepEqual(out, [], 'nothing reaches the host in loopback');
  t.is(uart.pioRead(UART_LSR, 1) & LSR_DATA_READY, LSR_DATA_READY);
  t.is(uart.pioRead(UART_RBR_THR, 1), 0x5a);
  uart.pioWrite(UART_MCR, 1, MCR_LOOP | MCR_RTS | MCR_DTR);
  const msr = uart.pioRead(UART_MSR, 1);
  t.is(msr & (MSR_CTS | MSR_DSR), MSR_CTS | MSR_DSR);
  t.is(msr & 0x03, 0x03, 'delta CTS and delta DSR reported');
  t.is(uart.pioRead(UART_MSR, 1) & 0x0f, 0, 'deltas clear on read');
  uart.pioWrite(UART_MCR, 1, 0);
  t.is(uart.pioRead(UART_MSR, 1) & 0xb0, 0xb0, 'connected terminal: CTS DSR DCD');
});

test('scratch register and reset', (t) => {
  const { uart } = setup();
  uart.pioWrite(UART_SCR, 1, 0xa5);
  t.is(uart.pioRead(UART_SCR, 1), 0xa5);
  uart.receive(Uint8Array.of(1, 2, 3));
  uart.reset();
  t.is(uart.pioRead(UART_SCR, 1), 0);
  t.is(uart.pendingInput, 0);
});

test('the probe sequence an OS driver uses identifies a 16550A', (t) => {
  const { uart } = setup();
  uart.pioWrite(UART_IER, 1, 0);
  t.is(uart.pioRead(UART_IER, 1) & 0x0f, 0);
  uart.pioWrite(UART_IER, 1, 0x0f);
  t.is(uart.pioRead(UART_IER, 1), 0x0f, 'IER holds its 4 bits');
  uart.pioWrite(UART_IER, 1, 0);
  uart.pioWrite(UART_MCR, 1, MCR_LOOP | 0x0a); // loopback with OUT2 and RTS
  t.is(uart.pioRead(UART_MSR, 1) & 0xf0, 0x90, 'loopback wires RTS->CTS and OUT2->DCD');
  uart.pioWrite(UART_MCR, 1, 0);
  uart.pioWrite(UART_IIR_FCR, 1, 0x07);
  t.is(uart.pioRead(UART_IIR_FCR, 1) >> 6, 3, 'FIFOs enabled and working: a 16550A');
  t.is(uart.pioRead(UART_IIR_FCR, 1) & 0x20, 0, 'no 64-byte FIFO (not a 16750)');
  uart.pioWrite(UART_IIR_FCR, 1, 0);
  t.is(uart.pioRead(UART_IIR_FCR, 1) >> 6, 0);
});

function clocked() {
  const { clock, advance } = testClock();
  const irqs = new IrqLines();
  const uart = new Uart16550(irqs.line(4), () => {}, 'com1', clock);
  uart.pioWrite(UART_MCR, 1, MCR_OUT2);
  return { uart, advance, irq: irqs.line(4) };
}

test('FIFO trigger level: RX data interrupt only at the level; below it the character timeout fires', (t) => {
  const { uart, advance, irq } = clocked();
  uart.pioWrite(UART_IIR_FCR, 1, 0x81); // FIFO on, trigger 8
  uart.pioWrite(UART_IER, 1, IER_RX_DATA);
  uart.receive(Buffer.from('abc'));
  t.false(irq.level, '3 bytes are below the trigger level');
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_NO_INTERRUPT | IIR_FIFO_ENABLED);
  // 9600 baud (divisor 12): four characters of 10 bits take 4.17 ms.
  advance(4_000_000);
  t.false(irq.level);
  advance(200_000);
  t.true(irq.level, 'character timeout');
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_RX_TIMEOUT | IIR_FIFO_ENABLED);
  t.is(uart.pioRead(UART_RBR_THR, 1), 0x61);
  t.false(irq.level, 'reading RBR clears the timeout and restarts it');
  advance(4_200_000);
  t.true(irq.level);
  uart.receive(Buffer.from('defgh'));
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_NO_INTERRUPT | IIR_FIFO_ENABLED, '7 bytes: new data restarted the timeout');
  uart.receive(Buffer.from('i'));
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_RX_DATA | IIR_FIFO_ENABLED, '8 bytes reach the trigger level');
  uart.pioWrite(UART_IIR_FCR, 1, 0xc1); // trigger 14
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_NO_INTERRUPT | IIR_FIFO_ENABLED, 'now below the trigger again');
  uart.receive(Buffer.from('0123456789'));
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_RX_DATA | IIR_FIFO_ENABLED, '18 queued: the FIFO holds 16 >= 14');
});

test('without FIFOs every received byte is an RX data interrupt', (t) => {
  const { uart, irq } = clocked();
  uart.pioWrite(UART_IER, 1, IER_RX_DATA);
  uart.receive(Buffer.from('x'));
  t.true(irq.level);
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_RX_DATA);
});

test('overrun: host input beyond the queue sets LSR.OE and the line status interrupt, cleared by reading LSR', (t) => {
  const { uart, irq } = clocked();
  uart.pioWrite(UART_IER, 1, IER_LINE_STATUS | IER_RX_DATA);
  t.is(uart.receive(new Uint8Array(UART_INPUT_QUEUE_BYTES + 1)), UART_INPUT_QUEUE_BYTES);
  t.true(irq.level);
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_LINE_STATUS, 'line status outranks RX data');
  t.is(uart.pioRead(UART_LSR, 1) & LSR_OVERRUN, LSR_OVERRUN);
  t.is(uart.pioRead(UART_LSR, 1) & LSR_OVERRUN, 0);
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_RX_DATA);
});

test('THR empty: raised by enabling ETBEI, cleared by an IIR read or a THR write, raised again when THR empties', (t) => {
  const { uart, irq } = clocked();
  uart.pioWrite(UART_IER, 1, IER_THR_EMPTY);
  t.true(irq.level);
  uart.pioWrite(UART_IER, 1, IER_THR_EMPTY);
  t.is(uart.pioRead(UART_IIR_FCR, 1), IIR_ID_THR_EMPTY);
  t.false(irq.level);
  t.is(irq.risingEdges, 1);
  uart.pioWrite(UART_RBR_THR, 1, 0x41);
  t.true(irq.level, 'the byte left at once: THR empty again');
  t.is(irq.risingEdges, 2);
  uart.pioWrite(UART_IER, 1, 0);
  t.false(irq.level);
});
