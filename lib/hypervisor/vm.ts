/**
 * The typed, argument-checked VM: every argument is validated here so the
 * addon only ever sees well-formed requests, and the caller gets a message
 * that says what to change.
 */
import * as abi from './abi.generated.js';
import { loadAddon } from './addon.js';
import { BackendUnavailableError, HypervisorArgumentError } from './errors.js';
import type { NativeAddon, NativeVm } from './native-types.js';
import { Vcpu } from './vcpu.js';

export type Accel = 'interp' | 'tcg' | 'kvm';
export const PAGE_SIZE = 4096;

/** One CPUID answer, as the backend's table stores it. */
export interface CpuidEntry {
  function: number;
  index: number;
  /** true when `index` (ECX) selects among subleaves */
  significantIndex?: boolean;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

export interface CreateVmOptions {
  accel: Accel;
  /** An addon-shaped backend to use instead of the native one (tests). */
  addon?: NativeAddon;
}

function checkPageMultiple(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value % PAGE_SIZE !== 0) {
    throw new HypervisorArgumentError(`${what} must be a non-negative multiple of ${PAGE_SIZE}, got ${value}`);
  }
}

function checkU32(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new HypervisorArgumentError(`${what} must be a 32-bit unsigned integer, got ${value}`);
  }
}

/** Backend name as the addon knows it ('tcg' is QEMU's name for the interpreter). */
export function backendName(accel: string): 'interp' | 'kvm' {
  if (accel === 'interp' || accel === 'tcg') return 'interp';
  if (accel === 'kvm') return 'kvm';
  throw new HypervisorArgumentError(`unknown accelerator '${accel}' (known: interp, tcg, kvm)`);
}

/**
 * Why a backend cannot run on this host, or undefined when it can: not built
 * (the KVM backend is Linux-only), or for kvm the host's answer to the probe
 * (no /dev/kvm, no permission, KVM_CREATE_VM fails, a capability missing).
 */
export function backendUnavailableReason(accel: Accel, addon: NativeAddon = loadAddon()): string | undefined {
  const backend = backendName(accel);
  const available = addon.backends();
  if (!available.includes(backend)) {
    return backend === 'kvm'
      ? 'KVM backend not available in this build (built backends: ' + available.join(', ') + ')'
      : `backend '${backend}' not available in this build (built backends: ${available.join(', ')})`;
  }
  if (backend === 'kvm') {
    const why = addon.kvmProbe?.() ?? null;
    if (why !== null) return `KVM is not usable: ${why}`;
  }
  return undefined;
}

/**
 * Checks the block JIT's environment settings, which the interp backend reads when a VM is
 * created (docs/jit.md), so a mistyped value is an error instead of a silently different machine.
 */
export function checkJitEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const mode = env.TSVISOR_JIT;
  if (mode !== undefined && mode !== '' && !['on', '1', 'off', '0', 'always'].includes(mode)) {
    throw new HypervisorArgumentError(`TSVISOR_JIT: expected on, off or always, not '${mode}'`);
  }
  const arena = env.TSVISOR_JIT_ARENA_KB;
  if (arena !== undefined && arena !== '') {
    const kb = /^\d+$/.test(arena) ? Number(arena) : NaN;
    if (!(kb >= 64 && kb <= 1 << 20)) throw new HypervisorArgumentError(`TSVISOR_JIT_ARENA_KB: expected a size in KiB from 64 to 1048576, not '${arena}'`);
  }
}

export function createVm(options: CreateVmOptions): Vm {
  const backend = backendName(options.accel);
  if (backend === 'interp') checkJitEnvironment();
  const addon = options.addon ?? loadAddon();
  const unavailable = backendUnavailableReason(options.accel, addon);
  if (unavailable !== undefined) throw new BackendUnavailableError(unavailable);
  const clockState = new ArrayBuffer(abi.TSV_VM_BUFFER_SIZE);
  return new Vm(backend, addon, addon.createVm(backend, clockState), clockState);
}

interface Region {
  slot: number;
  gpa: number;
  size: number;
}

export class Vm {
  private readonly regions = new Map<number, Region>();
  private readonly vcpuList: Vcpu[] = [];
  private destroyed = false;

  constructor(
    readonly accel: 'interp' | 'kvm',
    readonly addon: NativeAddon,
    private readonly native: NativeVm,
    /** The TSV_VM_BUFFER_SIZE clock buffer the backend reads RDTSC parameters from. */
    readonly clockState: ArrayBuffer,
  ) {}

  get vcpus(): readonly Vcpu[] {
    return this.vcpuList;
  }

  /** The host monotonic clock (ns) the run deadline is compared with. */
  hostMonotonicNs(): bigint {
    return this.addon.hostMonotonicNs();
  }

  /**
   * The guest TSC rate the backend imposes (kvm: KVM_GET_TSC_KHZ, since the guest reads
   * the TSC in hardware), or undefined when the machine's clock may choose it (interp).
   */
  backendTscKhz(): number | undefined {
    const khz = this.native.tscKhz?.() ?? 0;
    return khz > 0 ? khz : undefined;
  }

