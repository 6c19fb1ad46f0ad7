/**
 * A vCPU: typed views over the shared buffer the backend writes its
 * registers and exit record into (ABI offsets from abi.generated.ts).
 * The exit-path accessors return numbers read from preallocated views, so a
 * port-I/O round trip allocates nothing; bigint accessors are for the cold
 * paths (loaders, debugging, tests).
 */
import * as abi from './abi.generated.js';
import { HypervisorArgumentError } from './errors.js';
import type { NativeVcpu } from './native-types.js';

export interface SegmentState {
  base: bigint;
  limit: number;
  selector: number;
  attr: number;
}

export interface DescriptorTable {
  base: bigint;
  limit: number;
}

/** Names of the 16 general-purpose registers in x86 encoding order. */
export const GPR_NAMES = [
  'rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
] as const;
export type GprName = (typeof GPR_NAMES)[number];

const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;

function checkIndex(what: string, value: number, count: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= count) {
    throw new HypervisorArgumentError(`${what} must be an integer in 0..${count - 1}, got ${value}`);
  }
}

export class Vcpu {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly u64: BigUint64Array;
  readonly view: DataView;
  /** The 16-byte MMIO data window of the exit record, for bus handlers. */
  readonly mmioData: Uint8Array;

  constructor(readonly id: number, private readonly native: NativeVcpu) {
    const state = native.state;
    if (!(state instanceof ArrayBuffer) || state.byteLength < abi.TSV_VCPU_BUFFER_SIZE) {
      throw new HypervisorArgumentError(
        `vCPU ${id}: the backend's shared buffer must be an ArrayBuffer of ${abi.TSV_VCPU_BUFFER_SIZE} bytes`,
      );
    }
    this.u8 = new Uint8Array(state);
    this.u16 = new Uint16Array(state);
    this.u32 = new Uint32Array(state);
    this.i32 = new Int32Array(state);
    this.u64 = new BigUint64Array(state);
    this.view = new DataView(state);
    this.mmioData = new Uint8Array(state, abi.TSV_OFF_EXIT_MMIO_DATA, 16);
  }

  get state(): ArrayBuffer {
    return this.native.state;
  }

  /** Runs until an exit TypeScript must handle; returns the TSV_EXIT_* reason. */
  run(): number {
    return this.native.run();
  }

  /** Architectural power-on (INIT) state. */
  reset(): void {
    this.native.reset();
  }

  /**
   * Drops this vCPU's TLB, global pages included. Returns false when the backend has no per-vCPU
   * flush (kvm): the caller then flushes every vCPU (lib/machine re-sets the RAM slot).
   */
  flushTlb(): boolean {
    if (this.native.flushTlb === undefined) return false;
    this.native.flushTlb();
    return true;
  }

  /** Guest-linear to guest-physical through the current paging mode; -1 when not mapped. */
  translate(linear: number, write = false, user = false): number {
    if (!Number.isSafeInteger(linear) || linear < 0) {
      throw new HypervisorArgumentError(`translate: linear address must be a non-negative safe integer, got ${linear}`);
    }
    return this.native.translate(linear, write, user);
  }

  // ---- general-purpose registers -------------------------------------

  getGpr(index: number): bigint {
    checkIndex('GPR index', index, 16);
    return this.u64[(abi.TSV_OFF_GPR >> 3) + index]!;
  }
  setGpr(index: number, value: bigint): void {
    checkIndex('GPR index', index, 16);
    this.u64[(abi.TSV_OFF_GPR >> 3) + index] = BigInt.asUintN(64, value);
  }
  /** Low 32 bits of a GPR as a number (no allocation). */
  getGpr32(index: number): number {
    return this.u32[(abi.TSV_OFF_GPR >> 2) + index * 2]!;
  }
  /** Writes a GPR zero-extended from 32 bits, as a 32-bit MOV does. */
  setGpr32(index: number, value: number): void {
    const at = (abi.TSV_OFF_GPR >> 2) + index * 2;
    this.u32[at] = value >>> 0;
    this.u32[at + 1] = 0;
  }

