/**
 * The run loop (ARCHITECTURE.md §2). run() executes the vCPU in slices:
 * each slice is bounded by a host deadline (realtime) or an instruction
 * budget up to the next timer deadline (icount). Exits are dispatched
 * synchronously to the buses from preallocated views; between slices the
 * loop fires due timers and gives the event loop a turn (setImmediate).
 * A halted vCPU sleeps until the next timer deadline or an external event,
 * and is woken by injecting the interrupt the interrupt source offers.
 */
import * as abi from '../hypervisor/abi.generated.js';
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { Clock } from './clock.js';
import type { MachineExit } from './machine-exit.js';
import type { MmioBus } from './mmio-bus.js';
import type { PioBus } from './pio-bus.js';

/** Host time per slice in realtime mode: short enough to keep serial input and timers responsive. */
export const SLICE_HOST_NS = 5_000_000n;
/** Upper bound on an icount slice, so the event loop gets a turn in long timer-less stretches. */
export const ICOUNT_SLICE_INSTRUCTIONS = 2_000_000;

/** Exits handled between host-clock checks inside one slice. */
export const EXITS_PER_DEADLINE_CHECK = 256;

const VECTOR_UD = 6;

/**
 * Gives the vCPU external interrupts. The interrupt controllers (PIC/IOAPIC/LAPIC)
 * implement it in a later version; without one nothing is ever injected.
 */
export interface InterruptSource {
  /** The vector to deliver next, or -1. */
  pendingVector(): number;
  /** The vector was handed to the vCPU. */
  acknowledge(vector: number): void;
}

export interface RunLoopHooks {
  /** Triple fault: the machine resets or ends. */
  shutdown(): void;
  /** Between slices and at the end: devices hand buffered output to the host. */
  flush(): void;
}

const EXIT_NAMES: Record<number, string> = {
  [abi.TSV_EXIT_NONE]: 'NONE',
  [abi.TSV_EXIT_IO]: 'IO',
  [abi.TSV_EXIT_MMIO]: 'MMIO',
  [abi.TSV_EXIT_MSR_READ]: 'MSR_READ',
  [abi.TSV_EXIT_MSR_WRITE]: 'MSR_WRITE',
  [abi.TSV_EXIT_HYPERCALL]: 'HYPERCALL',
  [abi.TSV_EXIT_HLT]: 'HLT',
  [abi.TSV_EXIT_IRQ_WINDOW_OPEN]: 'IRQ_WINDOW_OPEN',
  [abi.TSV_EXIT_SLICE_END]: 'SLICE_END',
  [abi.TSV_EXIT_SHUTDOWN]: 'SHUTDOWN',
  [abi.TSV_EXIT_DEBUG]: 'DEBUG',
  [abi.TSV_EXIT_INTERNAL_ERROR]: 'INTERNAL_ERROR',
};

const SUBERROR_NAMES: Record<number, string> = {
  [abi.TSV_INTERNAL_UNSUPPORTED]: 'unsupported instruction or state',
  [abi.TSV_INTERNAL_FETCH_MMIO]: 'instruction fetch from non-RAM memory',
  [abi.TSV_INTERNAL_HOST]: 'host failure',
};

export function exitName(reason: number): string {
  return EXIT_NAMES[reason] ?? `unknown(${reason})`;
}

const hex = (n: number): string => '0x' + n.toString(16);

export class RunLoop {
  /** Set once; the loop ends at the next check. */
  result: MachineExit | undefined;
  halted = false;
  interruptSource: InterruptSource | null = null;
  /** Exits handled since creation (diagnostics, benchmarks). */
  exits = 0;
  private wake: (() => void) | undefined;
  private running = false;

  /** True between run() and the end of the run. */
  get isRunning(): boolean {
    return this.running;
  }
  /** A device armed or cancelled a timer during the slice: end it so the next one is planned anew. */
  private timersChanged = false;

  constructor(
    readonly vcpu: Vcpu,
    readonly pio: PioBus,
    readonly mmio: MmioBus,
    readonly clock: Clock,
    private readonly hostNow: () => bigint,
    private readonly hooks: RunLoopHooks,
  ) {
    clock.onTimersChanged = () => {
      this.timersChanged = true;
      this.kick();
    };
  }

