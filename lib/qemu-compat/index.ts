/** QEMU's command-line grammar and its mapping to MachineConfig. */
import type { MachineConfig } from '../machine/config.js';
import { parseQemuArgs } from './argv.js';
import { toMachineConfig, type HostEnvironment } from './to-config.js';

export { parseQemuArgs } from './argv.js';
export { QemuArgsError } from './errors.js';
export { toMachineConfig, effectiveSerial, type HostEnvironment, type OpenedEndpoints } from './to-config.js';
export type { ChardevSpec, ChardevBackend } from './chardev.js';
export type { QemuInvocation, Request, SerialBackend, DeviceSpec, AccelName, QmpEndpoint, MonitorBackend } from './invocation.js';
export { applyDemo, demoExitStatus, DEMO_MEMORY_BYTES, DEMO_DEBUG_EXIT } from './demo.js';
export { versionLine, versionText, helpText, QEMU_COMPAT_VERSION, NO_KERNEL_MESSAGE } from './help.js';
export { parseSize, formatSize } from './size.js';
export { OPTIONS, findOption, type OptionSpec } from './options.js';
export { DEVICE_MODELS } from './devices.js';

/**
 * argv (without the program name) to a MachineConfig, for programs that want QEMU's
 * syntax without the CLI. Throws QemuArgsError with the one-line message on any
 * mistake, and also when argv asks for -version/-help rather than a machine.
 */
export function fromQemuArgs(argv: readonly string[], host?: HostEnvironment): MachineConfig {
  return toMachineConfig(parseQemuArgs(argv), host);
}
