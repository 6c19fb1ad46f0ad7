/**
 * Machine: a PC with N vCPUs (their local APICs on one APIC bus), RAM, the port-I/O and MMIO buses, the
 * virtual clock, the legacy devices of this version and a multiboot kernel.
 *
 *   const m = new Machine({ ...defaultMachineConfig(), kernel: 'k.elf' });
 *   const exit = await m.run();   // { status, reason, message? }
 */
import { EventEmitter } from 'node:events';
import type { NativeAddon } from '../hypervisor/native-types.js';
import type { Vcpu } from '../hypervisor/vcpu.js';
import { createVm, type Vm } from '../hypervisor/vm.js';
import { FwCfg } from '../devices/fw-cfg.js';
import { IsaDebugExit } from '../devices/isa-debug-exit.js';
import { PcTestdev } from '../devices/pc-testdev.js';
import { Port80 } from '../devices/port80.js';
import { Uart16550 } from '../devices/uart16550.js';
import { PlatformDevices } from './platform-devices.js';
import { ACPI_PCI_HOTPLUG_BASE, COM_PORT_COUNT, GPE_PCI_HOTPLUG, IRQ_COM1, MP_TABLE_BASE, PORT_COM1, PORT_POST } from './addresses.js';
import { Clock } from './clock.js';
import { DEFAULT_HPET, validateMachineConfig, type MachineConfig } from './config.js';
import { BusConflictError, MachineConfigError } from './errors.js';
import { buildCpuidTable } from './cpuid.js';
import { e820Map, encodeE820Table } from './e820.js';
import { GuestMemory } from './guest-memory.js';
import { IrqLines } from './irq.js';
import type { MachineExit } from './machine-exit.js';
import { kernelFwCfgItems, loadKernelFilesWithImages, setKernelEntryState, type KernelBoot } from './loaders/kernel-loader.js';
import { buildPcAcpiTables, buildPcMpTables } from './firmware/pc-acpi.js';
import { readWakeEntry, setWakeEntryState } from './acpi-wake.js';
import type { AcpiLayout } from './firmware/acpi.js';
import { createPcPci, type PcPci } from '../devices/pci/pc-pci.js';
import { PciTestdev } from '../devices/pci/pci-testdev.js';
import { PciAssignments } from '../devices/pci/assigned/assignments.js';
import { PciHotplug, type HotplugDeviceInfo } from '../devices/pci/pci-hotplug.js';
import { MmioBus } from './mmio-bus.js';
import { PioBus } from './pio-bus.js';
import { RunLoop, VcpuRunState, type InterruptSource } from './run-loop.js';
import { Hypercalls } from './hypercalls.js';
import type { LegacyInterruptController } from './interrupt-types.js';
import { LocalApics } from './local-apics.js';
import { MsrRegistry } from './msr-registry.js';
import type { CpuidEntry } from '../hypervisor/vm.js';
import { Hyperv, HYPERV_CRASH_EXIT_STATUS } from '../hyperv/hyperv.js';
import { hypervCpuidLeaves } from '../hyperv/cpuid-leaves.js';
import { resolveHypervFeatures } from '../hyperv/features.js';
import { describeCrash } from '../hyperv/vp-registers.js';
import { APIC_BUS_HZ, REG_IRR } from '../devices/lapic-registers.js';
import { HypervTestdev, HYPERV_TESTDEV_PORT, HYPERV_TESTDEV_PORT_COUNT } from '../devices/hyperv-testdev.js';
import { hypervisorLeaves, resolveCpuSelection, type CpuSelectionResult } from '../paravirt/cpu-selection.js';
import { hypercallPageCode } from '../hypervisor/hypercall-trap.js';
import { cpuSelectionForBackend } from './kvm-backend-limits.js';
import { KvmParavirt } from '../paravirt/kvm-paravirt.js';
import { rtcStartSeconds } from '../devices/mc146818-rtc.js';
import { GuestLog } from './guest-log.js';

export type { MachineExit } from './machine-exit.js';

export interface MachineOptions {
  /** An addon-shaped backend to use instead of the native addon (tests). */
  addon?: NativeAddon;
}

const RAM_SLOT = 0;

/** The run loop's result while pause() holds the machine (compared by identity, never returned). */
const PAUSE_EXIT: MachineExit = { status: 0, reason: 'stopped', message: 'paused' };

