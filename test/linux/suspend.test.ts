/**
 * ACPI S3 (suspend to RAM) with Debian's kernel, -smp 1 and -smp 2: the init
 * script suspends three times. The first sleep (`echo mem >
 * /sys/power/state`) is ended over QMP (system_wakeup after SUSPEND); the
 * second by the RTC alarm set through /sys/class/rtc/rtc0/wakealarm, the
 * third by util-linux's `rtcwake -m mem -s 2` (test/helpers/rtcwake.ts): the
 * RTC's alarm with PM1 RTC_EN. Each time the kernel takes the non-boot CPUs
 * offline, the vCPUs lose their state, and the kernel comes back through the
 * real-mode waking vector it left in the FACS and starts its APs again; a
 * marker printed after each sleep shows userspace resumed. Deterministic
 * clock (-icount).
 */
import { LINUX_TIMEOUT_MS, linuxTest, platformWarnings } from '../helpers/linux-kernel.js';
import { startLinuxWithQmp } from '../helpers/linux-qmp.js';
import { rtcwakeInitramfsEntries } from '../helpers/rtcwake.js';

const SUSPEND_SCRIPT = `echo S3-QMP-SUSPENDING
echo mem > /sys/power/state && echo S3-QMP-RESUMED
echo +2 > /sys/class/rtc/rtc0/wakealarm && echo S3-WAKEALARM-SUSPENDING
echo mem > /sys/power/state && echo S3-WAKEALARM-RESUMED
/bin/busybox mount -t devtmpfs devtmpfs /dev
/sbin/rtcwake -u -m mem -s 2 && echo S3-RTCWAKE-RESUMED
echo "cpus after resume: $(/bin/busybox nproc)"
`;

const linux = linuxTest();

for (const smp of [1, 2]) {
  linux(`Linux -smp ${smp} suspends to RAM (S3) and resumes on QMP system_wakeup, on its RTC wakealarm and under rtcwake -m mem`, async (t) => {
    t.timeout(LINUX_TIMEOUT_MS + 60_000);
    const rtcwake = rtcwakeInitramfsEntries();
    if (typeof rtcwake === 'string') {
      t.fail(`util-linux's rtcwake: ${rtcwake}`);
      return;
    }
    const { vm, client, serial, tail, close } = await startLinuxWithQmp({
      script: SUSPEND_SCRIPT,
      append: 'console=ttyS0 panic=-1 no_console_suspend',
      smp,
      extra: rtcwake,
      tmpPrefix: 'tsv-s3-',
    });
    try {
      await client.execute('qmp_capabilities');
      const exited = vm.start();
      t.deepEqual((await client.execute('system_wakeup')).error, { class: 'GenericError', desc: 'Unable to wake up: guest is not in suspended state' });

      await client.event('SUSPEND', LINUX_TIMEOUT_MS).catch((err: Error) => t.fail(`${err.message}\n${tail()}`));
      t.true(serial().includes('S3-QMP-SUSPENDING'));
      t.deepEqual((await client.execute('query-status')).return, { status: 'suspended', running: false });
      t.false(serial().includes('S3-QMP-RESUMED'));
      t.deepEqual((await client.execute('system_wakeup')).return, {});
      await client.event('WAKEUP');
      t.deepEqual((await client.execute('query-status')).return, { status: 'running', running: true });

      // The second and third sleeps end by themselves: the RTC alarm 2 s of guest time later.
      for (const how of ['WAKEALARM', 'RTCWAKE']) {
        await client.event('SUSPEND', LINUX_TIMEOUT_MS).catch((err: Error) => t.fail(`${err.message}\n${tail()}`));
        await client.event('WAKEUP', LINUX_TIMEOUT_MS).catch((err: Error) => t.fail(`${err.message}\n${tail()}`));
        t.true(serial().includes(how === 'WAKEALARM' ? 'S3-QMP-RESUMED' : 'S3-WAKEALARM-RESUMED'), tail());
      }
      const exit = await exited;
      t.true(serial().includes('S3-RTCWAKE-RESUMED'), tail());
      t.regex(serial(), /rtcwake: wakeup from "mem" using \/dev\/rtc0/);
      t.is(serial().match(/ACPI: PM: Waking up from system sleep state S3/g)?.length, 3, 'the kernel saw three S3 resumes');
      t.regex(serial(), new RegExp(`cpus after resume: ${smp}\\b`), tail());
      if (smp > 1) t.is(serial().match(/CPU1 is up/g)?.length, 3, 'the AP came back after each resume');
      t.deepEqual(platformWarnings(serial()), [], 'no platform warnings in the kernel log');
      t.is(exit.reason, 'poweroff');
    } finally {
      await close();
    }
  });
}
