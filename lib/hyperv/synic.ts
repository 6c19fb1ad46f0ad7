/**
 * hv-synic: the synthetic interrupt controller of each VP.
 *
 * MSRs: SCONTROL (enable), SVERSION (1, read-only), SIEFP (event-flags
 * page), SIMP (message page), EOM (write-only), SINT0-15 (vector, masked,
 * auto-EOI, polling). A SINT is raised as a fixed, edge interrupt on the VP's
 * local APIC; with auto-EOI the APIC retires the vector as it is taken.
 *
 * The message slot state machine (one 256-byte slot per SINT in the SIMP page):
 *
 *   FREE (message_type == HVMSG_NONE)
 *     -- the hypervisor writes payload and header, then the type; raises the SINT -->
 *   BUSY (message_type != HVMSG_NONE)
 *     -- another message arrives for the slot: it stays queued here, and the
 *        slot's message_flags.msg_pending is set so the guest knows -->
 *   BUSY + msg_pending
 *     -- the guest consumes the message, writes HVMSG_NONE to the type and,
 *        because msg_pending was set, writes EOM -->
 *   FREE: on EOM (and on any retirement of the SINT's vector, EOI or auto-EOI)
 *        the queued message is written into the slot and the SINT raised again.
 *
 * One guest-posted message per SINT waits in the queue; a second guest
 * sender is told the buffers are full (HV_STATUS_INSUFFICIENT_BUFFERS) and
 * retries. Hypervisor messages (timer expiries, at most one per timer) queue
 * behind it.
 *
 * Event flags: bit n of SINT s's 2048-bit group in the SIEF page; setting a
 * bit that was clear raises the SINT, setting one already set does not.
 *
 * Polling (SINTx bit 18): the TLFS makes it unmask the source without ever
 * generating the interrupt. Messages and event flags reach a polling SINT as
 * they would an unmasked one; the guest finds them by reading its pages and
 * frees a busy slot with EOM as usual.
 */
import type { GuestMemory } from '../machine/guest-memory.js';
import * as hv from './hyperv-proto.js';

export interface SynicHost {
  /** Raise `vector` (fixed, edge) on VP `vp`'s local APIC. */
  raise(vp: number, vector: number): void;
  /** Tell VP `vp`'s local APIC whether `vector` is auto-EOI. */
  setAutoEoi(vp: number, vector: number, on: boolean): void;
}

/** A message waiting for its slot. */
interface QueuedMessage {
  readonly type: number;
  /** Built at delivery (a timer message carries its delivery time). */
  readonly payload: () => Uint8Array;
  readonly sender: bigint;
  /** Posted by the guest (HvPostMessage): one such message may wait per SINT. */
  readonly fromGuest: boolean;
  readonly delivered?: () => void;
}

/** delivered: in the slot; queued: waits for the slot (or for the SynIC to be set up); full: one is already waiting. */
export type PostResult = 'delivered' | 'queued' | 'full' | 'unavailable';

class SynicVp {
  scontrol = 0n;
  siefp = 0n;
  simp = 0n;
  readonly sints = new Array<bigint>(hv.HV_SYNIC_SINT_COUNT).fill(hv.HV_SYNIC_SINT_MASKED);
  /** Per SINT, the messages waiting for the slot, oldest first. */
  readonly queued: QueuedMessage[][] = Array.from({ length: hv.HV_SYNIC_SINT_COUNT }, () => []);
}

export class Synic {
  private readonly vps: SynicVp[];

  constructor(private readonly memory: GuestMemory, vpCount: number, private readonly host: SynicHost) {
    this.vps = Array.from({ length: vpCount }, () => new SynicVp());
  }

  get vpCount(): number {
    return this.vps.length;
  }

  private pageOk(value: bigint): boolean {
    const gpa = Number(value & hv.HV_X64_MSR_PAGE_ADDRESS_MASK);
    return Number.isSafeInteger(gpa) && gpa + hv.HV_HYP_PAGE_SIZE <= this.memory.size;
  }

  readMsr(vpIndex: number, index: number): bigint | undefined {
    const vp = this.vps[vpIndex]!;
    switch (index) {
      case hv.HV_X64_MSR_SCONTROL:
        return vp.scontrol;
      case hv.HV_X64_MSR_SVERSION:
        return hv.HV_SYNIC_VERSION;
      case hv.HV_X64_MSR_SIEFP:
        return vp.siefp;
      case hv.HV_X64_MSR_SIMP:
        return vp.simp;
      case hv.HV_X64_MSR_EOM:
        return 0n;
      default:
        if (index >= hv.HV_X64_MSR_SINT0 && index <= hv.HV_X64_MSR_SINT15) return vp.sints[index - hv.HV_X64_MSR_SINT0]!;
        return undefined;
    }
  }