/** Events of Machine.events: the run pausing and resuming, and every system reset. */
export interface MachineEvents {
  pause: [];
  resume: [];
  reset: [];
  /** The guest shut down (power-off, or a reset under noReboot); with noShutdown a pause follows. */
  'guest-shutdown': [exit: MachineExit];
  /** The guest entered ACPI S3: the vCPUs are off until wakeup(). */
  suspend: [];
  /** The machine left S3 (wakeup(), or the RTC alarm): the BSP runs from the OS's waking vector. */
  wakeup: [];
  /** A hot-plugged PCI device left the bus (the guest ejected it). */
  'device-deleted': [device: HotplugDeviceInfo];
}

export class Machine {
  readonly config: MachineConfig;
  readonly vm: Vm;
  readonly vcpus: readonly Vcpu[];
  /** Guest RAM from guest-physical 0, zero-copy. Code written here directly needs vm.invalidateCode. */
  readonly ram: Uint8Array;
  /** Bounds-checked guest RAM access that keeps the CPU's decoded code coherent. */
  readonly memory: GuestMemory;
  readonly pio = new PioBus();
  readonly mmio = new MmioBus();
  readonly irqs = new IrqLines(24);
  readonly clock: Clock;
  readonly port80 = new Port80();
  readonly fwCfg: FwCfg;
  readonly uart: Uart16550 | undefined;
  readonly testdev: PcTestdev | undefined;
  /** How the kernel was loaded (undefined without a kernel). */
  boot: KernelBoot | undefined;
  /** PCI bus 0, its host bridge and configuration ports. */
  readonly pci: PcPci;
  /** Host PCI functions assigned to the guest (-pcidevice, -device vfio-pci). */
  readonly assignedPci: PciAssignments;
  /** The ACPI tables in guest RAM (rewritten at every reset). */
  readonly acpi: AcpiLayout;
  /** The MP specification tables at MP_TABLE_BASE (rewritten at every reset). */
  readonly mpTable: Uint8Array;
  /** System resets performed (triple faults without noReboot). */
  resets = 0;
  /** MSR ranges that exit to TypeScript, with their handlers (x2APIC, TSC deadline, Hyper-V, KVM...). */
  readonly msrs: MsrRegistry;
  /** VMCALL/VMMCALL handler (default #UD). */
  readonly hypercalls = new Hypercalls();
  /** Hyper-V enlightenments (undefined unless some hv-* -cpu flag is on). */
  readonly hyperv: Hyperv | undefined;
  /** The local APICs (one per vCPU, APIC ID = index) and the APIC bus. */
  readonly localApics: LocalApics;
  /** The legacy PC devices: 8259 pair, IOAPIC, PIT, port 0x61, RTC/CMOS, i8042, ACPI PM and GPE0. */
  readonly platform: PlatformDevices;
  /** PCI hot plug on bus 0 through ACPI (device_add/device_del). */
  readonly pciHotplug: PciHotplug;
  /** KVM's paravirtual interfaces (kvmclock, hypercalls), as -cpu advertises them. */
  readonly paravirt: KvmParavirt;
  /** The -cpu model and flags, resolved (core features removed, KVM features, Hyper-V on). */
  readonly cpu: CpuSelectionResult;
  /** One CPUID table per vCPU (they differ in the APIC IDs); the backend holds one per VM. */
  private readonly cpuidTables: CpuidEntry[][];
  private cpuidInstalled = 0;
  private readonly loop: RunLoop;
  /** -d logging (undefined without config.log). */
  private readonly guestLog: GuestLog | undefined;
  private readonly resettable: Array<{ reset(): void }> = [];
  private started = false;
  private ended = false;
  private detachInput: (() => void) | undefined;
  /** 'pause' is emitted once the vCPUs are out of the backend, 'resume' when they run again. */
  readonly events = new EventEmitter<MachineEvents>();
  private pauseRequested = false;
  private pausedNow = false;
  private wakeFromPause: (() => void) | undefined;
  private suspendedNow = false;
  private exitWhilePaused: MachineExit | undefined;

