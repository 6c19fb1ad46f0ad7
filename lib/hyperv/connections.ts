/**
 * SynIC connections: where a guest's HvPostMessage / HvSignalEvent with a
 * connection ID goes. Each connection names a target (VP index, SINT); a
 * message connection delivers the posted message into the target's message
 * slot, an event connection sets the given event flag in the target's SIEF
 * page. Connections are made by the host side (here: -device hyperv-testdev).
 */
export interface SynicTarget {
  readonly vp: number;
  readonly sint: number;
}

export class SynicConnections {
  readonly messages = new Map<number, SynicTarget>();
  readonly events = new Map<number, SynicTarget>();

  reset(): void {
    this.messages.clear();
    this.events.clear();
  }
}
