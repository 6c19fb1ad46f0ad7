/** QMP error replies carry one of QEMU's error classes and a human-readable description. */
export type QmpErrorClass = 'GenericError' | 'CommandNotFound' | 'DeviceNotActive' | 'DeviceNotFound' | 'KVMMissingCap';

export class QmpError extends Error {
  override readonly name = 'QmpError';
  constructor(readonly errorClass: QmpErrorClass, desc: string) {
    super(desc);
  }
}
