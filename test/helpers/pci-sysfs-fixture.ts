/**
 * Fixture sysfs trees for host PCI assignment tests: a directory shaped like
 * /sys/bus/pci/devices with regular files standing in for `config`,
 * `resource`, `resourceN`, `rom` and `irq`, and symlinks for `driver` and
 * `iommu_group`. The default device (10ee:7011) is the one the pci_assign
 * guest expects: see test/guests/pci_assign.c.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIXTURE_ADDRESS = '0000:03:00.0';
export const FIXTURE_VENDOR = 0x10ee;
export const FIXTURE_DEVICE = 0x7011;

export interface FixtureBar {
  /** Host address the `resource` file shows. */
  start: bigint;
  size: number;
  /** IORESOURCE_* flags. */
  flags: number;
  /** Bytes of the resourceN file (default: zero-filled, BAR-sized). */
  contents?: Uint8Array;
}

export interface FixtureDevice {
  address?: string;
  config?: Uint8Array;
  /** BARs 0-5 by index. */
  bars?: Record<number, FixtureBar>;
  rom?: { start: bigint; bytes: Uint8Array };
  driver?: string;
  irq?: number;
  iommuGroup?: number;
  /** BAR indexes whose resourceN file is left out. */
  missingResourceFiles?: number[];
}

const IORESOURCE_IO = 0x100;
const IORESOURCE_MEM = 0x200;
const IORESOURCE_PREFETCH = 0x2000;
const IORESOURCE_MEM_64 = 0x0010_0000;
const IORESOURCE_SIZEALIGN = 0x0004_0000;
const IORESOURCE_READONLY = 0x4000;

function le32(bytes: Uint8Array, at: number, v: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, v >>> 0, true);
}

/** The default device's config space (see pci_assign.c for what the guest checks). */
export function fixtureConfig(): Uint8Array {
  const c = new Uint8Array(256);
  const v = new DataView(c.buffer);
  v.setUint16(0x00, FIXTURE_VENDOR, true);
  v.setUint16(0x02, FIXTURE_DEVICE, true);
  v.setUint16(0x04, 0x0000, true); // command: everything off, as an unbound device is left
  v.setUint16(0x06, 0x0010, true); // status: capability list
  v.setUint32(0x08, (0x118000 << 8) | 0x02, true); // class: signal processing, other
  c[0x0e] = 0x80; // multi-function on the host: the guest sees one function
  v.setUint32(0x10, 0xfeb0_0000, true); // BAR0 mem32
  v.setUint32(0x14, 0x0000_e001, true); // BAR1 I/O
  v.setUint32(0x18, 0x0000_000c, true); // BAR2 mem64 prefetchable, low
  v.setUint32(0x1c, 0x0000_3800, true); // BAR3: high half
  v.setUint32(0x20, 0xfeb0_1000, true); // BAR4 mem32, 256 bytes
  v.setUint16(0x2c, FIXTURE_VENDOR, true);
  v.setUint16(0x2e, 0x0007, true);
  v.setUint32(0x30, 0xfeb1_0000, true); // ROM at the host address, disabled
  c[0x34] = 0x40;
  c[0x3c] = 0x0b; // the host's interrupt line
  c[0x3d] = 0x01; // INTA#
  // PM at 0x40 -> MSI at 0x50 -> VPD at 0x60 (not supported: hidden) -> vendor specific at 0x70.
  c.set([0x01, 0x50, 0x03, 0x00], 0x40);
  c.set([0x05, 0x60, 0x80, 0x00], 0x50); // MSI: 64-bit, one vector, disabled
  c.set([0x03, 0x70, 0x00, 0x00], 0x60);
  c.set([0x09, 0x00, 0x08, 0x74, 0x73, 0x76, 0x00, 0x00], 0x70); // vendor: length 8, "tsv"
  v.setUint32(0x80, 0xdead_beef, true); // a device register outside any capability
  return c;
}

