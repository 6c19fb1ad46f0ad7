/**
 * The batched hypercall queue (the 2007 KVM paravirt_ops idea, tsvisor's
 * ABI in hcqueue-abi.ts and docs/hypercall-queue.md): a guest in a lazy mode
 * appends privileged operations to a queue and runs them all with one
 * hypercall, in order, in one exit. The first failing entry stops the batch;
 * its index and status are written back. Every guest mistake (bad GPA,
 * unknown nr, index beyond the queue, a CR value MOV would #GP on) is an
 * error code, never an exception in the host.
 *
 * TLB effects: the backend has no per-page flush from TypeScript, so
 * INVLPG/FLUSH_TLB entries (and CR4 paging-bit changes) end the batch with
 * one full TLB flush of every vCPU (KvmQueueContext.flushAllTlbs), which is
 * correct because no guest instruction runs between the entries. A CR3 or
 * CR4 change through SET_CR lands in the vCPU's register buffer, which the
 * backend compares at the next entry and flushes that vCPU's TLB for.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import type { GuestMemory } from '../machine/guest-memory.js';
import type { ApicBus } from '../machine/interrupt-types.js';
import { CTRL, ENTRY_SIZE, MAX_QUEUE_ENTRIES, QOP } from './hcqueue-abi.js';
import { type HypercallArgs, KVM_E2BIG, KVM_EFAULT, KVM_EINVAL, KVM_ENOSYS } from './kvm-hypercalls.js';

export interface HcQueueContext {
  memory: GuestMemory;
  /** Guest RAM as 32-bit words (the MMU_WRITE fast path reads and stores without BigInt). */
  ramWords: Uint32Array;
  /** Keeps the CPU's decoded code coherent after a store of TypeScript's (vm.invalidateCode). */
  invalidateCode: (gpa: number, length: number) => void;
  vcpuCount: number;
  apicBus: ApicBus;
  /** Executes a KVM hypercall number (the same code as VMCALL). */
  kvmHypercall: (vcpu: Vcpu, args: HypercallArgs) => bigint;
  /** Drops every vCPU's translations. */
  flushAllTlbs: () => void;
}

const MAX_PHYS_BITS = 40n;
const MMU_WRITE_LO = Number(QOP.MMU_WRITE);
const CR0_PE = 1n;
const CR0_NW = 1n << 29n;
const CR0_CD = 1n << 30n;
const CR0_PG = 1n << 31n;
/** CR4 bits SET_CR may change: TSD, DE, PSE, PGE, PCE, OSFXSR, OSXMMEXCPT (PAE and the rest are mode switches, not batched). */
const CR4_CHANGEABLE = (1n << 2n) | (1n << 3n) | (1n << 4n) | (1n << 7n) | (1n << 8n) | (1n << 9n) | (1n << 10n);
const CR4_PAGING = (1n << 4n) | (1n << 7n);

export class HcQueue {
  /** Control-area GPA per vCPU (-1 = none) and the MSR value. */
  private readonly ctrl: number[];
  private readonly msr: bigint[];
  /** Entries executed and flushes (benchmarks). */
  entries = 0;
  flushes = 0;
  private flushTlbAtEnd = false;

  constructor(private readonly ctx: HcQueueContext) {
    this.ctrl = new Array<number>(ctx.vcpuCount).fill(-1);
    this.msr = new Array<bigint>(ctx.vcpuCount).fill(0n);
  }

  /** System reset: no control areas. */
  reset(): void {
    this.ctrl.fill(-1);
    this.msr.fill(0n);
  }

  readMsr(vcpu: Vcpu): bigint {
    return this.msr[vcpu.id]!;
  }

  /** GPA | 1 enables (32-byte aligned, inside RAM); 0 disables; anything else is #GP. */
  writeMsr(vcpu: Vcpu, value: bigint): boolean {
    if (value === 0n) {
      this.ctrl[vcpu.id] = -1;
      this.msr[vcpu.id] = 0n;
      return true;
    }
    const gpa = value & ~1n;
    if ((value & 1n) === 0n || (gpa & 31n) !== 0n || gpa + BigInt(CTRL.SIZE) > BigInt(this.ctx.memory.size)) return false;
    this.ctrl[vcpu.id] = Number(gpa);
    this.msr[vcpu.id] = value;
    return true;
  }

