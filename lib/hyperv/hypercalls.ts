/**
 * Hyper-V hypercall dispatch: the Hypercalls provider that claims VMCALL
 * while the guest's hypercall page is enabled, validates the input value and
 * the parameter blocks, and answers with an HV_STATUS_* result.
 *
 * Checks, in order: #UD outside protected mode or at CPL > 0; reserved input
 * bits (INVALID_HYPERCALL_INPUT); the call code (INVALID_HYPERCALL_CODE for
 * codes this partition does not offer); the privilege it needs
 * (ACCESS_DENIED); the simple/rep form (INVALID_HYPERCALL_INPUT); memory-form
 * parameter blocks: 8-byte aligned and not crossing a page
 * (INVALID_ALIGNMENT), inside guest RAM (INVALID_PARAMETER).
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { HypercallProvider } from '../machine/hypercalls.js';
import { undefinedOpcodeHypercall } from '../machine/hypercalls.js';
import { hypercallFaults, readHypercallInput, writeHypercallResult, type HypercallInput } from './hypercall-abi.js';
import * as hv from './hyperv-proto.js';
import type { SynicConnections } from './connections.js';
import type { Synic } from './synic.js';
import { vpsFromMask, vpsFromSet } from './vp-sets.js';

/** A hypercall this partition offers. */
interface HypercallSpec {
  /** Rep hypercalls take a rep count; simple ones must have rep count and start 0. */
  readonly rep: boolean;
  /** Input parameter block size in bytes (memory form), before the variable header. */
  readonly inputBytes: number;
  /** Output parameter block size in bytes (memory form; 0 = none). */
  readonly outputBytes: number;
  /** Rep hypercalls: bytes of one rep element after the header (memory form). */
  readonly repBytes?: number;
  /** The privilege/feature it needs is granted (else ACCESS_DENIED). */
  readonly allowed: () => boolean;
  /** Runs it; returns the HV_STATUS. `input` is the input block (fast: the two register qwords). */
  readonly run: (vcpu: Vcpu, input: DataView, varHeaderQwords: number) => number;
}

export interface HypervHypercallDeps {
  /** GPA-addressed guest RAM (bounds-checked). */
  readonly ramSize: number;
  readonly readRam: (gpa: number, length: number) => Uint8Array;
  /** Whether the guest enabled its hypercall page. */
  readonly pageEnabled: () => boolean;
  /** Spinlock retry count advertised in 0x40000004 EBX. */
  readonly spinlockRetries: number;
  /** Hands the CPU to another vCPU (HvNotifyLongSpinWait). */
  readonly yieldVcpu: (vcpu: Vcpu) => void;
  /** With hv-synic: HvPostMessage and HvSignalEvent through the connections. */
  readonly synic?: { readonly synic: Synic; readonly connections: SynicConnections };
  /** VPs in the partition (VP index = vCPU index). */
  readonly vpCount: number;
  /** hv-tlbflush: drop the TLBs of these VPs (tsvisor may flush more than asked). */
  readonly flushTlbs?: (vps: readonly number[]) => void;
  /** hv-ipi: a fixed interrupt with `vector` to VP `vp`. */
  readonly sendIpi?: (vp: number, vector: number) => void;
}

const PAGE = hv.HV_HYP_PAGE_SIZE;

/** Hypercalls a guest completed (HV_STATUS_SUCCESS), by what they did: shows which enlightenments a guest really uses. */
export interface HypervHypercallCounts {
  /** Every hypercall handled, whatever its status. */
  readonly handled: number;
  /** HvSendSyntheticClusterIpi and its Ex form. */
  readonly sendIpi: number;
  /** HvFlushVirtualAddressSpace/List and their Ex forms. */
  readonly flushTlb: number;
  /** HvPostMessage and HvSignalEvent. */
  readonly synicSignal: number;
  /** HvNotifyLongSpinWait. */
  readonly longSpinWait: number;
}

const IPI_CODES = [hv.HVCALL_SEND_IPI, hv.HVCALL_SEND_IPI_EX];
const FLUSH_CODES = [
  hv.HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE,
  hv.HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST,
  hv.HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX,
  hv.HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX,
];

export class HypervHypercalls implements HypercallProvider {
  readonly name = 'hyperv';
  private readonly calls = new Map<number, HypercallSpec>();
  /** Hypercalls handled (any status), for diagnostics and benchmarks. */
  count = 0;
  /** Successful hypercalls by call code. */
  private readonly succeeded = new Map<number, number>();