  constructor(config: MachineConfig, options: MachineOptions = {}) {
    validateMachineConfig(config);
    this.config = config;
    this.vm = createVm({ accel: config.accel, addon: options.addon });
    let assignedPci: PciAssignments | undefined;
    try {
      const hostNow = (): bigint => this.vm.hostMonotonicNs();
      this.clock = new Clock(this.vm.clockState, config.clock, hostNow, this.vm.backendTscKhz());
      // Guest time starts at 0 when run() starts, not when the machine is built.
      this.clock.pause();

      const ramBuffer = this.vm.allocateMemory(config.memoryBytes);
      this.ram = new Uint8Array(ramBuffer);
      this.memory = new GuestMemory(this.ram, (gpa, length) => this.vm.invalidateCode(gpa, length));
      this.vm.setMemoryRegion(RAM_SLOT, 0, config.memoryBytes, ramBuffer, 0, 0);
      this.msrs = new MsrRegistry((ranges) => this.vm.setMsrExitRanges(ranges));
      this.cpuidTables = [];
      this.cpu = cpuSelectionForBackend(resolveCpuSelection(config.cpuModel, config.cpuFlags), config.accel);
      // Hyper-V's leaves (0x40000000-0x4000000A) when any hv-* flag is on; KVM's go after them.
      const hvFeatures = resolveHypervFeatures(this.cpu.flags);
      const hvLeaves = hypervisorLeaves(this.cpu, hvFeatures !== undefined ? hypervCpuidLeaves(hvFeatures, { vcpus: config.smp }) : []);
      const vcpus: Vcpu[] = [];
      for (let i = 0; i < config.smp; i++) {
        this.cpuidTables.push(
          buildCpuidTable({
            apicId: i, logicalProcessors: config.smp, model: config.cpuModel, features: this.cpu.coreFeatures, hypervisorLeaves: hvLeaves,
            tscKhz: this.clock.tscKhz, crystalHz: APIC_BUS_HZ,
          }),
        );
        vcpus.push(this.vm.createVcpu(i));
      }
      this.vm.setCpuid(this.cpuidTables[0]!);
      this.vcpus = vcpus;

      // Devices.
      this.pio.register(PORT_POST, 1, this.port80);
      this.resettable.push(this.port80);
      if (config.serial !== 'none') {
        this.uart = new Uart16550(this.irqs.line(IRQ_COM1), config.serial.output, 'serial0 (COM1)', this.clock);
        this.pio.register(PORT_COM1, COM_PORT_COUNT, this.uart);
        this.resettable.push(this.uart);
      }
      this.fwCfg = new FwCfg({
        ramBytes: config.memoryBytes,
        cpus: config.smp,
        files: [{ name: 'etc/e820', data: encodeE820Table(e820Map(config.memoryBytes)) }],
      });
      this.fwCfg.attach(this.pio);
      this.pci = createPcPci(this.pio, this.mmio, this.irqs, () => this.onResetRequest());
      this.resettable.push(this.pci);
      this.assignedPci = assignedPci = new PciAssignments({
        vm: this.vm,
        bus: this.pci.bus,
        mmio: this.mmio,
        sysfsRoot: config.pciSysfsRoot,
        vfioRoot: config.vfioRoot,
        ram: { buffer: ramBuffer, size: config.memoryBytes },
        stopMachine: (message) => {
          this.finish({ status: 1, reason: 'error', message });
          for (const v of this.vcpus) v.requestImmediateExit(true);
        },
      });
      // Before the configured devices: those with an id can be removed by device_del.
      this.pciHotplug = new PciHotplug({
        bus: this.pci.bus,
        assignments: this.assignedPci,
        raiseGpe: () => this.platform.gpe0.raise(GPE_PCI_HOTPLUG),
        deleted: (info) => this.events.emit('device-deleted', info),
      });
      this.pciHotplug.registers.attach(this.pio, ACPI_PCI_HOTPLUG_BASE);
      this.resettable.push(this.pciHotplug);
      this.acpi = buildPcAcpiTables(config.smp, { s3: config.disableS3 !== true, hpet: config.hpet ?? DEFAULT_HPET });
      this.mpTable = buildPcMpTables(config.smp);
      for (const dev of config.devices) {
        try {
          if (dev.driver === 'hyperv-testdev') {
            // Attached with Hyper-V below: it drives the SynIC.
          } else if (dev.driver === 'pci-testdev') {
            const testdev = new PciTestdev();
            this.pci.bus.attach(testdev);
            if (dev.id !== undefined) this.pciHotplug.adopt(testdev, dev.id, 'pci-testdev');
          } else if (dev.driver === 'vfio-pci') {
            const assigned = this.assignedPci.attach(dev);
            if (dev.id !== undefined) this.pciHotplug.adopt(assigned, dev.id, 'vfio-pci');
          } else if (dev.driver === 'isa-debug-exit') {
            this.pio.register(dev.iobase, dev.iosize, new IsaDebugExit((status) => this.loop.finish({ status, reason: 'debug-exit' })));
          } else {
            const testdev = new PcTestdev(this.irqs, (page) => this.vm.invalidateCode(page, 4096));
            testdev.attach(this.pio, this.mmio);
            this.testdev = testdev;
          }
        } catch (err) {
          // A configured device colliding with another is a configuration error the user can fix.
          if (err instanceof BusConflictError) throw new MachineConfigError(`-device ${dev.driver}: ${err.message}`);
          throw err;
        }
      }

      this.loop = new RunLoop(
        this.vcpus,
        this.pio,
        this.mmio,
        this.clock,
        hostNow,
        {
          shutdown: () => this.onTripleFault(),
          flush: () => this.uart?.flush(),
          beforeSlice: (i) => {
            if (config.smp > 1) this.installCpuid(i);
            this.paravirt.beforeSlice(i);
          },
        },
        { msrs: this.msrs, hypercalls: this.hypercalls },
      );
      if (config.log !== undefined) {
        this.guestLog = new GuestLog(config.log);
        this.guestLog.tap({ vcpus: this.vcpus, loop: this.loop, pio: this.pio, mmio: this.mmio, msrs: this.msrs, hypercalls: this.hypercalls });
      }
      this.localApics = new LocalApics(this.vcpus, this.clock, this.loop, this.msrs, {
        x2apic: this.cpu.coreFeatures.has('x2apic'),
        tscDeadline: this.cpu.coreFeatures.has('tsc-deadline'),
      });
      // PCI MSI/MSI-X messages go to the local APICs.
      this.pci.bus.apicBus = this.localApics.bus;
      // Before the IOAPIC's listener (wirePlatformDevices): an EOI lowers VFIO INTx lines first, so a
      // line the device no longer asserts does not fire again.
      this.localApics.bus.addEoiListener(() => this.assignedPci.eoi());
      this.platform = this.wirePlatformDevices();
      if (hvFeatures !== undefined) this.hyperv = this.wireHyperv(hvFeatures);
      // After Hyper-V: its hypercall provider (page enabled) must see VMCALL before KVM's, which takes the rest.
      this.paravirt = new KvmParavirt({
        vcpus: this.vcpus,
        clock: this.clock,
        memory: this.memory,
        msrs: this.msrs,
        hypercalls: this.hypercalls,
        apicBus: this.localApics.bus,
        flags: this.cpu.kvm,
        wallClockEpochSeconds: () => this.wallClockAtGuestZero(),
        runnable: (i) => this.loop.slots[i]!.state === VcpuRunState.Runnable,
        waker: {
          isHalted: (i) => this.loop.slots[i]!.state === VcpuRunState.Halted,
          wake: (i) => {
            this.loop.setRunState(i, VcpuRunState.Runnable);
            this.loop.kick();
          },
        },
        ramWords: new Uint32Array(ramBuffer),
        invalidateCode: (gpa, length) => this.vm.invalidateCode(gpa, length),
        // No per-page TLB flush reaches TypeScript: re-setting the RAM slot drops every vCPU's TLB (and decoded code).
        flushAllTlbs: () => this.vm.setMemoryRegion(RAM_SLOT, 0, config.memoryBytes, ramBuffer, 0, 0),
        // kvm has no per-vCPU flush from user space: flushing every vCPU is a superset.
        flushVcpuTlb: (i) => {
          if (!this.vcpus[i]!.flushTlb()) this.vm.setMemoryRegion(RAM_SLOT, 0, config.memoryBytes, ramBuffer, 0, 0);
        },
        apics: this.localApics.apics,
      });
      // kvm-msi-ext-dest-id: MSI address bits 11:5 (and IOAPIC entry bits 55:49) carry APIC ID bits 14:8.
      const extendedDestId = this.cpu.kvm.has('kvm-msi-ext-dest-id');
      this.pci.bus.msiExtendedDestId = extendedDestId;
      this.platform.ioapic.extendedDestId = extendedDestId;
      this.events.on('resume', () => this.paravirt.resumed());
      this.resettable.push(this.paravirt);
      if (config.devices.some((d) => d.driver === 'hyperv-testdev')) this.attachHypervTestdev();
      this.loadKernel();
    } catch (err) {
      assignedPci?.release();
      this.vm.destroy(); // a machine that cannot be built gives its memory back at once
      throw err;
    }
  }