  /** Ends the run with this result (the first result wins). */
  finish(exit: MachineExit): void {
    if (this.result === undefined) this.result = exit;
    this.kick();
  }

  /** An external event happened (input, timer change, stop): re-evaluate a sleeping halt. */
  kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async run(): Promise<MachineExit> {
    if (this.running) throw new Error('the machine is already running');
    this.running = true;
    this.clock.resume();
    try {
      while (this.result === undefined) {
        if (this.halted && !this.tryWake()) {
          this.clock.runExpiredTimers();
          if (this.tryWake() || this.result !== undefined) continue;
          const next = this.clock.nextDeadlineNs();
          if (this.clock.mode === 'icount' && next !== Infinity) {
            // Nothing runs until the next deadline, so guest time jumps there. Yield anyway:
            // a periodic timer with no interrupt to deliver must not starve the event loop.
            this.clock.warpTo(next);
            await yieldToEventLoop();
            continue;
          }
          await this.sleep(next);
          continue;
        }
        this.runSlice();
        this.hooks.flush();
        this.clock.runExpiredTimers();
        if (this.result === undefined && !this.halted) await yieldToEventLoop();
      }
    } catch (err) {
      this.finish({ status: 1, reason: 'error', message: `host error in the machine: ${(err as Error).message}` });
    } finally {
      this.running = false;
      this.hooks.flush();
      this.clock.pause();
    }
    return this.result!;
  }

  /** Resets the vCPU bookkeeping for a system reset. */
  resetState(): void {
    this.halted = false;
  }

  /** Halted: deliver a pending interrupt if the source has one. Returns true when the vCPU is runnable. */
  private tryWake(): boolean {
    const src = this.interruptSource;
    // HLT with IF=0 ("cli; hlt") is not ended by a maskable interrupt.
    if (src === null || !this.vcpu.interruptFlag) return false;
    const vector = src.pendingVector();
    if (vector < 0) return false;
    this.vcpu.pendingIrq = vector;
    src.acknowledge(vector);
    this.halted = false;
    return true;
  }