  constructor(private readonly deps: HypervHypercallDeps) {
    this.calls.set(hv.HVCALL_NOTIFY_LONG_SPIN_WAIT, {
      rep: false,
      inputBytes: 8,
      outputBytes: 0,
      // Offered when the guest was told to notify at all (a retry count other than "never").
      allowed: () => deps.spinlockRetries !== 0 && deps.spinlockRetries !== hv.HV_SPINLOCK_RETRIES_NEVER,
      run: (vcpu) => {
        deps.yieldVcpu(vcpu);
        return hv.HV_STATUS_SUCCESS;
      },
    });
    // Without the SynIC the partition lacks the PostMessages/SignalEvents privileges: ACCESS_DENIED.
    const synic = deps.synic;
    this.calls.set(hv.HVCALL_POST_MESSAGE, {
      rep: false,
      inputBytes: hv.HV_POST_MESSAGE_INPUT_BYTES,
      outputBytes: 0,
      allowed: () => synic !== undefined,
      run: (_vcpu, input) => {
        const conn = input.getUint32(0, true);
        const type = input.getUint32(8, true);
        const size = input.getUint32(12, true);
        if (size > hv.HV_MESSAGE_PAYLOAD_BYTES || type === hv.HVMSG_NONE || (type & hv.HV_MESSAGE_TYPE_HYPERVISOR_MASK) !== 0) {
          return hv.HV_STATUS_INVALID_PARAMETER;
        }
        const target = synic!.connections.messages.get(conn);
        if (target === undefined) return hv.HV_STATUS_INVALID_CONNECTION_ID;
        const payload = new Uint8Array(input.buffer, input.byteOffset + 16, size);
        const result = synic!.synic.postMessage(target.vp, target.sint, type, payload, BigInt(conn));
        if (result === 'full') return hv.HV_STATUS_INSUFFICIENT_BUFFERS;
        return result === 'unavailable' ? hv.HV_STATUS_INVALID_CONNECTION_ID : hv.HV_STATUS_SUCCESS;
      },
    });
    this.addFlushCalls();
    this.addIpiCalls();
    this.calls.set(hv.HVCALL_SIGNAL_EVENT, {
      rep: false,
      inputBytes: hv.HV_SIGNAL_EVENT_INPUT_BYTES,
      outputBytes: 0,
      allowed: () => synic !== undefined,
      run: (_vcpu, input) => {
        const conn = input.getUint32(0, true);
        const flag = input.getUint16(4, true);
        if (input.getUint16(6, true) !== 0) return hv.HV_STATUS_INVALID_HYPERCALL_INPUT;
        if (flag >= hv.HV_EVENT_FLAGS_COUNT) return hv.HV_STATUS_INVALID_PARAMETER;
        const target = synic!.connections.events.get(conn);
        if (target === undefined) return hv.HV_STATUS_INVALID_CONNECTION_ID;
        // A flag already set is success too: the receiver has not looked yet and will see it.
        const r = synic!.synic.signalEvent(target.vp, target.sint, flag);
        return r === 'unavailable' ? hv.HV_STATUS_INVALID_CONNECTION_ID : hv.HV_STATUS_SUCCESS;
      },
    });
  }

  /**
   * hv-tlbflush: HvFlushVirtualAddressSpace (simple) and HvFlushVirtualAddressList (rep, one GVA
   * range per rep), with a 64-bit processor mask or (Ex) an HV_VP_SET. The whole TLB of every
   * target goes: a superset of what was asked, which the TLFS allows.
   */
  private addFlushCalls(): void {
    const flush = this.deps.flushTlbs;
    const vpCount = this.deps.vpCount;
    const targets = (input: DataView, ex: boolean, varhead: number): number[] | undefined => {
      const flags = input.getBigUint64(8, true);
      if ((flags & hv.HV_FLUSH_ALL_PROCESSORS) !== 0n) return Array.from({ length: vpCount }, (_, i) => i);
      return ex ? vpsFromSet(input, 16, varhead, vpCount) : vpsFromMask(input.getBigUint64(16, true), vpCount);
    };
    for (const [code, rep, ex] of [
      [hv.HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, false, false],
      [hv.HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, true, false],
      [hv.HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX, false, true],
      [hv.HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX, true, true],
    ] as const) {
      this.calls.set(code, {
        rep,
        inputBytes: ex ? 32 : 24,
        outputBytes: 0,
        repBytes: 8,
        allowed: () => flush !== undefined,
        run: (_vcpu, input, varhead) => {
          const vps = targets(input, ex, varhead);
          if (vps === undefined) return hv.HV_STATUS_INVALID_PARAMETER;
          flush!(vps);
          return hv.HV_STATUS_SUCCESS;
        },
      });
    }
  }