  /** Seconds since the epoch at guest time 0: the -rtc base= date, or the host's real time minus the guest time elapsed. */
  private wallClockAtGuestZero(): number {
    const base = this.config.rtcBase ?? 'utc';
    if (base !== 'utc' && base !== 'localtime') return rtcStartSeconds(base); // a fixed date: reproducible
    const nowMs = Date.now();
    const zoneShift = rtcStartSeconds(base, nowMs) - rtcStartSeconds('utc', nowMs);
    return nowMs / 1000 + zoneShift - this.clock.nowNs() / 1e9;
  }

  get vcpu(): Vcpu {
    return this.vcpus[0]!;
  }

  get halted(): boolean {
    return this.loop.halted;
  }

  /** Exits handled by the run loop so far. */
  get exitCount(): number {
    return this.loop.exits;
  }

  /** Replaces the BSP's interrupt source (its local APIC) with another (tests); null = none. */
  setInterruptSource(source: InterruptSource | null): void {
    this.loop.interruptSource = source;
    this.loop.kick();
  }

  /** The 8259 pair: LINT0 of every local APIC (ExtINT on the BSP), the CPU's INTR with the APIC disabled. */
  setLegacyInterruptController(pic: LegacyInterruptController): void {
    this.localApics.connectLegacy(pic);
  }