  get rax(): bigint { return this.getGpr(0); }
  set rax(v: bigint) { this.setGpr(0, v); }
  get rcx(): bigint { return this.getGpr(1); }
  set rcx(v: bigint) { this.setGpr(1, v); }
  get rdx(): bigint { return this.getGpr(2); }
  set rdx(v: bigint) { this.setGpr(2, v); }
  get rbx(): bigint { return this.getGpr(3); }
  set rbx(v: bigint) { this.setGpr(3, v); }
  get rsp(): bigint { return this.getGpr(4); }
  set rsp(v: bigint) { this.setGpr(4, v); }
  get rbp(): bigint { return this.getGpr(5); }
  set rbp(v: bigint) { this.setGpr(5, v); }
  get rsi(): bigint { return this.getGpr(6); }
  set rsi(v: bigint) { this.setGpr(6, v); }
  get rdi(): bigint { return this.getGpr(7); }
  set rdi(v: bigint) { this.setGpr(7, v); }
  get r8(): bigint { return this.getGpr(8); }
  set r8(v: bigint) { this.setGpr(8, v); }
  get r9(): bigint { return this.getGpr(9); }
  set r9(v: bigint) { this.setGpr(9, v); }
  get r10(): bigint { return this.getGpr(10); }
  set r10(v: bigint) { this.setGpr(10, v); }
  get r11(): bigint { return this.getGpr(11); }
  set r11(v: bigint) { this.setGpr(11, v); }
  get r12(): bigint { return this.getGpr(12); }
  set r12(v: bigint) { this.setGpr(12, v); }
  get r13(): bigint { return this.getGpr(13); }
  set r13(v: bigint) { this.setGpr(13, v); }
  get r14(): bigint { return this.getGpr(14); }
  set r14(v: bigint) { this.setGpr(14, v); }
  get r15(): bigint { return this.getGpr(15); }
  set r15(v: bigint) { this.setGpr(15, v); }

  get rip(): bigint { return this.u64[abi.TSV_OFF_RIP >> 3]!; }
  set rip(v: bigint) { this.u64[abi.TSV_OFF_RIP >> 3] = BigInt.asUintN(64, v); }
  /** RIP as a number (exact below 2^53), for messages and cheap comparisons. */
  get ripNumber(): number {
    return this.u32[abi.TSV_OFF_RIP >> 2]! + this.u32[(abi.TSV_OFF_RIP >> 2) + 1]! * 0x1_0000_0000;
  }
  get rflags(): bigint { return this.u64[abi.TSV_OFF_RFLAGS >> 3]!; }
  set rflags(v: bigint) { this.u64[abi.TSV_OFF_RFLAGS >> 3] = BigInt.asUintN(64, v); }

  // ---- control registers ---------------------------------------------

  get cr0(): bigint { return this.u64[abi.TSV_OFF_CR0 >> 3]!; }
  set cr0(v: bigint) { this.u64[abi.TSV_OFF_CR0 >> 3] = BigInt.asUintN(64, v); }
  get cr2(): bigint { return this.u64[abi.TSV_OFF_CR2 >> 3]!; }
  set cr2(v: bigint) { this.u64[abi.TSV_OFF_CR2 >> 3] = BigInt.asUintN(64, v); }
  get cr3(): bigint { return this.u64[abi.TSV_OFF_CR3 >> 3]!; }
  set cr3(v: bigint) { this.u64[abi.TSV_OFF_CR3 >> 3] = BigInt.asUintN(64, v); }
  get cr4(): bigint { return this.u64[abi.TSV_OFF_CR4 >> 3]!; }
  set cr4(v: bigint) { this.u64[abi.TSV_OFF_CR4 >> 3] = BigInt.asUintN(64, v); }
  get cr8(): bigint { return this.u64[abi.TSV_OFF_CR8 >> 3]!; }
  set cr8(v: bigint) { this.u64[abi.TSV_OFF_CR8 >> 3] = BigInt.asUintN(64, v); }
  get efer(): bigint { return this.u64[abi.TSV_OFF_EFER >> 3]!; }
  set efer(v: bigint) { this.u64[abi.TSV_OFF_EFER >> 3] = BigInt.asUintN(64, v); }
  get apicBase(): bigint { return this.u64[abi.TSV_OFF_APIC_BASE >> 3]!; }
  set apicBase(v: bigint) { this.u64[abi.TSV_OFF_APIC_BASE >> 3] = BigInt.asUintN(64, v); }
  get tscOffset(): bigint { return BigInt.asIntN(64, this.u64[abi.TSV_OFF_TSC_OFFSET >> 3]!); }
  set tscOffset(v: bigint) { this.u64[abi.TSV_OFF_TSC_OFFSET >> 3] = BigInt.asUintN(64, v); }
  /** Instructions this vCPU has retired since creation. */
  get instret(): bigint { return this.u64[abi.TSV_OFF_INSTRET >> 3]!; }
  /** Host ns this vCPU has spent running guest code, on backends that cannot count instructions (kvm); 0 on the interpreter. */
  get runNs(): bigint { return this.u64[abi.TSV_OFF_RUN_NS >> 3]!; }

