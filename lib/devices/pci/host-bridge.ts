/**
 * The host bridge at 00:00.0 (an i440FX-like 8086:1237, class 0x0600) and
 * configuration mechanism #1 on ports 0xCF8-0xCFF:
 * - 0xCF8, 32-bit: CONFIG_ADDRESS = enable (bit 31) | bus (23:16) |
 *   device (15:11) | function (10:8) | register (7:2);
 * - 0xCFC-0xCFF, any size: CONFIG_DATA, the dword selected by CONFIG_ADDRESS
 *   plus the port's offset. With the enable bit clear, data reads are
 *   all-ones and writes are dropped.
 * - 0xCF9, 8-bit: the reset control register (PIIX RCR): writing bit 2
 *   (reset CPU) set asks the machine for a system reset (the FADT names it
 *   as the ACPI reset register). Narrow accesses to 0xCF8/0xCFA/0xCFB are
 *   not CONFIG_ADDRESS and read as all-ones.
 */
import type { PioDevice } from '../../machine/bus-device.js';
import { PciDevice } from './pci-device.js';
import type { PciBus } from './pci-bus.js';

export const PORT_PCI_CONFIG_ADDRESS = 0xcf8;
export const PORT_PCI_RESET_CONTROL = 0xcf9;
export const PORT_PCI_CONFIG_DATA = 0xcfc;
export const PCI_CONFIG_PORT_COUNT = 8;
export const PCI_CONFIG_ENABLE = 0x8000_0000;
/** CONFIG_ADDRESS bits that hold state: enable, bus, device, function, register (bits 1:0 read as 0). */
const CONFIG_ADDRESS_MASK = 0x80ff_fffc;
export const RESET_CONTROL_SYSTEM_RESET = 1 << 1;
export const RESET_CONTROL_RESET_CPU = 1 << 2;
/** The value the FADT tells the OS to write to 0xCF9 for a reset (hard reset of the system). */
export const RESET_CONTROL_RESET_VALUE = RESET_CONTROL_SYSTEM_RESET | RESET_CONTROL_RESET_CPU;

export const HOST_BRIDGE_VENDOR_ID = 0x8086;
export const HOST_BRIDGE_DEVICE_ID = 0x1237;
export const PCI_CLASS_HOST_BRIDGE = 0x060000;

/** The bridge as function 00:00.0 (no BARs, no interrupt). */
export function createHostBridge(): PciDevice {
  return new PciDevice('i440fx host bridge', {
    vendorId: HOST_BRIDGE_VENDOR_ID,
    deviceId: HOST_BRIDGE_DEVICE_ID,
    classCode: PCI_CLASS_HOST_BRIDGE,
    revision: 2,
  });
}

export class PciConfigMechanism1 implements PioDevice {
  readonly name = 'PCI config (mechanism #1)';
  address = 0;
  private resetControl = 0;

  /** onReset: the guest asked for a system reset through 0xCF9. */
  constructor(private readonly bus: PciBus, private readonly onReset: () => void) {}

  pioRead(offset: number, size: number): number {
    if (offset < 4) {
      if (offset === 0 && size === 4) return this.address;
      if (offset === 1 && size === 1) return this.resetControl;
      return size === 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
    }
    const port = offset - 4;
    if (!(this.address & PCI_CONFIG_ENABLE) || port + size > 4) return size === 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
    const { bus, devfn, register } = this.decode();
    return this.bus.configRead(bus, devfn, register + port, size);
  }

  pioWrite(offset: number, size: number, value: number): void {
    if (offset < 4) {
      if (offset === 0 && size === 4) this.address = (value & CONFIG_ADDRESS_MASK) >>> 0;
      else if (offset === 1 && size === 1) this.writeResetControl(value);
      return;
    }
    const port = offset - 4;
    if (!(this.address & PCI_CONFIG_ENABLE) || port + size > 4) return;
    const { bus, devfn, register } = this.decode();
    this.bus.configWrite(bus, devfn, register + port, size, value);
  }

  private decode(): { bus: number; devfn: number; register: number } {
    const a = this.address;
    return { bus: (a >>> 16) & 0xff, devfn: (a >>> 8) & 0xff, register: a & 0xfc };
  }

  private writeResetControl(value: number): void {
    // The reset happens on the write that sets "reset CPU"; bits 1 and 3 select its kind (all the same here).
    this.resetControl = value & 0x0e & ~RESET_CONTROL_RESET_CPU;
    if (value & RESET_CONTROL_RESET_CPU) this.onReset();
  }

  reset(): void {
    this.address = 0;
    this.resetControl = 0;
  }
}
