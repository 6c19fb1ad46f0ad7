/**
 * What QMP and the human monitor can do to a machine, in one place: the
 * state QEMU reports (prelaunch/running/paused/shutdown), stop/cont/reset/
 * powerdown/quit, and the human monitor's command lines. QMP's command table
 * and `-monitor stdio` both call into this.
 */
import type { VirtualMachine } from '../api/virtual-machine.js';
import { QmpError } from './errors.js';
import { readRegisters } from '../api/registers.js';
import { formatRegisters } from './info-registers.js';
import { ApiArgumentError } from '../api/errors.js';
import { PciHotplugError } from '../devices/pci/pci-hotplug.js';
import { parseOptList } from '../qemu-compat/opts.js';

export type RunStatus = 'prelaunch' | 'running' | 'paused' | 'shutdown' | 'suspended';

/** QEMU's ShutdownCause names. */
export type ShutdownCause = 'host-error' | 'host-qmp-quit' | 'host-signal' | 'guest-shutdown' | 'guest-reset';

export class MonitorTarget {
  /** Set by quit (and by the CLI on signals) so the SHUTDOWN event names why the run ended. */
  hostShutdownCause: ShutdownCause | undefined;
  /** A reset asked for by the host; the next reset event is reported as the host's. */
  hostResetPending = false;

  /** Resolves when cont is given before the machine started (-S). */
  readonly startRequested: Promise<void>;
  private requestStart!: () => void;

  /** @param guestName -name: what query-name reports */
  /**
   * -no-shutdown: the guest shut down and the machine paused ('shutdown'), then a system reset
   * made it ready to start again ('prelaunch', as QEMU reports it). undefined otherwise.
   */
  private heldAfterShutdown: 'shutdown' | 'prelaunch' | undefined;

  constructor(readonly vm: VirtualMachine, private readonly versionText: string, readonly guestName?: string) {
    this.startRequested = new Promise((resolve) => (this.requestStart = resolve));
    vm.machine.events.on('guest-shutdown', () => {
      if (vm.machine.config.noShutdown === true) this.heldAfterShutdown = 'shutdown';
    });
  }

  /** The run is over (a -no-shutdown pause is not). */
  get ended(): boolean {
    return this.vm.state === 'exited' || this.vm.state === 'destroyed';
  }

  status(): RunStatus {
    if (this.heldAfterShutdown !== undefined && !this.ended) return this.heldAfterShutdown;
    switch (this.vm.state) {
      case 'created':
        return 'prelaunch';
      case 'running':
        return this.vm.suspended ? 'suspended' : 'running';
      case 'paused':
        return 'paused';
      default:
        return 'shutdown';
    }
  }

  private expectAlive(command: string): void {
    if (this.ended) throw new QmpError('GenericError', `${command}: the machine has shut down`);
  }

  async stop(): Promise<void> {
    this.expectAlive('stop');
    if (this.vm.state === 'running') await this.vm.pause();
  }

  cont(): void {
    this.expectAlive('cont');
    // QEMU's rule: a machine that shut down under -no-shutdown must be reset before it runs again.
    if (this.heldAfterShutdown === 'shutdown') throw new QmpError('GenericError', 'Resetting the Virtual Machine is required');
    this.heldAfterShutdown = undefined;
    if (this.vm.state === 'paused') this.vm.resume();
    else if (this.vm.state === 'created') this.requestStart();
  }

  async systemReset(): Promise<void> {
    this.expectAlive('system_reset');
    this.hostResetPending = true;
    try {
      await this.vm.reset();
      if (this.heldAfterShutdown !== undefined) this.heldAfterShutdown = 'prelaunch';
    } finally {
      this.hostResetPending = false;
    }
  }

  systemPowerdown(): void {
    this.expectAlive('system_powerdown');
    // The ACPI fixed-hardware power button: the guest OS sees PWRBTN_STS (and an SCI if it enabled
    // the event) and powers off by itself, as with QEMU. A guest without ACPI ignores it, as on hardware.
    this.vm.machine.platform.acpiPm.pressPowerButton();
  }

  /** HMP info status in QEMU's words: running, paused, or paused with the state that is not a plain pause. */
  private infoStatus(): string {
    const status = this.status();
    return `VM status: ${status === 'running' ? 'running' : status === 'paused' ? 'paused' : `paused (${status})`}\n`;
  }

