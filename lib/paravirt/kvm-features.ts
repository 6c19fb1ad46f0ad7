/**
 * KVM's paravirtual feature vocabulary: the -cpu flags (QEMU's names), the
 * bits they set in CPUID 0x40000001 EAX (Linux's
 * Documentation/virt/kvm/x86/cpuid.rst), the defaults of QEMU's kvm64/qemu64
 * models on KVM, and the leaves themselves.
 *
 * A feature bit is a promise: KVM_FLAGS lists only what lib/paravirt
 * implements. QEMU names tsvisor does not implement (async page faults, the
 * KVM MMU switch) are in KVM_UNIMPLEMENTED_FLAGS so that asking for one gets
 * a precise error; a model default among them stays off.
 */
import type { CpuFlagSpec, CpuFlagValues } from '../machine/cpu-flags.js';

/** CPUID 0x40000001 EAX bits. */
export const KVM_FEATURE = {
  CLOCKSOURCE: 0,
  NOP_IO_DELAY: 1,
  CLOCKSOURCE2: 3,
  STEAL_TIME: 5,
  PV_EOI: 6,
  PV_UNHALT: 7,
  PV_TLB_FLUSH: 9,
  PV_SEND_IPI: 11,
  POLL_CONTROL: 12,
  PV_SCHED_YIELD: 13,
  MSI_EXT_DEST_ID: 15,
  CLOCKSOURCE_STABLE_BIT: 24,
  /**
   * tsvisor's own: the batched hypercall queue (docs/hypercall-queue.md). KVM
   * uses bits 0-17 and 24; bit 30 is far from both.
   */
  TSVISOR_HCQUEUE: 30,
} as const;

/** The KVM signature leaf's base without Hyper-V; with any hv flag on it moves to 0x40000100. */
export const KVM_CPUID_BASE = 0x4000_0000;
export const KVM_CPUID_BASE_WITH_HYPERV = 0x4000_0100;
export const KVM_SIGNATURE = 'KVMKVMKVM\0\0\0';

export const KVM_FLAGS: CpuFlagSpec[] = [
  { name: 'kvm', kind: 'bool', description: 'KVM: the KVMKVMKVM signature and PV leaves (kvm=off hides them)' },
  { name: 'kvmclock', kind: 'bool', description: 'KVM: kvmclock (pvclock MSRs 0x11/0x12 and 0x4b564d00/01)', requires: ['kvm'] },
  { name: 'kvm-nopiodelay', kind: 'bool', description: 'KVM: port 0x80 delays are not needed', requires: ['kvm'] },
  { name: 'kvmclock-stable-bit', kind: 'bool', description: 'KVM: PVCLOCK_TSC_STABLE_BIT may be set', requires: ['kvmclock'] },
  { name: 'kvm-steal-time', kind: 'bool', description: 'KVM: steal time (MSR 0x4b564d03: time runnable but not scheduled)', requires: ['kvm'] },
  { name: 'kvm-pv-eoi', kind: 'bool', description: 'KVM: PV EOI (MSR 0x4b564d04: the guest clears a flag instead of writing EOI)', requires: ['kvm'] },
  {
    name: 'kvm-pv-tlb-flush',
    kind: 'bool',
    description: 'KVM: PV TLB flush (a preempted vCPU\'s TLB is flushed before it runs, instead of an IPI)',
    requires: ['kvm-steal-time'],
  },
  { name: 'kvm-poll-control', kind: 'bool', description: 'KVM: MSR 0x4b564d05 (host-side halt polling on/off)', requires: ['kvm'] },
  { name: 'kvm-msi-ext-dest-id', kind: 'bool', description: 'KVM: MSI address bits 11:5 carry APIC ID bits 14:8', requires: ['kvm'] },
  { name: 'kvm-pv-unhalt', kind: 'bool', description: 'KVM: KVM_HC_KICK_CPU wakes a halted vCPU (PV spinlocks)', requires: ['kvm'] },
  { name: 'kvm-pv-ipi', kind: 'bool', description: 'KVM: KVM_HC_SEND_IPI (IPIs to many vCPUs in one hypercall)', requires: ['kvm'] },
  { name: 'kvm-pv-sched-yield', kind: 'bool', description: 'KVM: KVM_HC_SCHED_YIELD gives the slice away', requires: ['kvm'] },
  { name: 'kvm-hcqueue', kind: 'bool', description: 'tsvisor: the batched hypercall queue (docs/hypercall-queue.md)', requires: ['kvm'] },
];