  // ---- segments and descriptor tables --------------------------------

  getSegment(index: number): SegmentState {
    checkIndex('segment index', index, SEGMENT_NAMES.length);
    const at = abi.TSV_OFF_SEG + index * abi.TSV_SEG_SIZE;
    return {
      base: this.view.getBigUint64(at + abi.TSV_SEG_OFF_BASE, true),
      limit: this.view.getUint32(at + abi.TSV_SEG_OFF_LIMIT, true),
      selector: this.view.getUint16(at + abi.TSV_SEG_OFF_SELECTOR, true),
      attr: this.view.getUint16(at + abi.TSV_SEG_OFF_ATTR, true),
    };
  }
  setSegment(index: number, seg: SegmentState): void {
    checkIndex('segment index', index, SEGMENT_NAMES.length);
    if (seg.limit < 0 || seg.limit > 0xffff_ffff || seg.selector < 0 || seg.selector > 0xffff || seg.attr < 0 || seg.attr > 0xffff) {
      throw new HypervisorArgumentError(`segment ${SEGMENT_NAMES[index]}: limit must be u32, selector and attr u16`);
    }
    const at = abi.TSV_OFF_SEG + index * abi.TSV_SEG_SIZE;
    this.view.setBigUint64(at + abi.TSV_SEG_OFF_BASE, BigInt.asUintN(64, seg.base), true);
    this.view.setUint32(at + abi.TSV_SEG_OFF_LIMIT, seg.limit, true);
    this.view.setUint16(at + abi.TSV_SEG_OFF_SELECTOR, seg.selector, true);
    this.view.setUint16(at + abi.TSV_SEG_OFF_ATTR, seg.attr, true);
  }
  get cs(): SegmentState { return this.getSegment(abi.TSV_SEG_CS); }
  set cs(s: SegmentState) { this.setSegment(abi.TSV_SEG_CS, s); }
  get ds(): SegmentState { return this.getSegment(abi.TSV_SEG_DS); }
  set ds(s: SegmentState) { this.setSegment(abi.TSV_SEG_DS, s); }
  get es(): SegmentState { return this.getSegment(abi.TSV_SEG_ES); }
  set es(s: SegmentState) { this.setSegment(abi.TSV_SEG_ES, s); }
  get ss(): SegmentState { return this.getSegment(abi.TSV_SEG_SS); }
  set ss(s: SegmentState) { this.setSegment(abi.TSV_SEG_SS, s); }
  get fs(): SegmentState { return this.getSegment(abi.TSV_SEG_FS); }
  set fs(s: SegmentState) { this.setSegment(abi.TSV_SEG_FS, s); }
  get gs(): SegmentState { return this.getSegment(abi.TSV_SEG_GS); }
  set gs(s: SegmentState) { this.setSegment(abi.TSV_SEG_GS, s); }
  get ldtr(): SegmentState { return this.getSegment(abi.TSV_SEG_LDTR); }
  set ldtr(s: SegmentState) { this.setSegment(abi.TSV_SEG_LDTR, s); }
  get tr(): SegmentState { return this.getSegment(abi.TSV_SEG_TR); }
  set tr(s: SegmentState) { this.setSegment(abi.TSV_SEG_TR, s); }

