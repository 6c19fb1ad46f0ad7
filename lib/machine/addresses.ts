/** Fixed addresses of the PC machine tsvisor models. */

// ---- guest-physical memory map ----
/** End of conventional memory (640 KiB): the VGA window and BIOS area follow. */
export const LOW_MEMORY_END = 0xa0000;
/** Start of extended memory (1 MiB). */
export const HIGH_MEMORY_START = 0x100000;
/** pc-testdev's memory-like MMIO window. */
export const PC_TESTDEV_IOMEM_BASE = 0xff00_0000;
export const PC_TESTDEV_IOMEM_SIZE = 0x10000;

// ---- I/O ports ----
export const PORT_POST = 0x80;
export const PORT_COM1 = 0x3f8;
export const COM_PORT_COUNT = 8;
export const IRQ_COM1 = 4;
export const PORT_FW_CFG_SELECTOR = 0x510;
export const PORT_FW_CFG_DATA = 0x511;
export const PC_TESTDEV_PORT_SCRATCH = 0xe0;
export const PC_TESTDEV_PORT_FLUSH_PAGE = 0xe4;
export const PC_TESTDEV_PORT_SCRATCH_BYTE = 0xe8;
export const PC_TESTDEV_PORT_IRQ = 0x2000;
export const PC_TESTDEV_IRQ_COUNT = 24;
/** QEMU's default isa-debug-exit port when none is given. */
export const ISA_DEBUG_EXIT_DEFAULT_IOBASE = 0x501;
