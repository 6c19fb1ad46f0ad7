/**
 * QEMU's -d logging, the subset a kernel or hypervisor developer reaches for:
 *
 * - `int`: every interrupt and exception delivered to the guest. The backend
 *   delivers them without an exit, so it records each one in the event ring of
 *   the vCPU's shared buffer (tsvisor_abi.h, TSV_OFF_EVENT_RING) while the ring
 *   is enabled; the run loop calls drain() after every run(), which turns the
 *   records into one line each. A full ring counts what it could not store and
 *   that count is logged ("N events lost"), never dropped in silence.
 * - `cpu_reset`: the registers of every vCPU before a system reset or triple fault.
 * - `guest_errors`: what the guest did wrong that the machine sees: accesses to
 *   unassigned I/O ports and MMIO, MSRs the machine routes that refuse the
 *   access, hypercalls nobody handles.
 *
 * Lines go to the sink given in the config (stderr, or the -D file).
 */
import * as abi from '../hypervisor/abi.generated.js';
import type { Vcpu } from '../hypervisor/vcpu.js';
import { readRegisters } from '../api/registers.js';
import { formatRegisters } from '../qmp/info-registers.js';
import type { Hypercalls } from './hypercalls.js';
import type { MmioBus } from './mmio-bus.js';
import type { MsrRegistry } from './msr-registry.js';
import type { PioBus } from './pio-bus.js';
import type { RunLoop } from './run-loop.js';
import type { GuestLogConfig, GuestLogItem } from './guest-log-items.js';

/** The parts of a machine the log listens to. */
export interface GuestLogTaps {
  vcpus: readonly Vcpu[];
  loop: RunLoop;
  pio: PioBus;
  mmio: MmioBus;
  msrs: MsrRegistry;
  hypercalls: Hypercalls;
}

export { GUEST_LOG_ITEMS, type GuestLogConfig, type GuestLogItem } from './guest-log-items.js';

/** Exception mnemonics by vector (Intel SDM vol. 3, table 6-1). */
const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF',
  10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC',
  19: '#XM', 20: '#VE', 21: '#CP',
};

const MODE_NAMES: Readonly<Record<number, string>> = {
  [abi.TSV_EVENT_MODE_REAL]: 'real',
  [abi.TSV_EVENT_MODE_PROTECTED]: 'prot',
  [abi.TSV_EVENT_MODE_V86]: 'v86',
  [abi.TSV_EVENT_MODE_LONG]: 'long',
};

const hex = (v: number | bigint, width: number): string => v.toString(16).padStart(width, '0');

function littleEndianHex(data: Uint8Array, length: number): string {
  let text = '';
  for (let i = Math.min(length, data.length) - 1; i >= 0; i--) text += hex(data[i]!, 2);
  return text;
}

/** One event of the ring, as the backend recorded it. */
export interface GuestEvent {
  kind: number;
  vector: number;
  hasError: boolean;
  error: number;
  nested: boolean;
  /** Raised while delivering `previous` and not delivered itself: the pair became #DF. */
  escalated: boolean;
  /** The vector whose delivery raised this one (nested only). */
  previous: number;
  cpl: number;
  mode: number;
  cs: number;
  rip: bigint;
  ss: number;
  rsp: bigint;
  cr2: bigint;
  instret: bigint;
}

