/**
 * The DSDT's half of ACPI PCI hotplug (the register half is
 * lib/devices/pci/acpi-pci-hotplug.ts): inside \_SB.PCI0, the hotplug
 * registers as fields, one device object per hot-pluggable slot with _ADR,
 * _SUN and an _EJ0 that writes the slot's bit to EJECT, and PCNT, which
 * reads INSERTED and REMOVING once and notifies each slot named there with
 * 1 (device check: the OS scans the slot) or 3 (eject request: the OS stops
 * using the device, then calls _EJ0). \_GPE._Exx calls PCNT when the
 * hotplug GPE fires.
 */
import { PCIHP_EJECT, PCIHP_HOTPLUG, PCIHP_INSERTED, PCIHP_REGISTER_BLOCK_LEN, PCIHP_REMOVING } from '../../devices/pci/acpi-pci-hotplug.js';
import {
  and,
  concat,
  device,
  field,
  FIELD_ACCESS_DWORD,
  FIELD_LOCK_NONE,
  FIELD_UPDATE_PRESERVE,
  ifThen,
  integer,
  local,
  method,
  name,
  nameString,
  notify,
  operationRegion,
  REGION_SPACE_SYSTEM_IO,
  scope,
  store,
  type Aml,
} from './aml.js';

export interface PciHotplugAmlParams {
  /** I/O port of the hotplug registers. */
  registers: number;
  /** The GPE0 event that the registers raise. */
  gpe: number;
  /** The slots that take hot plug (1..31). */
  slots: readonly number[];
}

/** ACPI Notify values (ACPI spec, "Device Object Notification Values"). */
export const NOTIFY_DEVICE_CHECK = 1;
export const NOTIFY_EJECT_REQUEST = 3;

const FIELDS: ReadonlyArray<{ name: string; offset: number }> = [
  { name: 'PCIU', offset: PCIHP_INSERTED },
  { name: 'PCID', offset: PCIHP_REMOVING },
  { name: 'PCEJ', offset: PCIHP_EJECT },
  { name: 'PCHS', offset: PCIHP_HOTPLUG },
];

/** Device object name of a slot: S01..S1F. */
export function slotDeviceName(slot: number): string {
  return 'S' + slot.toString(16).toUpperCase().padStart(2, '0');
}

/** Terms that go inside Device(PCI0). */
export function pciHotplugTerms(p: PciHotplugAmlParams): Aml[] {
  // The fields are consecutive dwords from offset 0, in register order.
  FIELDS.forEach((f, i) => {
    if (f.offset !== 4 * i) throw new Error('hotplug register layout and AML fields disagree');
  });
  const terms: Aml[] = [
    operationRegion('PCHP', REGION_SPACE_SYSTEM_IO, p.registers, PCIHP_REGISTER_BLOCK_LEN),
    field('PCHP', FIELD_ACCESS_DWORD | FIELD_LOCK_NONE | FIELD_UPDATE_PRESERVE, FIELDS.map((f) => ({ name: f.name, bits: 32 }))),
  ];
  for (const slot of p.slots) {
    terms.push(
      device(slotDeviceName(slot), [
        name('_ADR', integer(slot * 0x10000)),
        name('_SUN', integer(slot)),
        method('_EJ0', 1, false, [store(integer(2 ** slot), nameString('PCEJ'))]),
      ]),
    );
  }
  const notifies: Aml[] = [store(nameString('PCIU'), local(0)), store(nameString('PCID'), local(1))];
  for (const slot of p.slots) {
    notifies.push(ifThen(and(local(0), integer(2 ** slot)), [notify(slotDeviceName(slot), NOTIFY_DEVICE_CHECK)]));
    notifies.push(ifThen(and(local(1), integer(2 ** slot)), [notify(slotDeviceName(slot), NOTIFY_EJECT_REQUEST)]));
  }
  terms.push(method('PCNT', 0, true, notifies));
  return terms;
}

/** \_GPE._Exx (edge-triggered: the OS clears the status bit, then runs the method) calling PCNT. */
export function pciHotplugGpeScope(p: PciHotplugAmlParams, pci0Path: string): Aml {
  const gpeMethod = '_E' + p.gpe.toString(16).toUpperCase().padStart(2, '0');
  return scope('\\_GPE', [method(gpeMethod, 0, false, [concat([nameString(`${pci0Path}.PCNT`)])])]);
}
