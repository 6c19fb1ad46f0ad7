/**
 * tsvisor's Node entry point: build a MachineConfig (by hand, from
 * defaultMachineConfig(), or from QEMU-style argv with fromQemuArgs), hand it
 * to a Machine and await its exit.
 */
export { Machine } from './machine/machine.js';
export type { MachineExit } from './machine/machine.js';
export { defaultMachineConfig, validateMachineConfig } from './machine/config.js';
export type { MachineConfig, AccelName, SerialConfig, DeviceConfig, IsaDebugExitConfig, PcTestdevConfig, ClockConfig } from './machine/config.js';
export { MachineConfigError, KernelLoadError, BusConflictError } from './machine/errors.js';
export { BackendUnavailableError, HypervisorArgumentError } from './hypervisor/errors.js';
export { fromQemuArgs, parseQemuArgs, toMachineConfig, QemuArgsError } from './qemu-compat/index.js';
export type { HostEnvironment, QemuInvocation } from './qemu-compat/index.js';
export { createMachine, VirtualMachine, RAISE_UD, ApiArgumentError, MachineStateError, SerialPort, WRITABLE_REGISTERS, WRITABLE_SEGMENTS } from './api/index.js';
export type {
  CreateMachineConfig,
  MachineState,
  VirtualMachineEvents,
  HypercallHook,
  HypercallInfo,
  MsrHook,
  Registers,
  RegisterUpdate,
  UserPioHandler,
  UserMmioHandler,
} from './api/index.js';
export type { HypervHypercallCounts } from './hyperv/hypercalls.js';
export { GuestMemoryError } from './machine/guest-memory.js';
export { PciHotplugError } from './devices/pci/pci-hotplug.js';
export type { HotplugDeviceInfo, HotplugDeviceSpec, PciHotplugErrorCode } from './devices/pci/pci-hotplug.js';
export type { DeviceAddOptions } from './api/hotplug-spec.js';
export { demoGuestPath } from './api/demo-guest.js';
export { QmpServer, QmpError, MonitorTarget, HumanMonitor } from './qmp/index.js';
