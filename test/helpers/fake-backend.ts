/**
 * A scripted stand-in for the native addon (NativeAddon/NativeVm/NativeVcpu):
 * each run() plays the next step of a script by writing an exit record into
 * the shared buffer exactly where the real backend would, so the TypeScript
 * machine can be tested without the interpreter. Completions that TypeScript
 * writes back (IN data, MMIO read data, MSR error, injected vector) are
 * recorded when the next run() starts.
 */
import * as abi from '../../lib/hypervisor/abi.generated.js';
import type { NativeAddon, NativeVcpu, NativeVm } from '../../lib/hypervisor/native-types.js';

export type FakeStep =
  | { kind: 'out'; port: number; size: 1 | 2 | 4; values: number[] }
  | { kind: 'in'; port: number; size: 1 | 2 | 4; count?: number }
  | { kind: 'mmio-read'; gpa: number; length: number }
  | { kind: 'mmio-write'; gpa: number; data: number[] }
  | { kind: 'msr-read'; index: number }
  | { kind: 'hypercall'; insnLength: number }
  | { kind: 'hlt' }
  /** end the slice as if the host deadline passed */
  | { kind: 'yield' }
  | { kind: 'shutdown' }
  | { kind: 'internal-error'; suberror: number; rip: number; message: string }
  /** retire this many instructions, honouring the budget (SLICE_END when it runs out) */
  | { kind: 'execute'; instructions: number };

export interface Completion {
  step: FakeStep;
  /** IN values / MMIO read bytes that TypeScript filled in */
  values?: number[];
  msrError?: boolean;
  rip?: bigint;
  pendingException?: number;
}

export class FakeVcpu implements NativeVcpu {
  readonly state = new ArrayBuffer(abi.TSV_VCPU_BUFFER_SIZE);
  readonly u8 = new Uint8Array(this.state);
  readonly view = new DataView(this.state);
  readonly completions: Completion[] = [];
  /** vectors TypeScript injected through TSV_OFF_PENDING_IRQ */
  readonly injected: number[] = [];
  runs = 0;
  resets = 0;
  private last: FakeStep | undefined;
  private partial = 0;

  constructor(readonly vm: FakeVm, readonly id: number, public script: FakeStep[]) {
    this.reset();
    this.resets = 0;
  }

  reset(): void {
    this.resets++;
    this.u8.fill(0, 0, 0x200);
    this.view.setBigUint64(abi.TSV_OFF_RIP, 0xfff0n, true);
    this.view.setBigUint64(abi.TSV_OFF_RFLAGS, 2n, true);
    this.view.setBigUint64(abi.TSV_OFF_CR0, 0x60000010n, true);
    this.view.setInt32(abi.TSV_OFF_PENDING_IRQ, -1, true);
  }

  translate(linear: number): number {
    return linear;
  }

  private retire(n: number): void {
    const add = (off: number, view: DataView) => view.setBigUint64(off, view.getBigUint64(off, true) + BigInt(n), true);
    add(abi.TSV_OFF_INSTRET, this.view);
    add(abi.TSV_OFF_VM_INSTRET, this.vm.clockView);
    this.view.setBigUint64(abi.TSV_OFF_SLICE_INSTRUCTIONS, this.view.getBigUint64(abi.TSV_OFF_SLICE_INSTRUCTIONS, true) + BigInt(n), true);
  }

  private collectCompletion(): void {
    const step = this.last;
    this.last = undefined;
    if (step === undefined) return;
    const c: Completion = { step };
    if (step.kind === 'in') {
      const count = step.count ?? 1;
      const at = abi.TSV_OFF_IO_DATA;
      c.values = [];
      for (let i = 0; i < count; i++) {
        const off = at + i * step.size;
        c.values.push(step.size === 1 ? this.view.getUint8(off) : step.size === 2 ? this.view.getUint16(off, true) : this.view.getUint32(off, true));
      }
    } else if (step.kind === 'mmio-read') {
      c.values = [...this.u8.subarray(abi.TSV_OFF_EXIT_MMIO_DATA, abi.TSV_OFF_EXIT_MMIO_DATA + step.length)];
    } else if (step.kind === 'msr-read') {
      c.msrError = this.u8[abi.TSV_OFF_EXIT_MSR_ERROR] === 1;
      this.u8[abi.TSV_OFF_EXIT_MSR_ERROR] = 0;
    } else if (step.kind === 'hypercall') {
      c.rip = this.view.getBigUint64(abi.TSV_OFF_RIP, true);
      if (this.u8[abi.TSV_OFF_PENDING_EXCEPTION_VALID]) {
        c.pendingException = this.u8[abi.TSV_OFF_PENDING_EXCEPTION_VECTOR];
        this.u8[abi.TSV_OFF_PENDING_EXCEPTION_VALID] = 0;
      }
    }
    this.completions.push(c);
  }

