/**
 * fw_cfg, QEMU's firmware configuration interface, through its traditional
 * I/O ports: write a 16-bit key to the selector (0x510), then read the item
 * byte by byte from the data port (0x511), whose offset auto-increments.
 * Reads past the end of an item, and of unknown keys, return 0. Data-port
 * writes are ignored (read-only interface, as in current QEMU).
 */
import type { PioDevice } from '../machine/bus-device.js';
import { PORT_FW_CFG_DATA, PORT_FW_CFG_SELECTOR } from '../machine/addresses.js';
import type { PioBus } from '../machine/pio-bus.js';

export const FW_CFG_SIGNATURE = 0x0000;
export const FW_CFG_ID = 0x0001;
export const FW_CFG_RAM_SIZE = 0x0003;
export const FW_CFG_NB_CPUS = 0x0005;
// The -kernel/-initrd/-append items (QEMU's numbering): where the loader put each part and its bytes.
export const FW_CFG_KERNEL_ADDR = 0x0007;
export const FW_CFG_KERNEL_SIZE = 0x0008;
export const FW_CFG_KERNEL_CMDLINE = 0x0009;
export const FW_CFG_INITRD_ADDR = 0x000a;
export const FW_CFG_INITRD_SIZE = 0x000b;
export const FW_CFG_KERNEL_ENTRY = 0x0010;
export const FW_CFG_KERNEL_DATA = 0x0011;
export const FW_CFG_INITRD_DATA = 0x0012;
export const FW_CFG_CMDLINE_ADDR = 0x0013;
export const FW_CFG_CMDLINE_SIZE = 0x0014;
export const FW_CFG_CMDLINE_DATA = 0x0015;
export const FW_CFG_SETUP_ADDR = 0x0016;
export const FW_CFG_SETUP_SIZE = 0x0017;
export const FW_CFG_SETUP_DATA = 0x0018;
export const FW_CFG_MAX_CPUS = 0x000f;
export const FW_CFG_FILE_DIR = 0x0019;
/** Keys of named files start here. */
export const FW_CFG_FILE_FIRST = 0x0020;
/** ID bit 0: the traditional (port) interface is present; no DMA interface. */
export const FW_CFG_VERSION_TRADITIONAL = 1;
/** FILE_DIR entry: u32 size, u16 select, u16 reserved (big-endian), char name[56]. */
export const FW_CFG_FILE_ENTRY_SIZE = 64;
export const FW_CFG_MAX_NAME = 56;

export interface FwCfgOptions {
  ramBytes: number;
  cpus: number;
  /** Named files, e.g. etc/e820, in the order they get keys. */
  files?: ReadonlyArray<{ name: string; data: Uint8Array }>;
}

function u16le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}
function u32le(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v, true);
  return out;
}
function u64le(v: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(v), true);
  return out;
}

export class FwCfg {
  private readonly items = new Map<number, Uint8Array>();
  private selected: Uint8Array | undefined;
  private offset = 0;
  selector = 0;

  readonly selectorPort: PioDevice = {
    name: 'fw_cfg-selector',
    pioRead: () => 0,
    pioWrite: (_offset, _size, value) => this.select(value & 0xffff),
  };

  readonly dataPort: PioDevice = {
    name: 'fw_cfg-data',
    pioRead: (_offset, size) => {
      // A wider read returns consecutive bytes, first byte lowest.
      let v = 0;
      for (let i = 0; i < size; i++) v |= this.readByte() << (8 * i);
      return v >>> 0;
    },
    pioWrite: () => {},
  };

  constructor(options: FwCfgOptions) {
    this.items.set(FW_CFG_SIGNATURE, new TextEncoder().encode('QEMU'));
    this.items.set(FW_CFG_ID, u32le(FW_CFG_VERSION_TRADITIONAL));
    this.items.set(FW_CFG_RAM_SIZE, u64le(options.ramBytes));
    this.items.set(FW_CFG_NB_CPUS, u16le(options.cpus));
    this.items.set(FW_CFG_MAX_CPUS, u16le(options.cpus));
    const files = options.files ?? [];
    const dir = new Uint8Array(4 + files.length * FW_CFG_FILE_ENTRY_SIZE);
    const view = new DataView(dir.buffer);
    view.setUint32(0, files.length, false);
    files.forEach((f, i) => {
      const name = new TextEncoder().encode(f.name);
      if (name.length >= FW_CFG_MAX_NAME) throw new RangeError(`fw_cfg file name '${f.name}' is longer than ${FW_CFG_MAX_NAME - 1} bytes`);
      const key = FW_CFG_FILE_FIRST + i;
      const at = 4 + i * FW_CFG_FILE_ENTRY_SIZE;
      view.setUint32(at, f.data.length, false);
      view.setUint16(at + 4, key, false);
      dir.set(name, at + 8);
      this.items.set(key, f.data);
    });
    this.items.set(FW_CFG_FILE_DIR, dir);
    this.select(FW_CFG_SIGNATURE);
  }

  /** Adds or replaces a numbered item (the kernel items are set once the kernel is loaded). */
  setItem(key: number, data: Uint8Array): void {
    if (key >= FW_CFG_FILE_FIRST || key === FW_CFG_FILE_DIR) throw new RangeError(`fw_cfg key 0x${key.toString(16)} belongs to the file directory`);
    this.items.set(key, data);
    if (this.selector === key) this.select(key);
  }

  select(key: number): void {
    this.selector = key;
    this.selected = this.items.get(key);
    this.offset = 0;
  }

  readByte(): number {
    const item = this.selected;
    if (item === undefined || this.offset >= item.length) return 0;
    return item[this.offset++]!;
  }

  attach(pio: PioBus): void {
    pio.register(PORT_FW_CFG_SELECTOR, 1, this.selectorPort);
    pio.register(PORT_FW_CFG_DATA, 1, this.dataPort);
  }
}
