/**
 * VirtualMachine: the public face of a Machine for Node programs. It owns
 * the machine's life cycle (created → running ⇄ paused → exited → destroyed),
 * turns the machine's output and state changes into events and streams, and
 * checks every argument before it reaches the machine or the addon.
 *
 *   const vm = createMachine({ kernel: 'guest.elf' });
 *   vm.on('serial', (data) => process.stdout.write(data));
 *   const exit = await vm.start();
 */
import { EventEmitter } from 'node:events';
import { LOCAL_APIC_DEFAULT_BASE } from '../machine/addresses.js';
import { defaultMachineConfig, type MachineConfig } from '../machine/config.js';
import { Machine, type MachineOptions } from '../machine/machine.js';
import type { MachineExit } from '../machine/machine-exit.js';
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { HypervHypercallCounts } from '../hyperv/hypercalls.js';
import { MachineStateError } from './errors.js';
import { checkDeviceAddOptions, type DeviceAddOptions } from './hotplug-spec.js';
import type { HotplugDeviceInfo } from '../devices/pci/pci-hotplug.js';
import { readRegisters, writeRegisters, type RegisterUpdate, type Registers } from './registers.js';
import { SerialPort } from './serial-port.js';
import { UserMmioDevice, UserPioDevice, checkHandler, type UserMmioHandler, type UserPioHandler } from './user-devices.js';
import { checkAddress, checkFunction, checkInt, checkObject, checkU64, describeValue, fail } from './validate.js';

export type MachineState = 'created' | 'running' | 'paused' | 'exited' | 'destroyed';

export interface VirtualMachineEvents {
  /** Bytes the guest transmitted on serial port `port` (0 = COM1). */
  serial: [data: Buffer, port: number];
  /** The run ended; status is what a QEMU process would exit with. */
  exit: [exit: MachineExit];
  /** The vCPUs stopped for pause() (QEMU's STOP). */
  stop: [];
  /** A paused machine runs again (QEMU's RESUME). */
  resume: [];
  /** A system reset: reset(), or a guest triple fault without noReboot. */
  reset: [];
  /** The guest suspended to RAM (ACPI S3; QEMU's SUSPEND): the vCPUs are off until wakeup(). */
  suspend: [];
  /** The machine left S3 (QEMU's WAKEUP): wakeup() or the guest's RTC alarm. */
  wakeup: [];
  /** A hot-plugged device is gone: the guest ejected it after deviceDel() (QEMU's DEVICE_DELETED). */
  'device-deleted': [device: HotplugDeviceInfo];
}

/** Returned by a hypercall handler: the instruction raises #UD, as with no handler at all. */
export const RAISE_UD: unique symbol = Symbol('tsvisor.raiseUd');

export interface HypercallInfo {
  cpu: number;
  instruction: 'vmcall' | 'vmmcall';
  rax: bigint;
  rbx: bigint;
  rcx: bigint;
  rdx: bigint;
  rsi: bigint;
  rdi: bigint;
}

/** The return value goes to RAX; undefined leaves RAX as it is; RAISE_UD makes the instruction #UD. */
export type HypercallHook = (call: HypercallInfo) => bigint | number | undefined | typeof RAISE_UD;

export interface MsrHook {
  /** The value RDMSR returns; undefined (or no read) = #GP(0). */
  read?(index: number, cpu: number): bigint | number | undefined;
  /** false = #GP(0); anything else accepts the write. No write function = #GP(0). */
  write?(index: number, value: bigint, cpu: number): boolean | void;
}

/** The machine's MSR registry and hypercall slot as the run loop dispatches them (lib/machine). */
interface MsrRegistryLike {
  register(first: number, last: number, handler: { read(vcpu: Vcpu, index: number): bigint | undefined; write(vcpu: Vcpu, index: number, value: bigint): boolean }): void;
}
interface HypercallsLike {
  setHandler(handler: ((vcpu: Vcpu, kind: number) => void) | null): void;
}

const VECTOR_UD = 6;
const LOCAL_APIC_PAGE = 0x1000;
const HYPERCALL_VMMCALL = 1;

/** A MachineConfig in which every field may be left out (defaults: defaultMachineConfig()). */
export type CreateMachineConfig = Partial<MachineConfig>;

export class VirtualMachine extends EventEmitter<VirtualMachineEvents> {
  /** The machine underneath (buses, clock, vCPUs) for code that needs more than this API. */
  readonly machine: Machine;
  /** Serial ports as Duplex streams: read guest output, write guest input. Empty with serial: 'none'. */
  readonly serial: readonly SerialPort[];
  private stateNow: MachineState = 'created';
  private runPromise: Promise<MachineExit> | undefined;
  private exitResult: MachineExit | undefined;
  private userDevices = 0;

