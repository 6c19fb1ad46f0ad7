/**
 * Guest-memory layouts and MSR numbers of kvmclock (facts from Linux's
 * Documentation/virt/kvm/x86/msr.rst).
 */

export const MSR_KVM_WALL_CLOCK = 0x11;
export const MSR_KVM_SYSTEM_TIME = 0x12;
export const MSR_KVM_WALL_CLOCK_NEW = 0x4b56_4d00;
export const MSR_KVM_SYSTEM_TIME_NEW = 0x4b56_4d01;

/** pvclock_vcpu_time_info: 32 bytes. */
export const PVTI = {
  VERSION: 0, // u32, odd while the host updates
  TSC_TIMESTAMP: 8, // u64
  SYSTEM_TIME: 16, // u64 ns
  TSC_TO_SYSTEM_MUL: 24, // u32
  TSC_SHIFT: 28, // s8
  FLAGS: 29, // u8
  SIZE: 32,
} as const;

/** pvclock_vcpu_time_info.flags */
export const PVCLOCK_TSC_STABLE_BIT = 1 << 0;
export const PVCLOCK_GUEST_STOPPED = 1 << 1;

/** pvclock_wall_clock: u32 version, u32 sec, u32 nsec. */
export const WALL = { VERSION: 0, SEC: 4, NSEC: 8, SIZE: 12 } as const;

/** Bit 0 of MSR_KVM_SYSTEM_TIME(_NEW): the structure is enabled. */
export const SYSTEM_TIME_ENABLE = 1n;

/**
 * tsc_to_system_mul and tsc_shift for a TSC of tscKhz: the guest computes
 * ns = ((tsc_delta shifted by tsc_shift) * mul) >> 32, so mul/2^32 * 2^shift
 * must equal 10^6 / tscKhz ns per tick, with mul as large as fits in 32 bits.
 */
export function pvclockScale(tscKhz: number): { mul: number; shift: number } {
  let shift = 0;
  // ns per tick * 2^32, kept as an exact rational nsNum / tscKhz.
  const nsNum = 1_000_000n << 32n;
  const khz = BigInt(tscKhz);
  const value = (s: number): bigint => (s >= 0 ? nsNum / (khz << BigInt(s)) : (nsNum << BigInt(-s)) / khz);
  while (value(shift) >= 1n << 32n) shift++;
  while (value(shift - 1) < 1n << 32n && shift > -31) shift--;
  return { mul: Number(value(shift)), shift };
}
