/**
 * The run loop (ARCHITECTURE.md §2). run() executes the vCPUs in slices,
 * round-robin on one thread: each slice is bounded by a host deadline
 * (realtime) or an instruction budget up to the next timer deadline
 * (icount); with more than one vCPU every slice also has an instruction
 * quantum, so the interleaving is a function of the guest's instructions.
 * PAUSE and sending an IPI end the running vCPU's slice early. Exits are
 * dispatched synchronously to the buses, the vCPU's local APIC window and
 * the MSR/hypercall hooks; between rounds the loop fires due timers and
 * gives the event loop a turn (setImmediate). Halted vCPUs are skipped until
 * an interrupt wakes them; when no vCPU can run the loop sleeps until the
 * next timer deadline or an external event (realtime) or warps the clock to
 * it (icount). APs wait for a startup IPI before they run at all.
 */
import * as abi from '../hypervisor/abi.generated.js';
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { Clock } from './clock.js';
import type { Hypercalls } from './hypercalls.js';
import type { MachineExit } from './machine-exit.js';
import type { MmioBus } from './mmio-bus.js';
import type { MsrRegistry } from './msr-registry.js';
import type { PioBus } from './pio-bus.js';
import { BLOCKING_WINDOW_NS, blockUntil, coarseDelayMs } from './precise-wait.js';

/** Host time per slice in realtime mode: short enough to keep serial input and timers responsive. */
export const SLICE_HOST_NS = 5_000_000n;
/** Upper bound on an icount slice, so the event loop gets a turn in long timer-less stretches. */
export const ICOUNT_SLICE_INSTRUCTIONS = 2_000_000;
/** With several vCPUs: the instruction quantum of one vCPU's slice (both clock modes). */
export const SMP_SLICE_INSTRUCTIONS = 20_000;

/** Exits handled between host-clock checks inside one slice. */
export const EXITS_PER_DEADLINE_CHECK = 256;
/**
 * icount: a slice also ends after this many exits. Under -icount host time never bounds a
 * slice (that would make the vCPU interleaving depend on host speed); an exit-heavy guest
 * still gives the event loop a turn this often, deterministically.
 */
export const ICOUNT_SLICE_EXITS = 16_384;

/**
 * Gives a vCPU external interrupts: its local APIC, or (tests, a machine
 * without an APIC) any object with this shape.
 */
export interface InterruptSource {
  /** The vector to deliver next, or -1. A source with interruptAcknowledge may return a token instead (ExtINT). */
  pendingVector(): number;
  /** The vector was handed to the vCPU. */
  acknowledge(vector: number): void;
  /**
   * The INTA cycle, used instead of acknowledge when present: takes what pendingVector returned
   * and gives the vector to inject (for ExtINT, the 8259 answers it).
   */
  interruptAcknowledge?(pending: number): number;
  /** true (once) when an NMI waits for the vCPU. */
  takeNmi?(): boolean;
}

/** The vCPU's own MMIO window (the xAPIC page), checked before the shared MMIO bus. */
export interface LocalMmio {
  claims(gpa: number): boolean;
  mmioRead(gpa: number, data: Uint8Array, length: number): void;
  mmioWrite(gpa: number, data: Uint8Array, length: number): void;
}

export interface RunLoopHooks {
  /** Triple fault: the machine resets or ends. */
  shutdown(): void;
  /** Between slices and at the end: devices hand buffered output to the host. */
  flush(): void;
  /** Before a slice of vCPU index (the machine installs per-vCPU state the backend keeps per VM). */
  beforeSlice?(index: number): void;
}

/** What the run loop dispatches exits to besides the buses. */
export interface ExitHooks {
  msrs: MsrRegistry;
  hypercalls: Hypercalls;
}

export const enum VcpuRunState {
  Runnable = 0,
  Halted = 1,
  /** After INIT (and at power-on for APs): runs only once a startup IPI arrives. */
  WaitForSipi = 2,
}