  /** hv-ipi: HvSendSyntheticClusterIpi (64-bit mask) and its Ex form (HV_VP_SET): a fixed interrupt to each target. */
  private addIpiCalls(): void {
    const send = this.deps.sendIpi;
    const vpCount = this.deps.vpCount;
    for (const [code, ex] of [
      [hv.HVCALL_SEND_IPI, false],
      [hv.HVCALL_SEND_IPI_EX, true],
    ] as const) {
      this.calls.set(code, {
        rep: false,
        inputBytes: ex ? 24 : 16,
        outputBytes: 0,
        allowed: () => send !== undefined,
        run: (_vcpu, input, varhead) => {
          const vector = input.getUint32(0, true);
          const vtl = input.getUint8(4);
          if (vector < 16 || vector > 255 || vtl !== 0) return hv.HV_STATUS_INVALID_PARAMETER;
          const vps = ex ? vpsFromSet(input, 8, varhead, vpCount) : vpsFromMask(input.getBigUint64(8, true), vpCount);
          if (vps === undefined) return hv.HV_STATUS_INVALID_PARAMETER;
          for (const vp of vps) send!(vp, vector);
          return hv.HV_STATUS_SUCCESS;
        },
      });
    }
  }

  claims(_vcpu: Vcpu, kind: number): boolean {
    // Hyper-V's page uses VMCALL; VMMCALL stays with whoever else (KVM on AMD-style guests).
    return kind === 0 && this.deps.pageEnabled();
  }

  handle(vcpu: Vcpu): void {
    if (hypercallFaults(vcpu)) {
      undefinedOpcodeHypercall(vcpu);
      return;
    }
    this.count++;
    const input = readHypercallInput(vcpu);
    const status = this.dispatch(vcpu, input);
    if (status === hv.HV_STATUS_SUCCESS) this.succeeded.set(input.code, (this.succeeded.get(input.code) ?? 0) + 1);
    // A rep hypercall that succeeds has done every rep from rep start on.
    const reps = status === hv.HV_STATUS_SUCCESS && this.calls.get(input.code)?.rep === true ? input.repCount : 0;
    writeHypercallResult(vcpu, input.longMode, status, reps);
  }

  /** Successful hypercalls so far, grouped by purpose (they survive a guest reset: a host-side tally). */
  counts(): HypervHypercallCounts {
    const sum = (codes: readonly number[]): number => codes.reduce((n, c) => n + (this.succeeded.get(c) ?? 0), 0);
    return {
      handled: this.count,
      sendIpi: sum(IPI_CODES),
      flushTlb: sum(FLUSH_CODES),
      synicSignal: sum([hv.HVCALL_POST_MESSAGE, hv.HVCALL_SIGNAL_EVENT]),
      longSpinWait: sum([hv.HVCALL_NOTIFY_LONG_SPIN_WAIT]),
    };
  }

  /** The HV_STATUS of one hypercall. */
  private dispatch(vcpu: Vcpu, input: HypercallInput): number {
    if (input.reservedBitsSet) return hv.HV_STATUS_INVALID_HYPERCALL_INPUT;
    const spec = this.calls.get(input.code);
    if (spec === undefined) return hv.HV_STATUS_INVALID_HYPERCALL_CODE;
    if (!spec.allowed()) return hv.HV_STATUS_ACCESS_DENIED;
    if (spec.rep) {
      if (input.repCount === 0 || input.repStart >= input.repCount) return hv.HV_STATUS_INVALID_HYPERCALL_INPUT;
    } else if (input.repCount !== 0 || input.repStart !== 0) {
      return hv.HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    const inputBytes = spec.inputBytes + input.varHeaderQwords * 8 + (spec.rep ? input.repCount * (spec.repBytes ?? 0) : 0);
    let block: DataView;
    if (input.fast) {
      // Fast form: the input block travels in two registers (16 bytes), no output block.
      if (inputBytes > 16 || spec.outputBytes !== 0) return hv.HV_STATUS_INVALID_HYPERCALL_INPUT;
      const regs = new DataView(new ArrayBuffer(16));
      regs.setBigUint64(0, input.param0, true);
      regs.setBigUint64(8, input.param1, true);
      block = regs;
    } else {
      const status = this.checkBlock(input.param0, inputBytes) ?? (spec.outputBytes > 0 ? this.checkBlock(input.param1, spec.outputBytes) : undefined);
      if (status !== undefined) return status;
      const bytes = this.deps.readRam(Number(input.param0), inputBytes);
      block = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return spec.run(vcpu, block, input.varHeaderQwords);
  }

  /** A memory-form parameter block: 8-byte aligned, within one page, inside RAM. */
  private checkBlock(gpa: bigint, bytes: number): number | undefined {
    if ((gpa & 7n) !== 0n) return hv.HV_STATUS_INVALID_ALIGNMENT;
    if (bytes === 0) return undefined;
    if (Number(gpa % BigInt(PAGE)) + bytes > PAGE) return hv.HV_STATUS_INVALID_ALIGNMENT;
    if (gpa + BigInt(bytes) > BigInt(this.deps.ramSize)) return hv.HV_STATUS_INVALID_PARAMETER;
    return undefined;
  }
}
