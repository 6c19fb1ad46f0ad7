/**
 * The open files of one assigned host function: its config space (pread /
 * pwrite at the register's offset), its I/O BARs (pread / pwrite on
 * resourceN, as sysfs serves port I/O) and its memory BARs (resourceN mapped
 * shared into this process, so guest stores reach the device). Everything
 * is opened by preflight.ts, which has already said no to anything wrong.
 */
import { closeSync, readSync, writeSync } from 'node:fs';
import type { SysfsPciDevice } from './sysfs-device.js';

export interface MappedBar {
  /** The whole mapping (rounded up to pages). */
  buffer: ArrayBuffer;
  view: DataView;
}

export class HostPciFunction {
  private readonly scratch = Buffer.alloc(8);
  /** I/O BAR file descriptors by BAR index. */
  readonly ioFds = new Map<number, number>();
  /** Memory BAR mappings by BAR index. */
  readonly maps = new Map<number, MappedBar>();
  /** The ROM's bytes (read once, the guest only reads them). */
  rom: Uint8Array | undefined;
  private closed = false;

  constructor(readonly sysfs: SysfsPciDevice, readonly configFd: number) {}

  get address(): string {
    return this.sysfs.address;
  }

  /** Config bytes [offset, offset+size) from the device, little-endian. */
  configRead(offset: number, size: number): number {
    const got = readSync(this.configFd, this.scratch, 0, size, offset);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (i < got ? this.scratch[i]! : 0xff);
    return v;
  }

  /** One write of `size` bytes (1, 2 or 4) at `offset`, as the device would see it from the CPU. */
  configWrite(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.scratch[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    writeSync(this.configFd, this.scratch, 0, size, offset);
  }

  ioRead(bar: number, offset: number, size: number): number {
    const fd = this.ioFds.get(bar)!;
    const got = readSync(fd, this.scratch, 0, size, offset);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (i < got ? this.scratch[i]! : 0xff);
    return v;
  }

  ioWrite(bar: number, offset: number, size: number, value: number): void {
    const fd = this.ioFds.get(bar)!;
    for (let i = 0; i < size; i++) this.scratch[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    writeSync(fd, this.scratch, 0, size, offset);
  }

  /** Closes the files; the memory mappings go when their buffers are collected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.configFd);
    for (const fd of this.ioFds.values()) closeSync(fd);
  }
}
