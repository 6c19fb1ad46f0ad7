/**
 * The shape of the N-API addon (native/addon). lib/hypervisor wraps it in
 * typed, argument-checked classes; nothing else imports the addon directly.
 * Layout constants of the shared buffers come from abi.generated.ts.
 */
import type { VfioNative } from '../devices/pci/assigned/vfio-native.js';

export interface NativeAddon {
  readonly abiVersion: number;
  /** Backends compiled into this build, e.g. ['interp'] or ['interp', 'kvm']. */
  backends(): string[];
  /** The host monotonic clock in ns that TSV_OFF_RUN_DEADLINE_HOST_NS is compared with. */
  hostMonotonicNs(): bigint;
  /** vmState is a TSV_VM_BUFFER_SIZE buffer that TypeScript keeps views of. */
  createVm(accel: string, vmState: ArrayBuffer): NativeVm;
  /**
   * Maps an open file (a PCI BAR's sysfs resourceN, a VFIO device's region at its page-aligned offset)
   * shared, length rounded up to pages; unmapped when the buffer is collected. Absent in addon-shaped
   * test backends.
   */
  mapHostFile?(fd: number, length: number, writable: boolean, offset?: number): ArrayBuffer;
  /** VFIO ioctls and eventfds (Linux builds): lib/devices/pci/assigned/vfio-native.ts. */
  vfio?: VfioNative;
  /** Builds with the KVM backend (Linux): null when /dev/kvm can run it, else why not (one line). */
  kvmProbe?(): string | null;
  /** Builds with the KVM backend: how the host's /dev/kvm runs guests, as its probe found (docs/backends.md). */
  kvmHostTraits?(): KvmHostTraits;
}

/** What the KVM probe measured about the host's /dev/kvm (native/kvm/kvm_host.h). */
export interface KvmHostTraits {
  /** The guest's RDTSC follows the TSC KVM is given (false on PVM: the guest TSC is the host's). */
  tscOffsetApplies: boolean;
  /** KVM_EXIT_IRQ_WINDOW_OPEN comes as soon as the window opens (false where an emulator runs batches). */
  exactIrqWindow: boolean;
  /** Single-stepping lands on each instruction, so the backend can step to a late window. */
  windowSingleStep: boolean;
}

export interface NativeVm {
  /** Page-aligned, zero-filled host memory suitable for a RAM region. */
  allocateMemory(size: number): ArrayBuffer;
  /**
   * Maps buffer[offset, offset+size) at guest-physical gpa. buffer=null deletes the slot.
   * gpa, size and offset are multiples of 4096; regions may not overlap.
   */
  setMemoryRegion(slot: number, gpa: number, size: number, buffer: ArrayBuffer | null, offset: number, flags: number): void;
  /** TSV_CPUID_ENTRY_WORDS u32 per entry. */
  setCpuid(entries: Uint32Array): void;
  /** Pairs [first, last] of MSR indices whose RDMSR/WRMSR exit to TypeScript. */
  setMsrExitRanges(ranges: Uint32Array): void;
  createVcpu(id: number): NativeVcpu;
  /** TypeScript wrote guest RAM directly: drop decoded instructions of that range. */
  invalidateCode(gpa: number, length: number): void;
  /** The kvm backend: the guest TSC rate KVM runs at (KVM_GET_TSC_KHZ), 0 when unknown. */
  tscKhz?(): number;
  /** The interp backend: the block JIT's settings and totals so far (docs/jit.md). */
  jitStats?(): JitStats;
  destroy(): void;
}

export interface JitStats {
  /** Translating at all (x86-64 host, TSVISOR_JIT not off, executable memory available). */
  enabled: boolean;
  /** Block entries before a block is translated (0: at its first execution). */
  threshold: number;
  blocks: number;
  runs: number;
  codeBytes: number;
  flushes: number;
}

export interface NativeVcpu {
  /** TSV_VCPU_BUFFER_SIZE bytes: registers, exit record, run controls. */
  readonly state: ArrayBuffer;
  /** Runs until an exit; returns the TSV_EXIT_* reason. */
  run(): number;
  /** Architectural power-on (INIT) state. */
  reset(): void;
  /** Guest-linear to guest-physical through the current paging mode; -1 if not mapped. */
  translate(linear: number, write: boolean, user: boolean): number;
  /** The interp backend: drops this vCPU's TLB (global pages too). Absent where the backend has no per-vCPU flush (kvm). */
  flushTlb?(): void;
}