  /** The legacy platform devices; the 8259 pair becomes every local APIC's LINT0 (and INTR with the APIC off). */
  private wirePlatformDevices(): PlatformDevices {
    const platform = new PlatformDevices({
      pio: this.pio,
      mmio: this.mmio,
      irqs: this.irqs,
      clock: this.clock,
      apicBus: this.localApics.bus,
      ramBytes: this.config.memoryBytes,
      rtcBase: this.config.rtcBase ?? 'utc',
      hpet: this.config.hpet ?? DEFAULT_HPET,
      requestReset: () => this.onResetRequest(), // a guest-requested reset honours noReboot like a triple fault
      powerOff: () => this.guestShutdown({ status: 0, reason: 'poweroff' }),
      vectorPending: (vector) =>
        this.localApics.bus.apics.some((a) => (((a.readRegister(REG_IRR + ((vector >> 5) << 4)) ?? 0) >>> (vector & 31)) & 1) === 1),
      ...(this.config.disableS3 === true ? {} : { suspend: () => this.enterS3() }),
      rtcWake: () => this.wakeup(),
    });
    this.resettable.push(...platform.resettable);
    this.setLegacyInterruptController(platform.pic);
    return platform;
  }

  /** Hyper-V's MSRs and hypercalls (lib/hyperv); its page state goes back to 0 at every reset. */
  private wireHyperv(features: NonNullable<ReturnType<typeof resolveHypervFeatures>>): Hyperv {
    const hyperv = new Hyperv(features, {
      vcpus: this.vcpus,
      memory: this.memory,
      clock: this.clock,
      msrs: this.msrs,
      hypercalls: this.hypercalls,
      apicFrequencyHz: APIC_BUS_HZ,
      crash: (report) => this.loop.finish({ status: HYPERV_CRASH_EXIT_STATUS, reason: 'crash', message: describeCrash(report) }),
      reset: () => this.onResetRequest(), // like 0xCF9: honours noReboot
      // Ends the running slice the way an interrupt for another vCPU does, so a spinning vCPU hands over.
      yieldVcpu: () => this.loop.interruptRaised(-1),
      apics: this.localApics.apics,
      // Re-setting the RAM slot drops every vCPU's TLB (and decoded code): the backend's only flush from here.
      flushTlbs: () => this.vm.setMemoryRegion(RAM_SLOT, 0, this.config.memoryBytes, this.ram.buffer as ArrayBuffer, 0, 0),
      hypercallPageCode: hypercallPageCode(this.vm.accel),
    });
    this.resettable.push(hyperv);
    this.events.on('resume', () => hyperv.clockChanged());
    return hyperv;
  }