  /** false = #GP. */
  writeMsr(vpIndex: number, index: number, value: bigint): boolean {
    const vp = this.vps[vpIndex]!;
    switch (index) {
      case hv.HV_X64_MSR_SCONTROL:
        if ((value & ~hv.HV_SYNIC_CONTROL_ENABLE) !== 0n) return false;
        vp.scontrol = value;
        this.retryAll(vpIndex);
        return true;
      case hv.HV_X64_MSR_SVERSION:
        return false;
      case hv.HV_X64_MSR_SIEFP:
      case hv.HV_X64_MSR_SIMP: {
        if ((value & 0xffen) !== 0n) return false; // bits 11:1 reserved
        if ((value & 1n) !== 0n && !this.pageOk(value)) return false;
        if (index === hv.HV_X64_MSR_SIEFP) vp.siefp = value;
        else vp.simp = value;
        this.retryAll(vpIndex);
        return true;
      }
      case hv.HV_X64_MSR_EOM:
        this.retryAll(vpIndex);
        return true;
      default: {
        if (index < hv.HV_X64_MSR_SINT0 || index > hv.HV_X64_MSR_SINT15) return false;
        if ((value & ~hv.HV_SYNIC_SINT_VALID) !== 0n) return false;
        const vector = Number(value & hv.HV_SYNIC_SINT_VECTOR_MASK);
        const masked = (value & hv.HV_SYNIC_SINT_MASKED) !== 0n;
        if (!masked && vector < hv.HV_SYNIC_FIRST_VALID_VECTOR) return false;
        const sint = index - hv.HV_X64_MSR_SINT0;
        const old = vp.sints[sint]!;
        if ((old & hv.HV_SYNIC_SINT_AUTO_EOI) !== 0n) this.host.setAutoEoi(vpIndex, Number(old & hv.HV_SYNIC_SINT_VECTOR_MASK), false);
        vp.sints[sint] = value;
        this.syncAutoEoi(vpIndex);
        this.retry(vpIndex, sint);
        return true;
      }
    }
  }

  /** The APIC's auto-EOI set holds the vector of every auto-EOI SINT of the VP. */
  private syncAutoEoi(vpIndex: number): void {
    for (const s of this.vps[vpIndex]!.sints) {
      if ((s & hv.HV_SYNIC_SINT_AUTO_EOI) !== 0n) this.host.setAutoEoi(vpIndex, Number(s & hv.HV_SYNIC_SINT_VECTOR_MASK), true);
    }
  }

  private enabled(vp: SynicVp): boolean {
    return (vp.scontrol & hv.HV_SYNIC_CONTROL_ENABLE) !== 0n;
  }

  /** Raises SINT `sint` of VP `vpIndex`; false when the SynIC is off or the SINT masked or polled (no interrupt). */
  raiseSint(vpIndex: number, sint: number): boolean {
    const vp = this.vps[vpIndex];
    if (vp === undefined || sint < 0 || sint >= hv.HV_SYNIC_SINT_COUNT || !this.enabled(vp)) return false;
    const s = vp.sints[sint]!;
    if ((s & (hv.HV_SYNIC_SINT_MASKED | hv.HV_SYNIC_SINT_POLLING)) !== 0n) return false;
    this.host.raise(vpIndex, Number(s & hv.HV_SYNIC_SINT_VECTOR_MASK));
    return true;
  }

  /** Whether messages and event flags reach the SINT: unmasked, or polled (unmasked without the interrupt). */
  private sintOpen(vp: SynicVp, sint: number): boolean {
    const s = vp.sints[sint]!;
    return (s & hv.HV_SYNIC_SINT_MASKED) === 0n || (s & hv.HV_SYNIC_SINT_POLLING) !== 0n;
  }

  /** Whether messages can reach SINT `sint` of the VP (SynIC on, message page on, SINT open). */
  private messagesOn(vpIndex: number, sint: number): boolean {
    const vp = this.vps[vpIndex];
    return vp !== undefined && this.enabled(vp) && (vp.simp & hv.HV_SYNIC_SIMP_ENABLE) !== 0n && this.sintOpen(vp, sint);
  }

  /** Posts a message to SINT `sint` of VP `vpIndex` (see the state machine above). */
  postMessage(vpIndex: number, sint: number, type: number, payload: Uint8Array, sender = 0n): PostResult {
    const vp = this.vps[vpIndex];
    if (vp === undefined || sint < 0 || sint >= hv.HV_SYNIC_SINT_COUNT) return 'unavailable';
    // A SynIC not (yet) set up keeps the message queued: enabling SCONTROL/SIMP or unmasking the SINT delivers it.
    if (vp.queued[sint]!.some((m) => m.fromGuest)) return 'full';
    const copy = payload.slice(0, hv.HV_MESSAGE_PAYLOAD_BYTES);
    vp.queued[sint]!.push({ type, payload: () => copy, sender, fromGuest: true });
    return this.retry(vpIndex, sint) ? 'delivered' : 'queued';
  }

  /**
   * A hypervisor message (synthetic timer expiry): queued behind whatever waits for the slot,
   * its payload built when it is delivered; `delivered` is called then.
   */
  postHypervisorMessage(vpIndex: number, sint: number, type: number, payload: () => Uint8Array, delivered: () => void): PostResult {
    const vp = this.vps[vpIndex];
    if (vp === undefined || sint < 0 || sint >= hv.HV_SYNIC_SINT_COUNT) return 'unavailable';
    vp.queued[sint]!.push({ type, payload, sender: 0n, fromGuest: false, delivered });
    return this.retry(vpIndex, sint) ? 'delivered' : 'queued';
  }