/**
 * QEMU flags of KVM features tsvisor does not implement: never advertised, an explicit request is an error.
 * Async page faults report host page-ins of guest memory that is swapped out; tsvisor's guest RAM is one
 * allocation that is never paged by tsvisor, so no such event can exist (docs/paravirt.md).
 */
export const KVM_UNIMPLEMENTED_FLAGS: readonly string[] = ['kvm-asyncpf', 'kvm-asyncpf-int', 'kvm-mmu'];

const FLAG_BITS: Readonly<Record<string, readonly number[]>> = {
  kvmclock: [KVM_FEATURE.CLOCKSOURCE, KVM_FEATURE.CLOCKSOURCE2],
  'kvm-nopiodelay': [KVM_FEATURE.NOP_IO_DELAY],
  'kvmclock-stable-bit': [KVM_FEATURE.CLOCKSOURCE_STABLE_BIT],
  'kvm-steal-time': [KVM_FEATURE.STEAL_TIME],
  'kvm-pv-eoi': [KVM_FEATURE.PV_EOI],
  'kvm-pv-tlb-flush': [KVM_FEATURE.PV_TLB_FLUSH],
  'kvm-poll-control': [KVM_FEATURE.POLL_CONTROL],
  'kvm-msi-ext-dest-id': [KVM_FEATURE.MSI_EXT_DEST_ID],
  'kvm-pv-unhalt': [KVM_FEATURE.PV_UNHALT],
  'kvm-pv-ipi': [KVM_FEATURE.PV_SEND_IPI],
  'kvm-pv-sched-yield': [KVM_FEATURE.PV_SCHED_YIELD],
  'kvm-hcqueue': [KVM_FEATURE.TSVISOR_HCQUEUE],
};

/**
 * Model defaults (QEMU's kvm64/qemu64 on KVM turn on kvmclock, nopiodelay,
 * asyncpf, steal-time, pv-eoi and kvmclock-stable-bit; asyncpf, which
 * tsvisor does not implement, stays off here). `host`/`max` add every KVM
 * feature tsvisor implements. The base model (no -cpu) has no PV interface.
 */
export function kvmModelDefaults(model: string | undefined): Map<string, boolean> {
  const on = new Map<string, boolean>();
  if (model === undefined || model === 'base') return on;
  for (const f of ['kvm', 'kvmclock', 'kvm-nopiodelay', 'kvmclock-stable-bit', 'kvm-steal-time', 'kvm-pv-eoi']) on.set(f, true);
  // kvm-pv-unhalt stays opt-in: a kick that arrives before its target halts is applied at the next
  // slice boundary, which only comes once some vCPU runs (see pv-unhalt.ts).
  if (model === 'host' || model === 'max') for (const f of KVM_FLAGS) if (f.name !== 'kvm-pv-unhalt') on.set(f.name, true);
  return on;
}

/**
 * The effective boolean KVM flags: model defaults overridden by the user's values.
 *
 * With Hyper-V on (`hyperv`), the model's KVM defaults apply only when the user asks for KVM
 * (`kvm=on` or any KVM feature turned on): a guest that finds both signatures may prefer KVM's
 * (Linux ranks the one at the higher base, 0x40000100, first), while `-cpu qemu64,hv-...` asks
 * for a machine that looks like Hyper-V.
 */
export function effectiveKvmFlags(model: string | undefined, values: CpuFlagValues | undefined, hyperv = false): Set<string> {
  const askedForKvm = KVM_FLAGS.some((f) => values?.get(f.name) === true);
  const on = hyperv && !askedForKvm ? new Map<string, boolean>() : kvmModelDefaults(model);
  for (const f of KVM_FLAGS) {
    const v = values?.get(f.name);
    if (typeof v === 'boolean') on.set(f.name, v);
  }
  const result = new Set<string>();
  if (on.get('kvm') !== true) return result; // kvm=off hides every KVM feature with the signature
  for (const [name, v] of on) if (v) result.add(name);
  // PV TLB flush works through the steal-time structure: a model default without it is not offered.
  if (!result.has('kvm-steal-time')) result.delete('kvm-pv-tlb-flush');
  return result;
}

/** CPUID 0x40000001 EAX for these flags. */
export function kvmFeatureBits(flags: ReadonlySet<string>): number {
  let eax = 0;
  for (const name of flags) for (const bit of FLAG_BITS[name] ?? []) eax |= 1 << bit;
  return eax >>> 0;
}