  private attachHypervTestdev(): void {
    const synic = this.hyperv?.synic;
    if (synic === undefined) throw new MachineConfigError('-device hyperv-testdev needs the hv-synic -cpu flag');
    const dev = new HypervTestdev(synic, this.hyperv!.connections);
    this.pio.register(HYPERV_TESTDEV_PORT, HYPERV_TESTDEV_PORT_COUNT, dev);
    this.resettable.push(dev);
  }

  /** The interp backend answers CPUID from one table per VM: before a vCPU's slice its own table goes in. */
  private installCpuid(index: number): void {
    if (index === this.cpuidInstalled) return;
    this.vm.setCpuid(this.cpuidTables[index]!);
    this.cpuidInstalled = index;
  }

  /** Runs the machine until debug-exit, shutdown, stop() or an error. Can be called once. */
  async run(): Promise<MachineExit> {
    if (this.started) throw new Error('Machine.run() can only be called once');
    this.started = true;
    this.attachSerialInput();
    try {
      for (;;) {
        const exit = await this.loop.run();
        if (exit !== PAUSE_EXIT) return exit;
        // Paused: the clock stopped with the loop; registers and RAM are safe to touch until resume().
        this.pausedNow = true;
        this.events.emit('pause');
        // A pause() right after resume() (before this loop got to run) keeps the machine paused.
        while (this.pauseRequested) await new Promise<void>((resolve) => (this.wakeFromPause = resolve));
        this.pausedNow = false;
        if (this.exitWhilePaused !== undefined) return this.exitWhilePaused;
        this.loop.result = undefined;
        this.events.emit('resume');
      }
    } finally {
      this.ended = true;
      this.detachInput?.();
    }
  }

  /** Releases the backend VM. RAM views (machine.ram) must not be used afterwards. */
  destroy(): void {
    if (this.loop.isRunning) throw new Error('Machine.destroy(): the machine is running; call stop() and await run() first');
    this.assignedPci.release();
    this.vm.destroy();
  }

  /** Ends the run at the next slice boundary with { reason: 'stopped', status: 0 }. */
  stop(): void {
    this.finish({ status: 0, reason: 'stopped' });
    for (const v of this.vcpus) v.requestImmediateExit(true);
  }

  /** Ends the run with a caller-chosen result (e.g. a test's timeout). */
  finish(exit: MachineExit): void {
    if (this.pauseRequested || this.pausedNow) {
      // The loop already ended (or ends) for the pause; run() returns this instead of resuming.
      this.exitWhilePaused ??= exit;
      this.pauseRequested = false;
      this.wakeFromPause?.();
      this.wakeFromPause = undefined;
      if (this.pausedNow) return;
    }
    this.loop.finish(exit);
  }

  /** The run is held by pause(): the vCPUs are outside the backend and guest time stands still. */
  get paused(): boolean {
    return this.pausedNow;
  }

  /** Between run() and the end of the run (paused or not). */
  get running(): boolean {
    return this.started && !this.ended;
  }

  /**
   * Holds the run at the next slice boundary; 'pause' is emitted once the vCPUs are out of the
   * backend. Guest time does not advance while paused. No effect unless the machine runs unpaused.
   */
  pause(): void {
    if (!this.running || this.pauseRequested) return;
    this.pauseRequested = true;
    if (this.pausedNow) {
      // Resumed but not yet running again: stay paused, and say so again.
      this.events.emit('pause');
      return;
    }
    this.loop.finish(PAUSE_EXIT);
    for (const v of this.vcpus) v.requestImmediateExit(true);
  }

  /** Continues a paused run; guest time continues from where the pause froze it. */
  resume(): void {
    if (!this.pauseRequested) return;
    this.pauseRequested = false;
    const wake = this.wakeFromPause;
    this.wakeFromPause = undefined;
    wake?.();
  }

  /** The guest is in ACPI S3 (suspend to RAM): vCPUs off, RAM and devices as they were. */
  get suspended(): boolean {
    return this.suspendedNow;
  }

  /**
   * SLP_EN with SLP_TYP = S3: every vCPU and its local APIC lose their state (INIT, power-on
   * APIC: no APIC timer runs on) and stop; RAM and the devices keep theirs, and guest time goes
   * on (so the RTC alarm can come).
   */
  private enterS3(): void {
    if (this.suspendedNow) return;
    this.suspendedNow = true;
    this.vcpus.forEach((_, i) => this.loop.initVcpu(i));
    this.localApics.powerOn();
    this.events.emit('suspend');
  }

