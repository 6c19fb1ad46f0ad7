/**
 * The -device models this build offers, as a table: name, what it is, the
 * properties it takes, and how its property list becomes a DeviceSpec of the
 * MachineConfig. A new device model is one more entry here.
 */
import { DEVICE_ID_FORM } from '../machine/config.js';
import { BadValue } from './bad-value.js';
import type { DeviceSpec } from './invocation.js';
import type { OptList } from './opts.js';
import { VFIO_PCI_MODEL } from './pci-assign-options.js';

interface DeviceProperty {
  name: string;
  help: string;
}

export interface DeviceModel {
  name: string;
  description: string;
  /** The bus it plugs into, as `-device help` names it (default ISA). */
  bus?: 'ISA' | 'PCI' | 'System';
  /** The `-device help` section (default "Misc devices"). */
  category?: string;
  properties: DeviceProperty[];
  build(opts: OptList): DeviceSpec;
}

/** Properties every device accepts. "id" names a PCI device for device_del; other devices only check it. */
const COMMON_PROPERTIES: DeviceProperty[] = [{ name: 'id', help: 'a name for the device (PCI devices: for device_del)' }];

const ISA_PORT_LIMIT = 0x10000;

export const DEVICE_MODELS: readonly DeviceModel[] = [
  {
    name: 'isa-debug-exit',
    description: 'ISA port that ends the VM: a write of v exits with status (v << 1) | 1',
    properties: [
      { name: 'iobase', help: 'first I/O port (default 0x501)' },
      { name: 'iosize', help: 'number of ports: 1, 2 or 4 (default 0x2)' },
    ],
    build(opts) {
      // QEMU's defaults for this device, so command lines written for QEMU behave the same.
      const iobase = opts.getUint('iobase', ISA_PORT_LIMIT - 1) ?? 0x501;
      const iosize = opts.getUint('iosize', ISA_PORT_LIMIT) ?? 0x2;
      // The port is accessed with one IN/OUT of this width, so only x86 access sizes make sense.
      if (![1, 2, 4].includes(iosize)) throw new BadValue("parameter 'iosize' must be 1, 2 or 4");
      if (iobase + iosize > ISA_PORT_LIMIT) {
        throw new BadValue(`ports 0x${iobase.toString(16)}+0x${iosize.toString(16)} go past the end of the I/O space`);
      }
      return { driver: 'isa-debug-exit', iobase, iosize };
    },
  },
  {
    name: 'pc-testdev',
    description: 'PC test device (the port and MMIO probes that x86 unit-test guests use)',
    properties: [],
    build() {
      return { driver: 'pc-testdev' };
    },
  },
  {
    name: 'hyperv-testdev',
    description: 'Hyper-V test device at port 0x3000 (SINT routes and SynIC connections; needs -cpu hv-synic)',
    properties: [],
    build() {
      return { driver: 'hyperv-testdev' };
    },
  },
  {
    name: 'pci-testdev',
    bus: 'PCI',
    description: 'PCI test device 1b36:0005 (BAR0 memory and BAR1 I/O access tests)',
    properties: [],
    build(opts) {
      const id = opts.get('id');
      return id === undefined ? { driver: 'pci-testdev' } : { driver: 'pci-testdev', id };
    },
  },
  VFIO_PCI_MODEL,
];

export function findDeviceModel(name: string): DeviceModel | undefined {
  return DEVICE_MODELS.find((m) => m.name === name);
}

/** Parses the argument of -device (its driver is the implied first key). */
export function buildDevice(opts: OptList): DeviceSpec {
  const driver = opts.get('driver');
  if (driver === undefined) throw new BadValue("parameter 'driver' is missing");
  const model = findDeviceModel(driver);
  if (!model) throw new BadValue(`'${driver}' is not a valid device model name`);
  opts.allowOnly(['driver', ...COMMON_PROPERTIES.map((p) => p.name), ...model.properties.map((p) => p.name)]);
  const id = opts.get('id');
  if (id !== undefined && !DEVICE_ID_FORM.test(id)) throw new BadValue("Parameter 'id' expects an identifier");
  return model.build(opts);
}

/** QEMU's section order for `-device help`. */
const CATEGORY_ORDER = ['Controller/Bridge/Hub devices', 'Storage devices', 'Network devices', 'Input devices', 'Display devices', 'Misc devices'];

/**
 * `-device help` / `-device ?` in QEMU's format, which test runners grep for (`"pc-testdev"`):
 * sections, then one `name "NAME", bus BUS, desc "TEXT"` line per model, sorted by name.
 */
export function deviceListText(): string {
  const sections = new Map<string, DeviceModel[]>();
  for (const m of DEVICE_MODELS) {
    const category = m.category ?? 'Misc devices';
    sections.set(category, [...(sections.get(category) ?? []), m]);
  }
  const rank = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : CATEGORY_ORDER.length);
  const blocks = [...sections.keys()]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((category) => {
      const models = [...sections.get(category)!].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const lines = models.map((m) => `name "${m.name}", bus ${m.bus ?? 'ISA'}, desc "${m.description.replace(/"/g, "'")}"`);
      return [`${category}:`, ...lines].join('\n') + '\n';
    });
  return blocks.join('\n');
}

export function devicePropertiesText(model: DeviceModel): string {
  const props = [...model.properties, ...COMMON_PROPERTIES];
  const width = Math.max(...props.map((p) => p.name.length)) + 2;
  return [`${model.name} options:`, ...props.map((p) => `  ${p.name.padEnd(width)}${p.help}`)].join('\n') + '\n';
}