/** Per-vCPU bookkeeping of the run loop. */
export class VcpuSlot {
  state = VcpuRunState.Runnable;
  source: InterruptSource | null = null;
  localMmio: LocalMmio | null = null;

  constructor(readonly index: number, readonly vcpu: Vcpu) {}
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
  /** Exits handled since creation (diagnostics, benchmarks). */
  exits = 0;
  readonly slots: readonly VcpuSlot[];
  private wake: (() => void) | undefined;
  private running = false;
  /** Index of the vCPU whose slice is running, -1 between slices. */
  private current = -1;
  /** A device armed or cancelled a timer, or an IPI went to another vCPU: end the slice. */
  private endSlice = false;
  /** The running vCPU's interrupt state changed during an exit: offer an interrupt before resuming. */
  private offerPending = false;
  /** -d int: reads the events the backend recorded during run() (lib/machine/guest-log.ts); null when off. */
  afterRun: ((v: Vcpu) => void) | null = null;

  /** True between run() and the end of the run. */
  get isRunning(): boolean {
    return this.running;
  }

  constructor(
    vcpus: readonly Vcpu[],
    readonly pio: PioBus,
    readonly mmio: MmioBus,
    readonly clock: Clock,
    private readonly hostNow: () => bigint,
    private readonly hooks: RunLoopHooks,
    private readonly exitHooks: ExitHooks,
  ) {
    if (vcpus.length === 0) throw new RangeError('the run loop needs at least one vCPU');
    this.slots = vcpus.map((v, i) => new VcpuSlot(i, v));
    clock.onTimersChanged = () => {
      this.endSlice = true;
      this.kick();
    };
  }

  /** vCPU 0 (the BSP). */
  get vcpu(): Vcpu {
    return this.slots[0]!.vcpu;
  }

  /** True when no vCPU can run (all halted or waiting for a startup IPI). */
  get halted(): boolean {
    return this.slots.every((s) => s.state !== VcpuRunState.Runnable);
  }

  /** vCPU 0's interrupt source (kept for single-vCPU callers). */
  get interruptSource(): InterruptSource | null {
    return this.slots[0]!.source;
  }
  set interruptSource(source: InterruptSource | null) {
    this.slots[0]!.source = source;
  }

  /** Ends the run with this result (the first result wins). */
  finish(exit: MachineExit): void {
    if (this.result === undefined) this.result = exit;
    this.endSlice = true;
    this.kick();
  }

  /** An external event happened (input, timer change, stop): re-evaluate a sleeping halt. */
  kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * vCPU index may have an interrupt (or NMI) to take: offer it at once if it is running,
   * otherwise end the running slice so the target gets its turn soon (an IPI), and wake a sleeping loop.
   */
  interruptRaised(index: number): void {
    if (index === this.current) {
      this.offerPending = true;
      return;
    }
    if (this.current >= 0) this.endSlice = true;
    this.kick();
  }

  /** INIT: the vCPU goes to its power-on state and waits for a startup IPI. */
  initVcpu(index: number): void {
    const slot = this.slots[index]!;
    slot.vcpu.reset();
    slot.state = VcpuRunState.WaitForSipi;
    if (index === this.current) this.endSlice = true;
  }

  /** Startup IPI: a vCPU waiting for one starts in real mode at vector << 12 (CS = vector << 8, IP = 0). */
  startupVcpu(index: number, vector: number): void {
    const slot = this.slots[index]!;
    if (slot.state !== VcpuRunState.WaitForSipi) return; // ignored unless the vCPU is waiting for it
    const v = slot.vcpu;
    const cs = v.cs;
    v.cs = { ...cs, selector: (vector & 0xff) << 8, base: BigInt((vector & 0xff) << 12), limit: 0xffff };
    v.rip = 0n;
    slot.state = VcpuRunState.Runnable;
    this.interruptRaised(index);
  }

