/** Errors raised by the typed hypervisor wrapper before (or instead of) crossing into C++. */

/** A caller passed an argument the backend would reject; the message says which and why. */
export class HypervisorArgumentError extends Error {
  override readonly name = 'HypervisorArgumentError';
}

/** The native addon is missing, was built for another ABI, or lacks the requested backend. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}
