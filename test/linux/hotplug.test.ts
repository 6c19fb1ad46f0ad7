/**
 * ACPI PCI hot plug with Debian's kernel, driven over QMP on a unix socket
 * as a management tool would: the init script waits for a pci-testdev
 * (1b36:0005) to appear in /sys/bus/pci/devices after device_add, prints it
 * with the BAR the kernel assigned, and waits for it to go; the test then
 * device_dels it, sees DEVICE_DELETED (sent only after the kernel's acpiphp
 * ran the slot's _EJ0) and the script report the device gone.
 * pci-testdev has no Linux driver, so the kernel enumerates it without side
 * effects. Deterministic clock (-icount) as in boot.test.ts.
 */
import { LINUX_TIMEOUT_MS, linuxTest, platformWarnings } from '../helpers/linux-kernel.js';
import { startLinuxWithQmp } from '../helpers/linux-qmp.js';

/** Prints the sysfs directory of the first 1b36:0005 function, or nothing. */
const HOTPLUG_SCRIPT = `bb=/bin/busybox
testdev() {
  for d in /sys/bus/pci/devices/*; do
    if [ "$($bb cat $d/vendor)" = 0x1b36 ] && [ "$($bb cat $d/device)" = 0x0005 ]; then echo $d; return; fi
  done
}
echo HOTPLUG-WAITING
while [ -z "$(testdev)" ]; do $bb sleep 0.2; done
d=$(testdev)
echo "HOTPLUG-ADDED \${d##*/} bar0=$($bb head -n 1 $d/resource)"
while [ -e $d ]; do $bb sleep 0.2; done
echo "HOTPLUG-REMOVED \${d##*/}"
# acpiphp drops the device from sysfs before it runs the slot's _EJ0 (the eject register
# write that completes device_del): give that a moment before init powers the machine off.
$bb sleep 2
`;

const linux = linuxTest();

linux('Linux sees a device_add-ed pci-testdev through ACPI hot plug and ejects it on device_del (DEVICE_DELETED over QMP)', async (t) => {
  t.timeout(LINUX_TIMEOUT_MS + 60_000);
  const { vm, client, serial, tail, close } = await startLinuxWithQmp({ script: HOTPLUG_SCRIPT, append: 'console=ttyS0 panic=-1', tmpPrefix: 'tsv-hotplug-' });
  const until = async (what: string, check: () => boolean): Promise<void> => {
    const deadline = Date.now() + LINUX_TIMEOUT_MS;
    while (!check()) {
      if (vm.state === 'exited') throw new Error(`the guest ended before ${what}; last lines:\n${tail(20)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last lines:\n${tail(20)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    t.deepEqual((await client.execute('qmp_capabilities')).return, {});
    const exited = vm.start();
    await until('the init script', () => serial().includes('HOTPLUG-WAITING'));
    t.deepEqual(await client.execute('device_add', { driver: 'pci-testdev', id: 'hp0' }), { return: {}, id: 't2' });
    // A second device under the same id is refused in QEMU's form.
    t.deepEqual((await client.execute('device_add', { driver: 'pci-testdev', id: 'hp0' })).error, { class: 'GenericError', desc: "Duplicate device ID 'hp0'" });
    await until('the device in sysfs', () => serial().includes('HOTPLUG-ADDED'));
    const added = /HOTPLUG-ADDED (\S+) bar0=(0x[0-9a-f]+) (0x[0-9a-f]+)/.exec(serial());
    t.truthy(added, tail(10));
    t.is(added![1], '0000:00:01.0', 'the first free slot (the test machine has no other PCI device)');
    const bar0 = Number(added![2]);
    t.true(bar0 >= 0xe000_0000 && bar0 < 0xfec0_0000 && bar0 % 0x1000 === 0, `the kernel assigned BAR0 inside the root bridge window: ${added![2]}`);
    t.is(Number(added![3]) - bar0 + 1, 0x1000, 'BAR0 is the 4 KiB MMIO BAR');
    t.deepEqual((await client.execute('device_del', { id: 'hp0' })).return, {});
    const deleted = await client.event('DEVICE_DELETED', LINUX_TIMEOUT_MS);
    t.deepEqual(deleted.data, { device: 'hp0', path: '/machine/peripheral/hp0' });
    t.deepEqual((await client.execute('device_del', { id: 'hp0' })).error, { class: 'DeviceNotFound', desc: "Device 'hp0' not found" });
    const exit = await exited;
    t.log(serial().split('\n').filter((l) => /acpiphp|HOTPLUG|0000:00:01\.0/.test(l)).join('\n'));
    t.regex(serial(), /HOTPLUG-REMOVED 0000:00:01\.0/);
    t.regex(serial(), /acpiphp: Slot \[1\] registered/, 'acpiphp took the DSDT slots');
    t.deepEqual(platformWarnings(serial()), [], 'no platform warnings in the kernel log');
    t.is(exit.reason, 'poweroff');
  } finally {
    await close();
  }
});