  /**
   * A vCPU that was off (INIT, ACPI S3) runs again from the registers the caller gave it
   * (leaving S3 at the OS's waking vector); a sleeping loop wakes up.
   */
  runAgain(index: number): void {
    this.slots[index]!.state = VcpuRunState.Runnable;
    if (this.current >= 0) this.endSlice = true;
    this.kick();
  }

  /** PV unhalt (KVM_HC_KICK_CPU): a halted vCPU runs again without an interrupt; other states are left alone. */
  unhalt(index: number): void {
    const slot = this.slots[index];
    if (slot === undefined || slot.state !== VcpuRunState.Halted) return;
    slot.state = VcpuRunState.Runnable;
    this.interruptRaised(index);
  }

  /** Puts vCPU index in a run state directly (machine reset: APs wait for a startup IPI). */
  setRunState(index: number, state: VcpuRunState): void {
    this.slots[index]!.state = state;
  }

  async run(): Promise<MachineExit> {
    if (this.running) throw new Error('the machine is already running');
    this.running = true;
    this.clock.resume();
    const slots = this.slots;
    try {
      while (this.result === undefined) {
        let ran = false;
        for (let i = 0; i < slots.length && this.result === undefined; i++) {
          const slot = slots[i]!;
          if (slot.state === VcpuRunState.WaitForSipi) continue;
          if (slot.state === VcpuRunState.Halted && !this.tryWake(slot)) continue;
          this.runSlice(slot);
          ran = true;
          this.clock.runExpiredTimers();
        }
        this.hooks.flush();
        if (this.result !== undefined) break;
        if (ran) {
          await yieldToEventLoop();
          continue;
        }
        // No vCPU could run: fire due timers, then wait for the next deadline or an event.
        this.clock.runExpiredTimers();
        if (this.result !== undefined || this.anyWakeable()) continue;
        const next = this.clock.nextDeadlineNs();
        if (this.clock.mode === 'icount' && next !== Infinity) {
          // Nothing runs until the next deadline, so guest time jumps there. Yield anyway:
          // a periodic timer with no interrupt to deliver must not starve the event loop.
          this.clock.warpTo(next);
          await yieldToEventLoop();
          continue;
        }
        if (next !== Infinity && this.clock.hostTimeOf(next) - this.hostNow() <= BLOCKING_WINDOW_NS) {
          // Due soon: wait for it right here, precisely (precise-wait.ts), after one turn of the event
          // loop for input and API calls. No timer or promise is set up for the wake-up: the loop
          // goes on the moment the deadline passes, which is what a 1 ms guest timer needs.
          await yieldToEventLoop();
          if (this.result === undefined && this.clock.nextDeadlineNs() === next && !this.anyWakeable()) {
            blockUntil(this.hostNow, this.clock.hostTimeOf(next));
          }
          continue;
        }
        await this.sleep(next);
      }
    } catch (err) {
      this.finish({ status: 1, reason: 'error', message: `host error in the machine: ${(err as Error).message}` });
    } finally {
      this.running = false;
      this.current = -1;
      this.hooks.flush();
      this.clock.pause();
    }
    return this.result!;
  }

  /** Resets the vCPU bookkeeping for a system reset: the BSP runs, APs wait for a startup IPI. */
  resetState(): void {
    this.slots.forEach((s, i) => (s.state = i === 0 ? VcpuRunState.Runnable : VcpuRunState.WaitForSipi));
  }

  /** Another vCPU than `slot` is runnable now. */
  private otherRunnable(slot: VcpuSlot): boolean {
    for (const s of this.slots) if (s !== slot && s.state === VcpuRunState.Runnable) return true;
    return false;
  }

  /** Some vCPU is runnable or a halted one has something to take (checked without taking it). */
  private anyWakeable(): boolean {
    for (const s of this.slots) {
      if (s.state === VcpuRunState.Runnable) return true;
      if (s.state === VcpuRunState.Halted && this.tryWake(s)) return true;
    }
    return false;
  }

