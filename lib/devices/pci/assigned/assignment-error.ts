/**
 * Why a host PCI device cannot be assigned. Each is found before the guest
 * starts, never by touching the device, and the message is the one line the
 * CLI prints (a MachineConfigError, so it exits with status 1).
 */
import { MachineConfigError } from '../../../machine/errors.js';

export type PciAssignmentProblem =
  | 'malformed-address'
  | 'not-found'
  | 'bound-to-driver'
  | 'no-permission'
  | 'assigned-twice'
  | 'bar-unmappable'
  | 'bridge'
  | 'unreadable'
  | 'guest-address'
  | 'no-iommu-group'
  | 'vfio-unusable'
  | 'group-not-viable'
  | 'group-busy'
  | 'dma-map';

export class PciAssignmentError extends MachineConfigError {
  constructor(readonly problem: PciAssignmentProblem, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'PciAssignmentError' });
  }
}
