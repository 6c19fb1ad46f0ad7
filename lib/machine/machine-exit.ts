/** How a machine run ended. */
export interface MachineExit {
  /** Process exit status the CLI uses. */
  status: number;
  /** poweroff: the guest entered ACPI S5 (status 0). */
  reason: 'debug-exit' | 'shutdown' | 'poweroff' | 'stopped' | 'error';
  message?: string;
}