  private getDtr(off: number): DescriptorTable {
    return { base: this.view.getBigUint64(off + abi.TSV_DTR_OFF_BASE, true), limit: this.view.getUint32(off + abi.TSV_DTR_OFF_LIMIT, true) };
  }
  private setDtr(off: number, t: DescriptorTable): void {
    this.view.setBigUint64(off + abi.TSV_DTR_OFF_BASE, BigInt.asUintN(64, t.base), true);
    this.view.setUint32(off + abi.TSV_DTR_OFF_LIMIT, t.limit >>> 0, true);
  }
  get gdtr(): DescriptorTable { return this.getDtr(abi.TSV_OFF_GDTR); }
  set gdtr(t: DescriptorTable) { this.setDtr(abi.TSV_OFF_GDTR, t); }
  get idtr(): DescriptorTable { return this.getDtr(abi.TSV_OFF_IDTR); }
  set idtr(t: DescriptorTable) { this.setDtr(abi.TSV_OFF_IDTR, t); }

  // ---- exit record (hot path: numbers only) ---------------------------

  get exitReason(): number { return this.u32[abi.TSV_OFF_EXIT_REASON >> 2]!; }

  get ioPort(): number { return this.u16[abi.TSV_OFF_EXIT_IO_PORT >> 1]!; }
  get ioSize(): number { return this.u8[abi.TSV_OFF_EXIT_IO_SIZE]!; }
  get ioIsOut(): boolean { return this.u8[abi.TSV_OFF_EXIT_IO_DIRECTION] === abi.TSV_IO_OUT; }
  get ioCount(): number { return this.u32[abi.TSV_OFF_EXIT_IO_COUNT >> 2]!; }
  /** Byte offset in the shared buffer of the I/O data (element i of size s is at ioDataOffset + i*s). */
  get ioDataOffset(): number { return this.u32[abi.TSV_OFF_EXIT_IO_DATA_OFFSET >> 2]!; }

  /** MMIO guest-physical address as a number (guest-physical addresses fit in 2^53). */
  get mmioGpa(): number {
    return this.u32[abi.TSV_OFF_EXIT_MMIO_GPA >> 2]! + this.u32[(abi.TSV_OFF_EXIT_MMIO_GPA >> 2) + 1]! * 0x1_0000_0000;
  }
  get mmioLength(): number { return this.u32[abi.TSV_OFF_EXIT_MMIO_LEN >> 2]!; }
  get mmioIsWrite(): boolean { return this.u8[abi.TSV_OFF_EXIT_MMIO_IS_WRITE] !== 0; }

  get msrIndex(): number { return this.u32[abi.TSV_OFF_EXIT_MSR_INDEX >> 2]!; }
  get msrData(): bigint { return this.u64[abi.TSV_OFF_EXIT_MSR_DATA >> 3]!; }
  set msrData(v: bigint) { this.u64[abi.TSV_OFF_EXIT_MSR_DATA >> 3] = BigInt.asUintN(64, v); }
  /** Makes the pending RDMSR/WRMSR raise #GP(0) when the vCPU resumes. */
  failMsrAccess(): void { this.u8[abi.TSV_OFF_EXIT_MSR_ERROR] = 1; }
  /** Lets the pending RDMSR/WRMSR complete (RDMSR returns msrData). The byte is sticky, so every MSR exit sets it one way or the other. */
  acceptMsrAccess(): void { this.u8[abi.TSV_OFF_EXIT_MSR_ERROR] = 0; }

  get hypercallKind(): number { return this.u32[abi.TSV_OFF_EXIT_HYPERCALL_KIND >> 2]!; }
  get hypercallInsnLength(): number { return this.u32[abi.TSV_OFF_EXIT_HYPERCALL_INSN_LEN >> 2]!; }