  constructor(config: CreateMachineConfig = {}, options: MachineOptions = {}) {
    super();
    checkObject('config', config);
    const full: MachineConfig = { ...defaultMachineConfig(), ...config };
    const ports: SerialPort[] = [];
    if (full.serial !== 'none') {
      const userSerial = full.serial;
      checkObject('config.serial', userSerial as unknown);
      const port = new SerialPort(0);
      ports.push(port);
      if (userSerial.input !== undefined) {
        if (typeof (userSerial.input as { pipe?: unknown }).pipe !== 'function') fail('config.serial.input must be a readable stream');
        userSerial.input.pipe(port.toGuest);
      }
      if (userSerial.output !== undefined) checkFunction('config.serial.output', userSerial.output);
      full.serial = {
        output: (data) => {
          userSerial.output?.(data);
          port.deliver(data);
          if (this.listenerCount('serial') > 0) this.emit('serial', Buffer.from(data), 0);
        },
        input: port.toGuest,
      };
    }
    this.serial = ports;
    // validateMachineConfig (in the Machine) checks the rest and names the field.
    this.machine = new Machine(full, options);
    this.machine.events.on('pause', () => this.onPause());
    this.machine.events.on('resume', () => {
      if (this.stateNow === 'paused') this.stateNow = 'running';
      this.emit('resume');
    });
    this.machine.events.on('reset', () => this.emit('reset'));
    this.machine.events.on('device-deleted', (info) => this.emit('device-deleted', info));
    this.machine.events.on('suspend', () => this.emit('suspend'));
    this.machine.events.on('wakeup', () => this.emit('wakeup'));
  }

  get state(): MachineState {
    return this.stateNow;
  }

  /** The exit once the run ended, undefined before. */
  get exit(): MachineExit | undefined {
    return this.exitResult;
  }

  get cpuCount(): number {
    return this.machine.vcpus.length;
  }

  /** Hyper-V hypercalls the guest completed, by purpose (undefined without hv-* flags): which enlightenments it uses. */
  hypervHypercallCounts(): HypervHypercallCounts | undefined {
    return this.machine.hyperv?.hypercalls.counts();
  }

  /** Starts the vCPUs; the promise resolves with the exit when the run ends (also the 'exit' event). */
  start(): Promise<MachineExit> {
    this.expectState('start()', ['created']);
    this.stateNow = 'running';
    this.runPromise = this.machine
      .run()
      .then(
        (exit) => exit,
        (err: unknown): MachineExit => ({ status: 1, reason: 'error', message: `host error in the machine: ${(err as Error).message}` }),
      )
      // Guest output pushed in the last slice reaches stream readers on a later tick; let it flow
      // before the exit is announced, so everything the guest printed is read by then.
      .then((exit) => new Promise<MachineExit>((resolve) => setImmediate(() => resolve(exit))))
      .then((exit) => this.onExit(exit));
    return this.runPromise;
  }

  /** Resolves with the exit once the run ends (started or not yet). */
  waitForExit(): Promise<MachineExit> {
    if (this.exitResult !== undefined) return Promise.resolve(this.exitResult);
    return new Promise((resolve) => this.once('exit', resolve));
  }

  /**
   * Stops the vCPUs at the next slice boundary and resolves once they are out of the backend
   * ('stop' event). Guest time does not advance while paused. Resolves at once when already paused.
   */
  pause(): Promise<void> {
    if (this.stateNow === 'paused') return Promise.resolve();
    this.expectState('pause()', ['running']);
    return new Promise((resolve, reject) => {
      const onStop = (): void => {
        this.off('exit', onExit);
        resolve();
      };
      const onExit = (): void => {
        this.off('stop', onStop);
        reject(new MachineStateError('pause(): the machine exited before it paused', 'exited'));
      };
      this.once('stop', onStop);
      this.once('exit', onExit);
      this.machine.pause();
    });
  }

  /** Runs a paused machine again ('resume' event); guest time continues from the pause. */
  resume(): void {
    this.expectState('resume()', ['paused']);
    // From here on the vCPUs may run at any moment: registers and memory are off limits at once.
    this.stateNow = 'running';
    this.machine.resume();
  }

  /** System reset (devices to power-on state, vCPU INIT, kernel reloaded); a running machine keeps running. */
  async reset(): Promise<void> {
    this.expectState('reset()', ['created', 'running', 'paused']);
    if (this.stateNow !== 'running') {
      this.machine.reset();
      return;
    }
    // Reset only at a slice boundary, never under a vCPU in the middle of an exit.
    await this.pause();
    this.machine.reset();
    this.machine.resume();
  }

  /** Ends the run ({ reason: 'stopped', status: 0 }) and resolves with the exit. */
  stop(): Promise<MachineExit> {
    this.expectNotDestroyed('stop()');
    if (this.stateNow === 'created') {
      this.onExit({ status: 0, reason: 'stopped' });
      return Promise.resolve(this.exitResult!);
    }
    if (this.stateNow !== 'exited') this.machine.stop();
    return this.waitForExit();
  }