/** Reads the entry at ring position `index` (head/tail counter, not yet reduced). */
export function readEvent(v: Vcpu, index: number): GuestEvent {
  const at = abi.TSV_OFF_EVENT_RING_ENTRIES + (index % abi.TSV_EVENT_RING_CAPACITY) * abi.TSV_EVENT_ENTRY_SIZE;
  const view = v.view;
  const flags = view.getUint8(at + abi.TSV_EVENT_OFF_FLAGS);
  return {
    kind: view.getUint8(at + abi.TSV_EVENT_OFF_KIND),
    vector: view.getUint8(at + abi.TSV_EVENT_OFF_VECTOR),
    hasError: (flags & abi.TSV_EVENT_FLAG_HAS_ERROR) !== 0,
    error: view.getUint32(at + abi.TSV_EVENT_OFF_ERROR, true),
    nested: (flags & abi.TSV_EVENT_FLAG_NESTED) !== 0,
    escalated: (flags & abi.TSV_EVENT_FLAG_ESCALATED) !== 0,
    previous: view.getUint8(at + abi.TSV_EVENT_OFF_PREV),
    cpl: view.getUint8(at + abi.TSV_EVENT_OFF_CPL),
    mode: view.getUint8(at + abi.TSV_EVENT_OFF_MODE),
    cs: view.getUint16(at + abi.TSV_EVENT_OFF_CS, true),
    rip: view.getBigUint64(at + abi.TSV_EVENT_OFF_RIP, true),
    ss: view.getUint16(at + abi.TSV_EVENT_OFF_SS, true),
    rsp: view.getBigUint64(at + abi.TSV_EVENT_OFF_RSP, true),
    cr2: view.getBigUint64(at + abi.TSV_EVENT_OFF_CR2, true),
    instret: view.getBigUint64(at + abi.TSV_EVENT_OFF_INSTRET, true),
  };
}

function vectorName(vector: number): string {
  return EXCEPTION_NAMES[vector] ?? `vector ${vector}`;
}

/**
 * One line per event. The fields follow QEMU's -d int vocabulary (v= vector, e= error code,
 * cpl=, IP=CS:RIP, SP=SS:RSP, CR2=) so the lines read familiarly; the leading word says what
 * kind of event it was.
 */
export function formatEvent(cpu: number, e: GuestEvent): string {
  const v = hex(e.vector, 2);
  let head: string;
  switch (e.kind) {
    case abi.TSV_EVENT_KIND_HW_IRQ:
      head = `hardware interrupt INT=0x${v}`;
      break;
    case abi.TSV_EVENT_KIND_NMI:
      head = 'NMI';
      break;
    case abi.TSV_EVENT_KIND_SOFT_INT:
      head = `software interrupt INT=0x${v}${e.vector < 32 ? ` (${vectorName(e.vector)})` : ''}`;
      break;
    case abi.TSV_EVENT_KIND_TRIPLE_FAULT:
      head = `triple fault: ${vectorName(e.vector)} raised while delivering ${vectorName(e.previous)}, shutdown`;
      break;
    default:
      head = `exception ${vectorName(e.vector)}`;
  }
  const parts = [
    head,
    `v=${v}`,
    `e=${e.hasError ? hex(e.error, 4) : '----'}`,
    `cpl=${e.cpl}`,
    `IP=${hex(e.cs, 4)}:${hex(e.rip, 16)}`,
    `SP=${hex(e.ss, 4)}:${hex(e.rsp, 16)}`,
  ];
  if (e.vector === 14 && e.kind !== abi.TSV_EVENT_KIND_HW_IRQ) parts.push(`CR2=${hex(e.cr2, 16)}`);
  parts.push(`mode=${MODE_NAMES[e.mode] ?? e.mode}`, `cpu=${cpu}`);
  if (e.instret !== 0n) parts.push(`insn=${e.instret}`);
  if (e.escalated) parts.push(`(raised delivering ${vectorName(e.previous)}: becomes #DF)`);
  else if (e.nested && e.kind !== abi.TSV_EVENT_KIND_TRIPLE_FAULT) parts.push(`(raised delivering ${vectorName(e.previous)})`);
  return parts.join(' ');
}

export class GuestLog {
  private readonly items: ReadonlySet<GuestLogItem>;
  /** The vCPU whose run() returned last: the one a bus or MSR access belongs to. */
  private current: Vcpu | undefined;

  constructor(private readonly config: GuestLogConfig) {
    this.items = new Set(config.items);
  }

  has(item: GuestLogItem): boolean {
    return this.items.has(item);
  }