  /** Whether SINT `sint` of the VP has a message waiting for its slot. */
  hasQueued(vpIndex: number, sint: number): boolean {
    return (this.vps[vpIndex]?.queued[sint]?.length ?? 0) > 0;
  }

  /** Moves SINT `sint`'s queued message into a free slot and raises the SINT; true when delivered. */
  private retry(vpIndex: number, sint: number): boolean {
    const vp = this.vps[vpIndex]!;
    const msg = vp.queued[sint]![0];
    if (msg === undefined || !this.messagesOn(vpIndex, sint)) return false;
    const slot = Number(vp.simp & hv.HV_X64_MSR_PAGE_ADDRESS_MASK) + sint * hv.HV_MESSAGE_SIZE;
    if (this.memory.readU32(slot + hv.HV_MESSAGE_TYPE_OFFSET) !== hv.HVMSG_NONE) {
      // Busy: tell the guest someone waits; it writes EOM once it has freed the slot.
      const flags = this.memory.readU8(slot + hv.HV_MESSAGE_FLAGS_OFFSET);
      this.memory.writeU8(slot + hv.HV_MESSAGE_FLAGS_OFFSET, flags | hv.HV_MESSAGE_FLAG_PENDING);
      return false;
    }
    const payload = msg.payload();
    const body = new Uint8Array(hv.HV_MESSAGE_SIZE - hv.HV_MESSAGE_PAYLOAD_OFFSET);
    body.set(payload);
    this.memory.write(slot + hv.HV_MESSAGE_PAYLOAD_OFFSET, body);
    this.memory.writeU64(slot + hv.HV_MESSAGE_SENDER_OFFSET, msg.sender);
    this.memory.writeU8(slot + hv.HV_MESSAGE_PAYLOAD_SIZE_OFFSET, payload.length);
    this.memory.writeU8(slot + hv.HV_MESSAGE_FLAGS_OFFSET, 0);
    this.memory.writeU16(slot + 6, 0);
    // The type last: a guest that sees it non-zero sees the whole message.
    this.memory.writeU32(slot + hv.HV_MESSAGE_TYPE_OFFSET, msg.type);
    vp.queued[sint]!.shift();
    if (vp.queued[sint]!.length > 0) {
      // More wait behind it: the guest must EOM once it has freed the slot.
      this.memory.writeU8(slot + hv.HV_MESSAGE_FLAGS_OFFSET, hv.HV_MESSAGE_FLAG_PENDING);
    }
    this.raiseSint(vpIndex, sint);
    msg.delivered?.();
    return true;
  }

  private retryAll(vpIndex: number): void {
    for (let s = 0; s < hv.HV_SYNIC_SINT_COUNT; s++) this.retry(vpIndex, s);
  }

  /** The VP's APIC retired `vector` (EOI or auto-EOI): queued messages of SINTs using it get another try. */
  vectorRetired(vpIndex: number, vector: number): void {
    const vp = this.vps[vpIndex];
    if (vp === undefined) return;
    for (let s = 0; s < hv.HV_SYNIC_SINT_COUNT; s++) {
      if (vp.queued[s]!.length > 0 && Number(vp.sints[s]! & hv.HV_SYNIC_SINT_VECTOR_MASK) === vector) this.retry(vpIndex, s);
    }
  }

  /** Sets event flag `flag` of SINT `sint`; raises the SINT when the flag was clear. */
  signalEvent(vpIndex: number, sint: number, flag: number): 'raised' | 'already-set' | 'unavailable' {
    const vp = this.vps[vpIndex];
    if (vp === undefined || sint < 0 || sint >= hv.HV_SYNIC_SINT_COUNT || flag < 0 || flag >= hv.HV_EVENT_FLAGS_COUNT) return 'unavailable';
    if (!this.enabled(vp) || (vp.siefp & hv.HV_SYNIC_SIEFP_ENABLE) === 0n || !this.sintOpen(vp, sint)) return 'unavailable';
    const at = Number(vp.siefp & hv.HV_X64_MSR_PAGE_ADDRESS_MASK) + sint * hv.HV_EVENT_FLAGS_BYTES + (flag >> 3);
    const byte = this.memory.readU8(at);
    const bit = 1 << (flag & 7);
    if ((byte & bit) !== 0) return 'already-set';
    this.memory.writeU8(at, byte | bit);
    this.raiseSint(vpIndex, sint);
    return 'raised';
  }

  reset(): void {
    for (let i = 0; i < this.vps.length; i++) {
      const vp = this.vps[i]!;
      for (const s of vp.sints) if ((s & hv.HV_SYNIC_SINT_AUTO_EOI) !== 0n) this.host.setAutoEoi(i, Number(s & hv.HV_SYNIC_SINT_VECTOR_MASK), false);
      this.vps[i] = new SynicVp();
    }
  }
}
