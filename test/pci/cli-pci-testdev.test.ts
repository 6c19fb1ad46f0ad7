/** -device pci-testdev on the QEMU-style command line, and the machine it builds. */
import test from 'ava';
import { parseQemuArgs } from '../../lib/qemu-compat/index.js';
import { defaultMachineConfig, MIB } from '../../lib/machine/config.js';
import { Machine } from '../../lib/machine/machine.js';
import { PciTestdev } from '../../lib/devices/pci/pci-testdev.js';

test('-device pci-testdev: listed, parsed, and each instance gets a slot and its own BARs', (t) => {
  const list = parseQemuArgs(['-device', 'help']).request;
  if (list.kind !== 'list') return t.fail();
  t.regex(list.text, /name "pci-testdev", bus PCI, desc "PCI test device 1b36:0005/);
  const inv = parseQemuArgs(['-kernel', 'k.elf', '-device', 'pci-testdev', '-device', 'pci-testdev,id=t2']);
  t.is(inv.request.kind, 'run');
  t.deepEqual(inv.devices, [{ driver: 'pci-testdev' }, { driver: 'pci-testdev', id: 't2' }]);
  t.throws(() => parseQemuArgs(['-device', 'pci-testdev,id=a', '-device', 'vfio-pci,host=03:00.0,id=a']), { message: "-device vfio-pci,host=03:00.0,id=a: Duplicate ID 'a' for device" });
  t.throws(() => parseQemuArgs(['-device', 'pci-testdev,id=9x']), { message: "-device pci-testdev,id=9x: Parameter 'id' expects an identifier" });
  t.throws(() => parseQemuArgs(['-device', 'pci-testdev,bar=1']));

  const m = new Machine({ ...defaultMachineConfig(), memoryBytes: 16 * MIB, serial: 'none', devices: [{ driver: 'pci-testdev' }, { driver: 'pci-testdev' }] });
  try {
    const devs = m.pci.bus.devices();
    t.deepEqual(devs.map((d) => [d.slot, d.name]), [[0, 'i440fx host bridge'], [1, 'pci-testdev'], [2, 'pci-testdev']]);
    const [a, b] = devs.slice(1) as PciTestdev[];
    t.not(a!.barAddress(0), b!.barAddress(0));
    t.not(a!.barAddress(1), b!.barAddress(1));
    t.truthy(m.pio.deviceAt(0xcfc));
    t.is(m.mmio.deviceAt(a!.barAddress(0))?.name, 'pci-testdev BAR0 (mmio)');
  } finally {
    m.destroy();
  }
});
