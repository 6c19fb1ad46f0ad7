/**
 * The standard capability list of a config space (PCI Local Bus 3.0 §6.7):
 * status bit 4 says there is one, 0x34 points at the first entry, each entry
 * is (ID, next pointer) followed by its registers. Pointers are dword
 * aligned (the low two bits are reserved and ignored). A list that loops or
 * points into the header ends where it goes wrong.
 */
import { PCI_CAPABILITIES_START, PCI_CAPABILITY_LIST, PCI_CONFIG_SPACE_SIZE, PCI_STATUS, PCI_STATUS_CAP_LIST } from '../config-space.js';

export interface CapabilityEntry {
  id: number;
  offset: number;
}

/** At most this many entries fit in the 192 bytes after the header. */
const MAX_CAPABILITIES = (PCI_CONFIG_SPACE_SIZE - PCI_CAPABILITIES_START) / 4;

export function capabilityList(config: Uint8Array): CapabilityEntry[] {
  if (config.length < PCI_CONFIG_SPACE_SIZE) return [];
  const status = config[PCI_STATUS]! | (config[PCI_STATUS + 1]! << 8);
  if ((status & PCI_STATUS_CAP_LIST) === 0) return [];
  const list: CapabilityEntry[] = [];
  const seen = new Set<number>();
  let at = config[PCI_CAPABILITY_LIST]! & 0xfc;
  while (at >= PCI_CAPABILITIES_START && !seen.has(at) && list.length < MAX_CAPABILITIES) {
    seen.add(at);
    list.push({ id: config[at]!, offset: at });
    at = config[at + 1]! & 0xfc;
  }
  return list;
}

/** Names of the capability IDs this project knows, for messages and docs. */
export const CAPABILITY_NAMES: Readonly<Record<number, string>> = {
  0x01: 'Power Management',
  0x03: 'VPD',
  0x05: 'MSI',
  0x09: 'Vendor Specific',
  0x10: 'PCI Express',
  0x11: 'MSI-X',
  0x12: 'SATA',
  0x13: 'Advanced Features',
};
