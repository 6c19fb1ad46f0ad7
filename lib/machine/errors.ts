/** Typed errors of the machine layer; the CLI prints `tsvisor: ` + message. */

/** The MachineConfig asks for something invalid or not supported; the message names the field. */
export class MachineConfigError extends Error {
  override readonly name = 'MachineConfigError';
}

/** The kernel image cannot be loaded. Message: `could not load kernel 'FILE': <reason>`. */
export class KernelLoadError extends Error {
  override readonly name = 'KernelLoadError';
  constructor(readonly file: string, readonly reason: string) {
    super(`could not load kernel '${file}': ${reason}`);
  }
}

/** Two devices claim overlapping ranges of a bus (a machine-construction bug, not a guest error). */
export class BusConflictError extends Error {
  override readonly name = 'BusConflictError';
}