  /** HC_TSVISOR_QUEUE_FLUSH: runs the queued entries; returns 0 or the failing entry's (negative) status. */
  flush(vcpu: Vcpu): bigint {
    const at = this.ctrl[vcpu.id]!;
    if (at < 0) return -BigInt(KVM_EINVAL);
    const m = this.ctx.memory;
    this.flushes++;
    const queue = m.readU64(at + CTRL.QUEUE_GPA);
    const max = m.readU32(at + CTRL.MAX_ENTRIES);
    const count = m.readU32(at + CTRL.INDEX);
    let status = 0n;
    let done = 0;
    if (max === 0 || max > MAX_QUEUE_ENTRIES || count > max) status = -BigInt(KVM_E2BIG);
    else if ((queue & 7n) !== 0n || queue + BigInt(max * ENTRY_SIZE) > BigInt(m.size)) status = -BigInt(KVM_EFAULT);
    else {
      const base = Number(queue);
      const w = this.ctx.ramWords;
      this.flushTlbAtEnd = false;
      for (; done < count; done++) {
        const e = base + done * ENTRY_SIZE;
        const i = e >>> 2;
        // Fast path for the common entry: an 8-byte PTE store, aligned and inside RAM, in 32-bit halves.
        if (w[i] === MMU_WRITE_LO && w[i + 1] === 0 && w[i + 6] === 8 && w[i + 7] === 0 && w[i + 3] === 0) {
          const gpa = w[i + 2]!;
          if ((gpa & 7) === 0 && gpa + 8 <= this.ctx.memory.size) {
            w[gpa >>> 2] = w[i + 4]!;
            w[(gpa >>> 2) + 1] = w[i + 5]!;
            this.ctx.invalidateCode(gpa, 8);
            continue;
          }
        }
        const result = this.execute(vcpu, {
          nr: m.readU64(e),
          a0: m.readU64(e + 8),
          a1: m.readU64(e + 16),
          a2: m.readU64(e + 24),
          a3: m.readU64(e + 32),
        });
        if (result < 0n) {
          status = result;
          break;
        }
      }
      this.entries += done;
      if (this.flushTlbAtEnd) this.ctx.flushAllTlbs();
    }
    if (status === 0n) m.writeU32(at + CTRL.INDEX, 0);
    m.writeU32(at + CTRL.STATUS, Number(BigInt.asUintN(32, status)));
    m.writeU32(at + CTRL.DONE, done);
    return status;
  }

  private execute(vcpu: Vcpu, e: HypercallArgs): bigint {
    switch (e.nr) {
      case QOP.MMU_WRITE:
        return this.mmuWrite(e.a0, e.a1, e.a2);
      case QOP.SET_CR:
        return this.setCr(vcpu, e.a0, e.a1);
      case QOP.INVLPG:
      case QOP.FLUSH_TLB:
        this.flushTlbAtEnd = true;
        return 0n;
      case QOP.SEND_IPI: {
        if (e.a0 >= BigInt(this.ctx.vcpuCount) || e.a1 < 16n || e.a1 > 255n) return -BigInt(KVM_EINVAL);
        this.ctx.apicBus.deliver({ vector: Number(e.a1), deliveryMode: 0, logical: false, destination: Number(e.a0), levelTriggered: false });
        return 0n;
      }
    }
    if (e.nr >= 0x8000_0000n) return -BigInt(KVM_ENOSYS); // an unknown queue operation
    return this.ctx.kvmHypercall(vcpu, e);
  }

  /** A PTE store: GuestMemory keeps the CPU's decoded code coherent (vm.invalidateCode), as a guest store would. */
  private mmuWrite(gpa: bigint, value: bigint, size: bigint): bigint {
    if (size !== 4n && size !== 8n) return -BigInt(KVM_EINVAL);
    if (gpa % size !== 0n) return -BigInt(KVM_EINVAL);
    if (gpa + size > BigInt(this.ctx.memory.size)) return -BigInt(KVM_EFAULT);
    if (size === 8n) this.ctx.memory.writeU64(Number(gpa), value);
    else this.ctx.memory.writeU32(Number(gpa), Number(value & 0xffff_ffffn));
    return 0n;
  }

  /** MOV to CR with MOV's checks; the value lands in the vCPU's registers (the backend sees the change at the next entry). */
  private setCr(vcpu: Vcpu, cr: bigint, value: bigint): bigint {
    const einval = -BigInt(KVM_EINVAL);
    if (cr === 0n) {
      const cur = vcpu.cr0;
      if (value >> 32n !== 0n) return einval;
      if ((value & CR0_PG) !== 0n && (value & CR0_PE) === 0n) return einval;
      if ((value & CR0_NW) !== 0n && (value & CR0_CD) === 0n) return einval;
      // PE/PG switch modes: not something to batch.
      if (((value ^ cur) & (CR0_PE | CR0_PG)) !== 0n) return einval;
      vcpu.cr0 = value;
      return 0n;
    }
    if (cr === 3n) {
      if (value >> MAX_PHYS_BITS !== 0n) return einval;
      vcpu.cr3 = value;
      this.flushTlbAtEnd = true; // MOV CR3 flushes even when the value is unchanged
      return 0n;
    }
    if (cr === 4n) {
      const cur = vcpu.cr4;
      if (((value ^ cur) & ~CR4_CHANGEABLE) !== 0n) return einval;
      if (((value ^ cur) & CR4_PAGING) !== 0n) this.flushTlbAtEnd = true;
      vcpu.cr4 = value;
      return 0n;
    }
    return einval;
  }
}
