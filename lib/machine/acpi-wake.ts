/**
 * Where a vCPU starts when the machine leaves ACPI S3: the OS's waking
 * vector in the FACS (ACPI spec, "Firmware ACPI Control Structure").
 *  - X_Firmware_Waking_Vector (FACS version 1 and later) non-zero: 32-bit
 *    protected mode at that address, paging off, flat 4 GiB segments,
 *    interrupts off. The FACS does not set 64BIT_WAKE_SUPPORTED_F, so the
 *    OS has no 64-bit wake environment to ask for (OSPM 64BIT_WAKE_F is
 *    not honoured).
 *  - otherwise Firmware_Waking_Vector, entered in real mode with
 *    CS = vector >> 4 and IP = vector & 0xF.
 * Everything else is the INIT state the vCPU already has.
 */
import type { Vcpu } from '../hypervisor/vcpu.js';
import { setFlatProtectedMode32 } from './flat-protected-mode.js';
import type { GuestMemory } from './guest-memory.js';

/** FACS field offsets. */
const FACS_FIRMWARE_WAKING_VECTOR = 12;
const FACS_X_FIRMWARE_WAKING_VECTOR = 24;
const FACS_VERSION = 32;

/** The 32-bit wake environment's selectors (the spec only asks for flat segments; the OS loads its own GDT). */
const WAKE32_CS = 0x08;
const WAKE32_DS = 0x10;

export type WakeEntry =
  | { mode: 'real'; segment: number; ip: number }
  | { mode: 'protected32'; address: number };

/** Reads the waking vector the OS left in the FACS at facsAddress. */
export function readWakeEntry(memory: GuestMemory, facsAddress: number): WakeEntry {
  if (memory.readU8(facsAddress + FACS_VERSION) >= 1) {
    const x = memory.readU64(facsAddress + FACS_X_FIRMWARE_WAKING_VECTOR);
    // Above 4 GiB a 32-bit environment cannot reach it; such a vector is taken as absent.
    if (x !== 0n && x < 1n << 32n) return { mode: 'protected32', address: Number(x) };
  }
  const vector = memory.readU32(facsAddress + FACS_FIRMWARE_WAKING_VECTOR);
  return { mode: 'real', segment: (vector >>> 4) & 0xffff, ip: vector & 0xf };
}

/** Puts a vCPU that is in its INIT state at the wake entry. */
export function setWakeEntryState(vcpu: Vcpu, entry: WakeEntry): void {
  vcpu.rflags = 0x2n;
  if (entry.mode === 'real') {
    vcpu.cs = { ...vcpu.cs, selector: entry.segment, base: BigInt(entry.segment << 4), limit: 0xffff };
    vcpu.rip = BigInt(entry.ip);
    return;
  }
  vcpu.cr0 = (vcpu.cr0 | 1n) & ~(1n << 31n);
  setFlatProtectedMode32(vcpu, WAKE32_CS, WAKE32_DS);
  vcpu.rip = BigInt(entry.address);
}
