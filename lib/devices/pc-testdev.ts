/**
 * QEMU's pc-testdev, the device kvm-unit-tests style guests poke:
 *  - 0xe0, 4 ports: a 32-bit scratch register, accessible at any byte offset and width;
 *  - 0xe4: write a guest-physical address to flush that page (here: drop decoded code of it);
 *  - 0xe8, 4 ports: the same scratch register, byte accesses only;
 *  - 0x2000, 24 ports: write to port 0x2000+n drives IRQ line n to (value != 0);
 *  - MMIO 0xff000000, 64 KiB: behaves as plain memory.
 */
import {
  PC_TESTDEV_IOMEM_BASE,
  PC_TESTDEV_IOMEM_SIZE,
  PC_TESTDEV_IRQ_COUNT,
  PC_TESTDEV_PORT_FLUSH_PAGE,
  PC_TESTDEV_PORT_IRQ,
  PC_TESTDEV_PORT_SCRATCH,
  PC_TESTDEV_PORT_SCRATCH_BYTE,
} from '../machine/addresses.js';
import type { MmioDevice, PioDevice } from '../machine/bus-device.js';
import type { IrqLines } from '../machine/irq.js';
import type { MmioBus } from '../machine/mmio-bus.js';
import type { PioBus } from '../machine/pio-bus.js';

const PAGE_MASK = 0xfff;

export class PcTestdev {
  /** The 32-bit scratch register behind ports 0xe0-0xe3 and 0xe8-0xeb. */
  scratch = 0;
  readonly iomem = new Uint8Array(PC_TESTDEV_IOMEM_SIZE);

  /** Ports 0xe0-0xe3: any width at any offset, little-endian within the register. */
  readonly scratchPorts: PioDevice = {
    name: 'pc-testdev-ioport',
    pioRead: (offset, size) => this.readScratch(offset, size),
    pioWrite: (offset, size, value) => this.writeScratch(offset, size, value),
  };

  /** Ports 0xe8-0xeb: byte-wide view of the same register; wider accesses are split into bytes. */
  readonly scratchBytePorts: PioDevice = {
    name: 'pc-testdev-ioport-byte',
    pioRead: (offset, size) => {
      let v = 0;
      for (let i = 0; i < size && offset + i < 4; i++) v |= this.readScratch(offset + i, 1) << (8 * i);
      return v >>> 0;
    },
    pioWrite: (offset, size, value) => {
      for (let i = 0; i < size && offset + i < 4; i++) this.writeScratch(offset + i, 1, (value >>> (8 * i)) & 0xff);
    },
  };

  readonly flushPort: PioDevice = {
    name: 'pc-testdev-flush-page',
    pioRead: () => 0,
    pioWrite: (_offset, _size, value) => this.flushPage((value >>> 0) & ~PAGE_MASK),
  };

  readonly irqPorts: PioDevice = {
    name: 'pc-testdev-irq-line',
    pioRead: (offset) => (this.irqs.line(offset).level ? 1 : 0),
    pioWrite: (offset, _size, value) => this.irqs.line(offset).set(value !== 0),
  };

  readonly iomemDevice: MmioDevice = {
    name: 'pc-testdev-iomem',
    mmioRead: (offset, data, length) => {
      for (let i = 0; i < length; i++) data[i] = offset + i < this.iomem.length ? this.iomem[offset + i]! : 0xff;
    },
    mmioWrite: (offset, data, length) => {
      for (let i = 0; i < length && offset + i < this.iomem.length; i++) this.iomem[offset + i] = data[i]!;
    },
  };

  constructor(
    private readonly irqs: IrqLines,
    /** Drops anything cached about the 4 KiB guest page at this address. */
    private readonly flushPage: (pageGpa: number) => void,
  ) {}

  private readScratch(offset: number, size: number): number {
    const shift = (offset & 3) * 8;
    const mask = size >= 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
    return ((this.scratch >>> shift) & mask) >>> 0;
  }

  private writeScratch(offset: number, size: number, value: number): void {
    const shift = (offset & 3) * 8;
    const mask = ((size >= 4 ? 0xffff_ffff : (1 << (size * 8)) - 1) << shift) >>> 0;
    this.scratch = ((this.scratch & ~mask) | ((value << shift) & mask)) >>> 0;
  }

  /** Registers every range at the fixed PC addresses. */
  attach(pio: PioBus, mmio: MmioBus): void {
    pio.register(PC_TESTDEV_PORT_SCRATCH, 4, this.scratchPorts);
    pio.register(PC_TESTDEV_PORT_FLUSH_PAGE, 4, this.flushPort);
    pio.register(PC_TESTDEV_PORT_SCRATCH_BYTE, 4, this.scratchBytePorts);
    pio.register(PC_TESTDEV_PORT_IRQ, PC_TESTDEV_IRQ_COUNT, this.irqPorts);
    mmio.register(PC_TESTDEV_IOMEM_BASE, PC_TESTDEV_IOMEM_SIZE, this.iomemDevice);
  }
}