  /**
   * Leaves S3 (QMP system_wakeup, or the RTC alarm with PM1 RTC_EN): WAK_STS is set, the local
   * APICs come up as at power-on and the BSP starts at the waking vector the OS put in the FACS
   * (acpi-wake.ts); APs wait for a startup IPI. Returns false when the machine is not suspended.
   */
  wakeup(): boolean {
    if (!this.suspendedNow) return false;
    this.suspendedNow = false;
    this.platform.acpiPm.wake();
    this.localApics.powerOn();
    setWakeEntryState(this.vcpu, readWakeEntry(this.memory, this.acpi.tables.FACS));
    this.loop.runAgain(0);
    this.events.emit('wakeup');
    return true;
  }

  /** System reset, as after a triple fault: devices to power-on state, vCPU INIT, kernel reloaded. */
  reset(cause = 'system reset'): void {
    this.guestLog?.cpuReset(this.vcpus, cause);
    this.resets++;
    this.suspendedNow = false;
    for (const d of this.resettable) d.reset();
    this.irqs.reset();
    for (const v of this.vcpus) v.reset();
    this.loop.resetState();
    this.localApics.powerOn();
    this.loadKernel();
    this.events.emit('reset');
  }

  /** The guest asked for a reset (0xCF9): like a triple fault, honouring noReboot. */
  private onResetRequest(): void {
    this.guestReset('reset requested by the guest');
  }

  private onTripleFault(): void {
    this.guestReset('triple fault');
  }

  private guestReset(cause: string): void {
    if (this.config.noReboot) {
      this.guestLog?.cpuReset(this.vcpus, `${cause} (-no-reboot: the machine shuts down)`);
      this.guestShutdown({ status: 0, reason: 'shutdown' });
    } else this.reset(cause);
  }

  /**
   * The guest powered off (or reset under noReboot): the run ends, or with noShutdown the machine
   * pauses, as QEMU's -no-shutdown does; 'guest-shutdown' says which exit it would have been.
   */
  private guestShutdown(exit: MachineExit): void {
    this.events.emit('guest-shutdown', exit);
    if (this.config.noShutdown === true) this.pause();
    else this.loop.finish(exit);
  }

  private loadKernel(): void {
    // Firmware tables first: the guest may have overwritten them before a reset.
    this.ram.set(this.acpi.bytes, this.acpi.base);
    this.vm.invalidateCode(this.acpi.base, this.acpi.bytes.length);
    this.ram.set(this.mpTable, MP_TABLE_BASE);
    this.vm.invalidateCode(MP_TABLE_BASE, this.mpTable.length);
    if (this.config.kernel === undefined) return;
    const { kernel, append, initrd } = this.config;
    const loaded = loadKernelFilesWithImages(this.ram, { kernel, append, initrd, rsdpAddress: this.acpi.rsdpAddress });
    this.boot = loaded.boot;
    for (const [key, data] of kernelFwCfgItems(loaded.boot, loaded.image, loaded.initrd)) this.fwCfg.setItem(key, data);
    // The backend may hold decoded instructions of what was in RAM before.
    this.vm.invalidateCode(0, this.ram.length);
    setKernelEntryState(this.vcpu, this.boot);
  }

  private attachSerialInput(): void {
    const serial = this.config.serial;
    if (serial === 'none' || serial.input === undefined || this.uart === undefined) return;
    const input = serial.input;
    const uart = this.uart;
    const onData = (chunk: Buffer | string): void => {
      uart.receive(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      this.loop.kick();
    };
    input.on('data', onData);
    this.detachInput = () => {
      input.removeListener('data', onData);
      input.pause();
    };
  }
}

/** Registered-device summary for diagnostics. */
export function describeBuses(m: Machine): string {
  const pio = m.pio.list().map((r) => `  io  0x${r.base.toString(16).padStart(4, '0')}+${r.length} ${r.name}`);
  const mmio = m.mmio.list().map((r) => `  mem 0x${r.base.toString(16)}+0x${r.length.toString(16)} ${r.name}`);
  return [...pio, ...mmio].join('\n');
}
