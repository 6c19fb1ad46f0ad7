/**
 * ACPI S3 with the acpi_s3 guest (test/guests/acpi_s3.c): the guest sleeps
 * through PM1a_CNT twice. The first sleep is ended by the RTC alarm it
 * enabled as a wake event (PM1 RTC_EN) and resumes at the real-mode waking
 * vector; the second, with RTC_EN clear, stays asleep after the alarm set
 * RTC_STS until the host calls wakeup(), and resumes at the 32-bit vector.
 * The guest checks the entry state, WAK_STS, RAM and the reset CPU/APIC;
 * with -smp 2, that its AP is off after each wake until INIT-SIPI-SIPI.
 * Deterministic clock (-icount).
 */
import test from 'ava';
import { createMachine } from '../../lib/api/virtual-machine.js';
import { MachineStateError } from '../../lib/api/errors.js';
import { addonAvailable } from '../../lib/hypervisor/addon.js';
import { GUEST_DEBUG_EXIT_PORT, guestPath } from '../helpers/run-guest.js';
import { testWhen } from '../helpers/test-when.js';

const maybe = testWhen(addonAvailable(), 'needs the native addon');
const PM1_STS_RTC = 1 << 10;

for (const smp of [1, 2]) {
  maybe(`acpi_s3 -smp ${smp}: the RTC alarm wakes S3 into the real-mode vector, wakeup() into the 32-bit vector; APs stay off until started`, async (t) => {
    let serial = '';
    const events: string[] = [];
    const vm = createMachine({
      kernel: guestPath('acpi_s3'),
      append: `cpus=${smp}`,
      smp,
      devices: [{ driver: 'isa-debug-exit', iobase: GUEST_DEBUG_EXIT_PORT, iosize: 4 }],
      clock: { mode: 'icount', shift: 1 },
      noReboot: true,
      serial: { output: (data) => void (serial += Buffer.from(data).toString('utf8')) },
    });
    const pm1Status = (): number => vm.machine.platform.acpiPm.eventBlock.pioRead(0, 2);
    const until = async (what: string, done: () => boolean): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!done()) {
        if (vm.state === 'exited' || Date.now() > deadline) throw new Error(`${what} did not happen; serial:\n${serial}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    vm.on('suspend', () => events.push(`suspend ${vm.suspended}`));
    vm.on('wakeup', () => events.push(`wakeup ${vm.suspended}`));
    try {
      t.throws(() => vm.wakeup(), { instanceOf: MachineStateError }, 'wakeup() before start');
      const exited = vm.start();
      t.throws(() => vm.wakeup(), { instanceOf: MachineStateError, message: 'wakeup(): the guest is not suspended' });

      // Sleep 1 ends by itself: the RTC alarm with RTC_EN.
      await until('the second sleep', () => serial.includes('S3-SLEEP 2') && vm.suspended);
      t.deepEqual(events, ['suspend true', 'wakeup false', 'suspend true']);
      t.true(serial.includes('INFO: resumed from round 1'));

      // Sleep 2: the alarm comes (RTC_STS) but RTC_EN is clear, so only the host can wake it.
      await until('the RTC alarm during sleep 2', () => (pm1Status() & PM1_STS_RTC) !== 0);
      t.true(vm.suspended, 'still asleep after the alarm');
      t.false(serial.includes('resumed from round 2'));
      vm.wakeup();
      const exit = await exited;
      t.deepEqual(events, ['suspend true', 'wakeup false', 'suspend true', 'wakeup false']);
      t.deepEqual(serial.split('\n').filter((l) => l.startsWith('FAIL')), []);
      t.regex(serial, /INFO: resumed from round 2/);
      t.regex(serial, /SUMMARY: \d+ tests, 0 failures/);
      t.is(exit.status, 1, serial);
    } finally {
      if (vm.state === 'running' || vm.state === 'paused') await vm.stop();
      vm.destroy();
    }
  });
}

maybe('disableS3 (-global PIIX4_PM.disable_s3=1): the acpi_s3 guest finds no \\_S3 and the machine never suspends', async (t) => {
  let serial = '';
  const vm = createMachine({
    kernel: guestPath('acpi_s3'),
    devices: [{ driver: 'isa-debug-exit', iobase: GUEST_DEBUG_EXIT_PORT, iosize: 4 }],
    disableS3: true,
    noReboot: true,
    serial: { output: (data) => void (serial += Buffer.from(data).toString('utf8')) },
  });
  let suspended = false;
  vm.on('suspend', () => (suspended = true));
  try {
    const exit = await vm.start();
    t.regex(serial, /FAIL: \\_S3 package: SLP_TYPa = -1/);
    t.false(suspended);
    t.is(exit.status, 3, serial);
  } finally {
    vm.destroy();
  }
});
