/** The public Node API over Machine: life cycle, events, streams, user devices and hooks, memory and registers. */
export { createMachine, VirtualMachine, RAISE_UD } from './virtual-machine.js';
export type { CreateMachineConfig, MachineState, VirtualMachineEvents, HypercallHook, HypercallInfo, MsrHook } from './virtual-machine.js';
export { ApiArgumentError, MachineStateError } from './errors.js';
export { SerialPort, OUTPUT_BUFFER_LIMIT } from './serial-port.js';
export type { Registers, RegisterUpdate, WritableRegisterName, WritableSegmentName } from './registers.js';
export { WRITABLE_REGISTERS, WRITABLE_SEGMENTS } from './registers.js';
export type { UserPioHandler, UserMmioHandler } from './user-devices.js';
export type { DeviceAddOptions } from './hotplug-spec.js';