  /** Halted: deliver a pending NMI or interrupt if there is one. Returns true when the vCPU is runnable again. */
  private tryWake(slot: VcpuSlot): boolean {
    const src = slot.source;
    if (src === null) return false;
    const v = slot.vcpu;
    if (src.takeNmi?.() === true) {
      v.pendingNmi = true;
      slot.state = VcpuRunState.Runnable;
      return true;
    }
    // HLT with IF=0 ("cli; hlt") is not ended by a maskable interrupt.
    if (!v.interruptFlag) return false;
    // A vector already taken from the interrupt controller for this vCPU but not yet injected wakes
    // it too: KVM could not take it inside the STI shadow, and the shadow ended in this HLT. Nothing
    // new is pending at the controller, so waiting for one would halt the vCPU for good; the backend
    // injects the held vector at the next entry, past the HLT, as hardware delivers it.
    if (v.pendingIrq >= 0) {
      slot.state = VcpuRunState.Runnable;
      return true;
    }
    const pending = src.pendingVector();
    if (pending < 0) return false;
    v.pendingIrq = this.acknowledge(src, pending);
    slot.state = VcpuRunState.Runnable;
    return true;
  }

  private acknowledge(src: InterruptSource, pending: number): number {
    if (src.interruptAcknowledge !== undefined) return src.interruptAcknowledge(pending);
    src.acknowledge(pending);
    return pending;
  }

