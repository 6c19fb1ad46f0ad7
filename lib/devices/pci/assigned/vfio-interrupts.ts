/**
 * A VFIO function's interrupts, delivered through eventfds: the kernel
 * signals an eventfd when the device interrupts, a libuv watch on Node's
 * loop reads it between the machine's slices, and the machine raises the
 * guest's interrupt the guest programmed.
 *
 * - INTx is level-triggered: the kernel masks the host line when it fires
 *   (VFIO_IRQ_INFO_AUTOMASKED). The guest's line stays asserted until the
 *   guest's EOI; then it is lowered and the host line unmasked
 *   (VFIO_IRQ_SET_ACTION_UNMASK), and a device still asserting it fires again.
 * - MSI and MSI-X: one eventfd per vector; the emulated capability holds
 *   masked vectors' messages as pending bits, so a vector's eventfd stays
 *   armed whatever the guest does to its mask.
 * Only one kind is on at a time (vfio-pci refuses MSI while INTx is on), so a
 * mode change turns the old kind off first.
 */
import { closeSync } from 'node:fs';
import type { AssignedInterruptMode } from './assigned-device.js';
import {
  VFIO_PCI_INTX_IRQ_INDEX,
  VFIO_PCI_MSI_IRQ_INDEX,
  VFIO_PCI_MSIX_IRQ_INDEX,
  type EventfdWatch,
  type VfioNative,
} from './vfio-native.js';

/** What the interrupts reach: the assigned device's INTx line and its MSI/MSI-X messages. */
export interface VfioInterruptTarget {
  setIntx(level: boolean): void;
  signalMessage(vector: number): boolean;
}

interface ArmedVector {
  fd: number;
  watch: EventfdWatch;
}

export class VfioInterrupts {
  private armed: ArmedVector[] = [];
  private armedIndex = -1;
  private intxAsserted = false;
  /** Interrupts received from the host, by kind (diagnostics and tests). */
  readonly received = { intx: 0, msi: 0, msix: 0 };

  constructor(
    private readonly native: VfioNative,
    private readonly deviceFd: number,
    private readonly target: VfioInterruptTarget,
    /** The device has an INTx pin the host serves. */
    private readonly hasIntx: boolean,
    /** Ends the run with one line (the host refused an interrupt setup). */
    private readonly fail: (message: string) => void,
  ) {}

  /** Power-on: INTx (the mode every device starts in). */
  start(): void {
    this.setMode({ kind: 'intx' });
  }

  setMode(mode: AssignedInterruptMode): void {
    this.disarm();
    try {
      if (mode.kind === 'intx') {
        if (this.hasIntx) this.arm(VFIO_PCI_INTX_IRQ_INDEX, 1, () => this.onIntx());
      } else if (mode.kind === 'msi') {
        this.arm(VFIO_PCI_MSI_IRQ_INDEX, 1, () => {
          this.received.msi++;
          this.target.signalMessage(0);
        });
      } else {
        this.arm(VFIO_PCI_MSIX_IRQ_INDEX, mode.vectors, (vector) => {
          this.received.msix++;
          this.target.signalMessage(vector);
        });
      }
    } catch (err) {
      this.disarm();
      this.fail(`cannot route the device's ${mode.kind === 'intx' ? 'INTx' : mode.kind === 'msi' ? 'MSI' : 'MSI-X'} interrupts through VFIO: ${(err as Error).message}`);
    }
  }

  private arm(index: number, count: number, onSignal: (vector: number) => void): void {
    for (let v = 0; v < count; v++) {
      const fd = this.native.createEventfd();
      const watch = this.native.watchEventfd(fd, () => onSignal(v));
      this.armed.push({ fd, watch });
    }
    this.armedIndex = index;
    this.native.setIrqs(this.deviceFd, index, 'trigger', 0, count, this.armed.map((a) => a.fd));
  }

  /** Turns the armed kind off in the host, stops the watches, closes the eventfds, lowers INTx. */
  private disarm(): void {
    if (this.armedIndex >= 0) {
      try {
        this.native.setIrqs(this.deviceFd, this.armedIndex, 'trigger', 0, 0);
      } catch {
        // The device is going away or the index was never enabled: nothing more to turn off.
      }
      this.armedIndex = -1;
    }
    for (const a of this.armed) {
      a.watch.close();
      closeSync(a.fd);
    }
    this.armed = [];
    if (this.intxAsserted) {
      this.intxAsserted = false;
      this.target.setIntx(false);
    }
  }

  private onIntx(): void {
    this.received.intx++;
    this.intxAsserted = true;
    this.target.setIntx(true);
  }

  /**
   * The guest ended an interrupt (EOI broadcast). Must run before the IOAPIC's own EOI handling:
   * the line is lowered first, so a still-asserted line does not re-fire the old interrupt; the
   * host then re-raises it through the eventfd if the device still wants service.
   */
  eoi(): void {
    if (!this.intxAsserted) return;
    this.intxAsserted = false;
    this.target.setIntx(false);
    try {
      this.native.setIrqs(this.deviceFd, VFIO_PCI_INTX_IRQ_INDEX, 'unmask', 0, 1);
    } catch (err) {
      this.fail(`cannot unmask the device's INTx through VFIO: ${(err as Error).message}`);
    }
  }

  close(): void {
    this.disarm();
  }
}