  /** QMP system_wakeup: a guest suspended to RAM resumes (QEMU's wording when it is not suspended). */
  systemWakeup(): void {
    this.expectAlive('system_wakeup');
    if (!this.vm.suspended || this.vm.state === 'created') throw new QmpError('GenericError', 'Unable to wake up: guest is not in suspended state');
    this.vm.wakeup();
  }

  /** QMP device_add: the arguments are the device's properties (driver, id, addr, host...). */
  deviceAdd(properties: Record<string, unknown>): void {
    this.expectAlive('device_add');
    try {
      this.vm.deviceAdd(properties as unknown as Parameters<VirtualMachine['deviceAdd']>[0]);
    } catch (err) {
      throw asQmpError(err);
    }
  }

  /** QMP device_del: asks the guest to eject; DEVICE_DELETED follows once it did. */
  deviceDel(id: string): void {
    this.expectAlive('device_del');
    try {
      this.vm.deviceDel(id);
    } catch (err) {
      throw asQmpError(err);
    }
  }

  quit(): void {
    this.hostShutdownCause ??= 'host-qmp-quit';
    if (this.vm.state !== 'exited' && this.vm.state !== 'destroyed') void this.vm.stop();
  }

  /**
   * Works while running too, as in QEMU: monitor commands run on the event loop, and the run loop
   * only gives the event loop a turn between slices, so the shared register buffers then hold each
   * vCPU's state at the end of its last slice.
   */
  infoRegisters(): string {
    this.expectAlive('info registers');
    let text = '';
    const vcpus = this.vm.machine.vcpus;
    // The machine reports "every vCPU halted", which is one vCPU's HLT state only with one vCPU.
    const halted = vcpus.length === 1 ? this.vm.machine.halted : undefined;
    vcpus.forEach((vcpu, cpu) => {
      text += formatRegisters(cpu, readRegisters(vcpu), halted);
    });
    return text;
  }

  /** A human monitor command line; returns its output text. */
  async humanCommand(line: string): Promise<string> {
    const words = line.trim().split(/\s+/).filter((w) => w !== '');
    const [cmd, ...rest] = words;
    const arg = rest.join(' ');
    switch (cmd) {
      case undefined:
        return '';
      case 'info':
        if (arg === 'registers') return this.infoRegisters();
        if (arg === 'status') return this.infoStatus();
        if (arg === 'version') return `${this.versionText}\n`;
        return `info ${arg}: not available (info registers, info status, info version)\n`;
      case 'stop':
        await this.stop();
        return '';
      case 'cont':
      case 'c':
        this.cont();
        return '';
      case 'system_reset':
        await this.systemReset();
        return '';
      case 'system_powerdown':
        this.systemPowerdown();
        return '';
      case 'system_wakeup':
        this.systemWakeup();
        return '';
      case 'device_add':
        // QEMU's human form: device_add DRIVER[,prop=value...] (values are strings there).
        this.deviceAdd(Object.fromEntries(parseOptList(arg, 'driver').entries.map((e) => [e.key, e.value])));
        return '';
      case 'device_del':
        this.deviceDel(arg);
        return '';
      case 'quit':
      case 'q':
        this.quit();
        return '';
      case 'help':
      case '?':
        return HMP_HELP;
      default:
        return `unknown command: '${cmd}'\n`;
    }
  }
}

const HMP_HELP = [
  'cont|c -- resume emulation',
  'device_add DRIVER[,id=ID][,addr=SS][,host=BB:DD.F] -- hot-plug a PCI device (pci-testdev, vfio-pci)',
  'device_del ID -- ask the guest to eject a hot-plugged device',
  'help|? -- show this help',
  'info registers -- show the vCPU registers (machine stopped)',
  'info status -- show the machine state',
  'info version -- show the version',
  'quit|q -- quit',
  'stop -- stop emulation',
  'system_powerdown -- send the ACPI power button event',
  'system_wakeup -- wake a guest suspended to RAM (ACPI S3)',
  'system_reset -- reset the system',
  '',
].join('\n');

/** Argument and hot plug errors become QEMU's error classes (a missing device is DeviceNotFound). */
function asQmpError(err: unknown): unknown {
  if (err instanceof PciHotplugError) return new QmpError(err.code === 'not-found' ? 'DeviceNotFound' : 'GenericError', err.message);
  if (err instanceof ApiArgumentError) return new QmpError('GenericError', err.message);
  return err;
}
