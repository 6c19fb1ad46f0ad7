/**
 * Typed errors of the public Node API. Every argument is checked in
 * TypeScript before it reaches the machine or the native addon, so a wrong
 * call fails with one of these naming the argument, never deeper down.
 */

/** An argument has the wrong type or is out of range; the message names it. */
export class ApiArgumentError extends TypeError {
  override readonly name = 'ApiArgumentError';
}

/**
 * The call does not fit the machine's state: registers or memory while the
 * vCPUs run, a device added after start(), start() twice, anything after destroy().
 */
export class MachineStateError extends Error {
  override readonly name = 'MachineStateError';
  constructor(message: string, readonly state: string) {
    super(message);
  }
}
