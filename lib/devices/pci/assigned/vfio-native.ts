/**
 * The addon's VFIO helpers (native/vfio, Linux builds): one ioctl each, as
 * linux/vfio.h defines them. Errors carry the errno's name in `code`.
 */

/** VFIO region indices of a PCI device (linux/vfio.h VFIO_PCI_*_REGION_INDEX). */
export const VFIO_PCI_BAR0_REGION_INDEX = 0;
export const VFIO_PCI_ROM_REGION_INDEX = 6;
export const VFIO_PCI_CONFIG_REGION_INDEX = 7;
/** VFIO IRQ indices of a PCI device (VFIO_PCI_*_IRQ_INDEX). */
export const VFIO_PCI_INTX_IRQ_INDEX = 0;
export const VFIO_PCI_MSI_IRQ_INDEX = 1;
export const VFIO_PCI_MSIX_IRQ_INDEX = 2;
/** IOMMU models (VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU). */
export const VFIO_TYPE1_IOMMU = 1;
export const VFIO_TYPE1V2_IOMMU = 3;

export interface VfioRegionInfo {
  size: number;
  /** Where the region is in the device descriptor (pread/pwrite/mmap offset). */
  offset: number;
  readable: boolean;
  writable: boolean;
  mmap: boolean;
}

export interface VfioIrqInfo {
  count: number;
  eventfd: boolean;
  maskable: boolean;
  automasked: boolean;
}

export interface EventfdWatch {
  close(): void;
}

export interface VfioNative {
  /** Opens the container, checks the API version; iommuType is TYPE1v2, TYPE1 or 0 (none offered). */
  containerOpen(path: string): { fd: number; iommuType: number };
  /** Opens a group; viable = every device in it is bound to a VFIO driver or to none. */
  groupOpen(path: string): { fd: number; viable: boolean };
  groupSetContainer(groupFd: number, containerFd: number): void;
  setIommu(containerFd: number, type: number): void;
  groupGetDevice(groupFd: number, name: string): number;
  deviceInfo(fd: number): { flags: number; numRegions: number; numIrqs: number; reset: boolean; pci: boolean };
  regionInfo(fd: number, index: number): VfioRegionInfo;
  irqInfo(fd: number, index: number): VfioIrqInfo;
  /** action at once (no eventfds), or eventfds as the data; trigger with count 0 disables the index. */
  setIrqs(fd: number, index: number, action: 'trigger' | 'mask' | 'unmask', start: number, count: number, eventfds?: number[]): void;
  deviceReset(fd: number): void;
  /** buffer[bufferOffset, +size) readable and writable by the container's devices at iova. */
  dmaMap(containerFd: number, buffer: ArrayBuffer, bufferOffset: number, iova: number, size: number): void;
  dmaUnmap(containerFd: number, iova: number, size: number): void;
  /** A non-blocking eventfd. */
  createEventfd(): number;
  /** Calls back on the JavaScript thread with the number of signals since the last call. */
  watchEventfd(fd: number, callback: (count: number) => void): EventfdWatch;
}

/** The errno name an addon error carries (EACCES, EBUSY, ...). */
export function vfioErrorCode(err: unknown): string | undefined {
  return (err as { code?: string })?.code;
}