  /** RFLAGS.IF the fake reports at every exit (the guest's "sti" state). */
  interruptsEnabled = true;

  private exit(reason: number): number {
    this.u8[abi.TSV_OFF_IF_FLAG] = this.interruptsEnabled ? 1 : 0;
    this.view.setUint32(abi.TSV_OFF_EXIT_REASON, reason, true);
    return reason;
  }

  run(): number {
    this.runs++;
    this.collectCompletion();
    this.view.setBigUint64(abi.TSV_OFF_SLICE_INSTRUCTIONS, 0n, true);
    const irq = this.view.getInt32(abi.TSV_OFF_PENDING_IRQ, true);
    if (irq >= 0) {
      this.injected.push(irq);
      this.view.setInt32(abi.TSV_OFF_PENDING_IRQ, -1, true);
    }
    if (this.u8[abi.TSV_OFF_IMMEDIATE_EXIT]) {
      this.view.setUint32(abi.TSV_OFF_EXIT_SLICE_REASON, abi.TSV_SLICE_IMMEDIATE_EXIT, true);
      return this.exit(abi.TSV_EXIT_SLICE_END);
    }
    const step = this.script[0];
    if (step === undefined) {
      this.view.setUint32(abi.TSV_OFF_EXIT_INTERNAL_SUBERROR, abi.TSV_INTERNAL_HOST, true);
      this.u8.fill(0, abi.TSV_OFF_EXIT_MESSAGE, abi.TSV_OFF_EXIT_MESSAGE + abi.TSV_EXIT_MESSAGE_SIZE);
      this.u8.set(new TextEncoder().encode('fake script exhausted'), abi.TSV_OFF_EXIT_MESSAGE);
      return this.exit(abi.TSV_EXIT_INTERNAL_ERROR);
    }
    if (step.kind === 'execute') {
      const budget = Number(this.view.getBigUint64(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS, true));
      const left = step.instructions - this.partial;
      if (budget !== 0 && budget < left) {
        this.partial += budget;
        this.retire(budget);
        this.view.setUint32(abi.TSV_OFF_EXIT_SLICE_REASON, abi.TSV_SLICE_BUDGET, true);
        return this.exit(abi.TSV_EXIT_SLICE_END);
      }
      this.partial = 0;
      this.retire(left);
      this.script.shift();
      return this.run();
    }
    this.script.shift();
    this.retire(1);
    this.last = step;
    const rip = this.view.getBigUint64(abi.TSV_OFF_RIP, true);
    switch (step.kind) {
      case 'out':
      case 'in': {
        const count = step.kind === 'out' ? step.values.length : step.count ?? 1;
        this.view.setUint16(abi.TSV_OFF_EXIT_IO_PORT, step.port, true);
        this.view.setUint8(abi.TSV_OFF_EXIT_IO_SIZE, step.size);
        this.view.setUint8(abi.TSV_OFF_EXIT_IO_DIRECTION, step.kind === 'out' ? abi.TSV_IO_OUT : abi.TSV_IO_IN);
        this.view.setUint32(abi.TSV_OFF_EXIT_IO_COUNT, count, true);
        this.view.setUint32(abi.TSV_OFF_EXIT_IO_DATA_OFFSET, abi.TSV_OFF_IO_DATA, true);
        if (step.kind === 'out') {
          step.values.forEach((v, i) => {
            const off = abi.TSV_OFF_IO_DATA + i * step.size;
            if (step.size === 1) this.view.setUint8(off, v);
            else if (step.size === 2) this.view.setUint16(off, v, true);
            else this.view.setUint32(off, v, true);
          });
        }
        return this.exit(abi.TSV_EXIT_IO);
      }
      case 'mmio-read':
      case 'mmio-write':
        this.view.setBigUint64(abi.TSV_OFF_EXIT_MMIO_GPA, BigInt(step.gpa), true);
        this.view.setUint32(abi.TSV_OFF_EXIT_MMIO_LEN, step.kind === 'mmio-read' ? step.length : step.data.length, true);
        this.view.setUint8(abi.TSV_OFF_EXIT_MMIO_IS_WRITE, step.kind === 'mmio-write' ? 1 : 0);
        this.u8.fill(0, abi.TSV_OFF_EXIT_MMIO_DATA, abi.TSV_OFF_EXIT_MMIO_DATA + 16);
        if (step.kind === 'mmio-write') this.u8.set(step.data, abi.TSV_OFF_EXIT_MMIO_DATA);
        return this.exit(abi.TSV_EXIT_MMIO);
      case 'msr-read':
        this.view.setUint32(abi.TSV_OFF_EXIT_MSR_INDEX, step.index, true);
        return this.exit(abi.TSV_EXIT_MSR_READ);
      case 'hypercall':
        this.view.setBigUint64(abi.TSV_OFF_RIP, rip + BigInt(step.insnLength), true);
        this.view.setUint32(abi.TSV_OFF_EXIT_HYPERCALL_INSN_LEN, step.insnLength, true);
        return this.exit(abi.TSV_EXIT_HYPERCALL);
      case 'hlt':
        return this.exit(abi.TSV_EXIT_HLT);
      case 'yield':
        this.view.setUint32(abi.TSV_OFF_EXIT_SLICE_REASON, abi.TSV_SLICE_DEADLINE, true);
        return this.exit(abi.TSV_EXIT_SLICE_END);
      case 'shutdown':
        this.view.setUint32(abi.TSV_OFF_EXIT_SHUTDOWN_REASON, abi.TSV_SHUTDOWN_TRIPLE_FAULT, true);
        return this.exit(abi.TSV_EXIT_SHUTDOWN);
      case 'internal-error':
        this.view.setUint32(abi.TSV_OFF_EXIT_INTERNAL_SUBERROR, step.suberror, true);
        this.view.setBigUint64(abi.TSV_OFF_EXIT_INTERNAL_RIP, BigInt(step.rip), true);
        this.u8.fill(0, abi.TSV_OFF_EXIT_MESSAGE, abi.TSV_OFF_EXIT_MESSAGE + abi.TSV_EXIT_MESSAGE_SIZE);
        this.u8.set(new TextEncoder().encode(step.message), abi.TSV_OFF_EXIT_MESSAGE);
        return this.exit(abi.TSV_EXIT_INTERNAL_ERROR);
    }
  }
}