  /**
   * Sleeps on the event loop until guest time comes within BLOCKING_WINDOW_NS of deadlineNs, or
   * kick(). setTimeout counts whole milliseconds and fires late, so it only covers the bulk of the
   * wait: the run loop waits for the last stretch itself, precisely (lib/machine/precise-wait.ts).
   */
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
      this.wake = done;
      if (deadlineNs === Infinity) return;
      const hostDeadline = this.clock.hostTimeOf(deadlineNs);
      const step = (): void => {
        const ms = coarseDelayMs(hostDeadline - this.hostNow());
        if (ms > 0) timer = setTimeout(step, ms);
        else this.kick();
      };
      step();
    });
  }

  /** Offers a pending NMI or interrupt to a running vCPU: inject now, or ask for an interrupt window. */
  private offerInterrupt(slot: VcpuSlot): void {
    const src = slot.source;
    if (src === null) return;
    const v = slot.vcpu;
    if (src.takeNmi?.() === true) v.pendingNmi = true;
    const pending = src.pendingVector();
    if (pending < 0) {
      v.requestIrqWindow = false;
      return;
    }
    if (v.readyForInjection && v.pendingIrq < 0) {
      v.pendingIrq = this.acknowledge(src, pending);
      v.requestIrqWindow = false;
    } else {
      v.requestIrqWindow = true;
    }
  }

  /** One slice of one vCPU, handling exits, until the slice ends, it halts or the machine finishes. */
  runSlice(slot: VcpuSlot = this.slots[0]!): void {
    const v = slot.vcpu;
    const clock = this.clock;
    const smp = this.slots.length > 1;
    this.current = slot.index;
    this.hooks.beforeSlice?.(slot.index);
    const next = clock.nextDeadlineNs();
    const icount = clock.mode === 'icount';
    let hostDeadline = icount ? 0n : this.hostNow() + SLICE_HOST_NS;
    // The budget field is per run() call, so it is recomputed from this target before every call.
    // icount: the slice ends exactly at the instruction that reaches the next deadline.
    let targetInstret = Infinity;
    let budget = smp ? SMP_SLICE_INSTRUCTIONS : Infinity;
    v.pauseExits = false;
    if (icount) {
      budget = Math.min(budget, next === Infinity ? ICOUNT_SLICE_INSTRUCTIONS : clock.instructionsUntil(next), ICOUNT_SLICE_INSTRUCTIONS);
    } else {
      if (next !== Infinity) {
        const timerHost = clock.hostTimeOf(next);
        if (timerHost < hostDeadline) hostDeadline = timerHost;
      }
    }
    if (budget !== Infinity) targetInstret = clock.vmInstructions + budget;
    else v.setMaxInstructions(0);
    v.setHostDeadline(hostDeadline);
    v.requestImmediateExit(false);
    this.endSlice = false;
    this.offerPending = false;
    this.offerInterrupt(slot);

    let exitsUntilClockCheck = icount ? ICOUNT_SLICE_EXITS : EXITS_PER_DEADLINE_CHECK;
    try {
      for (;;) {
        // An exit-heavy guest (a polling loop) may never reach the backend's own deadline check,
        // which runs every few dozen blocks: look at the host clock every few hundred exits too.
        if (--exitsUntilClockCheck === 0) {
          if (icount) return;
          exitsUntilClockCheck = EXITS_PER_DEADLINE_CHECK;
          if (this.hostNow() >= hostDeadline) return;
        }
        // PAUSE hands the CPU over only while another vCPU can take it; alone, a spin-wait runs
        // on to the slice's own end (budget or deadline) instead of exiting at every iteration.
        if (smp) v.pauseExits = this.otherRunnable(slot);
        if (targetInstret !== Infinity) {
          const remaining = targetInstret - clock.vmInstructions;
          if (remaining <= 0) return;
          v.setMaxInstructions(remaining);
        }
        const reason = v.run();
        if (this.afterRun !== null) this.afterRun(v);
        this.exits++;
        switch (reason) {
          case abi.TSV_EXIT_IO:
            this.handleIo(v);
            break;
          case abi.TSV_EXIT_MMIO: {
            const gpa = v.mmioGpa;
            const local = slot.localMmio;
            if (local !== null && local.claims(gpa)) {
              if (v.mmioIsWrite) local.mmioWrite(gpa, v.mmioData, v.mmioLength);
              else local.mmioRead(gpa, v.mmioData, v.mmioLength);
            } else if (v.mmioIsWrite) this.mmio.write(gpa, v.mmioData, v.mmioLength);
            else this.mmio.read(gpa, v.mmioData, v.mmioLength);
            break;
          }
          case abi.TSV_EXIT_MSR_READ:
            this.exitHooks.msrs.dispatch(v, false);
            break;
          case abi.TSV_EXIT_MSR_WRITE:
            this.exitHooks.msrs.dispatch(v, true);
            break;
          case abi.TSV_EXIT_HYPERCALL:
            this.exitHooks.hypercalls.handler(v, v.hypercallKind);
            break;
          case abi.TSV_EXIT_HLT:
            slot.state = VcpuRunState.Halted;
            return;
          case abi.TSV_EXIT_IRQ_WINDOW_OPEN:
            this.offerInterrupt(slot);
            continue;
          case abi.TSV_EXIT_SLICE_END:
            // PAUSE hands the CPU to another vCPU; alone, the vCPU just goes on, unless its slice is
            // over: a spin-wait exits at every PAUSE, so the exit-count check above would let it run
            // hundreds of exits past a timer's deadline (in real time, a tick late by a millisecond).
            if (!smp && v.sliceReason === abi.TSV_SLICE_PAUSE && !this.endSlice && this.result === undefined) {
              if (!icount && this.hostNow() >= hostDeadline) return;
              continue;
            }
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
        // After an exit a device handled: stop if the run ended, timers changed or another vCPU needs its turn.
        if (this.endSlice || this.result !== undefined || slot.state !== VcpuRunState.Runnable) return;
        if (this.offerPending) {
          this.offerPending = false;
          this.offerInterrupt(slot);
        }
      }
    } finally {
      this.current = -1;
    }
  }

  /** Port I/O, including REP INS/OUTS batches of `count` elements in the data area. */
  private handleIo(v: Vcpu): void {
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
