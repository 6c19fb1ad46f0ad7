/** lib/machine: the PC machine — config, Machine, buses, clock, run loop, loaders, firmware tables. */
export { Machine, describeBuses } from './machine.js';
export type { MachineOptions, MachineExit } from './machine.js';
export * from './config.js';
export { MachineConfigError, KernelLoadError, BusConflictError } from './errors.js';
export { PioBus } from './pio-bus.js';
export { MmioBus } from './mmio-bus.js';
export type { PioDevice, MmioDevice, Resettable } from './bus-device.js';
export { Clock, Timer, DEFAULT_TSC_KHZ } from './clock.js';
export { IrqLine, IrqLines } from './irq.js';
export { RunLoop } from './run-loop.js';
export type { InterruptSource } from './run-loop.js';
export { GuestMemory, GuestMemoryError } from './guest-memory.js';
export { buildCpuidTable, FEATURES, CPU_MODELS } from './cpuid.js';
export { e820Map, encodeE820Table, E820_RAM, E820_RESERVED } from './e820.js';
export type { E820Entry } from './e820.js';
export * as addresses from './addresses.js';
export { loadMultiboot, loadMultibootFiles, setMultibootEntryState } from './loaders/multiboot.js';
export type { MultibootBoot } from './loaders/multiboot.js';