  /** Gives the VM's memory back. The machine must not be running. */
  destroy(): void {
    if (this.stateNow === 'destroyed') return;
    this.expectState('destroy()', ['created', 'exited']);
    this.machine.destroy();
    this.stateNow = 'destroyed';
    for (const port of this.serial) port.destroy();
  }

  /** A copy of guest-physical memory [gpa, gpa+length); throws GuestMemoryError outside RAM. */
  readPhysical(gpa: number | bigint, length: number): Buffer {
    this.expectStopped('readPhysical()');
    const at = checkAddress('gpa', gpa);
    const len = checkInt('length', length, 0, Number.MAX_SAFE_INTEGER);
    const bytes = this.machine.memory.subarray(at, len);
    return Buffer.from(bytes);
  }

  /** Writes guest-physical memory; decoded instructions of the range are dropped so the CPU runs the new bytes. */
  writePhysical(gpa: number | bigint, bytes: Uint8Array): void {
    this.expectStopped('writePhysical()');
    const at = checkAddress('gpa', gpa);
    if (!(bytes instanceof Uint8Array)) fail(`bytes must be a Uint8Array or Buffer, got ${describeValue(bytes)}`);
    this.machine.memory.write(at, bytes);
  }

  getRegisters(cpu = 0): Registers {
    this.expectStopped('getRegisters()');
    return readRegisters(this.vcpuAt(cpu));
  }

  /** Sets general-purpose registers, rip, rflags (bigint or integer number values) and cs/ds/es/fs/gs/ss. */
  setRegisters(cpu: number, registers: RegisterUpdate): void {
    this.expectStopped('setRegisters()');
    writeRegisters(this.vcpuAt(cpu), registers);
  }

  /**
   * Hot-plugs a PCI device into a free slot of bus 0 (or options.addr) and tells the guest through
   * ACPI; the guest assigns its BARs. Throws ApiArgumentError for bad options and PciHotplugError
   * when the machine cannot take the device (duplicate id, no free slot, host device refused).
   */
  deviceAdd(options: DeviceAddOptions): HotplugDeviceInfo {
    this.expectState('deviceAdd()', ['created', 'running', 'paused']);
    return this.machine.pciHotplug.add(checkDeviceAddOptions(options));
  }

  /**
   * Asks the guest to eject the hot-plugged device with this id (or QOM path). The device goes
   * away, and 'device-deleted' fires, once the guest's ACPI _EJ0 says it let go of it.
   */
  deviceDel(id: string): void {
    this.expectState('deviceDel()', ['created', 'running', 'paused']);
    if (typeof id !== 'string') fail(`id must be a string, got ${describeValue(id)}`);
    this.machine.pciHotplug.remove(id);
  }

  /** The guest is suspended to RAM (ACPI S3). */
  get suspended(): boolean {
    return this.machine.suspended;
  }

  /**
   * Wakes a guest suspended to RAM (QMP system_wakeup): it resumes at the waking vector it
   * left in the FACS. Throws MachineStateError when the guest is not suspended.
   */
  wakeup(): void {
    this.expectState('wakeup()', ['running', 'paused']);
    if (!this.machine.wakeup()) throw new MachineStateError('wakeup(): the guest is not suspended', this.stateNow);
  }

  /** The hot-plugged devices still on the bus. */
  hotpluggedDevices(): HotplugDeviceInfo[] {
    return this.machine.pciHotplug.list();
  }

  /** A port-I/O device at ports [base, base+length), before start(). */
  addPioDevice(base: number, length: number, handler: UserPioHandler, name?: string): void {
    this.expectState('addPioDevice()', ['created']);
    checkInt('base', base, 0, 0xffff);
    checkInt('length', length, 1, 0x10000);
    if (base + length > 0x10000) fail(`ports 0x${base.toString(16)}+${length} run past 0xffff`);
    checkHandler('handler', handler);
    this.machine.pio.register(base, length, new UserPioDevice(this.deviceName(name), handler));
  }

