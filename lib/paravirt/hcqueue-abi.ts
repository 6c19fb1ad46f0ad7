/**
 * The batched hypercall queue's ABI (docs/hypercall-queue.md is the guest's reference).
 *
 * Per vCPU, the guest registers a 32-byte control area with WRMSR
 * MSR_TSVISOR_HCQUEUE = GPA | 1 (GPA 32-byte aligned; 0 disables). The
 * control area names the queue: `max_entries` entries of 40 bytes each,
 * contiguous in guest-physical memory at `queue_gpa`. The guest appends
 * entries and bumps `index`; HC_TSVISOR_QUEUE_FLUSH (a KVM-convention
 * hypercall) runs entries [0, index) in order in one exit.
 */

/** tsvisor's MSR range next to KVM's 0x4b564d00-0x4b564d0x: the queue's control area. */
export const MSR_TSVISOR_HCQUEUE = 0x4b56_4dff;

/** The flush hypercall (RAX): far above KVM's hypercall numbers (1-13). */
export const HC_TSVISOR_QUEUE_FLUSH = 0x5453_0001n;

/** Control area layout. */
export const CTRL = {
  QUEUE_GPA: 0, // u64
  MAX_ENTRIES: 8, // u32
  INDEX: 12, // u32: entries queued; 0 after a successful flush
  STATUS: 16, // s32: 0, or the failing entry's error
  DONE: 20, // u32: entries executed by the last flush (= index of the failing entry on failure)
  SIZE: 32,
} as const;

/** Entry layout: nr, a0, a1, a2, a3 (u64 each). */
export const ENTRY_SIZE = 40;
/** Most entries one queue may have (160 KiB of entries). */
export const MAX_QUEUE_ENTRIES = 4096;

/** Queue operations (nr with bit 31 set); any other nr is a KVM hypercall number with a0..a3 as RBX, RCX, RDX, RSI. */
export const QOP = {
  /** Store a0 (8-byte aligned GPA) = a1, a2 = size 4 or 8: a PTE update with the effects of a direct store. */
  MMU_WRITE: 0x8000_0001n,
  /** MOV to CR a0 (0, 3 or 4) of value a1, with MOV's checks (a violation is -KVM_EINVAL where MOV would #GP). */
  SET_CR: 0x8000_0002n,
  /** INVLPG a0 (every vCPU's translations of it dropped). */
  INVLPG: 0x8000_0003n,
  /** Flush every vCPU's TLB. */
  FLUSH_TLB: 0x8000_0004n,
  /** Fixed IPI: a0 = destination APIC ID, a1 = vector (16-255). */
  SEND_IPI: 0x8000_0005n,
} as const;
