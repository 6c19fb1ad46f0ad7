/** How a machine run ended. */
export interface MachineExit {
  /** Process exit status the CLI uses. */
  status: number;
  /** poweroff: the guest entered ACPI S5 (status 0). crash: the guest reported a crash (Hyper-V CRASH_CTL), message says what. */
  reason: 'debug-exit' | 'shutdown' | 'poweroff' | 'stopped' | 'error' | 'crash';
  message?: string;
}