  /** Page-aligned, zero-filled host memory for a RAM region. */
  allocateMemory(size: number): ArrayBuffer {
    this.checkAlive();
    checkPageMultiple('memory size', size);
    if (size === 0) throw new HypervisorArgumentError('memory size must be greater than 0');
    return this.native.allocateMemory(size);
  }

  /**
   * Maps buffer[offset, offset+size) at guest-physical gpa; buffer=null deletes the slot.
   * flags: TSV_MEM_READONLY makes guest writes exit as MMIO.
   */
  setMemoryRegion(slot: number, gpa: number, size: number, buffer: ArrayBuffer | null, offset = 0, flags = 0): void {
    this.checkAlive();
    checkU32('memory slot', slot);
    if (buffer === null) {
      if (!this.regions.has(slot)) throw new HypervisorArgumentError(`memory slot ${slot} is not mapped`);
      this.native.setMemoryRegion(slot, 0, 0, null, 0, 0);
      this.regions.delete(slot);
      return;
    }
    checkPageMultiple('gpa', gpa);
    checkPageMultiple('size', size);
    checkPageMultiple('offset', offset);
    if (size === 0) throw new HypervisorArgumentError('memory region size must be greater than 0');
    if ((flags & ~abi.TSV_MEM_READONLY) !== 0) throw new HypervisorArgumentError(`unknown memory region flags 0x${flags.toString(16)}`);
    if (!(buffer instanceof ArrayBuffer)) throw new HypervisorArgumentError('memory region buffer must be an ArrayBuffer');
    if (offset + size > buffer.byteLength) {
      throw new HypervisorArgumentError(`region [offset 0x${offset.toString(16)}, size 0x${size.toString(16)}) exceeds the ${buffer.byteLength}-byte buffer`);
    }
    for (const r of this.regions.values()) {
      if (r.slot !== slot && gpa < r.gpa + r.size && r.gpa < gpa + size) {
        throw new HypervisorArgumentError(
          `memory region 0x${gpa.toString(16)}+0x${size.toString(16)} overlaps slot ${r.slot} at 0x${r.gpa.toString(16)}+0x${r.size.toString(16)}`,
        );
      }
    }
    this.native.setMemoryRegion(slot, gpa, size, buffer, offset, flags);
    this.regions.set(slot, { slot, gpa, size });
  }

  setCpuid(entries: readonly CpuidEntry[]): void {
    this.checkAlive();
    const words = new Uint32Array(entries.length * abi.TSV_CPUID_ENTRY_WORDS);
    entries.forEach((e, i) => {
      for (const [name, v] of [['function', e.function], ['index', e.index], ['eax', e.eax], ['ebx', e.ebx], ['ecx', e.ecx], ['edx', e.edx]] as const) {
        checkU32(`cpuid entry ${i} ${name}`, v);
      }
      words.set(
        [e.function, e.index, e.significantIndex ? abi.TSV_CPUID_FLAG_SIGNIFICANT_INDEX : 0, e.eax, e.ebx, e.ecx, e.edx],
        i * abi.TSV_CPUID_ENTRY_WORDS,
      );
    });
    this.native.setCpuid(words);
  }

  /** MSR index ranges [first, last] (inclusive) whose RDMSR/WRMSR exit to TypeScript. */
  setMsrExitRanges(ranges: ReadonlyArray<readonly [number, number]>): void {
    this.checkAlive();
    const words = new Uint32Array(ranges.length * 2);
    ranges.forEach(([first, last], i) => {
      checkU32('MSR range start', first);
      checkU32('MSR range end', last);
      if (last < first) throw new HypervisorArgumentError(`MSR range ${i}: end 0x${last.toString(16)} is below start 0x${first.toString(16)}`);
      words[i * 2] = first;
      words[i * 2 + 1] = last;
    });
    this.native.setMsrExitRanges(words);
  }

  createVcpu(id: number): Vcpu {
    this.checkAlive();
    if (!Number.isInteger(id) || id < 0 || id > 255) throw new HypervisorArgumentError(`vCPU id must be an integer in 0..255, got ${id}`);
    if (this.vcpuList.some((v) => v.id === id)) throw new HypervisorArgumentError(`vCPU ${id} already exists`);
    const vcpu = new Vcpu(id, this.native.createVcpu(id));
    this.vcpuList.push(vcpu);
    return vcpu;
  }

  /** TypeScript wrote guest RAM directly: drop decoded instructions of that range. */
  invalidateCode(gpa: number, length: number): void {
    this.checkAlive();
    if (!Number.isSafeInteger(gpa) || gpa < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new HypervisorArgumentError(`invalidateCode: gpa and length must be non-negative integers, got ${gpa}, ${length}`);
    }
    if (length > 0) this.native.invalidateCode(gpa, length);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.native.destroy();
  }

  private checkAlive(): void {
    if (this.destroyed) throw new HypervisorArgumentError('the VM has been destroyed');
  }
}
