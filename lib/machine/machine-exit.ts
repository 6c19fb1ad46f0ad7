/** How a machine run ended. */
export interface MachineExit {
  /** Process exit status the CLI uses. */
  status: number;
  reason: 'debug-exit' | 'shutdown' | 'stopped' | 'error';
  message?: string;
}
