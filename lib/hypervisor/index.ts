/** lib/hypervisor: the backend-neutral Vm / Vcpu over the native addon. */
export { createVm, backendName, backendUnavailableReason, Vm, PAGE_SIZE } from './vm.js';
export type { Accel, CpuidEntry, CreateVmOptions } from './vm.js';
export { Vcpu, GPR_NAMES } from './vcpu.js';
export type { SegmentState, DescriptorTable, GprName } from './vcpu.js';
export { loadAddon, addonAvailable, packageRoot } from './addon.js';
export { HypervisorArgumentError, BackendUnavailableError } from './errors.js';
export * as abi from './abi.generated.js';