/** The default device's BARs with recognizable contents. */
export function fixtureBars(): Record<number, FixtureBar> {
  const bar0 = new Uint8Array(4096).map((_, i) => i & 0xff);
  le32(bar0, 0, 0x1122_3344);
  const bar1 = new Uint8Array(32).map((_, i) => 0xa0 + i);
  const bar2 = new Uint8Array(65536);
  new DataView(bar2.buffer).setBigUint64(0, 0x0102_0304_0506_0708n, true);
  le32(bar2, 0x8000, 0x55aa_55aa);
  const bar4 = new Uint8Array(256);
  le32(bar4, 0, 0xc0ff_ee00);
  return {
    0: { start: 0xfeb0_0000n, size: 4096, flags: IORESOURCE_MEM | IORESOURCE_SIZEALIGN, contents: bar0 },
    1: { start: 0xe000n, size: 32, flags: IORESOURCE_IO | IORESOURCE_SIZEALIGN | 0x1, contents: bar1 },
    2: { start: 0x3800_0000_0000n, size: 65536, flags: IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH | IORESOURCE_SIZEALIGN | 0xc, contents: bar2 },
    4: { start: 0xfeb0_1000n, size: 256, flags: IORESOURCE_MEM | IORESOURCE_SIZEALIGN, contents: bar4 },
  };
}

export function fixtureRom(): { start: bigint; bytes: Uint8Array } {
  const bytes = new Uint8Array(2048);
  bytes.set([0x55, 0xaa, 0x04]);
  return { start: 0xfeb1_0000n, bytes };
}

const hex64 = (n: bigint): string => '0x' + n.toString(16).padStart(16, '0');

export class SysfsFixture {
  readonly root: string;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'tsvisor-sysfs-'));
    chmodSync(this.root, 0o755);
  }

  /** Adds a device directory; returns its path. */
  add(spec: FixtureDevice = {}): string {
    const address = spec.address ?? FIXTURE_ADDRESS;
    const dir = join(this.root, address);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'config'), spec.config ?? fixtureConfig());
    const bars = spec.bars ?? fixtureBars();
    const rom = spec.rom === undefined && spec.bars === undefined ? fixtureRom() : spec.rom;
    const lines: string[] = [];
    for (let i = 0; i < 13; i++) {
      const bar = i < 6 ? bars[i] : undefined;
      if (bar !== undefined) lines.push(`${hex64(bar.start)} ${hex64(bar.start + BigInt(bar.size) - 1n)} ${hex64(BigInt(bar.flags))}`);
      else if (i === 6 && rom !== undefined) {
        lines.push(`${hex64(rom.start)} ${hex64(rom.start + BigInt(rom.bytes.length) - 1n)} ${hex64(BigInt(IORESOURCE_MEM | IORESOURCE_READONLY | IORESOURCE_SIZEALIGN))}`);
      } else lines.push(`${hex64(0n)} ${hex64(0n)} ${hex64(0n)}`);
    }
    writeFileSync(join(dir, 'resource'), lines.join('\n') + '\n');
    for (const [index, bar] of Object.entries(bars)) {
      if (spec.missingResourceFiles?.includes(Number(index))) continue;
      writeFileSync(join(dir, `resource${index}`), bar.contents ?? new Uint8Array(bar.size));
    }
    if (rom !== undefined) writeFileSync(join(dir, 'rom'), rom.bytes);
    writeFileSync(join(dir, 'irq'), `${spec.irq ?? 11}\n`);
    writeFileSync(join(dir, 'vendor'), '0x' + FIXTURE_VENDOR.toString(16).padStart(4, '0') + '\n');
    if (spec.driver !== undefined) symlinkSync(`../../../bus/pci/drivers/${spec.driver}`, join(dir, 'driver'));
    symlinkSync(`../../../kernel/iommu_groups/${spec.iommuGroup ?? 7}`, join(dir, 'iommu_group'));
    return dir;
  }

  file(name: string, address = FIXTURE_ADDRESS): Uint8Array {
    return new Uint8Array(readFileSync(join(this.root, address, name)));
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