  private sleep(deadlineNs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      // Keeps the process alive while the guest waits on nothing (QEMU waits forever too).
      const keepAlive = setInterval(() => {}, 1 << 30);
      const done = (): void => {
        clearTimeout(timer);
        clearInterval(keepAlive);
        resolve();
      };
      if (deadlineNs !== Infinity) {
        const ms = Math.max(0, (deadlineNs - this.clock.nowNs()) / 1e6);
        timer = setTimeout(() => this.kick(), Math.ceil(ms));
      }
      this.wake = done;
    });
  }

  /** Offers a pending interrupt to a running vCPU: inject now, or ask for an interrupt window. */
  private offerInterrupt(): void {
    const src = this.interruptSource;
    if (src === null) return;
    const vector = src.pendingVector();
    if (vector < 0) {
      this.vcpu.requestIrqWindow = false;
      return;
    }
    if (this.vcpu.readyForInjection && this.vcpu.pendingIrq < 0) {
      this.vcpu.pendingIrq = vector;
      src.acknowledge(vector);
      this.vcpu.requestIrqWindow = false;
    } else {
      this.vcpu.requestIrqWindow = true;
    }
  }

  /** One slice: runs the vCPU, handling exits, until the slice ends, it halts or the machine finishes. */
  runSlice(): void {
    const v = this.vcpu;
    const clock = this.clock;
    const next = clock.nextDeadlineNs();
    let hostDeadline = this.hostNow() + SLICE_HOST_NS;
    // icount: the slice ends exactly at the instruction that reaches the next deadline. The budget
    // field is per run() call, so it is recomputed from this target before every call.
    let targetInstret = Infinity;
    if (clock.mode === 'icount') {
      const budget = Math.min(next === Infinity ? ICOUNT_SLICE_INSTRUCTIONS : clock.instructionsUntil(next), ICOUNT_SLICE_INSTRUCTIONS);
      targetInstret = clock.vmInstructions + budget;
    } else {
      v.setMaxInstructions(0);
      if (next !== Infinity) {
        const timerHost = clock.hostTimeOf(next);
        if (timerHost < hostDeadline) hostDeadline = timerHost;
      }
    }
    v.setHostDeadline(hostDeadline);
    v.requestImmediateExit(false);
    this.timersChanged = false;
    this.offerInterrupt();

    let exitsUntilClockCheck = EXITS_PER_DEADLINE_CHECK;
    for (;;) {
      // An exit-heavy guest (a polling loop) may never reach the backend's own deadline check,
      // which runs every few dozen blocks: look at the host clock every few hundred exits too.
      if (--exitsUntilClockCheck === 0) {
        exitsUntilClockCheck = EXITS_PER_DEADLINE_CHECK;
        if (this.hostNow() >= hostDeadline) return;
      }
      if (targetInstret !== Infinity) {
        const remaining = targetInstret - clock.vmInstructions;
        if (remaining <= 0) return;
        v.setMaxInstructions(remaining);
      }
      const reason = v.run();
      this.exits++;
      switch (reason) {
        case abi.TSV_EXIT_IO:
          this.handleIo();
          if (this.result !== undefined || this.timersChanged) return;
          continue;
        case abi.TSV_EXIT_MMIO:
          if (v.mmioIsWrite) this.mmio.write(v.mmioGpa, v.mmioData, v.mmioLength);
          else this.mmio.read(v.mmioGpa, v.mmioData, v.mmioLength);
          if (this.result !== undefined || this.timersChanged) return;
          continue;
        case abi.TSV_EXIT_MSR_READ:
        case abi.TSV_EXIT_MSR_WRITE:
          // The machine registers no MSR exit ranges yet: an MSR nobody implements is #GP(0).
          v.failMsrAccess();
          continue;
        case abi.TSV_EXIT_HYPERCALL:
          // No VMX/SVM and no paravirtual interface advertised: VMCALL/VMMCALL is #UD at the instruction.
          v.rip = v.rip - BigInt(v.hypercallInsnLength);
          v.raiseException(VECTOR_UD);
          continue;
        case abi.TSV_EXIT_HLT:
          this.halted = true;
          return;
        case abi.TSV_EXIT_IRQ_WINDOW_OPEN:
          this.offerInterrupt();
          continue;
        case abi.TSV_EXIT_SLICE_END:
          return;
        case abi.TSV_EXIT_SHUTDOWN:
          this.hooks.shutdown();
          return;
        case abi.TSV_EXIT_DEBUG:
          // No debug events are requested; resume.
          continue;
        case abi.TSV_EXIT_INTERNAL_ERROR: {
          const sub = v.internalSuberror;
          const text = v.exitMessage;
          this.finish({
            status: 1,
            reason: 'error',
            message:
              `vCPU ${v.id}: backend internal error (exit INTERNAL_ERROR, ${SUBERROR_NAMES[sub] ?? 'suberror ' + sub}) at RIP ${hex(v.internalRip)}` +
              (text ? `: ${text}` : ''),
          });
          return;
        }
        default:
          this.finish({ status: 1, reason: 'error', message: `vCPU ${v.id}: unexpected exit ${exitName(reason)} at RIP ${hex(v.ripNumber)}` });
          return;
      }
    }
  }

  /** Port I/O, including REP INS/OUTS batches of `count` elements in the data area. */
  private handleIo(): void {
    const v = this.vcpu;
    const port = v.ioPort;
    const size = v.ioSize;
    const count = v.ioCount;
    let at = v.ioDataOffset;
    const view = v.view;
    if (v.ioIsOut) {
      for (let i = 0; i < count && this.result === undefined; i++, at += size) {
        const value = size === 1 ? v.u8[at]! : size === 2 ? view.getUint16(at, true) : view.getUint32(at, true);
        this.pio.write(port, size, value);
      }
    } else {
      for (let i = 0; i < count; i++, at += size) {
        const value = this.pio.read(port, size);
        if (size === 1) v.u8[at] = value;
        else if (size === 2) view.setUint16(at, value, true);
        else view.setUint32(at, value >>> 0, true);
      }
    }
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
