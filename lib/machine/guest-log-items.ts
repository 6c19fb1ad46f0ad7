/** The -d log items tsvisor implements (QEMU's names), and how a machine is told about them. */
export const GUEST_LOG_ITEMS = ['int', 'cpu_reset', 'guest_errors'] as const;
export type GuestLogItem = (typeof GUEST_LOG_ITEMS)[number];

/** What to log and where each finished line (without its newline) goes. */
export interface GuestLogConfig {
  items: GuestLogItem[];
  write(line: string): void;
}
