/** kvmclock from the host side: the scale factors, the Node API's host-clock call, GUEST_STOPPED after pause/resume. */
import test from 'ava';
import { defaultMachineConfig } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';
import { PVCLOCK_GUEST_STOPPED, PVCLOCK_TSC_STABLE_BIT, PVTI, pvclockScale } from '../../lib/paravirt/pvclock-layout.js';

test('pvclock scale: mul * 2^shift / 2^32 = ns per TSC tick, mul as large as fits', (t) => {
  t.deepEqual(pvclockScale(2_000_000), { mul: 2 ** 31, shift: 0 }, '2 GHz: 0.5 ns');
  t.deepEqual(pvclockScale(1_000_000), { mul: 2 ** 31, shift: 1 }, '1 GHz: 1 ns');
  t.deepEqual(pvclockScale(4_000_000), { mul: 2 ** 31, shift: -1 }, '4 GHz: 0.25 ns');
  const s = pvclockScale(3_000_000);
  t.true(s.mul >= 2 ** 31 && s.mul < 2 ** 32);
  t.true(Math.abs((s.mul * 2 ** s.shift) / 2 ** 32 - 1 / 3) < 1e-9);
});

test('declareHostClockUnstable clears the stable bit on every vCPU; stable again after declareHostClockStable; GUEST_STOPPED after resume', (t) => {
  const m = new Machine({ ...defaultMachineConfig(), smp: 2, cpuModel: 'qemu64', serial: 'none' });
  try {
    const kc = m.paravirt.kvmclock!;
    kc.writeSystemTime(0, 0x10000n | 1n);
    kc.writeSystemTime(1, 0x10040n | 1n);
    const flags = (gpa: number) => m.memory.readU8(gpa + PVTI.FLAGS);
    t.is(flags(0x10000), PVCLOCK_TSC_STABLE_BIT);
    t.is(flags(0x10040), PVCLOCK_TSC_STABLE_BIT);
    m.paravirt.declareHostClockUnstable();
    t.is(flags(0x10000), 0);
    t.is(flags(0x10040), 0);
    t.is(m.memory.readU32(0x10000) % 2, 0, 'version even after the update');
    m.paravirt.declareHostClockStable();
    t.is(flags(0x10000), PVCLOCK_TSC_STABLE_BIT);
    m.paravirt.resumed();
    t.is(flags(0x10040), PVCLOCK_TSC_STABLE_BIT | PVCLOCK_GUEST_STOPPED);
    m.reset();
    t.is(kc.readSystemTimeMsr(1), 0n, 'a system reset disables kvmclock');
    m.memory.writeU32(0x10040, 0xdead);
    m.paravirt.declareHostClockUnstable();
    t.is(m.memory.readU32(0x10040), 0xdead, 'nothing is written after the reset');
    kc.writeSystemTime(0, 0n);
    t.is(kc.readSystemTimeMsr(0), 0n, 'disabled');
    kc.writeSystemTime(0, BigInt(m.ram.length) | 1n);
    t.notThrows(() => m.paravirt.declareHostClockUnstable(), 'a structure outside RAM is never written');
  } finally {
    m.destroy();
  }
});

test('without -cpu there is no KVM interface', (t) => {
  const m = new Machine({ ...defaultMachineConfig(), serial: 'none' });
  try {
    t.is(m.paravirt.kvmclock, undefined);
    t.notThrows(() => m.paravirt.declareHostClockUnstable());
  } finally {
    m.destroy();
  }
});