  /** An MMIO device at guest-physical [base, base+length) outside RAM, before start(). */
  addMmioDevice(base: number | bigint, length: number, handler: UserMmioHandler, name?: string): void {
    this.expectState('addMmioDevice()', ['created']);
    const at = checkAddress('base', base);
    checkInt('length', length, 1, Number.MAX_SAFE_INTEGER);
    if (at < this.machine.config.memoryBytes) {
      fail(`MMIO base 0x${at.toString(16)} lies in guest RAM (0..0x${this.machine.config.memoryBytes.toString(16)}); choose an address above it`);
    }
    if (at + length > 2 ** 52) fail(`MMIO range 0x${at.toString(16)}+0x${length.toString(16)} is beyond the 52-bit physical address space`);
    // Each vCPU's local APIC page is decoded before the MMIO bus, so a device there would never be reached.
    if (at < LOCAL_APIC_DEFAULT_BASE + LOCAL_APIC_PAGE && LOCAL_APIC_DEFAULT_BASE < at + length) {
      fail(`MMIO range 0x${at.toString(16)}+0x${length.toString(16)} overlaps the local APIC page at 0x${LOCAL_APIC_DEFAULT_BASE.toString(16)}`);
    }
    checkHandler('handler', handler);
    this.machine.mmio.register(at, length, new UserMmioDevice(this.deviceName(name), handler));
  }

  /** Handles RDMSR/WRMSR of MSRs first..last (inclusive) in JavaScript, before start(). */
  addMsrHandler(first: number, last: number, hook: MsrHook): void {
    this.expectState('addMsrHandler()', ['created']);
    checkInt('first', first, 0, 0xffff_ffff);
    checkInt('last', last, first, 0xffff_ffff);
    checkHandler('hook', hook);
    const registry = (this.machine as unknown as { msrs?: MsrRegistryLike }).msrs;
    if (registry === undefined) throw new MachineStateError('addMsrHandler(): this machine has no MSR registry', this.stateNow);
    registry.register(first, last, {
      read: (vcpu, index) => {
        if (hook.read === undefined) return undefined;
        const value = hook.read(index, vcpu.id);
        return value === undefined ? undefined : checkU64(`MSR 0x${index.toString(16)} read hook result`, value);
      },
      write: (vcpu, index, value) => (hook.write === undefined ? false : hook.write(index, value, vcpu.id) !== false),
    });
  }

  /** Handles VMCALL/VMMCALL in JavaScript (replacing any paravirtual handler); null puts back #UD. */
  setHypercallHandler(hook: HypercallHook | null): void {
    this.expectNotDestroyed('setHypercallHandler()');
    if (hook !== null) checkFunction('hook', hook);
    const slot = (this.machine as unknown as { hypercalls?: HypercallsLike }).hypercalls;
    if (slot === undefined) throw new MachineStateError('setHypercallHandler(): this machine has no hypercall slot', this.stateNow);
    if (hook === null) {
      slot.setHandler(null);
      return;
    }
    slot.setHandler((vcpu, kind) => {
      const result = hook({
        cpu: vcpu.id,
        instruction: kind === HYPERCALL_VMMCALL ? 'vmmcall' : 'vmcall',
        rax: vcpu.rax,
        rbx: vcpu.rbx,
        rcx: vcpu.rcx,
        rdx: vcpu.rdx,
        rsi: vcpu.rsi,
        rdi: vcpu.rdi,
      });
      if (result === RAISE_UD) {
        vcpu.rip = vcpu.rip - BigInt(vcpu.hypercallInsnLength);
        vcpu.raiseException(VECTOR_UD);
      } else if (result !== undefined) {
        vcpu.rax = checkU64('hypercall hook result', result);
      }
    });
  }

  private onPause(): void {
    if (this.stateNow !== 'running') return;
    this.stateNow = 'paused';
    this.emit('stop');
  }

  private onExit(exit: MachineExit): MachineExit {
    if (this.exitResult !== undefined) return this.exitResult;
    this.exitResult = exit;
    this.stateNow = 'exited';
    for (const port of this.serial) port.close();
    this.emit('exit', exit);
    return exit;
  }

  private vcpuAt(cpu: number): Vcpu {
    checkInt('cpu', cpu, 0, this.machine.vcpus.length - 1);
    return this.machine.vcpus[cpu]!;
  }

  private deviceName(name: string | undefined): string {
    if (name !== undefined && typeof name !== 'string') fail(`name must be a string, got ${describeValue(name)}`);
    return name ?? `user-device-${this.userDevices++}`;
  }

  private expectState(what: string, allowed: readonly MachineState[]): void {
    if (!allowed.includes(this.stateNow)) {
      throw new MachineStateError(`${what} is not possible while the machine is ${this.stateNow} (needs: ${allowed.join(' or ')})`, this.stateNow);
    }
  }

  private expectNotDestroyed(what: string): void {
    this.expectState(what, ['created', 'running', 'paused', 'exited']);
  }

  /** Registers and memory are only touched with the vCPUs out of the backend. */
  private expectStopped(what: string): void {
    this.expectState(what, ['created', 'paused', 'exited']);
  }
}

/** Builds a machine from a config (fields left out take defaultMachineConfig()'s values). Nothing runs until start(). */
export function createMachine(config: CreateMachineConfig = {}, options: MachineOptions = {}): VirtualMachine {
  return new VirtualMachine(config, options);
}
