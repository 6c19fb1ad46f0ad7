/**
 * --demo: boot the small guest shipped in the package, which prints what the
 * VM offers and reports success through isa-debug-exit. These are the demo's
 * fixed settings and the rule that turns its exit into a process status.
 */
import type { MachineExit } from '../machine/machine.js';
import type { DeviceSpec, QemuInvocation } from './invocation.js';

export const DEMO_MEMORY_BYTES = 64 * 1024 * 1024;
export const DEMO_DEBUG_EXIT: Extract<DeviceSpec, { driver: 'isa-debug-exit' }> = { driver: 'isa-debug-exit', iobase: 0xf4, iosize: 4 };

/** The demo's guest and device; an explicit -m still wins over the demo's 64 MiB. */
export function applyDemo(inv: QemuInvocation, demoKernel: string): QemuInvocation {
  const hasExitDevice = inv.devices.some((d) => d.driver === 'isa-debug-exit' && d.iobase === DEMO_DEBUG_EXIT.iobase);
  return {
    ...inv,
    kernel: demoKernel,
    memoryBytes: inv.memoryBytes ?? DEMO_MEMORY_BYTES,
    devices: hasExitDevice ? [...inv.devices] : [...inv.devices, { ...DEMO_DEBUG_EXIT }],
  };
}

/**
 * The demo guest writes 0 to isa-debug-exit on success, which is status (0 << 1) | 1 = 1;
 * only in demo mode does that mean "exit 0". Anything else is a failure and never 0.
 */
export function demoExitStatus(exit: MachineExit): number {
  if (exit.reason === 'debug-exit' && exit.status === 1) return 0;
  return exit.status === 0 ? 1 : exit.status;
}