  /** Installs the taps the items need; nothing is installed for items that are off. */
  tap(t: GuestLogTaps): void {
    const int = this.has('int');
    for (const v of t.vcpus) this.attach(v);
    t.loop.afterRun = (v) => {
      this.current = v;
      if (int) this.drain(v);
    };
    if (!this.has('guest_errors')) return;
    t.pio.onUnassigned = (port, size, write, value) =>
      this.guestError(
        write
          ? `guest error: write 0x${hex(value >>> 0, size * 2)} to unassigned I/O port 0x${hex(port, 4)} (size ${size})${this.where()}`
          : `guest error: read from unassigned I/O port 0x${hex(port, 4)} (size ${size})${this.where()}`,
      );
    t.mmio.onUnassigned = (gpa, length, write, data) =>
      this.guestError(
        write
          ? `guest error: write 0x${littleEndianHex(data, length)} to unassigned memory 0x${hex(gpa, 8)} (size ${length})${this.where()}`
          : `guest error: read from unassigned memory 0x${hex(gpa, 8)} (size ${length})${this.where()}`,
      );
    t.msrs.onRejected = (v, index, isWrite, value) =>
      this.guestError(
        isWrite
          ? `guest error: WRMSR 0x${hex(index, 8)} value 0x${hex(value, 16)} refused (#GP)${this.where(v)}`
          : `guest error: RDMSR 0x${hex(index, 8)} refused (#GP)${this.where(v)}`,
      );
    t.hypercalls.onUnhandled = (v, kind) =>
      this.guestError(
        `guest error: ${kind === abi.TSV_HYPERCALL_VMMCALL ? 'VMMCALL' : 'VMCALL'} RAX=0x${hex(v.rax, 16)} has no handler (#UD)${this.where(v)}`,
      );
  }

  /** " cpu=N IP=CS:RIP" of the vCPU an access came from (RIP as the exit left it). */
  private where(v: Vcpu | undefined = this.current): string {
    if (v === undefined) return '';
    return ` cpu=${v.id} IP=${hex(v.cs.selector, 4)}:${hex(v.rip, 16)}`;
  }

  /** Turns the vCPU's event ring on when `int` is logged (it stays off otherwise: no cost). */
  attach(v: Vcpu): void {
    v.u8[abi.TSV_OFF_EVENT_RING_ENABLE] = this.has('int') ? 1 : 0;
  }

  /** After every run(): logs the events the backend recorded, and how many it could not. */
  drain(v: Vcpu): void {
    const u32 = v.u32;
    const head = u32[abi.TSV_OFF_EVENT_RING_HEAD >> 2]!;
    let tail = u32[abi.TSV_OFF_EVENT_RING_TAIL >> 2]!;
    while (tail !== head) {
      this.config.write(formatEvent(v.id, readEvent(v, tail)));
      tail = (tail + 1) >>> 0;
    }
    u32[abi.TSV_OFF_EVENT_RING_TAIL >> 2] = tail;
    const lost = u32[abi.TSV_OFF_EVENT_RING_LOST >> 2]!;
    if (lost !== 0) {
      u32[abi.TSV_OFF_EVENT_RING_LOST >> 2] = 0;
      this.config.write(`cpu=${v.id}: ${lost} event${lost === 1 ? '' : 's'} lost (the event ring was full)`);
    }
  }

  /** cpu_reset: each vCPU's registers before the reset, QEMU's "CPU Reset" block. */
  cpuReset(vcpus: readonly Vcpu[], cause: string): void {
    if (!this.has('cpu_reset')) return;
    for (const v of vcpus) {
      this.config.write(`CPU Reset (CPU ${v.id}): ${cause}`);
      for (const line of formatRegisters(v.id, readRegisters(v), undefined).trimEnd().split('\n').slice(1)) this.config.write(line);
    }
  }

  /** guest_errors: one line about something invalid the guest did. */
  guestError(text: string): void {
    if (this.has('guest_errors')) this.config.write(text);
  }
}