export class FakeVm implements NativeVm {
  readonly clockView: DataView;
  readonly regions = new Map<number, { gpa: number; size: number; buffer: ArrayBuffer }>();
  cpuid: Uint32Array | undefined;
  msrRanges: Uint32Array | undefined;
  readonly invalidations: Array<[number, number]> = [];
  readonly vcpus: FakeVcpu[] = [];
  destroyed = false;

  constructor(readonly clockState: ArrayBuffer, private readonly scriptFor: (id: number) => FakeStep[]) {
    this.clockView = new DataView(clockState);
  }
  allocateMemory(size: number): ArrayBuffer {
    return new ArrayBuffer(size);
  }
  setMemoryRegion(slot: number, gpa: number, size: number, buffer: ArrayBuffer | null): void {
    if (buffer === null) this.regions.delete(slot);
    else this.regions.set(slot, { gpa, size, buffer });
  }
  setCpuid(entries: Uint32Array): void {
    this.cpuid = entries;
  }
  setMsrExitRanges(ranges: Uint32Array): void {
    this.msrRanges = ranges;
  }
  createVcpu(id: number): FakeVcpu {
    const v = new FakeVcpu(this, id, this.scriptFor(id));
    this.vcpus.push(v);
    return v;
  }
  invalidateCode(gpa: number, length: number): void {
    this.invalidations.push([gpa, length]);
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/** A fake addon whose vCPUs play `script` (a fresh copy per VM). */
export class FakeAddon implements NativeAddon {
  readonly abiVersion = abi.TSV_ABI_VERSION;
  readonly vms: FakeVm[] = [];
  /** Host clock the fake reports; tests may move it. */
  hostNs = 1_000_000_000n;
  autoAdvanceNs = 0n;

  constructor(private readonly script: FakeStep[] = []) {}

  backends(): string[] {
    return ['interp'];
  }
  hostMonotonicNs(): bigint {
    this.hostNs += this.autoAdvanceNs;
    return this.hostNs;
  }
  createVm(_accel: string, vmState: ArrayBuffer): FakeVm {
    const vm = new FakeVm(vmState, () => this.script.map((s) => ({ ...s })));
    this.vms.push(vm);
    return vm;
  }
  get vcpu(): FakeVcpu {
    return this.vms[this.vms.length - 1]!.vcpus[0]!;
  }
}
