import test from 'ava';
import { defaultMachineConfig, validateMachineConfig, type MachineConfig } from '../../lib/machine/config.js';
import { MachineConfigError } from '../../lib/machine/errors.js';

const withConfig = (patch: Partial<MachineConfig>): MachineConfig => ({ ...defaultMachineConfig(), kernel: 'k', ...patch });

test('defaults are valid: interp, 128 MiB, 1 vCPU, realtime clock', (t) => {
  const c = defaultMachineConfig();
  t.is(c.accel, 'interp');
  t.is(c.memoryBytes, 128 * 1024 * 1024);
  t.is(c.smp, 1);
  t.deepEqual(c.clock, { mode: 'realtime' });
  t.false(c.noReboot);
  t.notThrows(() => validateMachineConfig(c));
});

test('every invalid field gets a MachineConfigError naming it', (t) => {
  const cases: Array<[Partial<MachineConfig>, RegExp]> = [
    [{ smp: 65 }, /^smp must be an integer in 1\.\.64, got 65$/],
    [{ smp: 0 }, /^smp must be an integer in 1\.\.64, got 0$/],
    [{ memoryBytes: 1000 }, /memoryBytes must be a multiple of 4 KiB/],
    [{ memoryBytes: 1 << 20 }, /too small/],
    [{ memoryBytes: 8 * 1024 ** 3 }, /too large/],
    [{ accel: 'hax' as never }, /accel must be 'interp' or 'kvm'/],
    [{ devices: [{ driver: 'isa-debug-exit', iobase: 0x10000, iosize: 4 }] }, /iobase must be an I\/O port/],
    [{ devices: [{ driver: 'isa-debug-exit', iobase: 0xf4, iosize: 3 }] }, /iosize must be 1, 2 or 4/],
    [{ devices: [{ driver: 'e1000' } as never] }, /'e1000' is not a valid device model name/],
    [{ clock: { mode: 'icount', shift: 11 } }, /icount shift must be an integer in 0\.\.10/],
    [{ clock: { mode: 'fast' } as never }, /clock mode/],
    [{ cpuModel: 'Haswell' }, /unknown CPU model 'Haswell'/],
    [{ kernel: undefined, initrd: 'x' }, /initrd needs a kernel/],
  ];
  for (const [patch, message] of cases) {
    t.throws(() => validateMachineConfig(withConfig(patch)), { instanceOf: MachineConfigError, message }, JSON.stringify(patch));
  }
});
