/**
 * QEMU's pci-testdev (1b36:0005, class "other unclassified"): a device for
 * testing guest access paths. BAR0 is 4 KiB of memory, BAR1 256 I/O ports.
 * Each BAR starts with a test header (all little-endian):
 *   +0 u8  test        write: select test n of this BAR
 *   +1 u8  width       bytes the test's write uses (1, 2, 4); other = no such test
 *   +4 u32 offset      where in this BAR the test's write goes
 *   +8 u32 data        the value to write
 *   +12 u32 count      writes detected since the test was selected
 *   +16 name           NUL-terminated "mmio-<test>" / "portio-<test>"
 * Three tests per BAR, numbered 0..2 on each: "no-eventfd", "wildcard-eventfd"
 * (any value counts) and "datamatch-eventfd"; the first and last count only a
 * write of `data`. Their write offsets follow the header area: memory tests
 * at 0x800 + global test index, port tests at 0x80 + global index (3..5).
 */
import type { MmioDevice, PioDevice } from '../../machine/bus-device.js';
import { PciDevice } from './pci-device.js';

export const PCI_TESTDEV_VENDOR_ID = 0x1b36;
export const PCI_TESTDEV_DEVICE_ID = 0x0005;
export const PCI_CLASS_OTHERS = 0xff0000;
export const PCI_TESTDEV_MMIO_SIZE = 0x1000;
export const PCI_TESTDEV_IO_SIZE = 0x100;
export const PCI_TESTDEV_HDR_TEST = 0;
export const PCI_TESTDEV_HDR_WIDTH = 1;
export const PCI_TESTDEV_HDR_OFFSET = 4;
export const PCI_TESTDEV_HDR_DATA = 8;
export const PCI_TESTDEV_HDR_COUNT = 12;
export const PCI_TESTDEV_HDR_NAME = 16;
export const PCI_TESTDEV_DATA_MATCH = 0xfa;
export const PCI_TESTDEV_DATA_NO_MATCH = 0xce;

const TEST_NAMES = ['no-eventfd', 'wildcard-eventfd', 'datamatch-eventfd'] as const;
const TESTS_PER_BAR = TEST_NAMES.length;
const ACCESS_WIDTH = 1;

interface TestState {
  header: Uint8Array;
  offset: number;
  data: number;
  matchData: boolean;
}

/** One BAR's test set; `type` 0 = memory (BAR0), 1 = I/O (BAR1). */
class TestBank {
  readonly tests: TestState[];
  current = 0;

  constructor(type: 0 | 1, prefix: string, firstOffset: number) {
    this.tests = TEST_NAMES.map((name, i) => {
      const global = type * TESTS_PER_BAR + i;
      const full = new TextEncoder().encode(`${prefix}-${name}\0`);
      const header = new Uint8Array(PCI_TESTDEV_HDR_NAME + full.length);
      const view = new DataView(header.buffer);
      const matchData = name !== 'wildcard-eventfd';
      const offset = firstOffset + global * ACCESS_WIDTH;
      const data = matchData ? PCI_TESTDEV_DATA_MATCH : PCI_TESTDEV_DATA_NO_MATCH;
      header[PCI_TESTDEV_HDR_WIDTH] = ACCESS_WIDTH;
      view.setUint32(PCI_TESTDEV_HDR_OFFSET, offset, true);
      view.setUint32(PCI_TESTDEV_HDR_DATA, data, true);
      header.set(full, PCI_TESTDEV_HDR_NAME);
      return { header, offset, data, matchData };
    });
  }

  read(offset: number, size: number): number {
    const header = this.tests[this.current]?.header;
    if (header === undefined) return 0;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (header[offset + i] ?? 0);
    return v;
  }

  write(offset: number, size: number, value: number): void {
    if (offset === PCI_TESTDEV_HDR_TEST) {
      const n = value & 0xff;
      // Selecting a test past the last leaves the selection alone, so "width" keeps telling the guest to stop.
      if (n < this.tests.length) {
        this.current = n;
        this.countView().setUint32(PCI_TESTDEV_HDR_COUNT, 0, true);
      } else {
        this.current = this.tests.length; // no such test: reads return zeros (width 0 = unsupported)
      }
      return;
    }
    const test = this.tests[this.current];
    if (test === undefined) return;
    if (offset === test.offset && size === ACCESS_WIDTH && (!test.matchData || value === test.data)) {
      const view = this.countView();
      view.setUint32(PCI_TESTDEV_HDR_COUNT, view.getUint32(PCI_TESTDEV_HDR_COUNT, true) + 1, true);
    }
  }

  private countView(): DataView {
    const h = this.tests[this.current]!.header;
    return new DataView(h.buffer);
  }

  reset(): void {
    this.current = 0;
    for (const t of this.tests) new DataView(t.header.buffer).setUint32(PCI_TESTDEV_HDR_COUNT, 0, true);
  }
}

export class PciTestdev extends PciDevice {
  private readonly mem = new TestBank(0, 'mmio', PCI_TESTDEV_MMIO_SIZE / 2);
  private readonly io = new TestBank(1, 'portio', PCI_TESTDEV_IO_SIZE / 2);

  constructor() {
    super('pci-testdev', {
      vendorId: PCI_TESTDEV_VENDOR_ID,
      deviceId: PCI_TESTDEV_DEVICE_ID,
      classCode: PCI_CLASS_OTHERS,
      subsystemVendorId: 0x1af4, // QEMU's subsystem IDs for its own devices
      subsystemId: 0x1100,
    });
    const mem = this.mem;
    const io = this.io;
    const mmioHandler: MmioDevice = {
      name: 'pci-testdev BAR0 (mmio)',
      mmioRead(offset, data, length) {
        const v = mem.read(offset, Math.min(length, 4));
        for (let i = 0; i < length; i++) data[i] = i < 4 ? Math.floor(v / 2 ** (8 * i)) & 0xff : 0;
      },
      mmioWrite(offset, data, length) {
        let v = 0;
        for (let i = Math.min(length, 4) - 1; i >= 0; i--) v = v * 256 + data[i]!;
        mem.write(offset, length, v);
      },
    };
    const ioHandler: PioDevice = {
      name: 'pci-testdev BAR1 (portio)',
      pioRead: (offset, size) => io.read(offset, size),
      pioWrite: (offset, size, value) => io.write(offset, size, value),
    };
    this.defineBar(0, { kind: 'mem32', size: PCI_TESTDEV_MMIO_SIZE, device: mmioHandler });
    this.defineBar(1, { kind: 'io', size: PCI_TESTDEV_IO_SIZE, device: ioHandler });
  }

  override reset(): void {
    this.mem.reset();
    this.io.reset();
    super.reset();
  }
}