  get sliceReason(): number { return this.u32[abi.TSV_OFF_EXIT_SLICE_REASON >> 2]!; }
  get shutdownReason(): number { return this.u32[abi.TSV_OFF_EXIT_SHUTDOWN_REASON >> 2]!; }
  get internalSuberror(): number { return this.u32[abi.TSV_OFF_EXIT_INTERNAL_SUBERROR >> 2]!; }
  get internalRip(): number {
    return this.u32[abi.TSV_OFF_EXIT_INTERNAL_RIP >> 2]! + this.u32[(abi.TSV_OFF_EXIT_INTERNAL_RIP >> 2) + 1]! * 0x1_0000_0000;
  }
  /** The NUL-terminated message of an internal-error exit. */
  get exitMessage(): string {
    const bytes = this.u8.subarray(abi.TSV_OFF_EXIT_MESSAGE, abi.TSV_OFF_EXIT_MESSAGE + abi.TSV_EXIT_MESSAGE_SIZE);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('utf8');
  }

  // ---- run controls ---------------------------------------------------

  /** Instruction budget of the next run() (0 = none). */
  setMaxInstructions(count: number): void {
    this.u32[abi.TSV_OFF_RUN_MAX_INSTRUCTIONS >> 2] = count % 0x1_0000_0000;
    this.u32[(abi.TSV_OFF_RUN_MAX_INSTRUCTIONS >> 2) + 1] = Math.floor(count / 0x1_0000_0000);
  }
  /** Host-monotonic deadline (ns) of the next run() (0n = none). */
  setHostDeadline(ns: bigint): void { this.u64[abi.TSV_OFF_RUN_DEADLINE_HOST_NS >> 3] = ns; }
  /** Whether PAUSE ends the next run() (the machine sets it while another vCPU could run). */
  set pauseExits(on: boolean) { this.u8[abi.TSV_OFF_PAUSE_EXITS] = on ? 1 : 0; }
  set requestIrqWindow(on: boolean) { this.u8[abi.TSV_OFF_REQUEST_IRQ_WINDOW] = on ? 1 : 0; }
  get readyForInjection(): boolean { return this.u8[abi.TSV_OFF_READY_FOR_INJECTION] !== 0; }
  get interruptFlag(): boolean { return this.u8[abi.TSV_OFF_IF_FLAG] !== 0; }
  /** Ends the running slice (may be set from a signal handler or another thread). */
  requestImmediateExit(on = true): void { this.u8[abi.TSV_OFF_IMMEDIATE_EXIT] = on ? 1 : 0; }
  get pendingIrq(): number { return this.i32[abi.TSV_OFF_PENDING_IRQ >> 2]!; }
  set pendingIrq(vector: number) {
    if (vector !== -1) checkIndex('interrupt vector', vector, 256);
    this.i32[abi.TSV_OFF_PENDING_IRQ >> 2] = vector;
  }
  set pendingNmi(on: boolean) { this.u8[abi.TSV_OFF_PENDING_NMI] = on ? 1 : 0; }
  /** Raises an exception before the next instruction (TypeScript's answer to an exit). */
  raiseException(vector: number, errorCode?: number): void {
    checkIndex('exception vector', vector, 32);
    this.u8[abi.TSV_OFF_PENDING_EXCEPTION_VECTOR] = vector;
    this.u8[abi.TSV_OFF_PENDING_EXCEPTION_HAS_ERROR] = errorCode === undefined ? 0 : 1;
    this.u32[abi.TSV_OFF_PENDING_EXCEPTION_ERROR >> 2] = (errorCode ?? 0) >>> 0;
    this.u8[abi.TSV_OFF_PENDING_EXCEPTION_VALID] = 1;
  }
  /** Instructions retired by the last run(), as a number. */
  get sliceInstructions(): number {
    return this.u32[abi.TSV_OFF_SLICE_INSTRUCTIONS >> 2]! + this.u32[(abi.TSV_OFF_SLICE_INSTRUCTIONS >> 2) + 1]! * 0x1_0000_0000;
  }
}
