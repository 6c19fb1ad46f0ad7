/**
 * The open files of one assigned host function: its config space (pread /
 * pwrite at the register's offset), its I/O BARs (pread / pwrite on
 * resourceN, as sysfs serves port I/O) and its memory BARs (resourceN mapped
 * shared into this process, so guest stores reach the device). Everything
 * is opened by preflight.ts, which has already said no to anything wrong.
 *
 * Through VFIO (vfio-open.ts) the same accesses go to one device descriptor:
 * each region (config space, BAR N, ROM) sits at its own offset of it, so
 * every file here is a descriptor plus a base offset; a memory BAR VFIO does
 * not let us mmap is served by pread/pwrite (`preadBars`).
 */
import { closeSync, readSync, writeSync } from 'node:fs';
import type { SysfsPciDevice } from './sysfs-device.js';

export interface MappedBar {
  /** The whole mapping (rounded up to pages). */
  buffer: ArrayBuffer;
  view: DataView;
}

/** A region of a descriptor: pread/pwrite at base + offset. */
export interface FileRegion {
  fd: number;
  base: number;
}

export class HostPciFunction {
  private readonly scratch = Buffer.alloc(8);
  /** I/O BARs by BAR index. */
  readonly ioFds = new Map<number, FileRegion>();
  /** Memory BAR mappings by BAR index. */
  readonly maps = new Map<number, MappedBar>();
  /** Memory BARs that cannot be mapped (VFIO without the mmap flag), served by pread/pwrite. */
  readonly preadBars = new Map<number, FileRegion>();
  /** The ROM's bytes (read once, the guest only reads them). */
  rom: Uint8Array | undefined;
  /** Runs when the function is closed (VFIO: interrupts off, the group let go). */
  onClose: (() => void) | undefined;
  private closed = false;

  constructor(readonly sysfs: SysfsPciDevice, readonly configFd: number, readonly configBase = 0) {}

  get address(): string {
    return this.sysfs.address;
  }

  /** Config bytes [offset, offset+size) from the device, little-endian. */
  configRead(offset: number, size: number): number {
    const got = readSync(this.configFd, this.scratch, 0, size, this.configBase + offset);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (i < got ? this.scratch[i]! : 0xff);
    return v;
  }

  /** One write of `size` bytes (1, 2 or 4) at `offset`, as the device would see it from the CPU. */
  configWrite(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.scratch[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    writeSync(this.configFd, this.scratch, 0, size, this.configBase + offset);
  }

  ioRead(bar: number, offset: number, size: number): number {
    const { fd, base } = this.ioFds.get(bar)!;
    const got = readSync(fd, this.scratch, 0, size, base + offset);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (i < got ? this.scratch[i]! : 0xff);
    return v;
  }

  ioWrite(bar: number, offset: number, size: number, value: number): void {
    const { fd, base } = this.ioFds.get(bar)!;
    for (let i = 0; i < size; i++) this.scratch[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    writeSync(fd, this.scratch, 0, size, base + offset);
  }

  /** One access of `length` bytes (1, 2, 4 or 8) to a memory BAR served by pread/pwrite. */
  barRead(bar: number, offset: number, data: Uint8Array, length: number): void {
    const { fd, base } = this.preadBars.get(bar)!;
    const got = readSync(fd, data, 0, length, base + offset);
    data.fill(0xff, Math.max(got, 0), length);
  }

  barWrite(bar: number, offset: number, data: Uint8Array, length: number): void {
    const { fd, base } = this.preadBars.get(bar)!;
    writeSync(fd, data, 0, length, base + offset);
  }

  /** Closes the files; the memory mappings go when their buffers are collected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
    // Through VFIO every region shares the device descriptor: close each descriptor once.
    const fds = new Set([this.configFd, ...[...this.ioFds.values(), ...this.preadBars.values()].map((r) => r.fd)]);
    for (const fd of fds) closeSync(fd);
  }
}
