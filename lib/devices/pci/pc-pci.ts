/**
 * The PC's PCI side as the machine wires it: bus 0 with the BAR windows of
 * lib/machine/addresses.ts, the host bridge at 00:00.0 and configuration
 * mechanism #1 (with the 0xCF9 reset register) on the port bus.
 */
import type { IrqLines } from '../../machine/irq.js';
import type { MmioBus } from '../../machine/mmio-bus.js';
import type { PioBus } from '../../machine/pio-bus.js';
import {
  PCI_CONFIG_PORT_COUNT,
  PCI_IO_WINDOW_BASE,
  PCI_IO_WINDOW_END,
  PCI_MMIO_WINDOW_BASE,
  PCI_MMIO_WINDOW_END,
  PORT_PCI_CONFIG,
} from '../../machine/addresses.js';
import { createHostBridge, PciConfigMechanism1 } from './host-bridge.js';
import { PciBus } from './pci-bus.js';

export interface PcPci {
  bus: PciBus;
  config: PciConfigMechanism1;
  reset(): void;
}

/** onReset: the guest wrote "reset CPU" to 0xCF9. */
export function createPcPci(pio: PioBus, mmio: MmioBus, irqs: IrqLines, onReset: () => void): PcPci {
  const bus = new PciBus(pio, mmio, irqs, {
    mmioBase: PCI_MMIO_WINDOW_BASE,
    mmioEnd: PCI_MMIO_WINDOW_END,
    ioBase: PCI_IO_WINDOW_BASE,
    ioEnd: PCI_IO_WINDOW_END,
  });
  const config = new PciConfigMechanism1(bus, onReset);
  pio.register(PORT_PCI_CONFIG, PCI_CONFIG_PORT_COUNT, config);
  bus.attach(createHostBridge(), 0);
  return {
    bus,
    config,
    reset() {
      config.reset();
      bus.reset();
    },
  };
}
